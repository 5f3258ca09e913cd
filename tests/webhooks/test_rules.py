"""The pure rules of webhooks: which URLs and addresses may be called, the retry schedule, when an endpoint is
disabled, what goes on the wire; the alarm's words."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from standardwebhooks.webhooks import Webhook

from alarms_service.webhook_alerts.words import disabled_data
from services.webhooks.deliveries import rules
from services.webhooks.deliveries.sender import signed_request
from services.webhooks.endpoints.rules import address_is_private, addresses_problem, url_problem
from services.webhooks.endpoints.service import new_secret
from services.webhooks.settings import RETRY_SCHEDULE_SECONDS

NOW = datetime(2026, 12, 6, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",  # noqa: S104 - an address to refuse, not one to bind
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fe80::1%eth0",
        "fc00::1",
        "fd12:3456::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "2002:0a00:0001::1",
        "192.0.2.10",
        "2001:db8::1",
    ],
)
def test_addresses_that_are_not_public_are_private(address):
    assert address_is_private(address)


@pytest.mark.parametrize("address", ["8.8.8.8", "93.184.216.34", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_are_not(address):
    assert not address_is_private(address)


def test_a_host_must_resolve_to_public_addresses_only_unless_allowed():
    assert addresses_problem([], allow_private=True) == "does not resolve to any address"
    assert "private" in addresses_problem(["8.8.8.8", "10.0.0.1"], allow_private=False)
    assert addresses_problem(["8.8.8.8", "10.0.0.1"], allow_private=True) is None
    assert addresses_problem(["8.8.8.8"], allow_private=False) is None


def test_urls_need_https_outside_development_and_no_userinfo():
    assert url_problem("https://erp.example.com/hooks?x=1", development=False) is None
    assert url_problem("http://erp.example.com/hooks", development=False) == "must use https"
    assert url_problem("http://erp.example.com/hooks", development=True) is None
    assert url_problem("ftp://erp.example.com/", development=True) == "must be an https URL"
    assert url_problem("https://u:p@erp.example.com/", development=False) == "must not carry a user name or password"
    assert url_problem("https://u@erp.example.com/", development=False) is not None
    assert url_problem("https:///path", development=False) == "has no host"
    assert url_problem("https://erp.example.com:99999/", development=False) == "is not a valid URL"
    assert url_problem("https://erp.example.com/#x", development=False) is not None
    assert url_problem("https://e.example/" + "a" * 2000, development=False) is not None


def test_the_default_schedule_retries_for_at_least_three_days_then_gives_up():
    delays = [rules.retry_delay(n, RETRY_SCHEDULE_SECONDS) for n in range(1, len(RETRY_SCHEDULE_SECONDS) + 2)]
    assert delays[:-1] == RETRY_SCHEDULE_SECONDS and delays[-1] is None
    assert sum(RETRY_SCHEDULE_SECONDS) >= 3 * 86400
    assert delays[:-1] == sorted(delays[:-1])  # never sooner than the time before
    assert rules.retry_delay(0, RETRY_SCHEDULE_SECONDS) is None


def test_success_is_2xx_only_and_410_is_gone():
    assert [rules.succeeded(s) for s in (200, 204, 299, 301, 304, 400, 410, 500, None)] == [True] * 3 + [False] * 6
    assert rules.gone(410) and not rules.gone(404) and not rules.gone(None)


def test_an_endpoint_is_disabled_after_the_period_without_success():
    assert not rules.should_disable(None, NOW, 5)
    assert not rules.should_disable(NOW - timedelta(days=4, hours=23), NOW, 5)
    assert rules.should_disable(NOW - timedelta(days=5), NOW, 5)


@given(st.dictionaries(st.text(max_size=10), st.integers(-(2**63), 2**63 - 1) | st.text(max_size=20), max_size=5))
def test_what_is_signed_is_what_is_sent_and_verifies_with_every_secret(data):
    secrets = [new_secret(), new_secret()]
    content, headers = signed_request("msg_1", "promise.broken", NOW, data, secrets, datetime.now(UTC))
    assert headers["webhook-id"] == "msg_1" and headers["content-type"] == "application/json"
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in secrets:
        assert Webhook(secret).verify(content, headers) == {
            "type": "promise.broken",
            "timestamp": NOW.isoformat(),
            "data": data,
        }


def test_the_excerpt_keeps_the_first_kilobyte():
    assert rules.excerpt(b"a" * 5000) == "a" * 1024
    assert rules.excerpt("é".encode() * 1000) == "é" * 512


def test_the_disabled_alarm_reads_in_the_tenants_language():
    data = disabled_data("en", "https://erp.example/x", NOW - timedelta(days=5), NOW, "HTTP 500")
    assert data["summary"] == (
        "The endpoint https://erp.example/x has received no event since 2026-12-01 12:00 UTC and was disabled on "
        "2026-12-06 12:00 UTC."
    )
    assert "Último error: ninguno registrado" in disabled_data("es", "u", NOW, NOW, None)["lines"]
    assert disabled_data("pt", "u", NOW, NOW, "x")["title"] == "Webhook desativado"
    assert disabled_data("xx", "u", NOW, NOW, "x")["title"] == "Webhook desactivado"
