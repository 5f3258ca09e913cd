"""Compliance and delivery rules without I/O: contact windows, frequency caps, retries, reports, signatures."""

import uuid
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from messaging_service.delivery.rules import (
    ContactWindow,
    FrequencyCap,
    RetryPolicy,
    SendResult,
    after_attempt,
    apply_report,
    cap_release,
    next_opening,
    schedule,
)
from messaging_service.inbound.rules import twilio_signature, verify_twilio, verify_whatsapp, whatsapp_signature
from messaging_service.optouts.rules import is_stop_request, read_unsubscribe_token, unsubscribe_token

BUENOS_AIRES = ZoneInfo("America/Argentina/Buenos_Aires")
OFFICE = ContactWindow(time(8), time(20))


def local(year, month, day, hour, minute=0, tz=BUENOS_AIRES) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=tz).astimezone(UTC)


def test_seed_002_a_message_at_23h_local_under_8_to_20_waits_for_8h_next_day():
    opening = next_opening(local(2026, 11, 23, 23), BUENOS_AIRES, OFFICE)
    assert opening == local(2026, 11, 24, 8)
    assert opening.astimezone(BUENOS_AIRES).hour == 8


def test_inside_the_window_goes_now_and_before_it_waits_for_the_opening():
    assert next_opening(local(2026, 11, 23, 12), BUENOS_AIRES, OFFICE) is None
    assert next_opening(local(2026, 11, 23, 6, 30), BUENOS_AIRES, OFFICE) == local(2026, 11, 23, 8)
    assert next_opening(local(2026, 11, 23, 20), BUENOS_AIRES, OFFICE) == local(2026, 11, 24, 8)


def test_closed_days_are_skipped():
    weekdays = ContactWindow(time(8), time(20), frozenset({1, 2, 3, 4, 5}))
    friday_night = local(2026, 11, 27, 21)  # a Friday
    assert next_opening(friday_night, BUENOS_AIRES, weekdays) == local(2026, 11, 30, 8)  # Monday


def test_a_window_across_midnight():
    night = ContactWindow(time(22), time(2))
    assert next_opening(local(2026, 11, 23, 23), BUENOS_AIRES, night) is None
    assert next_opening(local(2026, 11, 24, 1), BUENOS_AIRES, night) is None
    assert next_opening(local(2026, 11, 24, 3), BUENOS_AIRES, night) == local(2026, 11, 24, 22)


def test_the_window_is_in_the_customers_zone_across_a_dst_change():
    new_york = ZoneInfo("America/New_York")
    before_change = datetime(2026, 3, 7, 22, tzinfo=new_york).astimezone(UTC)  # DST starts Sunday 8 March
    opening = next_opening(before_change, new_york, OFFICE)
    assert opening.astimezone(new_york) == datetime(2026, 3, 8, 8, tzinfo=new_york)


@given(
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1)),
    st.integers(0, 23),
    st.integers(1, 23),
    st.sampled_from(["America/Argentina/Buenos_Aires", "America/Mexico_City", "America/New_York", "Asia/Kolkata"]),
)
def test_the_opening_is_always_later_and_inside_the_window(naive, start, length, zone_name):
    tz = ZoneInfo(zone_name)
    window = ContactWindow(time(start), time((start + length) % 24))
    at = naive.replace(tzinfo=UTC)
    opening = next_opening(at, tz, window)
    if opening is not None:
        assert opening > at
        assert opening - at <= timedelta(days=2)
        assert next_opening(opening, tz, window) is None


def test_the_frequency_cap_defers_to_when_the_window_frees_a_place():
    now = datetime(2026, 11, 23, 12, tzinfo=UTC)
    cap = FrequencyCap(2, timedelta(days=7))
    sent = [now - timedelta(days=6), now - timedelta(days=1)]
    assert cap_release(now, sent, cap) == now - timedelta(days=6) + timedelta(days=7)
    assert cap_release(now, sent[1:], cap) == now


@given(
    st.lists(st.integers(0, 20 * 24), max_size=12),
    st.integers(1, 4),
    st.integers(1, 10),
)
def test_the_cap_holds_in_every_window(offsets_hours, max_messages, window_days):
    """Scheduling messages one after another with the cap never puts more than N in any window."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    cap = FrequencyCap(max_messages, timedelta(days=window_days))
    scheduled: list[datetime] = []
    for hours in sorted(offsets_hours):
        scheduled.append(cap_release(start + timedelta(hours=hours), scheduled, cap))
    for t in scheduled:
        inside = [s for s in scheduled if t - cap.window < s <= t]
        assert len(inside) <= max_messages


def test_schedule_applies_the_cap_then_the_window():
    now = local(2026, 11, 23, 12)
    slot = schedule(now, BUENOS_AIRES, OFFICE, FrequencyCap(1, timedelta(days=1)), [local(2026, 11, 23, 10)])
    assert slot.reason == "frequency_cap"
    assert slot.at == local(2026, 11, 24, 10)
    slot = schedule(local(2026, 11, 23, 23), BUENOS_AIRES, OFFICE)
    assert (slot.at, slot.reason) == (local(2026, 11, 24, 8), "quiet_hours")
    assert schedule(now, BUENOS_AIRES, None).reason is None


def test_transient_errors_retry_with_exponential_backoff_then_dead_letter():
    policy = RetryPolicy(max_attempts=4, base_seconds=60, max_seconds=600)
    now = datetime(2026, 11, 23, tzinfo=UTC)
    error = SendResult.transient("http_503", "busy")
    delays = [after_attempt(error, n, policy, now).retry_at - now for n in (1, 2, 3)]
    assert delays == [timedelta(seconds=60), timedelta(seconds=120), timedelta(seconds=240)]
    last = after_attempt(error, 4, policy, now)
    assert (last.state, last.dead_lettered, last.retry_at) == ("failed", True, None)
    assert policy.delay(10) == timedelta(seconds=600)


def test_permanent_errors_are_not_retried():
    now = datetime(2026, 11, 23, tzinfo=UTC)
    invalid = after_attempt(SendResult.permanent("21211", "bad number", invalid_contact=True), 1, RetryPolicy(), now)
    assert (invalid.state, invalid.retry_at) == ("failed", None)
    bounce = after_attempt(SendResult.permanent("smtp_550", "unknown", bounced=True), 1, RetryPolicy(), now)
    assert bounce.state == "bounced"
    assert after_attempt(SendResult.sent("SM1"), 1, RetryPolicy(), now).state == "sent"


def test_provider_reports_only_move_forward():
    assert apply_report("sent", "delivered") == "delivered"
    assert apply_report("sending", "delivered") == "delivered"
    assert apply_report("read", "delivered") is None
    assert apply_report("delivered", "failed") is None
    assert apply_report("sent", "failed") == "failed"
    assert apply_report("failed", "delivered") is None


def test_stop_words():
    assert all(is_stop_request(w) for w in ("STOP", "stop ", "Baja", "PARAR", "Sair."))
    assert not is_stop_request("stop sending me invoices for March")


def test_twilio_signature_matches_twilios_documented_example():
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+14158675310",
        "Digits": "1234",
        "From": "+14158675310",
        "To": "+18005551212",
    }
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert twilio_signature("12345", url, params.items()) == "GvWf1cFY/Q7PnoempGyD5oXAezc="
    assert verify_twilio("12345", [url], list(params.items()), "GvWf1cFY/Q7PnoempGyD5oXAezc=")
    assert not verify_twilio(
        "12345", [url.replace("https", "http")], list(params.items()), "GvWf1cFY/Q7PnoempGyD5oXAezc="
    )
    assert not verify_twilio("12345", [url], list({**params, "Digits": "9"}.items()), "GvWf1cFY/Q7PnoempGyD5oXAezc=")


def test_whatsapp_signature():
    body = b'{"object":"whatsapp_business_account"}'
    signature = whatsapp_signature("secret", body)
    assert signature.startswith("sha256=")
    assert verify_whatsapp("secret", body, signature)
    assert not verify_whatsapp("secret", body + b" ", signature)
    assert not verify_whatsapp("other", body, signature)


def test_unsubscribe_tokens_are_short_and_cannot_be_forged():
    message_id = uuid.uuid4()
    token = unsubscribe_token(b"k", message_id)
    assert len(token) < 40
    assert read_unsubscribe_token(b"k", token) == message_id
    assert read_unsubscribe_token(b"other", token) is None
    assert read_unsubscribe_token(b"k", token[:-2] + ("AA" if token[-2:] != "AA" else "BB")) is None
    assert read_unsubscribe_token(b"k", "not a token!") is None
