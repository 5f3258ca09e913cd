"""The isolation walk (issue 11): a second tenant B, with an admin token and an admin API key (admin is the broadest
role), calls every operation of the merged OpenAPI with the first tenant A's ids, and reads and changes nothing of A.

The operations come from ``GET /openapi.json``, not from a list kept here. Each reference of an operation (a path
parameter, a query filter, an id field of the body; its kind follows from its name, see ``kind_of``) gets A's id in
turn while every other reference gets B's own, so a refusal is for A's id and not for something else (a 422 must name
where A's id is). A name the walk does not know, or a kind A has no object of, fails the test naming the operation:
a new route cannot go unwalked. Both tenants have one or more of everything, made through the public API and the real
workers (a dunning run whose emails reach a real SMTP server on loopback, a bounce, alarm digests).

"Nothing read": no answer to B holds an id of A, A's marker (in every name, email and external id of A), A's API key
or A's marker amounts, but for what B itself sent. "Nothing changed": every GET of A (lists, and details with A's
ids), read with A's token, is equal after the walk and after every worker has run, field for field (no field is
ignored: none changes by itself within the test). The allow-lists (``PUBLIC``, ``OPAQUE``, ``COHERENT``) say why.
"""

import hashlib
import json
import re
import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import text

from dunning_service.worker import WorkerSettings as DunningWorker
from services.portal.receipts.storage import storage_for
from services.receivables.worker import WorkerSettings as ReceivablesWorker
from shared.contracts.common import ChargeKind
from shared.contracts.dunning import AssessedCharge, ChargesAssessed
from shared.identity import MANAGER
from shared.messages import Envelope
from shared.outbox import HANDLE_MESSAGES, queue_name
from tests.alarms.conftest import mailbox, receivables_in_process  # noqa: F401 - fixtures: SMTP peer, alarms' directory
from tests.alarms.support import alarms_worker, relay
from tests.dunning.support import STANDARD_STEPS
from tests.messaging.support import deliver, settings
from tests.receivables.helpers import refresh_signs
from tests.support import (
    OPERATOR,
    PASSWORD,
    SCHEMAS,
    RoutingTransport,
    create_api_key,
    create_tenant,
    create_user,
    run_worker,
    tenant_today,
)

METHODS = ("get", "post", "put", "patch", "delete")
DUE = date(2025, 6, 3)  # a Tuesday; the dunning run is for the day after
AS_OF = date(2025, 6, 4)
AMOUNTS = ("73310.17", "84620.29", "1111.37")  # A's invoices and payment: no other tenant has these amounts
B_AMOUNTS = ("1500.00", "2500.00", "100.00")

# Which kind of A object an id parameter or field names. ``run_id`` depends on the path (dunning's or alarms' runs).
KINDS = {
    "customer_id": "customer",
    "invoice_id": "invoice",
    "payment_id": "payment",
    "outcome_id": "outcome",
    "promise_id": "promise",
    "charge_id": "charge",  # issue 19: a late charge
    "plan_id": "payment_plan",
    "note_id": "note",
    "task_id": "task",
    "closes_task_id": "task",
    "person_id": "person",
    "advisor_id": "person",
    "responsible_id": "person",
    "area_id": "area",
    "dispute_area_id": "area",
    "user_id": "user",
    "collector_id": "user",
    "assignee_id": "user",
    "supervisor_id": "user",
    "recorded_by_user_id": "user",
    "author_user_id": "user",
    "action_owner_id": "user",
    "recipient": "user",
    "key_id": "api_key",
    "strategy_id": "strategy",
    "scope_strategy_id": "strategy",
    "experiment_id": "experiment",
    "item_id": "action_item",
    "action_item_id": "action_item",
    "template_id": "template",
    "partial_id": "partial",
    "message_id": "message",
    "contact_id": "invalid_contact",
    "opt_out_id": "opt_out",
    "digest_id": "digest",
    "refresh_id": "signs_refresh",  # a refresh of the warning signs
    "source_ref": "dunning_run",
    "collector_email": "user_email",
    "q": "search",  # a list's text search: the tenant's marker, in its every name
    "hashtag": "search",  # notes by hashtag: the marker is one (``Nota #<mark>``)
    "customer_external_id": "customer_external_id",
    "invoice_external_id": "invoice_external_id",
    "advisor_external_id": "person_external_id",
    "task_assignee_id": "user",
    "endpoint_id": "webhook_endpoint",
    "link_id": "portal_link",
    "receipt_id": "portal_receipt",
    "delivery_id": "webhook_delivery",
    "event_id": "webhook_event",
    "external_id": None,  # the new object's own id in the ERP: fresh for each request of B
    "tax_id": None,  # the customer's, not an object
    "phone_number_id": None,  # the tenant's WhatsApp number at Meta
    "client_id": None,  # OAuth2 alias of the tenant's slug (login, walked below)
}
# Operations without a tenant object to aim at, walked by a test of their own below.
PUBLIC = {
    ("post", "/v1/auth/token"): "login: B's credentials against A's slug, test below",
    ("post", "/v1/tenants"): "the operator's route: B's credentials are refused, test below",
    ("post", "/v1/auth/revoke"): "revokes the refresh token in its body, a secret only its holder knows: no id to aim",
    ("put", "/v1/tenants/{tenant_id}/webhook-settings"): "the operator's route: B's credentials are refused, test "
    "in tests/webhooks/test_endpoints.py",
}


def kind_of(name: str, path: str) -> str | None:
    """The kind of A object a parameter or body field ``name`` refers to, or None when it is no reference."""
    base = name[:-1] if name.endswith("_ids") else name
    if base == "run_id":
        return "alarm_run" if path.startswith("/v1/alarms") else "dunning_run"
    if base == "supervisor_id" and path.startswith("/v1/people"):
        return "person"  # an advisor's supervisor is a person; a task's is a user
    if base in KINDS:
        return KINDS[base]
    if name in KINDS:
        return KINDS[name]
    if base.endswith("_id"):
        raise AssertionError(f"{path}: the walk does not know which object {name!r} names (add it to KINDS)")
    return None


# --- tenants with one or more of everything, through the public API and the real workers ---------------------------


async def dunning_worker(stack) -> None:
    """Dunning's worker until its queue is empty, with receivables' API (a projection resync) routed in-process."""

    async def startup(ctx: dict[str, Any]) -> None:
        await DunningWorker.on_startup(ctx)
        await ctx["http"].aclose()
        ctx["http"] = httpx.AsyncClient(transport=RoutingTransport(stack.services))
        ctx["settings"] = ctx["settings"].model_copy(update={"receivables_url": "http://receivables.test"})

    await run_worker(DunningWorker, on_startup=startup)


async def everyone(stack, smtp_port: int, rounds: int = 1) -> None:
    """Relay every outbox, then every worker takes what reached its queue; ``rounds`` times, for answers to answers."""
    for _ in range(rounds):
        await relay(stack, *SCHEMAS)
        await run_worker(ReceivablesWorker)
        await dunning_worker(stack)
        await alarms_worker(stack)
        await deliver(stack, settings(smtp_port=smtp_port))


async def created(response: httpx.Response, status: int = 201) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return response.json()


class World:
    """A tenant with data in every service, made in stages; between two stages the workers run (once for all the
    tenants being made). Every name, email and external id holds the tenant's ``mark``."""

    def __init__(self, api: httpx.AsyncClient, stack, document: dict[str, Any], amounts: tuple[str, ...]) -> None:
        self.api, self.stack, self.document, self.amounts = api, stack, document, amounts
        self.mark = uuid.uuid4().hex[:12]
        self.slug = f"alfa-{self.mark}"
        self.today = tenant_today()

    async def post(self, path: str, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
        return await created(await self.api.post(path, json=body, headers=self.admin), status)

    async def start(self) -> None:
        self.tenant = await create_tenant(self.api, self.slug, name=f"Empresa {self.mark}")
        self.admin = self.tenant.admin
        self.carla, _ = await create_user(self.api, self.tenant, "collector")
        self.owner, _ = await create_user(self.api, self.tenant, MANAGER)

    async def portfolio(self) -> None:
        mark, api, admin = self.mark, self.api, self.admin
        channels = {channel: {"quiet_hours": None, "frequency_cap": None} for channel in ("email", "sms", "whatsapp")}
        await created(await api.patch("/v1/messaging-settings", json=channels, headers=admin), 200)
        body = {"action_owner_id": self.owner["id"]}
        await created(await api.patch("/v1/receivables-settings", json=body, headers=admin), 200)
        self.key = await self.post("/v1/api-keys", {"name": f"ERP {mark}", "roles": ["admin"]})
        person = {"kind": "advisor", "name": f"Asesor {mark}", "email": f"asesor@{self.slug}.example"}
        self.person = await self.post("/v1/people", person | {"external_id": f"A-{mark}"})
        self.area = await self.post("/v1/dispute-areas", {"name": f"Area {mark}", "responsible_id": self.person["id"]})
        self.customers = []
        for n, local in enumerate(("pagos", "bounce")):  # the second one's email bounces: an invalid contact
            contact = {"channel": "email", "address": f"{local}@{self.slug}.example"}
            body = {"name": f"Cliente {n} {mark}", "external_id": f"C{n}-{mark}", "contacts": [contact]}
            body |= {"collector_id": self.carla["id"], "advisor_id": self.person["id"]}
            self.customers.append(await self.post("/v1/customers", body))
        self.invoices = []
        for n, customer in enumerate(self.customers):
            body = {"customer_id": customer["id"], "number": f"N{n}-{mark}", "external_id": f"F{n}-{mark}"}
            body |= {"currency": "ARS", "amount": self.amounts[n], "issue_date": "2025-05-04"}
            self.invoices.append(await self.post("/v1/invoices", body | {"due_date": DUE.isoformat()}))
        strategy = {"name": f"Estrategia {mark}", "priority": 100, "is_default": True, "steps": STANDARD_STEPS}
        self.strategy = await self.post("/v1/strategies", strategy)
        variants = [{"key": key, "name": key, "strategy_id": self.strategy["id"]} for key in ("a", "b")]
        experiment = {"name": f"Experimento {mark}", "scope_strategy_id": self.strategy["id"], "variants": variants}
        self.experiment = await self.post("/v1/strategy-experiments", experiment)
        started = await api.post(f"/v1/strategy-experiments/{self.experiment['id']}/start", headers=admin)
        await created(started, 200)
        template = {"kind": "overdue", "channel": "email", "language": "es", "tone": 1, "name": f"Plantilla {mark}"}
        template |= {"subject": "Saldo", "body_text": "Estimado/a {{ recipient_name }}: {{ total }}"}
        self.template = await self.post("/v1/templates", template)
        self.partial = None
        if "/v1/templates/partials" in self.document["paths"]:  # issue 11.1: walked from the moment it is served
            self.partial = await self.post("/v1/templates/partials", {"name": f"pie-{mark}", "body": f"Chau {mark}"})

    async def webhooks(self) -> None:
        """An endpoint (on a loopback port nobody answers: the operator allows the tenant private URLs), and a
        test ping to it: an event and its delivery."""
        body = {"allow_private_urls": True}
        await created(
            await self.api.put(f"/v1/tenants/{self.tenant.id}/webhook-settings", json=body, headers=OPERATOR), 200
        )
        body = {"url": f"http://127.0.0.1:9/{self.mark}", "description": f"ERP {self.mark}"}
        self.webhook_endpoint = await self.post("/v1/webhook-endpoints", body)
        self.ping = await self.post(f"/v1/webhook-endpoints/{self.webhook_endpoint['id']}/test", {}, 202)

    async def run(self) -> None:
        """A dunning run: its emails go out to the SMTP server on loopback (and one bounces)."""
        self.dunning_run = await self.post("/v1/dunning-runs", {"as_of": AS_OF.isoformat()}, 202)

    async def contacts(self) -> None:
        mark, customer = self.mark, self.customers[0]["id"]
        payment = {"customer_id": customer, "currency": "ARS", "amount": self.amounts[2], "external_id": f"P-{mark}"}
        self.payment = await self.post("/v1/payments", payment | {"payment_date": AS_OF.isoformat()})
        promise = {"customer_id": customer, "kind": "promise_to_pay", "invoice_ids": [self.invoices[0]["id"]]}
        promise |= {"promised_date": (self.today + timedelta(days=1)).isoformat(), "note": f"Paga #{mark}"}
        self.outcome = await self.post("/v1/outcomes", promise)
        self.note = await self.post("/v1/notes", {"customer_id": customer, "body": f"Nota #{mark}"})
        rule = {"count": 3, "first_due_date": (self.today + timedelta(days=10)).isoformat(), "every": "month"}
        plan = {"customer_id": customer, "currency": "ARS", "invoice_ids": [self.invoices[0]["id"]], "rule": rule}
        self.plan = await self.post("/v1/payment-plans", plan | {"external_id": f"PP-{mark}"})  # proposed: no effect
        task = {"customer_id": customer, "title": f"Llamar {mark}", "assignee_id": self.carla["id"]}
        self.task = await self.post("/v1/tasks", task)
        item = {"customer_id": self.customers[1]["id"], "invoice_ids": [self.invoices[1]["id"]]}
        self.item = await self.post("/v1/action-items", item | {"action": "suspend_service"})
        opt_out = {"channel": "email", "address": f"optout@{self.slug}.example", "customer_id": customer}
        self.opt_out = await self.post("/v1/opt-out", opt_out)
        self.portal_link = await self.post("/v1/portal-links", {"customer_id": customer})
        self.receipt_id = await self.portal_receipt(customer)
        async with self.stack.engine.begin() as conn:  # the promise as if made 4 days ago (issue 10: no future as-of)
            for table in ("promises", "invoices"):
                await conn.execute(
                    text(f"UPDATE receivables.{table} SET promised_date = promised_date - 4 WHERE tenant_id = :t"),
                    {"t": self.tenant.id},
                )
        await self.post("/v1/promises/detect-broken", {"as_of": self.today.isoformat()}, 200)
        self.signs_refresh = await refresh_signs(self.api, self.admin)  # computed by receivables' worker
        await self.late_charge()

    async def late_charge(self) -> None:
        """A late charge dunning assessed (issue 19), on its way to receivables as the relay would send it."""
        invoice, key = self.invoices[0], f"{self.invoices[0]['id']}:interest:2025-06"
        assessed = AssessedCharge(
            charge_id=uuid.uuid5(uuid.NAMESPACE_URL, key),
            key=key,
            invoice_id=invoice["id"],
            customer_id=invoice["customer_id"],
            kind=ChargeKind.INTEREST,
            rule_key="interest",
            period="2025-06",
            description=f"Interés {self.mark}",
            currency="ARS",
            amount=Decimal("17.29"),
            charged_on=AS_OF,
        )
        envelope = Envelope.wrap(ChargesAssessed(charges=[assessed]), self.tenant.id).model_dump(mode="json")
        await self.stack.arq.enqueue_job(HANDLE_MESSAGES, [envelope], _queue_name=queue_name("receivables"))

    async def portal_receipt(self, customer: str) -> uuid.UUID:
        """A receipt a debtor uploaded with a reported payment, as the portal stores it (the upload itself, through
        the page's form, is tests/portal/test_actions.py's)."""
        action_id, receipt_id = uuid.uuid4(), uuid.uuid4()
        values = {"t": self.tenant.id, "a": action_id, "r": receipt_id, "c": customer, "l": self.portal_link["id"]}
        key, content = f"{self.tenant.id}/{receipt_id}.pdf", f"%PDF-1.4 {self.mark}".encode()
        portal = self.stack.services["portal"]
        await storage_for(portal.state.settings, portal.state.http).put(key, content, "application/pdf")
        async with self.stack.engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO portal.actions (tenant_id, id, link_id, customer_id, kind) "
                    "VALUES (:t, :a, :l, :c, 'payment_reported')"
                ),
                values,
            )
            await conn.execute(
                text(
                    "INSERT INTO portal.receipts (tenant_id, id, action_id, customer_id, storage_key, content_type, "
                    "size, sha256) VALUES (:t, :r, :a, :c, :key, 'application/pdf', :size, :sha)"
                ),
                values | {"sha": hashlib.sha256(content).hexdigest(), "key": key, "size": len(content)},
            )
        return receipt_id

    async def alarms(self) -> None:
        """Alarm digests, which go out as messages."""
        body = {"as_of": self.today.isoformat(), "alarms": ["actions", "broken_promises"]}
        self.alarm_run = await self.post("/v1/alarms/runs", body)

    async def first(self, path: str) -> dict[str, Any]:
        listed = await created(await self.api.get(path, headers=self.admin), 200)
        items = listed["items"] if isinstance(listed, dict) else listed
        assert items, f"the tenant has no object at {path}"
        return items[0]

    async def ids(self) -> dict[str, str]:
        """One id of each kind (and the external ids and emails that name objects too)."""
        ids = {
            "tenant": str(self.tenant.id),
            "customer": self.customers[0]["id"],
            "invoice": self.invoices[0]["id"],
            "payment": self.payment["id"],
            "outcome": self.outcome["id"],
            "promise": (await self.first("/v1/promises"))["id"],
            "charge": (await self.first("/v1/charges"))["id"],
            "note": self.note["id"],
            "payment_plan": self.plan["id"],
            "task": self.task["id"],
            "person": self.person["id"],
            "area": self.area["id"],
            "user": self.carla["id"],
            "api_key": self.key["id"],
            "strategy": self.strategy["id"],
            "experiment": self.experiment["id"],
            "dunning_run": self.dunning_run["id"],
            "action_item": self.item["id"],
            "template": self.template["id"],
            "message": (await self.first("/v1/messages?source=dunning"))["id"],
            "invalid_contact": (await self.first("/v1/messaging-settings/invalid-contacts"))["id"],
            "opt_out": self.opt_out["id"],
            "alarm_run": self.alarm_run["id"],
            "digest": (await self.first("/v1/alarms"))["id"],
            "signs_refresh": self.signs_refresh["id"],
            "email": f"pagos@{self.slug}.example",
            "search": self.mark,
            "user_email": self.carla["email"],
            "customer_external_id": self.customers[0]["external_id"],
            "invoice_external_id": self.invoices[0]["external_id"],
            "person_external_id": self.person["external_id"],
            "webhook_endpoint": self.webhook_endpoint["id"],
            "webhook_delivery": self.ping["delivery_id"],
            "webhook_event": self.ping["event_id"],
            "portal_link": self.portal_link["id"],
            "portal_receipt": str(self.receipt_id),
        }
        if self.partial:
            ids["partial"] = self.partial["id"]
        return ids

    def markers(self) -> set[str]:
        return {self.mark, str(self.tenant.id), self.key["key"], self.key["prefix"], *self.amounts}


async def full_tenants(api, stack, smtp_port: int, document: dict[str, Any], *amounts: tuple[str, ...]) -> list[World]:
    """Tenants made side by side, stage by stage, each stage followed by as many worker rounds as its events need."""
    worlds = [World(api, stack, document, a) for a in amounts]
    stages = (("start", 1), ("portfolio", 1), ("webhooks", 0), ("run", 2), ("contacts", 1), ("alarms", 1))
    for stage, rounds in stages:
        for world in worlds:
            await getattr(world, stage)()
        await everyone(stack, smtp_port, rounds)
    return worlds


# --- requests built from the merged OpenAPI ----------------------------------------------------------------------


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


class Refs:
    """The ids a request carries: A's in the one reference under test (``target``), B's own everywhere else, so a
    request is refused for A's id and for nothing else (a foreign reference hidden behind a 404 of another field
    would go unwalked)."""

    def __init__(self, a: dict[str, str], b: dict[str, str], target: str | None) -> None:
        self.a, self.b, self.target = a, b, target

    def __call__(self, name: str, method: str, path: str) -> str | None:
        kind = kind_of(name, path)
        if kind is None:
            return None
        assert kind in self.a, f"{method.upper()} {path}: tenant A has no {kind} to put in {name!r}"
        return (self.a if name == self.target else self.b)[kind]


def url_of(method: str, path: str, operation: dict[str, Any], refs: Refs) -> str:
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "path":
            name = parameter["name"]
            value = refs(name, method, path)
            assert value is not None, f"{method.upper()} {path}: path parameter {name!r} names no kind of object"
            path = path.replace("{" + name + "}", value)
    return path


def query_of(method: str, path: str, operation: dict[str, Any], refs: Refs) -> dict[str, str]:
    """An id for every query parameter that is a reference (filters); the others are left out."""
    query = {}
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "query":
            value = refs(parameter["name"], method, path)
            if value is not None:
                query[parameter["name"]] = value
            else:
                assert not parameter.get("required"), f"{method.upper()} {path}: required {parameter['name']!r}"
    return query


class Bodies:
    """Minimal valid bodies: the schema's example, else its required fields; an optional reference only when it is
    the one under test (or the example has it); names, emails and external ids fresh for each request."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.schemas = document["components"]["schemas"]
        self.count = 0
        self.refs = Refs({}, {}, None)

    def references(self, schema: dict[str, Any], path: str, seen: frozenset = frozenset()) -> set[str]:
        """The names of the reference fields anywhere in a body schema."""
        if "$ref" in schema:
            if schema["$ref"] in seen:
                return set()
            seen = seen | {schema["$ref"]}
            return self.references(self.schemas[schema["$ref"].rsplit("/", 1)[1]], path, seen)
        names = {n for n in schema.get("properties", {}) if kind_of(n, path) is not None}
        parts = [*schema.get("properties", {}).values(), *schema.get("anyOf", []), *schema.get("oneOf", [])]
        parts += [schema[k] for k in ("items", "additionalProperties") if isinstance(schema.get(k), dict)]
        for part in parts:
            names |= self.references(part, path, seen)
        return names

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            schema = self.schemas[schema["$ref"].rsplit("/", 1)[1]]
        options = [s for s in schema.get("anyOf", schema.get("oneOf", [])) if s.get("type") != "null"]
        return self.resolve(options[0]) if options else schema

    def for_operation(self, method: str, path: str, operation: dict[str, Any], refs: Refs) -> Any:
        self.count += 1
        self.refs = refs
        content = operation.get("requestBody", {}).get("content", {})
        if "application/json" not in content:
            return None
        media = content["application/json"]
        schema = self.resolve(media.get("schema", {}))
        example = (schema.get("examples") or [None])[0]
        body = self.value(schema, example, None, method, path)
        for name, value in COHERENT.get((method, path, refs.target), {}).items():
            if value is None:
                body.pop(name, None)
            else:
                body[name] = refs(name, method, path) if value is B_REF else value
        return body

    def value(self, schema: dict[str, Any], example: Any, name: str | None, method: str, path: str) -> Any:
        schema = self.resolve(schema)
        reference = self.refs(name, method, path) if name else None
        if schema.get("type") == "array":
            if reference is not None:
                return [reference]
            item = example[0] if isinstance(example, list) and example else None
            singular = name[:-1] if name and name.endswith("s") else None
            return [self.value(schema.get("items", {}), item, singular, method, path)]
        if reference is not None:
            return reference
        if schema.get("type") == "object" or "properties" in schema:
            given = example if isinstance(example, dict) else {}
            properties = schema.get("properties", {})
            required = set(schema.get("required", []))
            # optional references: the one under test (or what holds it), else the example's
            target = self.refs.target
            holding = {p for p, sub in properties.items() if p == target or target in self.references(sub, path)}
            optional = {p for p in properties if p not in required and kind_of(p, path) is not None}
            # a reference a body may also give by the ERP's id (customer_id or customer_external_id, invoice_ids or
            # invoice_external_ids) is needed in one of its two forms: the example's, unless the other is under test
            paired = {
                p
                for p in optional & set(given)
                if (other := external_form(p)) in properties and target not in (p, other)
            }
            wanted = required | (set(given) - optional) | (holding or (optional & set(given))) | paired
            built = {
                p: self.value(properties.get(p, {}), given.get(p), p, method, path)
                for p in sorted(wanted)
                if p in properties or p in given
            }
            return built
        if example is None:
            example = (schema.get("examples") or [None])[0]
        if name in ("external_id", "slug"):
            return f"b-{self.count}"
        if name in ("email", "address") or schema.get("format") == "email":
            return f"b-{self.count}@beta.example"
        if name == "name" and isinstance(example, str):
            return f"{example} {self.count}"
        if example is not None:
            return example
        return self.default(schema)

    def default(self, schema: dict[str, Any]) -> Any:
        if "enum" in schema:
            return schema["enum"][0]
        if "const" in schema:
            return schema["const"]
        kind = schema.get("type")
        if kind == "integer":
            return max(schema.get("minimum", 1), 1)
        if kind == "number":
            return 1
        if kind == "boolean":
            return False
        formats = {"date": AS_OF.isoformat(), "date-time": f"{AS_OF.isoformat()}T12:00:00Z", "uuid": str(uuid.uuid4())}
        if schema.get("format") in formats:
            return formats[schema["format"]]
        if "pattern" in schema and "A-Z" in schema["pattern"]:
            return "ARS"
        return f"b{self.count}".ljust(schema.get("minLength", 1), "x")


def csv_body(count: int, refs: Refs) -> bytes:
    """The customer file names its customer's collector by email."""
    collector = refs("collector_email", "post", "/v1/ingest/customers.csv")
    return f"external_id;name;collector_email\ncsv-{count};Beta {count};{collector}\n".encode()


async def snapshot(api: httpx.AsyncClient, document: dict[str, Any], ids: dict[str, str], headers) -> dict[str, Any]:
    """Every GET of the document with A's ids in its path, as A reads it (each must answer 200, but a live
    tenant's test clock)."""
    seen = {}
    for method, path, operation in operations(document):
        if method != "get":
            continue
        url = url_of(method, path, operation, Refs(ids, ids, None))
        response = await api.get(url, headers=headers)
        if path.startswith("/v1/test-clock"):  # A is a live tenant: it has no clock, and says so (B alike)
            assert response.status_code == 403 and response.json()["type"].endswith("/not-a-sandbox"), response.text
            seen[url] = response.json()["type"]  # the problem's request id differs from one read to the next
            continue
        assert response.status_code == 200, (url, response.text)
        is_json = response.headers["content-type"].startswith("application/json")
        seen[url] = response.json() if is_json else response.text
    return seen


UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# What makes a body coherent around one reference (a dispute outcome is the one that names a dispute area).
B_REF = object()  # in COHERENT: that reference too, with B's id
COHERENT = {
    ("post", "/v1/outcomes", "dispute_area_id"): {"kind": "dispute", "promised_date": None},
    ("post", "/v1/outcomes", "task_assignee_id"): {"kind": "no_commitment", "promised_date": None},
    ("post", "/v1/outcomes", "closes_task_id"): {"kind": "no_commitment", "promised_date": None},
    ("post", "/v1/tasks", "assignee_id"): {"supervisor_id": B_REF},  # seed 004: a task for another names one
}
# References that are no look-up: the operation takes the id as a label of what B sends, and stores or renders it
# as B's (answering it back is no leak: B sent it).
OPAQUE = {
    ("post", "/v1/opt-out", "customer_id"): "messaging keeps no customers: a label on B's own opt-out (receivables "
    "applies it to B's customer of that id: none)",
    **{
        ("post", "/v1/templates/preview", name): "a preview's `communication` is sample data B sends in full; it is "
        "rendered as sent, nothing is looked up by its ids (message_id and template_id are: 404)"
        for name in ("customer_id", "invoice_id", "source_ref", "collector_id", "advisor_id", "user_id", "charge_id")
    },
}


def error_paths(value: Any, wanted: str, at: str = "") -> set[str]:
    """Where ``wanted`` is in a body, as problem+json names fields (``invoices[0].invoice_id``), with every
    enclosing field (``invoices[0]``, ``invoices``): a refusal may name any of them."""
    found = set()
    if isinstance(value, dict):
        for key, item in value.items():
            found |= error_paths(item, wanted, f"{at}.{key}" if at else key)
    elif isinstance(value, list):
        for n, item in enumerate(value):
            found |= error_paths(item, wanted, f"{at}[{n}]")
    elif value == wanted:
        found.add(at)
    return {p for path in found for p in [path, *(path[: m.start()] for m in re.finditer(r"[.\[]", path))] if p}


def external_form(reference: str) -> str:
    """The field a body names the same reference by with the ERP's id: ``customer_external_id``,
    ``invoice_external_ids``."""
    if reference.endswith("_ids"):
        return reference.removesuffix("_ids") + "_external_ids"
    return reference.removesuffix("_id") + "_external_id"


def verdict(method: str, path: str, target: str | None, response: httpx.Response, echoed: list[str], where: set[str]):
    """Whether B's answer is one B may get: refused (403/404, or 422 naming where A's id is: ``where``); or, when
    A's id is not in the path, a success holding none of A's ids (unless a batch rejecting every row, or
    ``OPAQUE``); or, with nothing of A in the request, a conflict with B's own state (409: B's default strategy)."""
    status = response.status_code
    if status == 422 and target is not None and "{" + target + "}" not in path:
        # refused for A's id, not for something else of the body (which would leave the reference unwalked)
        return any(e.get("field") in where for e in response.json().get("errors", []))
    if status in (403, 404, 422):
        return True
    if target is not None and "{" + target + "}" in path:
        return False
    if status == 409:
        return target is None
    if not 200 <= status < 300:
        return False
    if not echoed or (method, path, target) in OPAQUE:
        return True
    answer = response.json()
    return (
        isinstance(answer, dict)
        and len(answer.get("rejected", [])) == answer.get("received")
        and not (answer.get("created") or answer.get("updated"))
    )


def forged_callbacks(ids: dict[str, str]) -> list[tuple[str, dict[str, Any]]]:
    """Provider callbacks (public, not in the OpenAPI, stored by the gateway and checked by messaging's worker)
    naming A's tenant and A's message, but not signed with A's provider secrets: they must change nothing."""
    tenant, message = ids["tenant"], ids["message"]
    status = {"entry": [{"changes": [{"value": {"statuses": [{"id": message, "status": "failed"}]}}]}]}
    mail = f"From: <{ids['email']}>\r\nTo: <bounces+{message}@cobranza.example>\r\nSubject: x\r\n\r\nSTOP\r\n"
    return [
        (f"/webhooks/messaging/twilio/{tenant}/status?message={message}", {"data": {"MessageStatus": "failed"}}),
        (f"/webhooks/messaging/twilio/{tenant}/inbound", {"data": {"From": "+5491155550001", "Body": "STOP"}}),
        (f"/webhooks/messaging/whatsapp/{tenant}", {"json": status}),
        ("/webhooks/messaging/email/inbound", {"content": mail.encode()}),
    ]


def slots(method: str, path: str, operation: dict[str, Any], bodies: Bodies) -> list[str | None]:
    """The references of an operation, each walked with A's id in turn (None: an operation without any)."""
    names = {p["name"] for p in operation.get("parameters", []) if p["in"] in ("path", "query")}
    for media, content in operation.get("requestBody", {}).get("content", {}).items():
        if media == "text/csv":
            names.add("collector_email")
        else:
            assert media == "application/json", f"{method.upper()} {path}: a {media} body the walk cannot build"
            names |= bodies.references(content.get("schema", {}), path)
    return sorted(n for n in names if kind_of(n, path) is not None) or [None]


async def test_a_second_tenant_reads_and_changes_nothing_of_the_first(api, stack, mailbox):  # noqa: F811
    document = (await api.get("/openapi.json")).json()
    a, b = await full_tenants(api, stack, mailbox.port, document, AMOUNTS, B_AMOUNTS)
    a_admin, a_ids, markers, b_admin, b_ids = a.admin, await a.ids(), a.markers(), b.admin, await b.ids()
    key = {"name": "B", "roles": ["admin"], "rate_limit_per_minute": 100000}
    b_key_headers = {"X-API-Key": (await created(await api.post("/v1/api-keys", json=key, headers=b_admin)))["key"]}
    before = await snapshot(api, document, a_ids, a_admin)
    # A's ids: every id A reads, but for the ones every tenant reads (shipped defaults)
    shared = [
        (await api.get(p, headers=b_admin)).text for m, p, _ in operations(document) if m == "get" and "{" not in p
    ]
    secret = markers | (set(UUID.findall(json.dumps(before))) - set(UUID.findall(json.dumps(shared))))
    bodies = Bodies(document)
    problems = []
    walked = set()
    for method, path, operation in operations(document):
        if (method, path) in PUBLIC:
            continue
        targets = slots(method, path, operation, bodies)
        for n, target in enumerate(targets):
            refs = Refs(a_ids, b_ids, target)
            url = url_of(method, path, operation, refs)
            params = query_of(method, path, operation, refs)
            # both credentials on every operation; on one of several references, one of them in turn
            for credentials in [b_admin, b_key_headers] if len(targets) == 1 else [(b_admin, b_key_headers)[n % 2]]:
                if "text/csv" in operation.get("requestBody", {}).get("content", {}):
                    bodies.count += 1
                    body, content, content_type = None, csv_body(bodies.count, refs), "text/csv"
                else:
                    body = bodies.for_operation(method, path, operation, refs)
                    content, content_type = (None if body is None else json.dumps(body)), "application/json"
                headers = {**credentials, "Content-Type": content_type}
                response = await api.request(method.upper(), url, params=params, content=content, headers=headers)
                walked.add((method, path))
                sent = f"{url} {json.dumps(params)} {content!r}"
                leaked = sorted(s for s in secret if s in response.text and s not in sent)
                echoed = sorted(s for s in secret if s in response.text and s in sent)
                a_value = a_ids[kind_of(target, path)] if target else None
                where = {target} | (error_paths(body, a_value) if body is not None and a_value else set())
                if leaked or not verdict(method, path, target, response, echoed, where):
                    problems.append(
                        f"{method.upper()} {path} with A's {target}: {response.status_code} leaked {leaked} "
                        f"{response.text[:300]}"
                    )
    for url, request in forged_callbacks(a_ids):
        response = await api.post(url, headers=b_admin, **request)
        leaked = sorted(s for s in secret if s in response.text and s not in f"{url} {request}")
        if leaked or response.status_code not in (200, 204):
            problems.append(f"POST {url}: {response.status_code} leaked {leaked} {response.text[:300]}")
    await everyone(stack, mailbox.port)  # what B's requests set going reaches every service
    after = await snapshot(api, document, a_ids, a_admin)
    changed = [f"{url}: {before[url]} -> {after[url]}"[:600] for url in before if before[url] != after[url]]
    assert not problems + changed, "\n".join(problems + changed)
    assert len(walked) == len(operations(document)) - len(PUBLIC)


async def test_the_public_routes_give_a_second_tenant_nothing_of_the_first(api):
    """Logging in is per tenant: B's admin, with B's password, is refused at A's slug exactly as an unknown account
    is (nothing tells B that A exists or who works there); B's refresh token stays B's; tenants are the operator's."""
    a = await create_tenant(api)
    b = await create_tenant(api)
    b_email = f"admin@{b.slug}.example"
    answers = []
    for form in (
        {"tenant": a.slug, "username": b_email, "password": PASSWORD},
        {"client_id": a.slug, "username": b_email, "password": PASSWORD},
        {"tenant": a.slug, "username": f"nadie@{b.slug}.example", "password": PASSWORD},
    ):
        response = await api.post("/v1/auth/token", data=form, headers=b.admin)
        assert response.status_code == 401, response.text
        answers.append({k: v for k, v in response.json().items() if k != "request_id"})
    assert answers[0] == answers[1] == answers[2]
    token = await api.post("/v1/auth/token", data={"tenant": b.slug, "username": b_email, "password": PASSWORD})
    if "refresh_token" in token.json():  # issue 11.3: a refresh token names its own login, never a tenant's slug
        form = {"grant_type": "refresh_token", "refresh_token": token.json()["refresh_token"], "tenant": a.slug}
        traded = await api.post("/v1/auth/token", data=form)
        if traded.status_code == 200:
            me = await api.get("/v1/auth/me", headers={"Authorization": f"Bearer {traded.json()['access_token']}"})
            assert me.json()["tenant_id"] == str(b.id)
        else:
            assert traded.status_code in (400, 401, 422), traded.text
    b_key = await create_api_key(api, b, roles=["admin"])
    new = {
        "slug": f"n-{uuid.uuid4().hex[:8]}",
        "name": "Nueva",
        "country": "AR",
        "timezone": "America/Argentina/Buenos_Aires",
        "default_currency": "ARS",
        "admin": {"email": "x@nueva.example", "full_name": "X", "password": PASSWORD},
    }
    for credentials in (b.admin, b_key, {"X-Operator-Token": "not-the-operator"}):
        for body in (new, {**new, "slug": a.slug}):
            response = await api.post("/v1/tenants", json=body, headers=credentials)
            assert response.status_code in (401, 403), response.text
    assert (await api.post("/v1/tenants", json={**new, "slug": a.slug}, headers=OPERATOR)).status_code == 409
