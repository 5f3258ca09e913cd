"""Seed the demo tenant through the public API, once the system answers, and print where everything is.

Idempotent: a second run finds the tenant and reuses the API key kept in ``.run/demo.env``. The credentials are
written there (readable by the owner only) and never printed: logs are no place for secrets (issue 11). The one
exception is a link to a demo customer's own page (issue 17), made afresh on each run: it is there to be opened in
a browser, and it opens only the demo's invented data.
"""

import argparse
import asyncio
import os
import sys
from datetime import date, timedelta
from pathlib import Path

import httpx

GATEWAY = os.environ.get("COBRANZA_GATEWAY_URL", "http://127.0.0.1:8000")
OPERATOR_TOKEN = os.environ.get("GATEWAY_OPERATOR_TOKEN", "dev-operator-token")
STATE = Path(".run/demo.env")
# The demo endpoint's signing secret, which the local receiver (deploy/Procfile: receiver) verifies with.
WEBHOOK_SECRETS = Path(".run/webhook-secrets")
RECEIVER = os.environ.get("COBRANZA_RECEIVER_URL", "http://127.0.0.1:8007")
SLUG = "demo"
ADMIN_EMAIL, ADMIN_PASSWORD = "admin@demo.cobranza.dev", "demo-admin-123"
COLLECTOR_EMAIL, COLLECTOR_PASSWORD = "cobrador@demo.cobranza.dev", "demo-collector-123"
SERVICES = ("receivables", "dunning", "messaging", "alarms", "webhooks", "portal")
PORTAL_CUSTOMER = "C-001"  # the demo customer whose page the printed link opens

CUSTOMERS = [
    {
        "external_id": "C-001",
        "name": "Distribuidora del Sur S.A.",
        "tax_id": "30-71234567-8",
        "country": "AR",
        "timezone": "America/Argentina/Buenos_Aires",
        "language": "es",
        "segment": "wholesale",
        "risk_level": "medium",
        "tags": ["north"],
        "contacts": [
            {"channel": "email", "address": "pagos@delsur.example"},
            {"channel": "whatsapp", "address": "+5491155551234"},
        ],
    },
    {
        "external_id": "C-002",
        "name": "Ferretería Los Andes",
        "country": "AR",
        "language": "es",
        "segment": "retail",
        "vip": True,
        "contacts": [{"channel": "email", "address": "cuentas@losandes.example"}],
    },
    {
        "external_id": "C-003",
        "name": "Pampa Foods LLC",
        "country": "US",
        "timezone": "America/New_York",
        "language": "en",
        "segment": "export",
        "risk_level": "low",
        "contacts": [
            {"channel": "email", "address": "ap@pampafoods.example"},
            {"channel": "sms", "address": "+12025550143"},
        ],
    },
]


def demo_invoices(today: date) -> list[dict]:
    """A few invoices around today: overdue by different ages, one due soon, one in dollars."""

    def invoice(
        number: str, customer: str, amount: str, issued_days_ago: int, term: int, currency: str = "ARS"
    ) -> dict:
        issued = today - timedelta(days=issued_days_ago)
        return {
            "external_id": f"FC-{number}",
            "customer_external_id": customer,
            "number": number,
            "currency": currency,
            "amount": amount,
            "issue_date": issued.isoformat(),
            "due_date": (issued + timedelta(days=term)).isoformat(),
            "document_url": f"https://erp.demo.example/invoices/{number}.pdf",
            "version": 1,
        }

    return [
        invoice("A-0001-00000101", "C-001", "150000.00", 95, 30),
        invoice("A-0001-00000102", "C-001", "82500.50", 50, 30),
        invoice("A-0001-00000103", "C-001", "43000.00", 10, 30),
        invoice("A-0001-00000201", "C-002", "21999.99", 40, 30),
        invoice("A-0001-00000202", "C-002", "12000.00", 3, 15),
        invoice("E-0001-00000301", "C-003", "4800.00", 70, 45, currency="USD"),
        invoice("E-0001-00000302", "C-003", "1250.00", 20, 45, currency="USD"),
    ]


# Seed 000: VIP customers get no automatic messages; everyone else gets the four communications in three tones.
STRATEGIES = [
    {
        "name": "VIP",
        "description": "Key accounts: handled personally by their collector (seed 000)",
        "priority": 10,
        "manual_only": True,
        "match": {"vip": True},
    },
    {
        "name": "Estándar",
        "description": "Every other customer",
        "priority": 100,
        "is_default": True,
        "steps": [
            {"key": "new-invoice", "kind": "new_invoice", "channels": ["email"]},
            {"key": "pre-due-3", "kind": "pre_due", "days": 3, "channels": ["email", "whatsapp"]},
            {"key": "overdue-1", "kind": "overdue", "days": 1, "tone": 1, "channels": ["email", "whatsapp", "sms"]},
            {"key": "overdue-15", "kind": "overdue", "days": 15, "tone": 2, "channels": ["whatsapp", "email", "sms"]},
            {"key": "overdue-30", "kind": "overdue", "days": 30, "tone": 3, "channels": ["email", "sms"]},
            {"key": "suspend-60", "kind": "action", "days": 60, "action": "suspend_service", "channels": ["email"]},
        ],
    },
    {
        "name": "Cuotas",
        "description": "The installments of accepted payment plans (issue 19; seed 004: renegotiated debt)",
        "priority": 5,
        "for_payment_plans": True,
        "steps": [
            {"key": "cuota-pre-3", "kind": "pre_due", "days": 3, "channels": ["whatsapp", "email"]},
            {"key": "cuota-od-2", "kind": "overdue", "days": 2, "tone": 2, "channels": ["whatsapp", "email", "sms"]},
        ],
    },
]


async def wait_ready(client: httpx.AsyncClient, seconds: float) -> None:
    urls = [f"{GATEWAY}/readyz"] + [os.environ.get(f"COBRANZA_{s.upper()}_URL", "") + "/readyz" for s in SERVICES]
    deadline = asyncio.get_running_loop().time() + seconds
    for url in urls:
        while True:
            try:
                if (await client.get(url, timeout=2)).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if asyncio.get_running_loop().time() > deadline:
                sys.exit(f"seed: {url} did not become ready")
            await asyncio.sleep(0.5)


async def token(client: httpx.AsyncClient, email: str, password: str) -> dict[str, str]:
    response = await client.post(
        f"{GATEWAY}/v1/auth/token", data={"tenant": SLUG, "username": email, "password": password}
    )
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def seed(client: httpx.AsyncClient) -> tuple[str, str]:
    response = await client.post(
        f"{GATEWAY}/v1/tenants",
        headers={"X-Operator-Token": OPERATOR_TOKEN},
        json={
            "slug": SLUG,
            "name": "Demo Cobranzas S.A.",
            "country": "AR",
            "timezone": "America/Argentina/Buenos_Aires",
            "default_currency": "ARS",
            "language": "es",
            "admin": {"email": ADMIN_EMAIL, "full_name": "Ana Admin", "password": ADMIN_PASSWORD},
        },
    )
    if response.status_code not in (201, 409):
        sys.exit(f"seed: creating the demo tenant failed: {response.text}")
    admin = await token(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    key = stored_key()
    if not key or (await client.get(f"{GATEWAY}/v1/auth/me", headers={"X-API-Key": key})).status_code != 200:
        created = await client.post(
            f"{GATEWAY}/v1/api-keys", headers=admin, json={"name": "Demo ERP", "rate_limit_per_minute": 100000}
        )
        created.raise_for_status()
        key = created.json()["key"]
    write_state(key)
    collector = {
        "email": COLLECTOR_EMAIL,
        "full_name": "Carlos Cobrador",
        "password": COLLECTOR_PASSWORD,
        "roles": ["collector"],
    }
    await client.post(f"{GATEWAY}/v1/users", headers=admin, json=collector)  # 409 on a second run
    me = await client.get(f"{GATEWAY}/v1/auth/me", headers=await token(client, COLLECTOR_EMAIL, COLLECTOR_PASSWORD))
    collector_id = me.json()["actor"].removeprefix("user:")  # the demo's customers are the collector's (worklist)
    integration = {"X-API-Key": key}
    for customer in CUSTOMERS:  # 409 when present
        await client.post(
            f"{GATEWAY}/v1/customers", headers=integration, json={**customer, "collector_id": collector_id}
        )
    # Bulk ingestion is idempotent: a second run finds the same invoices and the same payment, and changes nothing.
    today = date.today()
    invoices = await client.post(
        f"{GATEWAY}/v1/ingest/invoices", headers=integration, json={"items": demo_invoices(today)}
    )
    invoices.raise_for_status()
    payment = {
        "external_id": "REC-0000001",
        "customer_external_id": "C-002",
        "currency": "ARS",
        "amount": "10000.00",
        "payment_date": (today - timedelta(days=2)).isoformat(),
        "reference": "Transferencia 23763172736",
        "invoices": [{"invoice_external_id": "FC-A-0001-00000201"}],
    }
    payments = await client.post(f"{GATEWAY}/v1/ingest/payments", headers=integration, json={"items": [payment]})
    payments.raise_for_status()
    for strategy in STRATEGIES:  # 409 when present
        await client.post(f"{GATEWAY}/v1/strategies", headers=admin, json=strategy)
    await demo_webhook(client, admin)
    link = await demo_portal_link(client, integration)
    write_state(key, link)
    return key, link


async def demo_portal_link(client: httpx.AsyncClient, integration: dict[str, str]) -> str:
    """A link to the demo customer's own page, made as a collector would by hand (POST /v1/portal-links)."""
    found = await client.get(f"{GATEWAY}/v1/customers", headers=integration, params={"q": PORTAL_CUSTOMER})
    found.raise_for_status()
    (customer,) = [c for c in found.json()["items"] if c["external_id"] == PORTAL_CUSTOMER]
    created = await client.post(f"{GATEWAY}/v1/portal-links", headers=integration, json={"customer_id": customer["id"]})
    created.raise_for_status()
    return str(created.json()["url"])


async def demo_webhook(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    """An endpoint of the demo tenant on the local receiver (a loopback URL: the operator allows the demo tenant
    private URLs), its secret handed to the receiver through ``WEBHOOK_SECRETS``, and a test ping to it. A second
    run keeps the endpoint; it rotates the secret only when the receiver's file lost it."""
    tenant_id = (await client.get(f"{GATEWAY}/v1/tenant", headers=admin)).json()["id"]
    allowed = await client.put(
        f"{GATEWAY}/v1/tenants/{tenant_id}/webhook-settings",
        headers={"X-Operator-Token": OPERATOR_TOKEN},
        json={"allow_private_urls": True},
    )
    allowed.raise_for_status()
    url = f"{RECEIVER}/webhooks"
    listed = await client.get(f"{GATEWAY}/v1/webhook-endpoints", headers=admin, params={"limit": 500})
    listed.raise_for_status()
    endpoint = next((e for e in listed.json()["items"] if e["url"] == url), None)
    known = WEBHOOK_SECRETS.exists() and WEBHOOK_SECRETS.read_text().strip()
    if endpoint is None:
        body = {"url": url, "description": "Local receiver (make run)"}
        created = await client.post(f"{GATEWAY}/v1/webhook-endpoints", headers=admin, json=body)
        created.raise_for_status()
        endpoint, secret = created.json(), created.json()["secret"]
    elif not known:
        rotated = await client.post(
            f"{GATEWAY}/v1/webhook-endpoints/{endpoint['id']}/rotate-secret",
            headers=admin,
            json={"overlap_seconds": 0},
        )
        rotated.raise_for_status()
        secret = rotated.json()["secret"]
    else:
        secret = ""
    if secret:
        WEBHOOK_SECRETS.parent.mkdir(exist_ok=True)
        WEBHOOK_SECRETS.touch(mode=0o600)
        WEBHOOK_SECRETS.chmod(0o600)
        WEBHOOK_SECRETS.write_text(secret + "\n")
    await client.post(f"{GATEWAY}/v1/webhook-endpoints/{endpoint['id']}/test", headers=admin)


def stored_key() -> str:
    if not STATE.exists():
        return ""
    lines = dict(line.split("=", 1) for line in STATE.read_text().splitlines() if "=" in line)
    return lines.get("COBRANZA_DEMO_API_KEY", "").strip()


def write_state(key: str, portal_link: str = "") -> None:
    """The demo's credentials, for the owner's eyes only (mode 600), in a form a shell can ``source``."""
    STATE.parent.mkdir(exist_ok=True)
    STATE.touch(mode=0o600)
    STATE.chmod(0o600)
    STATE.write_text(
        f"COBRANZA_DEMO_API_KEY={key}\n"
        f"COBRANZA_DEMO_ADMIN={ADMIN_EMAIL}\nCOBRANZA_DEMO_ADMIN_PASSWORD={ADMIN_PASSWORD}\n"
        f"COBRANZA_DEMO_COLLECTOR={COLLECTOR_EMAIL}\nCOBRANZA_DEMO_COLLECTOR_PASSWORD={COLLECTOR_PASSWORD}\n"
        + (f"COBRANZA_DEMO_PORTAL_LINK={portal_link}\n" if portal_link else "")
    )


async def planned_reminders(client: httpx.AsyncClient, key: str) -> str:
    """What the next business days' runs will send, from the forecast."""
    forecast = await client.get(f"{GATEWAY}/v1/dunning-forecast", headers={"X-API-Key": key}, params={"days": 7})
    if forecast.status_code != 200:
        return "(forecast unavailable)"
    days = forecast.json().get("days", [])
    busy = [f"{d['date']}: {d['communications']}" for d in days if d["communications"]]
    return ", ".join(busy) or "none in the next 7 days"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--wait", type=float, default=60)
    args = parser.parse_args()
    async with httpx.AsyncClient(timeout=30) as client:
        await wait_ready(client, args.wait)
        key, portal_link = await seed(client)
        await asyncio.sleep(2)  # the events reach dunning's projection through the queues
        forecast = await planned_reminders(client, key)
    print(
        f"""
cobranza is running.
  gateway (the public API)  {GATEWAY}      docs: {GATEWAY}/docs  {GATEWAY}/redoc   OpenAPI: {GATEWAY}/openapi.json
  services (internal)       receivables {os.environ.get("COBRANZA_RECEIVABLES_URL")}  dunning {os.environ.get("COBRANZA_DUNNING_URL")}
                            messaging {os.environ.get("COBRANZA_MESSAGING_URL")}  alarms {os.environ.get("COBRANZA_ALARMS_URL")}
                            webhooks {os.environ.get("COBRANZA_WEBHOOKS_URL")}  portal {os.environ.get("COBRANZA_PORTAL_URL")}
  customer's portal         {portal_link}
                            (the page of {PORTAL_CUSTOMER}, through the gateway; also in {STATE} as COBRANZA_DEMO_PORTAL_LINK)
  webhook receiver          {RECEIVER}/webhooks verifies and prints each event the demo tenant's endpoint gets
  local SMTP server         127.0.0.1:{os.environ.get("SMTP_PORT")} (mail kept in .run/mail/new/)
  SMS/WhatsApp stub         {os.environ.get("COBRANZA_PROVIDER_URL")}
  payment provider stub     {os.environ.get("PORTAL_PSP_BASE_URL")} (Mercado Pago's Checkout Pro: the portal's "pay" leads there)
  demo tenant               slug "{SLUG}"; the admin's and the collector's logins and an API key are in {STATE}
                            (readable by you only; never printed)

  reminders planned         {forecast}   (strategies "VIP" manual-only, "Estándar" default, "Cuotas" for payment plans)

  try:  source {STATE}
        curl -H "X-API-Key: $COBRANZA_DEMO_API_KEY" {GATEWAY}/v1/customers
        curl -H "X-API-Key: $COBRANZA_DEMO_API_KEY" {GATEWAY}/v1/dunning-forecast?days=7
        curl -H "X-API-Key: $COBRANZA_DEMO_API_KEY" -H "content-type: application/json" -d '{{"dry_run": true}}' {GATEWAY}/v1/dunning-runs
  the collector's day       GET {GATEWAY}/v1/worklist with the demo collector's login (in {STATE}): today's
                            customers to contact, ranked, each with its reasons
Ctrl-C stops everything.
""",
        flush=True,
    )


if __name__ == "__main__":
    asyncio.run(main())
