"""Where the gateway reads the ERP's ids (``ext:<external id>``) in a request, and how it rewrites them: pure
functions, no I/O (the whole path through the services: tests/receivables/test_external_ids.py)."""

import uuid

import pytest

from api_gateway.proxy.external_ids import Reference, references, rewrite
from shared.problems import NotFound, ValidationProblem

ID = uuid.UUID("0190d6b4-7b1d-7a8e-8a4f-6a3a3b8e2f10")


def scope(raw_path: str, query: str = "") -> dict:
    return {"path": raw_path, "raw_path": raw_path.encode(), "query_string": query.encode()}


@pytest.mark.parametrize(
    ("raw_path", "query", "expected"),
    [
        ("/v1/customers/ext:ERP-C-100/timeline", "", [Reference("customer", "ERP-C-100")]),
        ("/v1/customers/ext%3AERP%2FC%20%C3%91", "", [Reference("customer", "ERP/C Ñ")]),
        ("/v1/invoices/ext:F-1/status", "", [Reference("invoice", "F-1")]),
        ("/v1/payments/ext:R-1", "", [Reference("payment", "R-1")]),
        ("/v1/dunning-explain/ext:C-1", "as_of=2026-01-01", [Reference("customer", "C-1")]),
        ("/v1/messages", "customer_id=ext%3AC+1&limit=5", [Reference("customer", "C 1", "customer_id")]),
        ("/v1/promises", "invoice_id=ext:F-1", [Reference("invoice", "F-1", "invoice_id")]),
        ("/v1/customers", "q=ext:C-1", []),  # a search text, not a reference
        ("/v1/strategies/ext:S-1", "", []),  # strategies have no external ids
        ("/v1/customers/ext:", "customer_id=ext:", []),  # nothing after the prefix
        ("/v1/customers/" + str(ID), "customer_id=" + str(ID), []),
    ],
)
def test_references_are_read_from_the_path_after_a_resource_and_from_the_id_filters(raw_path, query, expected):
    assert references(scope(raw_path, query)) == expected


def test_a_rewritten_request_names_cobranzas_ids_and_keeps_the_rest():
    request = scope("/v1/customers/ext:ERP%2FC/timeline", "limit=5&customer_id=ext:ERP%2FC&q=a+b")
    refs = references(request)
    rewrite(request, dict.fromkeys(refs, ID))
    assert request["raw_path"] == f"/v1/customers/{ID}/timeline".encode()
    assert request["path"] == f"/v1/customers/{ID}/timeline"
    assert request["query_string"] == f"limit=5&customer_id={ID}&q=a+b".encode()


def test_an_unknown_reference_is_a_404_in_a_path_and_a_422_naming_the_filter():
    with pytest.raises(NotFound) as in_path:
        rewrite(scope("/v1/invoices/ext:F-9"), {Reference("invoice", "F-9"): None})
    assert in_path.value.extra == {"external_id": "F-9"}
    with pytest.raises(ValidationProblem) as in_query:
        rewrite(scope("/v1/tasks", "customer_id=ext:C-9"), {Reference("customer", "C-9", "customer_id"): None})
    assert [(e["field"], e["value"]) for e in in_query.value.extra["errors"]] == [("customer_id", "C-9")]
