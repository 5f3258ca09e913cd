"""External ids everywhere an integrator works (issue 14, point 2): ``ext:<the ERP's id>`` in every path and
filter that takes a customer, invoice or payment id, in every service, reaches exactly what the uuid reaches;
outcomes, notes, tasks and payments name customers and invoices by the ERP's ids in their bodies."""

from datetime import timedelta
from typing import Any
from urllib.parse import quote

import httpx

from api_gateway.proxy.routing import REFERENCE_SEGMENTS
from dunning_service.worker import WorkerSettings as DunningWorker
from messaging_service.settings import MessagingSettings
from shared.external_ids import ExternalIdLookUp, external_id_look_up
from shared.internal import InternalClient
from shared.outbox import relay_once
from tests.receivables.helpers import Ctx, customer, invoice, post, setup_tenant
from tests.receivables.test_statement_pdf import messaging_in_process, pdf_text
from tests.support import run_worker

KINDS = {"customer_id": "customer", "invoice_id": "invoice", "payment_id": "payment"}
# Characters an ERP's ids have: a slash, a space, a non-ASCII letter (sent URL-encoded).
CUSTOMER_EXT = "ERP-C/100 Ñandú"
INVOICE_EXT = "F 0001/00012"
PAYMENT_EXT = "REC/981"
# Every operation that takes an id in its path and changes something: each one is exercised below.
MUTATIONS = {
    ("patch", "/v1/customers/{customer_id}"),
    ("delete", "/v1/customers/{customer_id}"),
    ("patch", "/v1/invoices/{invoice_id}"),
    ("post", "/v1/invoices/{invoice_id}/status"),
    ("post", "/v1/payments/{payment_id}/reverse"),
}


def ext(external_id: str) -> str:
    return "ext:" + quote(external_id, safe="")


async def portfolio(rc: Ctx) -> dict[str, dict[str, Any]]:
    """A customer, two invoices and a payment on the first, all with the ERP's ids; dunning has them too."""
    client = await customer(
        rc, external_id=CUSTOMER_EXT, contacts=[{"channel": "email", "address": "pagos@nandu.example"}]
    )
    due = (rc.today - timedelta(days=20)).isoformat()
    first = await invoice(rc, client["id"], external_id=INVOICE_EXT, due_date=due)
    second = await invoice(rc, client["id"], external_id="F 0001/00013", due_date=due)
    payment = await post(
        rc.api,
        "/v1/payments",
        rc.erp,
        {
            "customer_id": client["id"],
            "external_id": PAYMENT_EXT,
            "currency": "ARS",
            "amount": "100.00",
            "payment_date": rc.today.isoformat(),
            "invoices": [{"invoice_id": first["id"]}],
        },
    )
    while await relay_once(rc.stack.engine, rc.stack.arq, "receivables"):
        pass
    await run_worker(DunningWorker)
    return {"customer": client, "invoice": first, "second": second, "payment": payment}


def ids_of(objects: dict[str, dict[str, Any]]) -> dict[str, tuple[str, str]]:
    """Per kind: (cobranza's id, the ERP's id written for a URL)."""
    return {
        kind: (objects[kind]["id"], ext(objects[kind]["external_id"])) for kind in ("customer", "invoice", "payment")
    }


def same_answer(by_id, by_ext) -> None:
    assert by_id.status_code == 200, by_id.text
    assert by_ext.status_code == by_id.status_code, by_ext.text
    assert by_ext.headers["content-type"] == by_id.headers["content-type"]
    if by_id.headers["content-type"].startswith("application/json"):
        assert by_ext.json() == by_id.json()
    elif by_id.headers["content-type"].startswith("application/pdf"):
        assert pdf_text(by_ext.content) == pdf_text(by_id.content)
    else:
        assert by_ext.text == by_id.text


async def test_every_get_with_an_id_in_its_path_or_filter_answers_the_same_with_the_erps_id(rc):
    objects = await portfolio(rc)
    ids = ids_of(objects)
    document = (await rc.api.get("/openapi.json")).json()
    walked_paths, walked_filters, mutations = set(), set(), set()
    async with messaging_in_process(rc.stack):  # the statement's HTML and PDF ask messaging for the profile
        for path, item in document["paths"].items():
            for method, operation in item.items():
                parameters = [p for p in operation.get("parameters", []) if p["name"] in KINDS]
                in_path = [p["name"] for p in parameters if p["in"] == "path"]
                if in_path:
                    (name,) = in_path
                    resource = path.split("/")[2]
                    assert path.split("/")[3] == "{" + name + "}" and REFERENCE_SEGMENTS[resource] == KINDS[name]
                    assert "ext:" in operation_parameter(operation, name)["description"]
                    if method != "get":
                        mutations.add((method, path))
                        continue
                    uuid_form, ext_form = ids[KINDS[name]]
                    by_id = await rc.api.get(path.replace("{" + name + "}", uuid_form), headers=rc.admin)
                    by_ext = await rc.api.get(path.replace("{" + name + "}", ext_form), headers=rc.admin)
                    same_answer(by_id, by_ext)
                    walked_paths.add(path)
                for name in (p["name"] for p in parameters if p["in"] == "query" and method == "get"):
                    uuid_form, _ = ids[KINDS[name]]
                    by_id = await rc.api.get(path, params={name: uuid_form}, headers=rc.admin)
                    erp_id = "ext:" + objects[KINDS[name]]["external_id"]  # httpx encodes it
                    by_ext = await rc.api.get(path, params={name: erp_id}, headers=rc.admin)
                    same_answer(by_id, by_ext)
                    walked_filters.add((path, name))
    assert mutations == MUTATIONS
    assert {
        "/v1/customers/{customer_id}",
        "/v1/customers/{customer_id}/timeline",
        "/v1/customers/{customer_id}/statement",
        "/v1/customers/{customer_id}/statement.html",
        "/v1/customers/{customer_id}/statement.pdf",
        "/v1/invoices/{invoice_id}",
        "/v1/invoices/{invoice_id}/history",
        "/v1/payments/{payment_id}",
        "/v1/dunning-explain/{customer_id}",
    } <= walked_paths
    filtered = {path for path, _ in walked_filters}
    assert {"/v1/invoices", "/v1/payments", "/v1/notes", "/v1/tasks", "/v1/action-items", "/v1/messages"} <= filtered


def operation_parameter(operation: dict[str, Any], name: str) -> dict[str, Any]:
    return next(p for p in operation["parameters"] if p["name"] == name)


async def test_changes_through_the_erps_id_act_on_the_same_object(rc):
    objects = await portfolio(rc)
    (customer_id, customer_ext), (invoice_id, invoice_ext), (payment_id, payment_ext) = ids_of(objects).values()

    patched = await rc.api.patch(f"/v1/customers/{customer_ext}", json={"segment": "retail"}, headers=rc.erp)
    assert patched.status_code == 200, patched.text
    assert patched.json() == (await rc.api.get(f"/v1/customers/{customer_id}", headers=rc.erp)).json()
    assert patched.json()["segment"] == "retail"

    url = "https://erp.example/f/12.pdf"
    patched = await rc.api.patch(f"/v1/invoices/{invoice_ext}", json={"document_url": url}, headers=rc.erp)
    assert patched.status_code == 200, patched.text
    assert (await rc.api.get(f"/v1/invoices/{invoice_id}", headers=rc.erp)).json()["document_url"] == url

    changed = await rc.api.post(
        f"/v1/invoices/{invoice_ext}/status",
        json={"status": "payment_reported", "reason": "Dice que pagó"},
        headers=rc.admin,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json() == (await rc.api.get(f"/v1/invoices/{invoice_id}", headers=rc.admin)).json()
    assert changed.json()["status"] == "payment_reported"

    reversed_ = await rc.api.post(f"/v1/payments/{payment_ext}/reverse", json={"reason": "Rechazado"}, headers=rc.erp)
    assert reversed_.status_code == 200, reversed_.text
    assert reversed_.json() == (await rc.api.get(f"/v1/payments/{payment_id}", headers=rc.erp)).json()
    assert reversed_.json()["status"] == "reversed"

    # The colon URL-encoded too, as some clients send it.
    assert (await rc.api.get(f"/v1/customers/ext%3A{customer_ext[4:]}", headers=rc.erp)).json()["id"] == customer_id
    deleted = await rc.api.delete(f"/v1/customers/{customer_ext}", headers=rc.erp)
    assert deleted.status_code == 204, deleted.text
    assert (await rc.api.get(f"/v1/customers/{customer_id}", headers=rc.erp)).status_code == 404
    # A deleted customer answers as its id does.
    assert (await rc.api.get(f"/v1/customers/{customer_ext}", headers=rc.erp)).status_code == 404


async def test_an_external_id_of_another_tenant_or_none_is_a_404_naming_it(rc):
    objects = await portfolio(rc)
    other = await setup_tenant(rc.api, rc.stack)
    theirs = await customer(other, external_id="SOLO-DEL-OTRO")
    same_id = await customer(other, external_id=CUSTOMER_EXT)  # the same ERP id in two tenants: each sees its own
    assert (await rc.api.get(f"/v1/customers/{ext(CUSTOMER_EXT)}", headers=rc.erp)).json()["id"] == objects["customer"][
        "id"
    ]
    assert (await other.api.get(f"/v1/customers/{ext(CUSTOMER_EXT)}", headers=other.erp)).json()["id"] == same_id["id"]
    for path in (
        "/v1/customers/ext:SOLO-DEL-OTRO",
        "/v1/customers/ext:SOLO-DEL-OTRO/timeline",
        "/v1/dunning-explain/ext:SOLO-DEL-OTRO",
        "/v1/invoices/ext:NO-EXISTE",
        "/v1/payments/ext:NO-EXISTE/reverse",
    ):
        method = "POST" if path.endswith("reverse") else "GET"
        json = {"reason": "x"} if method == "POST" else None
        answer = await rc.api.request(method, path, json=json, headers=rc.erp)
        assert answer.status_code == 404, (path, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["external_id"] == path.split("ext:")[1].split("/")[0]
        assert repr(answer.json()["external_id"]) in answer.json()["detail"]
    assert (await other.api.get("/v1/customers/ext:SOLO-DEL-OTRO", headers=other.erp)).json()["id"] == theirs["id"]

    filtered = await rc.api.get("/v1/invoices", params={"customer_id": "ext:SOLO-DEL-OTRO"}, headers=rc.erp)
    assert filtered.status_code == 422, filtered.text
    (error,) = filtered.json()["errors"]
    assert (error["field"], error["value"]) == ("customer_id", "SOLO-DEL-OTRO")
    messages = await rc.api.get("/v1/messages", params={"customer_id": "ext:NOPE"}, headers=rc.admin)
    assert messages.status_code == 422 and messages.json()["errors"][0]["value"] == "NOPE"


async def test_bodies_name_customers_and_invoices_by_the_erps_ids_with_the_same_result(rc):
    objects = await portfolio(rc)
    client, first, second = objects["customer"], objects["invoice"], objects["second"]
    by_ext = {"customer_external_id": CUSTOMER_EXT, "invoice_external_ids": [INVOICE_EXT, second["external_id"]]}
    by_id = {"customer_id": client["id"], "invoice_ids": [first["id"], second["id"]]}
    volatile = {
        "id",
        "created_at",
        "recorded_at",
        "occurred_at",
        "updated_at",
        "outcome_id",
        "task_id",
        "note_id",
        "task",
    }

    def same(a: dict[str, Any], b: dict[str, Any]) -> None:
        assert {k: v for k, v in a.items() if k not in volatile} == {k: v for k, v in b.items() if k not in volatile}

    note = {"body": "Habló con Pedro #olvido", "reason": "forgetting"}
    same(
        await post(rc.api, "/v1/notes", rc.admin, {**note, **by_ext}),
        await post(rc.api, "/v1/notes", rc.admin, {**note, **by_id}),
    )
    task = {"title": "Llamar a tesorería", "due_date": rc.today.isoformat()}
    task_by_ext = await post(rc.api, "/v1/tasks", rc.admin, {**task, "customer_external_id": CUSTOMER_EXT})
    assert task_by_ext["customer_id"] == client["id"]
    same(task_by_ext, await post(rc.api, "/v1/tasks", rc.admin, {**task, "customer_id": client["id"]}))

    outcome = {"kind": "no_commitment", "note": "No puede pagar este mes", "follow_up_days": 3}
    same(
        await post(rc.api, "/v1/outcomes", rc.admin, {**outcome, **by_ext}),
        await post(rc.api, "/v1/outcomes", rc.admin, {**outcome, **by_id}),
    )
    promised = (rc.today + timedelta(days=5)).isoformat()
    promise = await post(
        rc.api,
        "/v1/outcomes",
        rc.admin,
        {
            "kind": "promise_to_pay",
            "promised_date": promised,
            "customer_external_id": CUSTOMER_EXT,
            "invoice_external_ids": [second["external_id"]],
        },
    )
    assert (promise["customer_id"], promise["invoice_ids"]) == (client["id"], [second["id"]])
    second_now = (await rc.api.get(f"/v1/invoices/{second['id']}", headers=rc.admin)).json()
    assert (second_now["status"], second_now["promised_date"]) == ("promise_to_pay", promised)

    paid = await post(
        rc.api,
        "/v1/payments",
        rc.erp,
        {
            "customer_external_id": CUSTOMER_EXT,
            "currency": "ARS",
            "amount": "250.00",
            "payment_date": rc.today.isoformat(),
            "invoices": [
                {"invoice_external_id": second["external_id"], "amount": "200.00"},
                {"invoice_id": first["id"]},
            ],
        },
    )
    assert paid["customer_id"] == client["id"]
    assert [(a["invoice_id"], a["amount"]) for a in paid["allocations"]] == [
        (second["id"], "200.00"),
        (first["id"], "50.00"),
    ]


async def test_unknown_or_doubly_named_references_in_bodies_are_422s_naming_each_field(rc):
    objects = await portfolio(rc)
    client = objects["customer"]
    other_client = await customer(rc, external_id="ERP-C-200")
    foreign = await invoice(rc, other_client["id"], external_id="F-AJENA")
    body = {
        "body": "nota",
        "customer_external_id": "NO-SUCH-CUSTOMER",
        "invoice_external_ids": [INVOICE_EXT, "NO-1", "NO-2"],
    }
    answer = await rc.api.post("/v1/notes", json=body, headers=rc.admin)
    assert answer.status_code == 422, answer.text
    assert [(e["field"], e["value"]) for e in answer.json()["errors"]] == [
        ("customer_external_id", "NO-SUCH-CUSTOMER"),
        ("invoice_external_ids[1]", "NO-1"),
        ("invoice_external_ids[2]", "NO-2"),
    ]
    for path, extra in (
        ("/v1/outcomes", {"kind": "dispute"}),
        ("/v1/notes", {"body": "nota"}),
        ("/v1/tasks", {"title": "t"}),
        ("/v1/payments", {"currency": "ARS", "amount": "1.00", "payment_date": rc.today.isoformat()}),
    ):
        both = await rc.api.post(
            path, json={**extra, "customer_id": client["id"], "customer_external_id": CUSTOMER_EXT}, headers=rc.admin
        )
        assert both.status_code == 422, (path, both.text)
        assert [e["field"] for e in both.json()["errors"]] == ["customer_external_id"]
        if path != "/v1/tasks":  # a task may be about no customer
            neither = await rc.api.post(path, json=extra, headers=rc.admin)
            assert neither.status_code == 422, (path, neither.text)
            assert [e["field"] for e in neither.json()["errors"]] == ["customer_id"]
    mixed = await rc.api.post(
        "/v1/outcomes",
        json={
            "kind": "dispute",
            "customer_id": client["id"],
            "invoice_ids": [objects["invoice"]["id"]],
            "invoice_external_ids": [INVOICE_EXT],
        },
        headers=rc.admin,
    )
    assert mixed.status_code == 422 and mixed.json()["errors"][0]["field"] == "invoice_external_ids"
    # An invoice of another customer is named as it was sent.
    stranger = await rc.api.post(
        "/v1/notes",
        json={"body": "nota", "customer_external_id": CUSTOMER_EXT, "invoice_external_ids": [INVOICE_EXT, "F-AJENA"]},
        headers=rc.admin,
    )
    assert stranger.status_code == 422, stranger.text
    assert [e["field"] for e in stranger.json()["errors"]] == ["invoice_external_ids[1]"]
    assert foreign["external_id"] == "F-AJENA"

    allocations = await rc.api.post(
        "/v1/payments",
        json={
            "customer_external_id": CUSTOMER_EXT,
            "currency": "ARS",
            "amount": "10.00",
            "payment_date": rc.today.isoformat(),
            "invoices": [
                {"invoice_external_id": "NO-1"},
                {"invoice_external_id": INVOICE_EXT},
                {"invoice_external_id": "NO-2"},
            ],
        },
        headers=rc.erp,
    )
    assert allocations.status_code == 422, allocations.text
    assert [(e["field"], e["value"]) for e in allocations.json()["errors"]] == [
        ("invoices[0].invoice_external_id", "NO-1"),
        ("invoices[2].invoice_external_id", "NO-2"),
    ]
    both_forms = await rc.api.post(
        "/v1/payments",
        json={
            "customer_id": client["id"],
            "currency": "ARS",
            "amount": "10.00",
            "payment_date": rc.today.isoformat(),
            "invoices": [{"invoice_id": objects["invoice"]["id"], "invoice_external_id": INVOICE_EXT}],
        },
        headers=rc.erp,
    )
    assert both_forms.status_code == 422 and both_forms.json()["errors"][0]["field"] == "invoices[0]"


# Every request body that names a customer, invoice or payment by cobranza's id, in every service: each takes the
# ERP's id too (``<kind>_external_id``, ``invoice_external_ids``), exercised below and above.
BODY_REFERENCES = {
    ("post", "/v1/invoices"): {"customer_id"},
    ("post", "/v1/payments"): {"customer_id", "invoices[].invoice_id"},
    ("post", "/v1/outcomes"): {"customer_id", "invoice_ids"},
    ("post", "/v1/notes"): {"customer_id", "invoice_ids"},
    ("post", "/v1/tasks"): {"customer_id"},
    ("post", "/v1/action-items"): {"customer_id", "invoice_ids"},
    ("post", "/v1/opt-out"): {"customer_id"},
    ("post", "/v1/portal-links"): {"customer_id"},
    ("post", "/v1/portal-links/revoke"): {"customer_id"},
    ("post", "/v1/payment-plans"): {"customer_id", "invoice_ids"},  # issue 19: tests/receivables/test_payment_plans
    ("post", "/v1/ingest/payments"): {"items[].invoices[].invoice_id"},  # the ERP's bulk load: its own tests
}
# A template preview's ``communication`` is sample data in the command's shape, not a reference to look up.
NOT_REFERENCES = {("post", "/v1/templates/preview")}
EXTERNAL_FORM = {"customer_id": "customer_external_id", "invoice_ids": "invoice_external_ids"}
EXTERNAL_FORM |= {"invoice_id": "invoice_external_id", "payment_id": "payment_external_id"}


def body_fields(document: dict[str, Any], schema: dict[str, Any], prefix: str = "") -> dict[str, dict[str, Any]]:
    """``{field path: its schema}`` of a request body (``invoices[].invoice_id``), through ``$ref``s, unions and
    arrays."""
    if "$ref" in schema:
        return body_fields(document, document["components"]["schemas"][schema["$ref"].split("/")[-1]], prefix)
    found: dict[str, dict[str, Any]] = {}
    for variant in schema.get("anyOf", []) + schema.get("allOf", []):
        found |= body_fields(document, variant, prefix)
    if "items" in schema:
        found |= body_fields(document, schema["items"], prefix[:-1] + "[].")
    for name, field in schema.get("properties", {}).items():
        found[prefix + name] = field
        found |= body_fields(document, field, f"{prefix}{name}.")
    return found


async def test_every_body_naming_a_customer_invoice_or_payment_also_takes_the_erps_id(rc):
    document = (await rc.api.get("/openapi.json")).json()
    named: dict[tuple[str, str], set[str]] = {}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body is None:
                continue
            fields = body_fields(document, body["schema"])
            references = {f for f in fields if f.rpartition(".")[2] in EXTERNAL_FORM}
            if references and (method, path) not in NOT_REFERENCES:
                named[(method, path)] = references
                for reference in references:
                    head, _, last = reference.rpartition(".")
                    external = (head + "." if head else "") + EXTERNAL_FORM[last]
                    assert external in fields, (method, path, reference)
    assert named == BODY_REFERENCES


async def test_dunning_and_messaging_bodies_take_the_erps_ids_with_the_same_result(rc):
    objects = await portfolio(rc)
    client, first, second = objects["customer"], objects["invoice"], objects["second"]
    action = {"action": "suspend_service", "note": "Tercer reclamo sin respuesta"}
    by_ext = await post(
        rc.api,
        "/v1/action-items",
        rc.admin,
        {**action, "customer_external_id": CUSTOMER_EXT, "invoice_external_ids": [second["external_id"], INVOICE_EXT]},
    )
    by_id = await post(
        rc.api,
        "/v1/action-items",
        rc.admin,
        {**action, "customer_id": client["id"], "invoice_ids": [second["id"], first["id"]]},
    )
    volatile = {"id", "created_at", "updated_at"}
    assert {k: v for k, v in by_ext.items() if k not in volatile} == {
        k: v for k, v in by_id.items() if k not in volatile
    }
    assert (by_ext["customer_id"], by_ext["invoice_ids"]) == (client["id"], [second["id"], first["id"]])

    opt_out = {"channel": "email", "address": "pagos@nandu.example", "customer_external_id": CUSTOMER_EXT}
    recorded = await post(rc.api, "/v1/opt-out", rc.erp, opt_out)
    assert (recorded["customer_id"], recorded["address"]) == (client["id"], "pagos@nandu.example")

    created = await post(
        rc.api,
        "/v1/invoices",
        rc.erp,
        {
            "customer_external_id": CUSTOMER_EXT,
            "external_id": "F 0001/00014",
            "number": "A-0001-00014",
            "currency": "ARS",
            "amount": "10.00",
            "issue_date": rc.today.isoformat(),
            "due_date": rc.today.isoformat(),
        },
    )
    assert created["customer_id"] == client["id"]


async def test_dunning_and_messaging_bodies_with_unknown_or_doubly_named_references_are_422s(rc):
    objects = await portfolio(rc)
    client = objects["customer"]
    other = await customer(rc, external_id="ERP-C-200")
    await invoice(rc, other["id"], external_id="F-AJENA", due_date=(rc.today - timedelta(days=20)).isoformat())
    while await relay_once(rc.stack.engine, rc.stack.arq, "receivables"):
        pass
    await run_worker(DunningWorker)

    def errors(answer) -> list[tuple[str, str | None]]:
        assert answer.status_code == 422, answer.text
        return [(e["field"], e.get("value")) for e in answer.json()["errors"]]

    action = {"action": "legal"}
    unknown = {"customer_external_id": "NO-SUCH", "invoice_external_ids": ["NO-1", INVOICE_EXT, "NO-2"]}
    answer = await rc.api.post("/v1/action-items", json={**action, **unknown}, headers=rc.admin)
    assert errors(answer) == [
        ("customer_external_id", "NO-SUCH"),
        ("invoice_external_ids[0]", "NO-1"),
        ("invoice_external_ids[2]", "NO-2"),
    ]
    both = {
        "customer_id": client["id"],
        "customer_external_id": CUSTOMER_EXT,
        "invoice_ids": [objects["invoice"]["id"]],
    }
    answer = await rc.api.post("/v1/action-items", json={**action, **both}, headers=rc.admin)
    assert errors(answer) == [("customer_external_id", None)]
    mixed = {"customer_id": client["id"], "invoice_ids": [objects["invoice"]["id"]], "invoice_external_ids": ["X"]}
    answer = await rc.api.post("/v1/action-items", json={**action, **mixed}, headers=rc.admin)
    assert errors(answer) == [("invoice_external_ids", None)]
    answer = await rc.api.post("/v1/action-items", json=action, headers=rc.admin)
    assert errors(answer) == [("customer_id", None), ("invoice_ids", None)]
    stranger = {"customer_external_id": CUSTOMER_EXT, "invoice_external_ids": [INVOICE_EXT, "F-AJENA"]}
    answer = await rc.api.post("/v1/action-items", json={**action, **stranger}, headers=rc.admin)
    assert errors(answer) == [("invoice_external_ids[1]", "F-AJENA")]

    opt_out = {"channel": "sms", "address": "+5491155551234"}
    answer = await rc.api.post("/v1/opt-out", json={**opt_out, "customer_external_id": "NO-SUCH"}, headers=rc.erp)
    assert errors(answer) == [("customer_external_id", "NO-SUCH")]
    doubly = {**opt_out, "customer_id": client["id"], "customer_external_id": CUSTOMER_EXT}
    answer = await rc.api.post("/v1/opt-out", json=doubly, headers=rc.erp)
    assert errors(answer) == [("customer_external_id", None)]
    # Another tenant's customer is unknown here.
    theirs = await setup_tenant(rc.api, rc.stack)
    await customer(theirs, external_id="SOLO-DEL-OTRO")
    answer = await rc.api.post("/v1/opt-out", json={**opt_out, "customer_external_id": "SOLO-DEL-OTRO"}, headers=rc.erp)
    assert errors(answer) == [("customer_external_id", "SOLO-DEL-OTRO")]
    answer = await rc.api.post(
        "/v1/invoices",
        json={"customer_external_id": "NO-SUCH", "number": "X-1", "currency": "ARS", "amount": "1.00"}
        | {"issue_date": rc.today.isoformat(), "due_date": rc.today.isoformat()},
        headers=rc.erp,
    )
    assert errors(answer) == [("customer_external_id", "NO-SUCH")]


async def test_an_opt_out_by_the_erps_id_while_receivables_is_out_of_reach_is_a_503_and_records_nothing(rc):
    await customer(rc, external_id=CUSTOMER_EXT)
    app = rc.stack.services["messaging"]
    routed = app.dependency_overrides[external_id_look_up]
    async with httpx.AsyncClient() as http:
        down = ExternalIdLookUp(InternalClient(http, MessagingSettings(receivables_url="http://127.0.0.1:1")))

        async def unreachable() -> ExternalIdLookUp:
            return down

        app.dependency_overrides[external_id_look_up] = unreachable
        try:
            body = {"channel": "sms", "address": "+5491155551234", "customer_external_id": CUSTOMER_EXT}
            answer = await rc.api.post("/v1/opt-out", json=body, headers=rc.erp)
        finally:
            app.dependency_overrides[external_id_look_up] = routed
    assert answer.status_code == 503, answer.text
    assert answer.json()["type"].endswith("/receivables-unavailable")
    listed = await rc.api.get("/v1/opt-out", params={"address": "+5491155551234"}, headers=rc.admin)
    assert listed.status_code == 200 and listed.json()["items"] == []
