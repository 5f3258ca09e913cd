"""The portal's pure rules: when a link opens the page, the form token, the debtor's address and language."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.portal.links.rules import LinkFacts, LinkState, link_state
from services.portal.visits.rules import (
    browser_language,
    client_address,
    form_token,
    form_token_matches,
    page_language,
)
from shared.portal_links import TOKEN_LENGTH, looks_like_token, new_token, portal_link, token_hash

ISSUED = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)


def facts(**changes) -> LinkFacts:
    values = {"issued_at": ISSUED, "revoked_at": None, "valid_days": 30, "revoked_before": None, "portal_enabled": True}
    return LinkFacts(**(values | changes))


@pytest.mark.parametrize(
    ("changes", "now", "state"),
    [
        ({}, ISSUED, LinkState.OPEN),
        ({}, ISSUED + timedelta(days=30) - timedelta(seconds=1), LinkState.OPEN),
        ({}, ISSUED + timedelta(days=30), LinkState.EXPIRED),
        ({"valid_days": 7}, ISSUED + timedelta(days=8), LinkState.EXPIRED),
        ({"revoked_at": ISSUED + timedelta(hours=1)}, ISSUED + timedelta(hours=2), LinkState.REVOKED),
        ({"revoked_before": ISSUED}, ISSUED + timedelta(hours=1), LinkState.REVOKED),
        ({"revoked_before": ISSUED - timedelta(seconds=1)}, ISSUED + timedelta(hours=1), LinkState.OPEN),
        ({"revoked_at": ISSUED, "valid_days": 1}, ISSUED + timedelta(days=2), LinkState.REVOKED),
        ({"portal_enabled": False}, ISSUED, LinkState.DISABLED),
    ],
)
def test_a_link_opens_until_it_expires_or_is_revoked(changes, now, state):
    assert link_state(facts(**changes), now) is state


def test_tokens_are_opaque_short_and_found_by_their_hash_only():
    tokens = {new_token() for _ in range(1000)}
    assert len(tokens) == 1000
    assert all(len(t) == TOKEN_LENGTH and looks_like_token(t) for t in tokens)
    token = tokens.pop()
    assert token_hash(token) == token_hash(token) and len(token_hash(token)) == 32
    assert portal_link("https://cobranza.example/", token) == f"https://cobranza.example/portal/{token}"
    for bad in ("", "x" * 21, "x" * 23, "á" * 22, "../../etc/passwd....xx", "a b" + "c" * 19):
        assert not looks_like_token(bad)


def test_the_form_token_is_bound_to_the_link_and_to_the_browsers_nonce():
    secret, link = b"s" * 32, uuid.uuid4()
    token = form_token(secret, link, "nonce-1")
    assert form_token_matches(secret, link, "nonce-1", token)
    assert not form_token_matches(secret, link, "nonce-2", token)
    assert not form_token_matches(secret, uuid.uuid4(), "nonce-1", token)
    assert not form_token_matches(b"t" * 32, link, "nonce-1", token)
    assert not form_token_matches(secret, link, None, token)
    assert not form_token_matches(secret, link, "nonce-1", None)


def test_the_debtors_address_is_the_one_the_gateway_appended():
    assert client_address("203.0.113.9, 190.210.12.44", "10.0.0.2") == "190.210.12.44"
    assert client_address("190.210.12.44", None) == "190.210.12.44"
    assert client_address(None, "10.0.0.2") == "10.0.0.2"
    assert client_address("", None) is None


def test_the_page_speaks_the_customers_language_else_the_browsers_else_spanish():
    assert page_language("pt", "en", "en-US") == "pt"
    assert page_language(None, "en", "pt-BR") == "en"
    assert page_language(None, None, "fr-FR,pt-BR;q=0.8") == "pt"
    assert page_language(None, "de", "de-DE") == "es"
    assert browser_language(None) == "es"
