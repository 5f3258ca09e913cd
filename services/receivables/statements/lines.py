"""Invoice lines and totals as statements and messages show them: pure functions."""

from collections.abc import Iterable
from datetime import date

from services.receivables.invoices.repository import InvoiceRow
from shared.contracts.common import InvoiceKind, InvoiceLine, InvoiceStatus


def invoice_line(row: InvoiceRow, today: date) -> InvoiceLine:
    return InvoiceLine(
        invoice_id=row.id,
        number=row.number,
        kind=InvoiceKind(row.kind),
        currency=row.currency,
        amount=row.amount,
        open_amount=row.open_amount,
        issue_date=row.issue_date,
        due_date=row.due_date,
        days_overdue=(today - row.due_date).days,
        status=InvoiceStatus(row.status),
        document_url=row.document_url,
    )


def oldest_days_overdue(lines: Iterable[InvoiceLine]) -> int | None:
    overdue = [line.days_overdue for line in lines if line.days_overdue > 0]
    return max(overdue) if overdue else None
