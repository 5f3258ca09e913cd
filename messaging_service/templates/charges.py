"""The shipped templates' parts about late charges (issue 19): the message's open charges, documents of their own
(never in the position's totals), shown only when there are some. Emails list them with their totals per currency;
SMS and WhatsApp say the total per currency in one short sentence."""

# The email's table, below the position.
CHARGES_TABLE_HTML = """\
{% if charges %}
<h3 style="font-size:15px">[[charges]]</h3>
<table cellpadding="6" cellspacing="0" border="1" style="border-collapse:collapse;border-color:#ddd;font-size:13px">
<thead style="background:#f3f3f3"><tr><th>[[charged_on]]</th><th align="left">[[invoice]]</th>\
<th align="left">[[charge]]</th><th align="right">[[amount]]</th></tr></thead>
<tbody>
{% for charge in charges %}
<tr><td>{{ charge.charged_on }}</td><td>{{ charge.invoice_number }}</td><td>{{ charge.description }}</td>\
<td align="right">{{ charge.amount }}</td></tr>
{% endfor %}
</tbody>
<tfoot>
{% for amount in charge_totals %}
<tr><td colspan="3" align="right"><strong>[[charges_total]] {{ amount.currency }}</strong></td>\
<td align="right"><strong>{{ amount }}</strong></td></tr>
{% endfor %}
</tfoot>
</table>
<p style="font-size:12px;color:#777">[[charges_note]]</p>
{% endif %}
"""

# The email's plain text, below the position.
CHARGES_TEXT = """\
{% if charges %}

[[charges]]
{% for charge in charges %}
- {{ charge.charged_on }} · [[invoice]] {{ charge.invoice_number }} · {{ charge.description }} · {{ charge.amount }}
{% endfor %}
{% for amount in charge_totals %}
[[charges_total]] {{ amount.currency }}: {{ amount }}
{% endfor %}
[[charges_note]]
{% endif %}
"""

# SMS and WhatsApp: one sentence after the short text.
CHARGES_SHORT = "{% if charges %} [[sms_charges]]: {{ charge_total }}.{% endif %}"
