"""The account statement attached to an email (seed 004, principle 4: "estado de cuenta y facturas anexas"):
a printable HTML page and a CSV for the payer's accounts-payable system, both in the customer's language."""

import csv
import io
from datetime import date

from messaging_service.channels.email import Attachment
from messaging_service.templates.context import TenantView, build_context
from messaging_service.templates.engine import render
from shared.contracts.messaging import Communication

TITLES = {"es": "Estado de cuenta", "en": "Account statement", "pt": "Extrato de conta"}
COLUMNS = {
    "es": ("Factura", "Emisión", "Vencimiento", "Días de atraso", "Moneda", "Importe", "Saldo"),
    "en": ("Invoice", "Issued", "Due", "Days overdue", "Currency", "Amount", "Balance"),
    "pt": ("Fatura", "Emissão", "Vencimento", "Dias de atraso", "Moeda", "Valor", "Saldo"),
}
FILENAMES = {"es": "estado-de-cuenta", "en": "account-statement", "pt": "extrato-de-conta"}

STATEMENT_HTML = """\
<!DOCTYPE html>
<html lang="{{ language }}"><head><meta charset="utf-8"><title>{{ data.title }} - {{ company.name }}</title>
<style>body{font-family:Arial,Helvetica,sans-serif;font-size:13px}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:4px 8px}td.n{text-align:right}</style></head>
<body>
<h1>{{ data.title }}</h1>
<p><strong>{{ company.name }}</strong>{% if company.legal_name %} ({{ company.legal_name }}){% endif %}<br>
{{ customer.name }}{% if customer.tax_id %} · {{ customer.tax_id }}{% endif %}<br>{{ today.long }}</p>
<table><thead><tr>{% for c in data.columns %}<th>{{ c }}</th>{% endfor %}</tr></thead><tbody>
{% for i in invoices %}<tr><td>{{ i.number }}</td><td>{{ i.issue_date }}</td><td>{{ i.due_date }}</td>
<td class="n">{{ i.days_overdue if i.overdue else '' }}</td><td>{{ i.currency }}</td><td class="n">{{ i.amount }}</td>
<td class="n">{{ i.open_amount }}</td></tr>
{% endfor %}</tbody><tfoot>{% for t in totals %}<tr><td colspan="6" class="n"><strong>{{ t.currency }}</strong></td>
<td class="n"><strong>{{ t }}</strong></td></tr>{% endfor %}</tfoot></table>
</body></html>
"""


def statement_attachments(
    communication: Communication, tenant: TenantView, language: str, today: date
) -> list[Attachment]:
    data = {"title": TITLES[language], "columns": COLUMNS[language]}
    context = build_context(communication.model_copy(update={"data": data}), tenant, language=language, today=today)
    html = render(STATEMENT_HTML, context, html=True)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS[language])
    for line in sorted(communication.invoices, key=lambda i: (i.due_date, i.number)):
        writer.writerow(
            [
                line.number,
                line.issue_date.isoformat(),
                line.due_date.isoformat(),
                max(0, line.days_overdue),
                line.currency,
                str(line.amount),
                str(line.open_amount),
            ]
        )
    name = f"{FILENAMES[language]}-{today.isoformat()}"
    return [
        Attachment(f"{name}.html", html.encode(), "text", "html"),
        Attachment(f"{name}.csv", ("\ufeff" + buffer.getvalue()).encode(), "text", "csv"),
    ]
