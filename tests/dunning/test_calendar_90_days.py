"""A 90-day simulated calendar (Argentina, 2025-03-03 to 2025-05-31) for a small portfolio: the as-of date
advances day by day, a real run each day, messaging accepts what it gets. The communications must be
exactly the expected ones on the expected days, nothing twice, through a promise made and broken, a
dispute opened and resolved, a payment reported then credited, weekends and Argentine holidays
(Carnival 3-4 March, 24 March, 2 April, Easter 17-18 April, 1-2 May)."""

from collections import Counter
from datetime import date, timedelta

from tests.dunning.support import Messaging, Portfolio, create_strategy, dunning_tenant, real_run

START = date(2025, 3, 3)
DAYS = 90


def d(month: int, day: int) -> date:
    return date(2025, month, day)


# (day, customer, channel, kind, tone, triggering invoices, action); the tone follows the step, raised by the age
# of the oldest overdue invoice of the customer's position (seed 004, issue 12)
EXPECTED = [
    (d(3, 5), "Alfa", "email", "new_invoice", 1, ["A1", "A2"], None),
    (d(3, 10), "Beta", "email", "new_invoice", 1, ["B1"], None),
    (d(3, 12), "Gamma", "email", "new_invoice", 1, ["C1"], None),
    (d(3, 17), "Alfa", "email", "pre_due", 1, ["A1"], None),
    (d(3, 17), "Delta", "email", "new_invoice", 1, ["D1"], None),
    (d(3, 21), "Alfa", "email", "overdue", 1, ["A1"], None),
    # B1 pre-due falls on Saturday 22nd; Monday 24th is a holiday: Tuesday 25th, its due date
    (d(3, 25), "Beta", "email", "pre_due", 1, ["B1"], None),
    (d(3, 25), "Gamma", "email", "pre_due", 1, ["C1"], None),  # Monday 24th (holiday) -> 25th
    (d(3, 26), "Beta", "email", "overdue", 1, ["B1"], None),
    (d(3, 28), "Gamma", "email", "overdue", 1, ["C1"], None),
    (d(4, 1), "Alfa", "email", "pre_due", 1, ["A2"], None),
    (d(4, 1), "Golf", "email", "new_invoice", 1, ["G2"], None),  # G1 stays below the ARS tolerance
    (d(4, 4), "Alfa", "whatsapp", "overdue", 2, ["A1"], None),
    (d(4, 4), "Foxtrot", "sms", "overdue", 1, ["F1"], None),  # opted out of email: SMS
    # Saturday 5th -> Monday 7th; concerned, not friendly: A1 in the same position is 18 days overdue (issue 12)
    (d(4, 7), "Alfa", "email", "overdue", 2, ["A2"], None),
    # G1 (below the tolerance, so never reminded by itself) is still owed and over 15 days overdue: tone 2
    (d(4, 7), "Golf", "email", "pre_due", 2, ["G2"], None),
    (d(4, 11), "Golf", "email", "overdue", 2, ["G2"], None),
    (d(4, 14), "Delta", "email", "pre_due", 1, ["D1"], None),  # Sunday 13th -> Monday 14th
    # B1's promise (to 15 April) was broken on the 16th: the 15-day reminder it missed goes out
    (d(4, 16), "Beta", "email", "overdue", 2, ["B1"], None),
    # Easter Thursday and Friday, then the weekend: everything lands on Monday 21st
    (d(4, 21), "Alfa", "email", "overdue", 3, ["A1"], None),
    (d(4, 21), "Alfa", "whatsapp", "overdue", 2, ["A2"], None),
    (d(4, 21), "Delta", "email", "overdue", 1, ["D1"], None),
    (d(4, 21), "Foxtrot", "sms", "overdue", 2, ["F1"], None),
    (d(4, 24), "Beta", "email", "overdue", 3, ["B1"], None),
    (d(4, 25), "Golf", "email", "overdue", 2, ["G2"], None),
    # C1's dispute was resolved on the 28th: catch-up to the 30-day step (the 15-day one is skipped)
    (d(4, 28), "Gamma", "email", "overdue", 3, ["C1"], None),
    # 1-2 May holidays and the weekend: Monday 5th; A1's action notice and A2's 30-day reminder together
    (d(5, 5), "Alfa", "email", "action_notice", 3, ["A1", "A2"], "legal"),
    (d(5, 5), "Foxtrot", "sms", "overdue", 3, ["F1"], None),
    (d(5, 9), "Beta", "email", "action_notice", 3, ["B1"], "legal"),
    (d(5, 12), "Gamma", "email", "action_notice", 3, ["C1"], "legal"),
    (d(5, 12), "Golf", "email", "overdue", 3, ["G2"], None),
    (d(5, 19), "Alfa", "email", "action_notice", 3, ["A2"], "legal"),
    (d(5, 19), "Foxtrot", "sms", "action_notice", 3, ["F1"], "legal"),
    (d(5, 26), "Golf", "email", "action_notice", 3, ["G2"], "legal"),
]
# No channel left (Foxtrot's email-only steps): a task for the collector instead
EXPECTED_TASKS = [(d(3, 19), "Foxtrot", ["F1"]), (d(3, 31), "Foxtrot", ["F1"])]
EXPECTED_ACTION_ITEMS = [
    (d(5, 5), ["A1"]),
    (d(5, 9), ["B1"]),
    (d(5, 12), ["C1"]),
    (d(5, 19), ["A2"]),
    (d(5, 19), ["F1"]),
    (d(5, 26), ["G2"]),
]


async def test_ninety_days_of_dunning(api, stack):
    tenant = await dunning_tenant(api, stack)
    headers = tenant.admin
    await create_strategy(api, headers)
    await create_strategy(
        api, headers, name="VIP", priority=1, is_default=False, manual_only=True, steps=[], match={"vip": True}
    )
    response = await api.patch("/v1/dunning-settings", json={"tolerances": {"ARS": "100"}}, headers=headers)
    assert response.status_code == 200, response.text
    p = Portfolio(stack, tenant.id)
    messaging = Messaging(stack, tenant.id)
    names: dict[str, str] = {}

    async def customer(name: str, **kw) -> str:
        customer_id = await p.customer(name, **kw)
        names[str(customer_id)] = name
        return customer_id

    alfa = await customer("Alfa", email="alfa@example.com", sms="+5491155550101", whatsapp="+5491155550101")
    beta = await customer("Beta", email="beta@example.com")
    gamma = await customer("Gamma", email="gamma@example.com", sms="+5491155550303")
    delta = await customer("Delta", email="delta@example.com")
    echo = await customer("Echo", email="echo@example.com", vip=True)
    foxtrot = await customer("Foxtrot", email="fox@example.com", sms="+5491155550606", opted_out_channels=["email"])
    golf = await customer("Golf", email="golf@example.com")

    events = {
        d(3, 5): [
            p.invoice(alfa, "A1", issue=d(3, 5), due=d(3, 20)),
            p.invoice(alfa, "A2", issue=d(3, 5), due=d(4, 4)),
            p.invoice(echo, "E1", issue=d(3, 5), due=d(3, 20)),
        ],
        d(3, 10): [p.invoice(beta, "B1", issue=d(3, 10), due=d(3, 25))],
        d(3, 12): [p.invoice(gamma, "C1", issue=d(3, 12), due=d(3, 27))],
        d(3, 17): [p.invoice(delta, "D1", issue=d(3, 17), due=d(4, 16))],
        d(3, 19): [p.invoice(foxtrot, "F1", issue=d(3, 19), due=d(4, 3))],
        d(3, 20): [p.invoice(golf, "G1", issue=d(3, 20), due=d(3, 20), amount="50.00")],
        d(4, 1): [
            p.change_invoice("B1", status="promise_to_pay", promised_date=d(4, 15)),
            p.change_invoice("C1", status="dispute"),
            p.invoice(golf, "G2", issue=d(4, 1), due=d(4, 10), amount="20.00", currency="USD"),
        ],
        d(4, 16): [p.change_invoice("B1", status="normal", promised_date=None)],
        d(4, 22): [p.change_invoice("D1", status="payment_reported", reported_date=d(4, 22))],
        d(4, 28): [p.change_invoice("C1", status="normal")],
        d(5, 6): [p.change_invoice("D1", status="paid", open_amount=0)],
    }
    number_of = {str(v): k for k, v in p.by_number.items()}
    got = []
    tasks = []
    statuses = Counter()
    for n in range(DAYS):
        day = START + timedelta(days=n)
        for event in events.get(day, []):
            await event
        number_of.update({str(v): k for k, v in p.by_number.items()})
        run = await real_run(api, headers, day)
        statuses[run["status"]] += 1
        for c in await messaging.take_and_accept():
            got.append(
                (
                    day,
                    names[str(c.customer.customer_id)],
                    c.channel.value,
                    c.kind.value,
                    c.tone,
                    sorted(i.number for i in c.invoices if i.triggered),
                    c.action,
                )
            )
        for task in messaging.tasks[len(tasks) :]:
            numbers = sorted(line.split(":")[0] for line in task.description.splitlines() if ", due " in line)
            tasks.append((day, names[str(task.customer_id)], numbers))
        if day == d(4, 9):  # during the promise and the dispute: explain says why nothing went out
            beta_why = (
                await api.get(f"/v1/dunning-explain/{beta}", params={"as_of": "2025-04-09"}, headers=headers)
            ).json()
            assert beta_why["invoices"][0]["reason"] == "paused_promise_to_pay"
            gamma_why = (
                await api.get(f"/v1/dunning-explain/{gamma}", params={"as_of": "2025-04-09"}, headers=headers)
            ).json()
            assert gamma_why["invoices"][0]["reason"] == "paused_dispute"
            echo_why = (
                await api.get(f"/v1/dunning-explain/{echo}", params={"as_of": "2025-04-09"}, headers=headers)
            ).json()
            assert echo_why["strategy"]["name"] == "VIP"
            assert echo_why["invoices"][0]["reason"] == "manual_only"
            golf_why = (
                await api.get(f"/v1/dunning-explain/{golf}", params={"as_of": "2025-04-09"}, headers=headers)
            ).json()
            assert {i["number"]: i["reason"] for i in golf_why["invoices"]}["G1"] == "below_tolerance"

    assert sorted(got, key=str) == sorted(EXPECTED, key=str)
    assert tasks == EXPECTED_TASKS
    # nothing twice: every (invoice, step) went out once
    pairs = [(inv, key) for c in messaging.sent for inv, key in c.data["steps"].items()]
    assert len(pairs) == len(set(pairs))
    # the 25 weekend days and the 8 weekday holidays of the period were skipped
    assert statuses == {"completed": 57, "skipped": 33}
    items = (await api.get("/v1/action-items", params={"limit": 50}, headers=headers)).json()["items"]
    created = sorted(
        (date.fromisoformat(i["created_on"]), sorted(number_of[str(x)] for x in i["invoice_ids"])) for i in items
    )
    assert created == EXPECTED_ACTION_ITEMS
    assert all(i["status"] == "open" and i["action"] == "legal" and i["notice_state"] == "sent" for i in items)
    announced = [e for e in messaging.events if e["type"] == "dunning.action_item_changed"]
    # each announced when it opened (notice pending) and when its notice was sent
    assert sorted(e["notice_state"] for e in announced) == sorted(["pending", "sent"] * len(EXPECTED_ACTION_ITEMS))
