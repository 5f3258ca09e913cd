"""What the customer's page shows, gathered from the services that hold it: the statement from receivables (the
same figures the messages carry) and the tenant's identity, payment instructions and how to notify a payment from
messaging's profile (seed 004, principles 2, 5 and 6)."""

import asyncio
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from services.portal.upstream import Upstream
from services.portal.visits.rules import page_language
from services.portal.visits.service import Visit
from shared.statement import STATUS_TEXT, tenant_parts


@dataclass(frozen=True)
class Position:
    language: str
    statement: dict[str, Any]
    tenant: dict[str, Any]  # shared.statement.tenant_parts: company, collections, instructions, notification
    logo_url: str | None

    @property
    def customer(self) -> dict[str, Any]:
        customer: dict[str, Any] = self.statement["customer"]
        return customer

    @property
    def open_invoices(self) -> list[dict[str, Any]]:
        """What can still be paid, promised or disputed (credit notes are not invoices to pay)."""
        return [i for i in self.statement["invoices"] if i.get("kind", "invoice") != "credit_note"]

    @property
    def due_now(self) -> list[tuple[Decimal, str]]:
        """What the messages ask for, per currency: overdue and demanded, net of credits (never added across)."""
        due = [(Decimal(str(t["amount_due"])), t["currency"]) for t in self.statement["totals"]]
        return [(amount, currency) for amount, currency in due if amount > 0]

    def status_text(self, line: dict[str, Any], day: Any) -> str:
        text = STATUS_TEXT[self.language].get(line["status"])
        if text is None:
            return ""
        when = line.get("promised_date") if line["status"] == "promise_to_pay" else line.get("reported_date")
        return text.format(date=day(when) if when else "").strip()


async def load_position(upstream: Upstream, visit: Visit, accept_language: str | None) -> Position:
    statement, profile = await asyncio.gather(
        upstream.statement(visit.tenant_id, visit.customer_id), upstream.profile(visit.tenant_id)
    )
    language = page_language(visit.link_language, statement["customer"].get("language"), accept_language)
    company = profile.get("company") or {}
    return Position(
        language=language,
        statement=statement,
        tenant=tenant_parts(profile, statement.get("company"), language),
        logo_url=company.get("logo_url"),
    )
