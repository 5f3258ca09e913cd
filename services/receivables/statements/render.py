"""The printable statement (HTML and PDF): receivables' statement with the tenant's part, laid out by the one
statement layout in ``shared.statement`` that messaging's email attachment uses too."""

from typing import Any

from shared.statement import render_html, render_pdf, tenant_parts


def document(statement: dict[str, Any], profile: dict[str, Any], language: str) -> dict[str, Any]:
    """The statement with the tenant's identity, payment instructions and how to notify a payment."""
    return {**statement, **tenant_parts(profile, statement["company"], language)}


def render_statement(statement: dict[str, Any], language: str | None, profile: dict[str, Any] | None = None) -> str:
    return render_html(document(statement, profile or {}, language or "es"), language, statement["customer"]["country"])


async def render_statement_pdf(statement: dict[str, Any], language: str, profile: dict[str, Any]) -> bytes:
    """Rendered in a worker thread: a PDF is tens to hundreds of milliseconds of CPU."""
    return await render_pdf(document(statement, profile, language), language, statement["customer"]["country"])
