"""An invoice's step awaiting messaging's answer (``models.PendingStep``): marked when a run hands it over, accepted
when messaging holds its message, cleared when it is done or failed. While it is held or younger than the pending
expiry, no run hands the step (or an earlier one) over again. The rules read a mark through ``invoice_view``
(``pending_step_id``, ``pending_active``); every statement that joins or writes one is here."""

from sqlalchemy import text

# An invoice ``i``'s mark, if any, joined as ``p``, and its columns as ``invoice_view`` reads them
JOIN = "LEFT JOIN dunning.pending_steps p ON p.tenant_id = i.tenant_id AND p.invoice_id = i.id"
COLUMNS = "p.step_id AS pending_step_id, p.since AS pending_since, p.accepted AS pending_accepted"
# The invoices ``i`` as the rules read them, each with its mark (``invoice_view``): add the conditions
INVOICES = f"SELECT i.*, {COLUMNS} FROM dunning.invoices i {JOIN}"

# (tenant, invoice, step) triples given as three arrays
TRIPLES = (
    "unnest(CAST(:tenants AS uuid[]), CAST(:invoices AS uuid[]), CAST(:steps AS uuid[])) "
    "AS u(tenant_id, invoice_id, step_id)"
)


def mark_query(source: str) -> str:
    """Each (``tenant_id``, ``invoice_id``, ``step_id``) of ``source`` pending from now, nobody's answer yet; an
    invoice's earlier mark is replaced. An invoice handed over on two channels at once (one step) is one mark."""
    return f"""
INSERT INTO dunning.pending_steps (tenant_id, invoice_id, step_id, since, accepted)
SELECT DISTINCT ON (tenant_id, invoice_id) tenant_id, invoice_id, step_id, now(), false
FROM ({source}) marked
ORDER BY tenant_id, invoice_id, step_id
ON CONFLICT (tenant_id, invoice_id)
DO UPDATE SET step_id = EXCLUDED.step_id, since = EXCLUDED.since, accepted = false"""


def new_marks_query(source: str) -> str:
    """``mark_query`` for triples whose invoices have no mark and come once each (a run's part: a run hands an
    invoice over in one dispatch at most, and most invoices it hands over are not pending): a plain insert, without
    the sort that keeps one mark an invoice nor the speculative insertion of ``ON CONFLICT`` (together a third of
    a 1M catch-up's marks). A unique violation says the triples were not all new: the caller marks them with
    ``mark_query`` instead."""
    return f"""
INSERT INTO dunning.pending_steps (tenant_id, invoice_id, step_id, since, accepted)
SELECT tenant_id, invoice_id, step_id, now(), false FROM ({source}) marked"""


def clear_query(source: str) -> str:
    """The marks of the (``tenant_id``, ``invoice_id``, ``step_id``) of ``source`` gone (the step done or failed); an
    invoice pending another step keeps its mark."""
    return f"""
DELETE FROM dunning.pending_steps p USING ({source}) cleared
WHERE p.tenant_id = cleared.tenant_id AND p.invoice_id = cleared.invoice_id AND p.step_id = cleared.step_id"""


ACCEPT = text(
    f"""
UPDATE dunning.pending_steps p SET accepted = true
FROM {TRIPLES}
WHERE p.tenant_id = u.tenant_id AND p.invoice_id = u.invoice_id AND p.step_id = u.step_id"""
)
MARK = text(mark_query(f"SELECT * FROM {TRIPLES}"))
CLEAR = text(clear_query(f"SELECT * FROM {TRIPLES}"))
