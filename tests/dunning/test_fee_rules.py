"""The late charges' pure rules (issue 19, ``dunning_service.fees.rules``): hand-computed examples of each rule,
then properties: never above a rule's cap nor the legal maximum, a period charged once whatever the day, amounts
in the currency's minor units."""

import uuid
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from dunning_service.fees.rules import (
    ExistingCharge,
    FeeRule,
    InvoiceFacts,
    NewCharge,
    assess,
    charge_id,
    legal_limit,
    month_periods,
    rule_cap,
)
from shared.contracts.common import ChargeKind
from shared.money import minor_units

TENANT = uuid.UUID("00000000-0000-0000-0000-0000000000aa")
D = Decimal


def _invoice(amount: str = "1000.00", due: date = date(2026, 1, 10), currency: str = "ARS", **kw) -> InvoiceFacts:
    return InvoiceFacts(
        id=kw.get("id", uuid.UUID(int=1)),
        customer_id=uuid.UUID(int=2),
        currency=currency,
        amount=D(amount),
        open_amount=D(kw.get("open_amount", amount)),
        due_date=due,
    )


def _amounts(charges: list[NewCharge]) -> dict[str, Decimal]:
    return {f"{c.rule_key}:{c.period}": c.amount for c in charges}


def test_a_fixed_fee_comes_with_its_step_after_the_grace_days():
    rule = FeeRule("fee", ChargeKind.FIXED, at_step="od-15", at_days=15, amounts={"ARS": D("500.00")})
    invoice = _invoice()
    assert assess(TENANT, invoice, [rule], None, date(2026, 1, 24)) == []  # 14 days overdue
    (charge,) = assess(TENANT, invoice, [rule], None, date(2026, 1, 25))
    assert (charge.key, charge.amount, charge.period) == (f"fee:{invoice.id}:fee:od-15", D("500.00"), "od-15")
    assert charge.charge_id == charge_id(TENANT, charge.key) == uuid.uuid3(TENANT, charge.key)
    assert charge.description == "fee od-15"
    graced = FeeRule("fee", ChargeKind.FIXED, at_step="od-15", at_days=15, amounts={"ARS": D(5)}, grace_days=20)
    assert assess(TENANT, invoice, [graced], None, date(2026, 1, 30)) == []  # 20 days: still in grace
    assert _amounts(assess(TENANT, invoice, [graced], None, date(2026, 1, 31))) == {"fee:od-15": D(5)}
    # no amount in the invoice's currency: nothing
    assert assess(TENANT, _invoice(currency="USD"), [rule], None, date(2026, 3, 1)) == []


def test_a_percentage_of_the_open_amount_rounded_half_up_and_raised_to_the_minimum():
    rule = FeeRule("pct", ChargeKind.PERCENTAGE, percent=D("1.5"))
    invoice = _invoice("2000.00", open_amount="1234.50")  # 1.5% = 18.5175 -> 18.52
    assert _amounts(assess(TENANT, invoice, [rule], None, date(2026, 1, 11))) == {"pct:overdue": D("18.52")}
    floor = FeeRule("pct", ChargeKind.PERCENTAGE, percent=D("1.5"), minimum={"ARS": D("100.00")})
    assert _amounts(assess(TENANT, invoice, [floor], None, date(2026, 1, 11))) == {"pct:overdue": D("100.00")}
    assert assess(TENANT, invoice, [rule], None, date(2026, 1, 10)) == []  # due today: not overdue


def test_interest_one_charge_per_complete_month_pro_rata_after_the_grace_days():
    rule = FeeRule("int", ChargeKind.INTEREST, annual_rate=D("36.5"), grace_days=5)
    invoice = _invoice("10000.00", due=date(2026, 1, 10))  # accrues from Jan 16: 16 days of January
    assert assess(TENANT, invoice, [rule], None, date(2026, 1, 31)) == []  # January is not over
    assert _amounts(assess(TENANT, invoice, [rule], None, date(2026, 2, 1))) == {"int:2026-01": D("160.00")}
    march = assess(TENANT, invoice, [rule], None, date(2026, 3, 15))
    assert _amounts(march) == {"int:2026-01": D("160.00"), "int:2026-02": D("280.00")}
    assert [c.kind for c in march] == [ChargeKind.INTEREST] * 2
    # a currency without minor units: 100000 x 50% x 30 / 365 = 4109.589 -> 4110
    clp = _invoice("100000", due=date(2026, 3, 31), currency="CLP")
    half = FeeRule("int", ChargeKind.INTEREST, annual_rate=D(50))
    assert _amounts(assess(TENANT, clp, [half], None, date(2026, 5, 1))) == {"int:2026-04": D(4110)}
    assert month_periods(date(2026, 1, 16), date(2026, 3, 1)) == [
        (date(2026, 1, 1), date(2026, 1, 31)),
        (date(2026, 2, 1), date(2026, 2, 28)),
    ]


def test_a_rules_cap_and_the_legal_maximum_clip_in_order():
    invoice = _invoice("1000.00", due=date(2026, 1, 1))
    pct = FeeRule("pct", ChargeKind.PERCENTAGE, percent=D(2), grace_days=10, minimum={"ARS": D(100)})
    interest = FeeRule("int", ChargeKind.INTEREST, annual_rate=D(40), cap_amounts={"ARS": D(40)})
    day = date(2026, 3, 2)  # 60 days overdue
    # no legal maximum: 100 (the minimum), January 32.88, February 30.68 clipped to the cap's 40 - 32.88
    assert _amounts(assess(TENANT, invoice, [pct, interest], None, day)) == {
        "pct:overdue": D("100.00"),
        "int:2026-01": D("32.88"),
        "int:2026-02": D("7.12"),
    }
    # legal maximum 50 (% a year): 1000 x 50% x 60 / 365 = 82.19 in all, the fee (due first, Jan 12) takes it
    assert legal_limit(invoice, D(50), day) == D("82.19")
    assert _amounts(assess(TENANT, invoice, [pct, interest], D(50), day)) == {"pct:overdue": D("82.19")}
    # charges recorded count against both (a waived one does not)
    existing = [ExistingCharge(f"fee:{invoice.id}:x:1", "int", D(30)), ExistingCharge("w", "pct", D(999), waived=True)]
    assert _amounts(assess(TENANT, invoice, [interest], None, day, existing)) == {"int:2026-01": D(10)}
    # a cap as a percent of the invoice's amount, rounded down
    assert rule_cap(FeeRule("c", ChargeKind.FIXED, cap_percent=D("3.3333")), _invoice("100.00")) == D("3.33")


def test_a_period_already_charged_is_never_charged_again():
    rules = [
        FeeRule("fee", ChargeKind.FIXED, at_step="od-1", at_days=1, amounts={"ARS": D(50)}),
        FeeRule("int", ChargeKind.INTEREST, annual_rate=D(50)),
    ]
    invoice = _invoice()
    first = assess(TENANT, invoice, rules, None, date(2026, 3, 1))
    existing = [ExistingCharge(c.key, c.rule_key, c.amount) for c in first]
    assert assess(TENANT, invoice, rules, None, date(2026, 3, 1), existing) == []
    assert assess(TENANT, invoice, rules, None, date(2026, 3, 31), existing) == []
    (april,) = assess(TENANT, invoice, rules, None, date(2026, 4, 1), existing)
    assert april.period == "2026-03"


# --------------------------------------------------------------------------------------------- properties

_money = st.decimals(min_value=D("0.01"), max_value=D("100000"), places=2)
_rates = st.decimals(min_value=D(1), max_value=D(200), places=1)  # percents a year


@st.composite
def _rules(draw) -> list[FeeRule]:
    out = []
    for n in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(list(ChargeKind)))
        cap_amounts = draw(st.sampled_from([{}, {"ARS": draw(_money)}]))
        cap_percent = draw(st.none() | st.decimals(min_value=D("0.5"), max_value=D(50), places=1))
        minimum = draw(st.sampled_from([{}, {"ARS": draw(_money)}]))
        at_days = draw(st.none() | st.integers(1, 90))
        out.append(
            FeeRule(
                key=f"r{n}",
                kind=kind,
                at_step=None if at_days is None or kind == ChargeKind.INTEREST else f"s{at_days}",
                at_days=None if kind == ChargeKind.INTEREST else at_days,
                amounts={"ARS": draw(_money)},
                percent=draw(st.decimals(min_value=D("0.1"), max_value=D(30), places=2)),
                annual_rate=draw(_rates),
                grace_days=draw(st.integers(0, 40)),
                minimum=minimum,
                cap_amounts=cap_amounts,
                cap_percent=cap_percent,
            )
        )
    return out


@settings(max_examples=300, deadline=None)
@given(
    rules=_rules(),
    amount=_money,
    paid=st.decimals(min_value=D(0), max_value=D("0.99"), places=2),
    legal=st.none() | _rates,
    offsets=st.lists(st.integers(0, 400), min_size=1, max_size=6),
)
def test_never_above_the_caps_nor_the_legal_maximum_and_each_period_once(rules, amount, paid, legal, offsets):
    open_amount = max(D("0.01"), (amount * (1 - paid)).quantize(D("0.01")))
    invoice = _invoice(str(amount), due=date(2025, 12, 20), open_amount=str(open_amount))
    charged: list[NewCharge] = []
    for day in sorted({invoice.due_date + timedelta(days=o) for o in offsets}):
        existing = [ExistingCharge(c.key, c.rule_key, c.amount) for c in charged]
        new = assess(TENANT, invoice, rules, legal, day, existing)
        assert not {c.key for c in new} & {c.key for c in charged}  # a period is charged once
        assert (
            assess(
                TENANT,
                invoice,
                rules,
                legal,
                day,
                existing + [ExistingCharge(c.key, c.rule_key, c.amount) for c in new],
            )
            == []
        )
        charged += new
        for c in new:
            assert c.amount > 0 and c.amount == c.amount.quantize(D(1).scaleb(-minor_units("ARS")))
            assert c.charge_id == charge_id(TENANT, c.key)
        limit = legal_limit(invoice, legal, day)
        if limit is not None:
            assert sum((c.amount for c in charged), D(0)) <= limit
        for rule in rules:
            cap = rule_cap(rule, invoice)
            if cap is not None:
                assert sum((c.amount for c in charged if c.rule_key == rule.key), D(0)) <= cap
