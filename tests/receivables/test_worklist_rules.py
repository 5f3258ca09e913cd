"""The worklist's pure rules (issue 18, seed 004): the score's parts and sentences, the SQL score against the Python
one, the objective of the contact and the channel."""

from datetime import date, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from services.receivables.worklist.rules import (
    Facts,
    Objective,
    PromiseFact,
    SuggestedChannel,
    Weights,
    changed_weights,
    channel,
    money,
    objective,
    on_list,
    reasons,
    score,
    score_sql,
)
from shared.words import words

TODAY = date(2026, 12, 7)
ES = words("es", "AR")
PHONE = {"channel": "sms", "address": "+5491144445555"}
EMAIL = {"channel": "email", "address": "pagos@cliente.example"}
WHATSAPP = {"channel": "whatsapp", "address": "+5491155556666"}


def test_money_names_the_currency_in_the_tenants_locale():
    assert money(ES, Decimal("45000"), "ARS") == "ARS 45.000,00"
    assert money(ES, Decimal("-12.5"), "USD") == "-USD 12,50"
    assert money(words("en", "US"), Decimal("1234.5"), "USD") == "USD 1,234.50"


def test_the_broken_promise_sentence_carries_its_evidence():
    broken = PromiseFact(date(2026, 11, 12), Decimal("45000.00"), "ARS", resolved_on=date(2026, 12, 4))
    facts = Facts(today=TODAY, broken_promises=1, last_broken=broken)
    (first, *_) = reasons(facts, Weights(), ES)
    assert (first.code, first.points) == ("broken_promise", Decimal("60.00"))
    assert first.text == "promise of 12/11/2026 broken 3 days ago (ARS 45.000,00), still owed"


def test_parts_scale_with_their_factor():
    facts = Facts(
        today=TODAY,
        overdue_currency="ARS",
        overdue_amount=Decimal("10"),
        overdue_invoices=1,
        overdue_oldest_days=4,
        overdue_share=Decimal("0.3333"),
        signs=("bad_contacts", "growing_overdue", "broken_promises"),
        last_contact_on=TODAY - timedelta(days=45),
        last_contact_at=datetime(2026, 10, 23, 15),
    )
    got = {r.code: r.points for r in reasons(facts, Weights(), ES)}
    assert got == {
        "overdue": Decimal("13.33"),  # 40 x 0.3333
        "warning_signs": Decimal("30.00"),  # 10 x 3 signs
        "days_since_contact": Decimal("15.00"),  # 10 x 45 / 30
    }
    assert on_list(facts)
    assert not on_list(Facts(today=TODAY, signs=("bad_contacts",)))  # a sign alone asks for no contact today


facts_strategy = st.builds(
    Facts,
    today=st.just(TODAY),
    overdue_currency=st.just("ARS"),
    overdue_amount=st.just(Decimal("100")),
    overdue_invoices=st.just(1),
    overdue_oldest_days=st.just(5),
    overdue_share=st.none() | st.decimals(min_value=Decimal("0.0001"), max_value=1, places=4),
    broken_promises=st.integers(0, 3),
    promises_due=st.integers(0, 2),
    tasks_due=st.integers(0, 2),
    replies_waiting=st.integers(0, 2),
    portal_actions=st.integers(0, 2),
    signs=st.lists(st.sampled_from(["a", "b", "c", "d", "e"]), unique=True).map(tuple),
    last_contact_on=st.none() | st.integers(0, 400).map(lambda d: TODAY - timedelta(days=d)),
    contacts=st.lists(st.builds(dict, channel=st.just("email"), address=st.just("x@y"), invalid=st.booleans())).map(
        tuple
    ),
)
weights_strategy = st.builds(Weights, **{name: st.integers(0, 1000) for name in Weights().as_dict()})


def _python_score(f: Facts, w: Weights) -> Decimal:
    """The Python score, with the parts that need their evidence filled in as the repository gives them."""
    promise = PromiseFact(TODAY, Decimal("1"), "ARS", resolved_on=TODAY)
    filled = Facts(
        **{
            **{name: getattr(f, name) for name in Facts.__slots__},
            "last_broken": promise if f.broken_promises else None,
            "next_promise": promise if f.promises_due else None,
            "oldest_task_due": TODAY if f.tasks_due else None,
        }
    )
    return score(reasons(filled, w, ES))


async def test_the_sql_score_agrees_with_the_rules(stack):
    examples: list[tuple[Facts, Weights]] = []

    @settings(max_examples=150, deadline=None)
    @given(facts_strategy, weights_strategy)
    def collect(f: Facts, w: Weights) -> None:
        examples.append((f, w))

    collect()
    async with stack.engine.connect() as conn:
        for f, w in examples:
            query = text(
                f"SELECT {score_sql(w)} FROM (SELECT CAST(:share AS numeric) AS overdue_share, "
                "CAST(:broken AS int) AS broken_promises, CAST(:due AS int) AS promises_due, "
                "CAST(:tasks AS int) AS tasks_due, CAST(:replies AS int) AS replies_waiting, "
                "CAST(:portal AS int) AS portal_actions, CAST(:bounced AS boolean) AS bounced, "
                "CAST(:signs AS text[]) AS signs, "
                "CAST(:last AS date) AS last_contact_on) AS features"
            )
            params = {
                "share": f.overdue_share,
                "broken": f.broken_promises,
                "due": f.promises_due,
                "tasks": f.tasks_due,
                "replies": f.replies_waiting,
                "portal": f.portal_actions,
                "bounced": bool(f.bounced),
                "signs": list(f.signs),
                "last": f.last_contact_on,
                "today": TODAY,
            }
            assert (await conn.execute(query, params)).scalar() == _python_score(f, w), (f, w)


def test_objectives_follow_seed_004():
    def goal(**fields: object) -> Objective:
        return objective(Facts(today=TODAY, **fields))[0]  # type: ignore[arg-type]

    assert goal(overdue_oldest_days=3) is Objective.REMIND  # "deudas recién vencidas"
    assert goal(promises_due=1) is Objective.REMIND
    assert goal(overdue_oldest_days=3, last_excuse="forgetting") is Objective.GENERATE_ACTION  # the first excuse
    assert goal(overdue_oldest_days=45) is Objective.GENERATE_ACTION
    assert goal(overdue_oldest_days=3, broken_promises=1) is Objective.GENERATE_ACTION
    assert goal(last_excuse="dissatisfaction") is Objective.REMOVE_PAYMENT_BARRIERS
    assert goal(last_excuse="unawareness_of_use") is Objective.REMOVE_PAYMENT_BARRIERS
    assert goal(last_excuse="fraud") is Objective.PRESS
    assert goal(broken_promises=2) is Objective.PRESS
    assert goal(broken_promises=1, contacts=({**EMAIL, "invalid": True},)) is Objective.PRESS
    assert goal(overdue_oldest_days=91) is Objective.PRESS
    assert goal(overdue_oldest_days=121) is Objective.CHANGE_CONDITIONS
    assert goal(overdue_oldest_days=3, last_excuse="inability_to_pay") is Objective.CHANGE_CONDITIONS


def test_the_channel_needs_a_valid_contact_and_follows_the_objective():
    everything = (PHONE, EMAIL, WHATSAPP)
    f = Facts(today=TODAY, contacts=everything)
    assert channel(f, Objective.REMIND)[:2] == (SuggestedChannel.WHATSAPP, "+5491155556666")
    assert channel(f, Objective.REMOVE_PAYMENT_BARRIERS)[0] is SuggestedChannel.EMAIL
    assert channel(f, Objective.GENERATE_ACTION)[:2] == (SuggestedChannel.CALL, "+5491144445555")
    assert channel(f, Objective.PRESS)[0] is SuggestedChannel.CALL
    # opted out of WhatsApp messages: the reminder goes by SMS; a person may still call the number
    opted = Facts(today=TODAY, contacts=everything, opted_out=("whatsapp", "sms"))
    assert channel(opted, Objective.REMIND)[0] is SuggestedChannel.EMAIL
    assert channel(opted, Objective.PRESS)[0] is SuggestedChannel.CALL
    # the phone bounced: no call; the customer who wrote by WhatsApp is answered there
    bounced = Facts(today=TODAY, contacts=({**PHONE, "invalid": True}, EMAIL, WHATSAPP))
    assert channel(bounced, Objective.GENERATE_ACTION)[:2] == (SuggestedChannel.CALL, "+5491155556666")
    only_email = Facts(today=TODAY, contacts=({**PHONE, "invalid": True}, EMAIL))
    assert channel(only_email, Objective.GENERATE_ACTION)[0] is SuggestedChannel.EMAIL
    replied = Facts(today=TODAY, contacts=everything, replies_waiting=1, last_reply_channel="email")
    assert channel(replied, Objective.PRESS)[0] is SuggestedChannel.EMAIL
    assert channel(Facts(today=TODAY), Objective.REMIND)[0] is None


def test_changed_weights_keep_the_others_and_reset_a_null_one():
    stored = {"overdue": 10, "task_due": 50}
    assert changed_weights(stored, {"task_due": None, "reply_waiting": 0}) == {"overdue": 10, "reply_waiting": 0}
    assert Weights.from_stored({"overdue": 10, "gone": 3}).overdue == 10
