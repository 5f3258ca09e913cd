"""Issue 15's acceptance: a sandbox tenant plays 90 days of collections (Argentina, Monday 10 March to Sunday 8 June
2025) by advancing its test clock, with every service's worker running as deployed. Along the way: the reminders
of a plain invoice (pre-due, the three tones, the action notice), a promise made on day 5 for day 12 and broken, a
dispute, a payment reported then credited, a customer imported on day 40 already 40 days overdue. Checked: what
reached the SMTP server and the provider stub on which day of the clock, the alarms, the timeline and the KPIs."""

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from shared.identity import MANAGER
from tests.clock.support import live_services, sandbox_tenant
from tests.dunning.support import create_strategy
from tests.messaging.support import settings as messaging_settings
from tests.support import create_api_key, create_user

ZONE = ZoneInfo("America/Argentina/Buenos_Aires")
START = datetime(2025, 3, 10, 12, 0, tzinfo=ZONE).astimezone(UTC)  # day 0, noon: after the run hour (9)
DAY0 = date(2025, 3, 10)


def day(n: int) -> date:
    return DAY0 + timedelta(days=n)


def d(month: int, dd: int) -> date:
    return date(2025, month, dd)


HOLIDAYS = {d(3, 24), d(4, 2), d(4, 17), d(4, 18), d(5, 1), d(5, 2)}
# What went out, per recipient: (the clock's local day, channel, kind, tone). 24 March, 2 April, 17-18 April and
# 1-2 May are Argentine holidays; a step falling on one or on a weekend goes on the next business day.
EXPECTED = {
    # a plain invoice due Thursday 20 March: pre-due, the three tones, the action notice
    "alfa@example.com": [
        (d(3, 10), "email", "new_invoice", 1),
        (d(3, 17), "email", "pre_due", 1),
        (d(3, 21), "email", "overdue", 1),
        (d(4, 4), "email", "overdue", 2),
        (d(4, 21), "email", "overdue", 3),
        (d(5, 5), "email", "action_notice", 3),
    ],
    # due Friday 14 March; promised on day 5 (15 March) for day 12: nothing while it held; broken on day 13
    # (Sunday 23rd), the reminders resume on the next business day (Tuesday 25th: the 24th is a holiday)
    "beta@example.com": [
        (d(3, 10), "email", "new_invoice", 1),
        (d(3, 11), "email", "pre_due", 1),
        (d(3, 25), "email", "overdue", 1),
        (d(3, 31), "email", "overdue", 2),
        (d(4, 14), "email", "overdue", 3),
        (d(4, 28), "email", "action_notice", 3),
    ],
    # disputed on day 20 (30 March): nothing after it
    "gamma@example.com": [
        (d(3, 10), "email", "new_invoice", 1),
        (d(3, 25), "email", "pre_due", 1),
        (d(3, 26), "email", "overdue", 1),
    ],
    # says it paid on day 25 (4 April), credited on day 30: its 15-day reminder (7 April) never goes
    "delta@example.com": [
        (d(3, 10), "email", "new_invoice", 1),
        (d(3, 18), "email", "pre_due", 1),
        (d(3, 25), "email", "overdue", 1),
    ],
    # only a phone: SMS through the provider stub (the email-only steps become tasks)
    "+5491155550606": [
        (d(3, 21), "sms", "overdue", 1),
        (d(4, 4), "sms", "overdue", 2),
        (d(4, 21), "sms", "overdue", 3),
        (d(5, 5), "sms", "action_notice", 3),
    ],
    # imported on day 40 (Saturday 19 April) already 40 days overdue: the firm tone on the next business day, the
    # action notice on day 45
    "echo@example.com": [(d(4, 21), "email", "overdue", 3), (d(4, 24), "email", "action_notice", 3)],
}


async def ok(response: Any) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    return response.json()


class Calendar:
    """The tenant, its ERP key, and the clock advanced through the public API."""

    def __init__(self, api, tenant, erp) -> None:
        self.api, self.tenant, self.erp = api, tenant, erp
        self.customers: dict[str, str] = {}
        self.invoices: dict[str, str] = {}

    async def advance_to(self, n: int) -> dict[str, Any]:
        target = datetime.combine(day(n), datetime.min.time().replace(hour=12), tzinfo=ZONE).astimezone(UTC)
        progress = await ok(
            await self.api.post("/v1/test-clock/advance", json={"to": target.isoformat()}, headers=self.tenant.admin)
        )
        assert progress["status"] == "settled", progress
        return progress

    async def customer(self, name: str, collector_id: str, **contacts: str) -> str:
        body = {
            "name": name,
            "external_id": name,
            "collector_id": collector_id,
            "contacts": [{"channel": channel, "address": address} for channel, address in contacts.items()],
        }
        self.customers[name] = (await ok(await self.api.post("/v1/customers", json=body, headers=self.erp)))["id"]
        return self.customers[name]

    async def invoice(self, customer: str, number: str, issued: date, due: date, amount: str = "150000.00") -> str:
        body = {
            "customer_id": self.customers[customer],
            "external_id": number,
            "number": number,
            "currency": "ARS",
            "amount": amount,
            "issue_date": issued.isoformat(),
            "due_date": due.isoformat(),
        }
        self.invoices[number] = (await ok(await self.api.post("/v1/invoices", json=body, headers=self.erp)))["id"]
        return self.invoices[number]

    async def outcome(self, customer: str, kind: str, number: str, **fields: Any) -> dict[str, Any]:
        body = {"customer_id": self.customers[customer], "kind": kind, "invoice_ids": [self.invoices[number]], **fields}
        return await ok(await self.api.post("/v1/outcomes", json=body, headers=self.tenant.admin))


async def sent_by_day(stack, tenant_id) -> dict[str, list[tuple[date, str, str, int | None]]]:
    """Every message that went out, per recipient: (the clock's local day it was sent, channel, kind, tone)."""
    async with stack.engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT to_address, channel, kind, tone, sent_at FROM messaging.messages "
                    "WHERE tenant_id = :t AND state IN ('sent', 'delivered') ORDER BY sent_at, to_address"
                ),
                {"t": tenant_id},
            )
        ).all()
    by_address: dict[str, list] = defaultdict(list)
    for r in rows:
        by_address[r.to_address].append((r.sent_at.astimezone(ZONE).date(), r.channel, r.kind, r.tone))
    return by_address


@pytest.mark.timeout(900)
async def test_ninety_days_of_collections_by_advancing_a_sandbox_clock(api, stack, mailbox, provider):
    tenant = await sandbox_tenant(api, START, stack)
    live = messaging_settings(smtp_port=mailbox.port, provider_url=provider.url)
    async with live_services(stack, live):
        collector, _ = await create_user(api, tenant, "collector")
        await create_user(api, tenant, MANAGER)
        await ok(await api.patch("/v1/dunning-settings", json={"run_hour": 9}, headers=tenant.admin))
        open_hours = {ch: {"quiet_hours": None, "frequency_cap": None} for ch in ("email", "sms", "whatsapp")}
        await ok(
            await api.patch(
                "/v1/messaging-settings",
                json={**open_hours, "profile": {"statement_formats": ["csv"]}},
                headers=tenant.admin,
            )
        )
        await create_strategy(api, tenant.admin)
        cal = Calendar(api, tenant, await create_api_key(api, tenant))
        who = collector["id"]
        await cal.customer("Alfa", who, email="alfa@example.com")
        await cal.customer("Beta", who, email="beta@example.com")
        await cal.customer("Gamma", who, email="gamma@example.com")
        await cal.customer("Delta", who, email="delta@example.com")
        await cal.customer("Zeta", who, sms="+5491155550606")
        await cal.invoice("Alfa", "A1", DAY0, date(2025, 3, 20))
        await cal.invoice("Beta", "B1", DAY0, date(2025, 3, 14))
        await cal.invoice("Gamma", "C1", DAY0, date(2025, 3, 25))
        await cal.invoice("Delta", "D1", DAY0, date(2025, 3, 21), amount="80000.00")
        await cal.invoice("Zeta", "Z1", DAY0, date(2025, 3, 20))

        await cal.advance_to(5)  # Saturday 15 March: Beta promises to pay on day 12
        await cal.outcome("Beta", "promise_to_pay", "B1", promised_date=day(12).isoformat())
        await cal.advance_to(20)  # Gamma disputes C1
        area = await ok(await api.post("/v1/dispute-areas", json={"name": "Logística"}, headers=tenant.admin))
        await cal.outcome("Gamma", "dispute", "C1", note="Mercadería dañada #reclamo", dispute_area_id=area["id"])
        await cal.advance_to(25)  # Delta says it paid D1
        await cal.outcome("Delta", "payment_reported", "D1", reported_reference="Transferencia 4411")
        await cal.advance_to(30)  # the ERP credits Delta's payment
        await ok(
            await api.post(
                "/v1/payments",
                json={
                    "customer_id": cal.customers["Delta"],
                    "external_id": "P-D1",
                    "currency": "ARS",
                    "amount": "80000.00",
                    "payment_date": day(29).isoformat(),
                    "reference": "Transferencia 4411",
                },
                headers=cal.erp,
            )
        )
        await cal.advance_to(40)  # Saturday 19 April: Echo imported, its invoice due on day 0
        await cal.customer("Echo", who, email="echo@example.com")
        await cal.invoice("Echo", "E1", day(-30), DAY0)
        progress = await cal.advance_to(90)

        timeline = await ok(
            await api.get(f"/v1/customers/{cal.customers['Beta']}/timeline", params={"limit": 100}, headers=cal.erp)
        )
        promises_kpi = await ok(
            await api.get(
                "/v1/kpis/promises",
                params={"from": DAY0.isoformat(), "to": day(90).isoformat()},
                headers=tenant.admin,
            )
        )
        promises = await ok(
            await api.get("/v1/promises", params={"customer_id": cal.customers["Beta"]}, headers=tenant.admin)
        )

    assert progress["current"] == progress["target"]
    sent = await sent_by_day(stack, tenant.id)
    assert {address: rows for address, rows in sent.items() if address in EXPECTED} == EXPECTED
    for address, rows in EXPECTED.items():  # each one reached the SMTP server or the provider stub
        if rows[0][1] == "email":
            assert len([m for m in mailbox.messages() if address in m["To"]]) == len(rows), address
    assert [r["body"]["To"] for r in provider.requests("sms")] == ["+5491155550606"] * len(EXPECTED["+5491155550606"])
    beta = sent["beta@example.com"]

    # Beta promised on day 5 for day 12: nothing while the promise held; broken on day 13, reminders resumed
    beta = sent["beta@example.com"]
    assert [(p["status"], p["resolved_on"]) for p in promises["items"]] == [("broken", day(13).isoformat())]
    assert promises_kpi["made"] == 1 and promises_kpi["broken"] == 1 and promises_kpi["kept"] == 0
    # the timeline (newest first) holds the promise made on the clock's day 5 and its breaking on day 13, in order
    # with the messages around them
    entries = timeline["items"]
    moments = [datetime.fromisoformat(e["occurred_at"]) for e in entries]
    assert moments == sorted(moments, reverse=True)
    local_days = {e["kind"]: set() for e in entries}
    for e, moment in zip(entries, moments, strict=True):
        local_days[e["kind"]].add(moment.astimezone(ZONE).date())
    assert local_days["outcome"] == {day(5)}
    assert day(13) in local_days.get("promise", set()) | local_days.get("status_change", set()), local_days
    assert local_days["message"] == {d for d, *_ in beta}

    # the alarms: the broken promise went to the collector in a digest on a business day after day 12
    async with stack.engine.connect() as conn:
        runs = (
            await conn.execute(
                text("SELECT as_of, alarms, status FROM alarms.runs WHERE tenant_id = :t ORDER BY as_of"),
                {"t": tenant.id},
            )
        ).all()
    assert runs and all(r.status == "completed" for r in runs)
    assert all(DAY0 <= r.as_of <= day(90) for r in runs)
    assert any("broken_promises" in r.alarms and day(12) < r.as_of <= day(16) for r in runs), runs
    # the collector's digests: the first on the first business day after the promise broke (Tuesday 25 March),
    # then on business days only, each one in the SMTP server
    digests = sent[collector["email"]]
    assert digests[0][0] == d(3, 25) and {kind for _, _, kind, _ in digests} == {"alarm_digest"}
    assert all(sent_on.isoweekday() < 6 and sent_on not in HOLIDAYS for sent_on, *_ in digests)
    assert len([m for m in mailbox.messages() if collector["email"] in m["To"]]) == len(digests)
