"""The account statement attached to an email (seed 004, principle 4: "estado de cuenta y facturas anexas"):
a printable HTML page and a CSV for the payer's accounts-payable system, both in the customer's language.

Built from the message's stored data when the email goes out. It is ours, not a tenant's template, so plain
Python writes it (escaped with ``html.escape``): fifty thousand statements a run make the speed matter.
"""

import csv
import io
from datetime import date
from decimal import Decimal
from html import escape
from typing import Any

from messaging_service.channels.email import Attachment
from messaging_service.templates.context import TenantView, formatter
from shared.money import totals_by_currency

TITLES = {"es": "Estado de cuenta", "en": "Account statement", "pt": "Extrato de conta"}
COLUMNS = {
    "es": ("Factura", "Emisión", "Vencimiento", "Días de atraso", "Moneda", "Importe", "Saldo"),
    "en": ("Invoice", "Issued", "Due", "Days overdue", "Currency", "Amount", "Balance"),
    "pt": ("Fatura", "Emissão", "Vencimento", "Dias de atraso", "Moeda", "Valor", "Saldo"),
}
FILENAMES = {"es": "estado-de-cuenta", "en": "account-statement", "pt": "extrato-de-conta"}
STYLE = (
    "body{font-family:Arial,Helvetica,sans-serif;font-size:13px}table{border-collapse:collapse}"
    "td,th{border:1px solid #ccc;padding:4px 8px}td.n{text-align:right}"
)


def statement_attachments(payload: dict[str, Any], tenant: TenantView, language: str, today: date) -> list[Attachment]:
    """``payload`` is the communication as stored (its JSON form)."""
    customer = payload.get("customer") or {}
    fmt = formatter(language, customer.get("country") or tenant.country)
    company = tenant.context_parts(language)["company"]
    lines = sorted(payload.get("invoices") or [], key=lambda i: (i["due_date"], i["number"]))
    title, columns = TITLES[language], COLUMNS[language]
    rows, csv_rows = [], []
    for line in lines:
        currency, days = line["currency"], int(line["days_overdue"])
        amount, open_amount = Decimal(str(line["amount"])), Decimal(str(line["open_amount"]))
        issued, due = date.fromisoformat(line["issue_date"]), date.fromisoformat(line["due_date"])
        rows.append(
            f"<tr><td>{escape(line['number'])}</td><td>{fmt.date(issued)}</td><td>{fmt.date(due)}</td>"
            f'<td class="n">{days if days > 0 else ""}</td><td>{currency}</td>'
            f'<td class="n">{fmt.money(amount, currency)}</td>'
            f'<td class="n">{fmt.money(open_amount, currency)}</td></tr>'
        )
        csv_rows.append(
            [line["number"], issued.isoformat(), due.isoformat(), max(0, days), currency, amount, open_amount]
        )
    totals = totals_by_currency((line["currency"], Decimal(str(line["open_amount"]))) for line in lines)
    footer = "".join(
        f'<tr><td colspan="6" class="n"><strong>{currency}</strong></td>'
        f'<td class="n"><strong>{fmt.money(total, currency)}</strong></td></tr>'
        for currency, total in totals.items()
    )
    who = escape(customer.get("name") or payload.get("recipient_name") or "")
    if customer.get("tax_id"):
        who += f" · {escape(customer['tax_id'])}"
    legal = f" ({escape(company.legal_name)})" if company.legal_name else ""
    page = (
        f'<!DOCTYPE html><html lang="{language}"><head><meta charset="utf-8">'
        f"<title>{title} - {escape(company.name)}</title><style>{STYLE}</style></head><body>"
        f"<h1>{title}</h1><p><strong>{escape(company.name)}</strong>{legal}<br>{who}<br>{fmt.date(today).long}</p>"
        f"<table><thead><tr>{''.join(f'<th>{c}</th>' for c in columns)}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody><tfoot>{footer}</tfoot></table></body></html>"
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    writer.writerows(csv_rows)
    name = f"{FILENAMES[language]}-{today.isoformat()}"
    return [
        Attachment(f"{name}.html", page.encode(), "text", "html"),
        Attachment(f"{name}.csv", ("\ufeff" + buffer.getvalue()).encode(), "text", "csv"),
    ]
