# Over 400 lines on purpose: a table of texts, each message's wording in Spanish, English and Portuguese side by
# side per kind and tone (``ES``, ``EN``, ``PT`` share the markers of ``COMMON``). Read and corrected as one table;
# split, one message's three languages would drift apart.
"""The words of the shipped templates, in Spanish, English and Portuguese, per kind and tone.

Written to seed 004's eight principles: the subject names the company and the urgency (the overdue total and the
oldest days overdue); the body greets from the company, states the whole position ("tienen 2 facturas vencidas por
un monto de $ 123.123,12, la más antigua ya tiene 84 días vencida"), says which invoices caused the message, which
ones are paused (a promise, a reported payment, a dispute: listed with their status, not asked for) and the credits
already deducted, the action asked, how to pay, what to send to notify a payment and how to reach collections and
the advisor; the tone follows the age of the debt (1 "le recordamos", 2 "estamos preocupados", 3 the collection
notice). Seed 002: never threaten, always say who writes.

Markers close their ``{% if %}`` with ``+%}`` so a paragraph ending in one keeps its line break (``trim_blocks``).
Numbers agree with their nouns and verbs through babel's plural rules (the ``counted`` and ``plural`` filters:
"1 factura vence", "las 2 facturas vencen"). Markers ``%...%`` are replaced by the phrases of ``COMMON``.
"""

from typing import Any

# Per language: the phrases behind the markers, and the labels of the email layout.
COMMON: dict[str, dict[str, str]] = {
    "es": {
        "%OV%": "{{ overdue_count | counted('factura vencida', 'facturas vencidas') }}",
        "%INV%": "{{ invoice_count | plural('la factura', 'las ' ~ invoice_count ~ ' facturas') }}",
        "%TRG%": "{{ triggered_count | plural('la factura', 'las facturas') }} {{ triggered_numbers }}",
        "%TRG_DUE%": "{{ triggered_count | plural('vence', 'vencen') }}",
        "%TRG_IT%": "{{ triggered_count | plural('la', 'las') }}",
        "%DUE%": "{% if days_to_due is not none and days_to_due > 0 %}en {{ days_to_due | counted('día', 'días') }}, "
        "el {{ due_date.long }}{% elif due_date %}el {{ due_date.long }}{% endif +%}",
        "%OLDEST%": "{% if overdue_count > 1 %}; la más antigua ya tiene {{ days_overdue_text }}"
        "{% elif oldest_days_overdue %}, con {{ days_overdue_text }}{% endif +%}",
        "%CHANGED%": "{% if triggered_count and triggered_count < invoice_count %} "
        "{{ triggered_count | plural('La factura', 'Las facturas') }} {{ triggered_numbers }} "
        "{{ triggered_count | plural('sigue pendiente de pago', 'siguen pendientes de pago') }}.{% endif +%}",
        "%CONCERNS%": "{% if triggered_count and triggered_count < invoice_count %} Este aviso se refiere a "
        "{{ triggered_count | plural('la factura', 'las facturas') }} {{ triggered_numbers }}.{% endif +%}",
        "%OVERDUE_TOO%": "{% if overdue_count %} Además, su cuenta registra %OV% por {{ total }}%OLDEST%.{% endif +%}",
        "%UPCOMING%": "{% if upcoming_count and overdue_count %} Su saldo total, con "
        "{{ upcoming_count | counted('factura por vencer', 'facturas por vencer') }}, es de {{ open_total }}."
        "{% endif +%}",
        "%ABOUT%": "{% if overdue_count %}%OV% por {{ total }}%OLDEST%{% else %}%INV% que detallamos abajo por "
        "{{ open_total }}{% endif +%}",
        "%PAUSED%": "{% if paused_count %} No le reclamamos {{ paused_count | plural('la factura', 'las facturas') }} "
        "{{ paused_text }}.{% endif +%}",
        "%CREDITS%": "{% if credits %} Su saldo a favor de {{ credit_total }} ya está descontado de los totales."
        "{% endif +%}",
        "greeting": "Estimado/a",
        "hello": "Hola",
        "from_company": "Reciba un cordial saludo de parte de",
        "invoice": "Factura",
        "issued": "Emisión",
        "due": "Vencimiento",
        "days": "Días de atraso",
        "day_late": "día de atraso",
        "days_late": "días de atraso",
        "amount": "Importe",
        "open": "Saldo",
        "status": "Estado",
        "total": "Total",
        "total_overdue": "Total vencido",
        "total_open": "Saldo total",
        "credit": "Saldo a favor",
        "attached": "Anexo encontrará su estado de cuenta con el detalle de las facturas.",
        "portal": "Ver el estado de cuenta y pagar en línea",
        "how_to_pay": "Instrucciones de pago",
        "notify": "Notificación del pago",
        "notify_intro": "Para identificar su pago, envíenos el comprobante con la siguiente información:",
        "send_to": "Envíe el comprobante a",
        "office": "Oficina",
        "contacts": "Contactos",
        "advisor": "Su asesor de negocios",
        "supervisor": "Supervisor",
        "collections": "Departamento de Cobros",
        "write_whatsapp": "Escribir por WhatsApp",
        "regards": "Atentamente,",
        "unsubscribe": "No deseo recibir más estos mensajes",
        "sms_stop": "Resp. BAJA para no recibir SMS",
        "sms_pay": "Pague en",
        "sms_ask": "Consultas",
        "charges": "Cargos por mora",
        "charge": "Concepto",
        "charged_on": "Fecha",
        "charges_total": "Total de cargos",
        "charges_note": "Los cargos por mora son documentos aparte: no están incluidos en los saldos de las facturas.",
        "sms_charges": "Cargos por mora",
        "digest_review": "Revise cada caso y registre la gestión realizada.",
    },
    "en": {
        "%OV%": "{{ overdue_count | counted('overdue invoice', 'overdue invoices') }}",
        "%INV%": "{{ invoice_count | plural('the invoice', 'the ' ~ invoice_count ~ ' invoices') }}",
        "%TRG%": "{{ triggered_count | plural('invoice', 'invoices') }} {{ triggered_numbers }}",
        "%TRG_DUE%": "{{ triggered_count | plural('falls', 'fall') }}",
        "%TRG_IT%": "{{ triggered_count | plural('it', 'them') }}",
        "%DUE%": "{% if days_to_due is not none and days_to_due > 0 %}in {{ days_to_due | counted('day', 'days') }}, "
        "on {{ due_date.long }}{% elif due_date %}on {{ due_date.long }}{% endif +%}",
        "%OLDEST%": "{% if overdue_count > 1 %}; the oldest is {{ days_overdue_text }}"
        "{% elif oldest_days_overdue %}, {{ days_overdue_text }}{% endif +%}",
        "%CHANGED%": "{% if triggered_count and triggered_count < invoice_count %} "
        "{{ triggered_count | plural('Invoice', 'Invoices') }} {{ triggered_numbers }} "
        "{{ triggered_count | plural('is', 'are') }} still unpaid.{% endif +%}",
        "%CONCERNS%": "{% if triggered_count and triggered_count < invoice_count %} This notice concerns "
        "{{ triggered_count | plural('invoice', 'invoices') }} {{ triggered_numbers }}.{% endif +%}",
        "%OVERDUE_TOO%": "{% if overdue_count %} Your account also shows %OV% for {{ total }}%OLDEST%.{% endif +%}",
        "%UPCOMING%": "{% if upcoming_count and overdue_count %} Your total balance, including "
        "{{ upcoming_count | counted('invoice not yet due', 'invoices not yet due') }}, is {{ open_total }}."
        "{% endif +%}",
        "%ABOUT%": "{% if overdue_count %}%OV% for {{ total }}%OLDEST%{% else %}%INV% listed below for "
        "{{ open_total }}{% endif +%}",
        "%PAUSED%": "{% if paused_count %} We are not asking you to pay "
        "{{ paused_count | plural('invoice', 'invoices') }} {{ paused_text }}.{% endif +%}",
        "%CREDITS%": "{% if credits %} Your credit of {{ credit_total }} has already been deducted from the totals."
        "{% endif +%}",
        "greeting": "Dear",
        "hello": "Hello",
        "from_company": "Kind regards from",
        "invoice": "Invoice",
        "issued": "Issued",
        "due": "Due",
        "days": "Days overdue",
        "day_late": "day overdue",
        "days_late": "days overdue",
        "amount": "Amount",
        "open": "Balance",
        "status": "Status",
        "total": "Total",
        "total_overdue": "Overdue total",
        "total_open": "Total balance",
        "credit": "Credit",
        "attached": "Your account statement with the detail of the invoices is attached.",
        "portal": "See your statement and pay online",
        "how_to_pay": "How to pay",
        "notify": "Notifying your payment",
        "notify_intro": "So that we can identify your payment, please send us the receipt with:",
        "send_to": "Send the receipt to",
        "office": "Office",
        "contacts": "Contacts",
        "advisor": "Your account manager",
        "supervisor": "Supervisor",
        "collections": "Collections Department",
        "write_whatsapp": "Message on WhatsApp",
        "regards": "Sincerely,",
        "unsubscribe": "I do not want to receive these messages",
        "sms_stop": "Reply STOP to opt out",
        "sms_pay": "Pay at",
        "sms_ask": "Questions",
        "charges": "Late charges",
        "charge": "Charge",
        "charged_on": "Date",
        "charges_total": "Total late charges",
        "charges_note": "Late charges are documents of their own: they are not included in the invoices' balances.",
        "sms_charges": "Late charges",
        "digest_review": "Please review each case and record what was done.",
    },
    "pt": {
        "%OV%": "{{ overdue_count | counted('fatura vencida', 'faturas vencidas') }}",
        "%INV%": "{{ invoice_count | plural('a fatura', 'as ' ~ invoice_count ~ ' faturas') }}",
        "%TRG%": "{{ triggered_count | plural('a fatura', 'as faturas') }} {{ triggered_numbers }}",
        "%TRG_DUE%": "{{ triggered_count | plural('vence', 'vencem') }}",
        "%TRG_IT%": "{{ triggered_count | plural('a', 'as') }}",
        "%TRG_LISTED%": "{{ triggered_count | plural('listada abaixo', 'listadas abaixo') }}",
        "%INV_LISTED%": "{{ invoice_count | plural('listada abaixo', 'listadas abaixo') }}",
        "%DUE%": "{% if days_to_due is not none and days_to_due > 0 %}em {{ days_to_due | counted('dia', 'dias') }}, "
        "em {{ due_date.long }}{% elif due_date %}em {{ due_date.long }}{% endif +%}",
        "%OLDEST%": "{% if overdue_count > 1 %}; a mais antiga já tem {{ days_overdue_text }}"
        "{% elif oldest_days_overdue %}, com {{ days_overdue_text }}{% endif +%}",
        "%CHANGED%": "{% if triggered_count and triggered_count < invoice_count %} "
        "{{ triggered_count | plural('A fatura', 'As faturas') }} {{ triggered_numbers }} "
        "{{ triggered_count | plural('continua pendente de pagamento', 'continuam pendentes de pagamento') }}."
        "{% endif +%}",
        "%CONCERNS%": "{% if triggered_count and triggered_count < invoice_count %} Este aviso refere-se "
        "{{ triggered_count | plural('à fatura', 'às faturas') }} {{ triggered_numbers }}.{% endif +%}",
        "%OVERDUE_TOO%": "{% if overdue_count %} Sua conta também registra %OV% no valor de {{ total }}%OLDEST%."
        "{% endif +%}",
        "%UPCOMING%": "{% if upcoming_count and overdue_count %} Seu saldo total, com "
        "{{ upcoming_count | counted('fatura a vencer', 'faturas a vencer') }}, é de {{ open_total }}.{% endif +%}",
        "%ABOUT%": "{% if overdue_count %}%OV% no valor de {{ total }}%OLDEST%{% else %}%INV% %INV_LISTED% no "
        "valor de {{ open_total }}{% endif +%}",
        "%PAUSED%": "{% if paused_count %} Não estamos cobrando {{ paused_count | plural('a fatura', 'as faturas') }} "
        "{{ paused_text }}.{% endif +%}",
        "%CREDITS%": "{% if credits %} Seu crédito de {{ credit_total }} já foi descontado dos totais.{% endif +%}",
        "greeting": "Prezado(a)",
        "hello": "Olá",
        "from_company": "Receba uma cordial saudação de",
        "invoice": "Fatura",
        "issued": "Emissão",
        "due": "Vencimento",
        "days": "Dias de atraso",
        "day_late": "dia de atraso",
        "days_late": "dias de atraso",
        "amount": "Valor",
        "open": "Saldo",
        "status": "Situação",
        "total": "Total",
        "total_overdue": "Total vencido",
        "total_open": "Saldo total",
        "credit": "Crédito",
        "attached": "Em anexo está o seu extrato com o detalhe das faturas.",
        "portal": "Ver o extrato e pagar online",
        "how_to_pay": "Como pagar",
        "notify": "Aviso de pagamento",
        "notify_intro": "Para identificarmos o seu pagamento, envie-nos o comprovante com:",
        "send_to": "Envie o comprovante para",
        "office": "Escritório",
        "contacts": "Contatos",
        "advisor": "Seu assessor de negócios",
        "supervisor": "Supervisor",
        "collections": "Departamento de Cobrança",
        "write_whatsapp": "Escrever pelo WhatsApp",
        "regards": "Atenciosamente,",
        "unsubscribe": "Não desejo mais receber estas mensagens",
        "sms_stop": "Resp. SAIR para nao receber SMS",
        "sms_pay": "Pague em",
        "sms_ask": "Duvidas",
        "charges": "Encargos por atraso",
        "charge": "Encargo",
        "charged_on": "Data",
        "charges_total": "Total de encargos",
        "charges_note": "Os encargos por atraso são documentos à parte: não estão incluídos nos saldos das faturas.",
        "sms_charges": "Encargos por atraso",
        "digest_review": "Revise cada caso e registre a gestão realizada.",
    },
}

AMOUNT = "{% if totals %} ({{ total }}){% endif %}"
# "(84 días de atraso, US$ 1.000,00)"; what is missing is left out (nothing overdue: no days).
DAYS_AND_AMOUNT = (
    "{% if oldest_days_overdue or totals %}({% if oldest_days_overdue %}{{ days_overdue_text }}"
    "{% if totals %}, {% endif %}{% endif %}{{ total }}){% endif %}"
)
# A new-invoice or pre-due subject: what falls due, when, and what is already overdue.
DUE_SUBJECT = {
    "es": "{% if triggered_totals or due_date %} ({{ triggered_total }}{% if due_date %}, vence el {{ due_date }}"
    "{% endif %}){% endif %}{% if overdue_count and totals %} - vencido {{ total }} ({{ days_overdue_text }})"
    "{% endif %}",
    "en": "{% if triggered_totals or due_date %} ({{ triggered_total }}{% if due_date %}, due {{ due_date }}"
    "{% endif %}){% endif %}{% if overdue_count and totals %} - overdue {{ total }} ({{ days_overdue_text }})"
    "{% endif %}",
    "pt": "{% if triggered_totals or due_date %} ({{ triggered_total }}{% if due_date %}, vence em {{ due_date }}"
    "{% endif %}){% endif %}{% if overdue_count and totals %} - vencido {{ total }} ({{ days_overdue_text }})"
    "{% endif %}",
}
# What the body says of the position after its first sentence (issue 12).
OVERDUE_POSITION = "%CHANGED%%PAUSED%%UPCOMING%%CREDITS%"
ACTION_POSITION = "%CONCERNS%%PAUSED%%UPCOMING%%CREDITS%"
DUE_POSITION = "%OVERDUE_TOO%%PAUSED%%CREDITS%"
UNREACHABLE_POSITION = "%PAUSED%%UPCOMING%%CREDITS%"

# PHRASES[language][kind][tone] = (subject, situation, action, closing, short). ``short`` is the SMS / WhatsApp
# sentence. A kind with one entry under tone 0 reads the same in every tone (internal digests, campaigns).
Phrase = tuple[str, str, str, str, str]

NEW_SUBJECT = {
    "es": "{{ triggered_count | plural('Nueva factura', 'Nuevas facturas') }} de {{ company.name }}",
    "en": "{{ triggered_count | plural('New invoice', 'New invoices') }} from {{ company.name }}",
    "pt": "{{ triggered_count | plural('Nova fatura', 'Novas faturas') }} de {{ company.name }}",
}
TRIGGERED_AMOUNT = "{% if triggered_totals %} ({{ triggered_total }}){% endif %}"

ES: dict[str, dict[int, Phrase]] = {
    "new_invoice": {
        1: (
            NEW_SUBJECT["es"] + TRIGGERED_AMOUNT,
            "Le informamos que emitimos %TRG%, que detallamos abajo, por un total de {{ triggered_total }}"
            "{% if due_date %}, con vencimiento el {{ due_date.long }}{% endif %}." + DUE_POSITION,
            "Si encuentra alguna diferencia o no %TRG_IT% recibió correctamente, avísenos antes del vencimiento "
            "para resolverlo a tiempo.",
            "Gracias por confiar en nosotros.",
            "{{ company.name }}: emitimos %TRG% por {{ triggered_total }}"
            "{% if due_date %}, vence el {{ due_date }}{% endif %}.",
        ),
        2: (
            NEW_SUBJECT["es"] + DUE_SUBJECT["es"],
            "Le informamos que emitimos %TRG%, que detallamos abajo, por un total de {{ triggered_total }}"
            "{% if due_date %}, con vencimiento el {{ due_date.long }}{% endif %}." + DUE_POSITION + " Le recordamos "
            "la importancia de mantener su cuenta al día.",
            "Le pedimos que confirme la recepción y la fecha prevista de pago.",
            "Quedamos atentos a su confirmación.",
            "{{ company.name }}: {{ triggered_count | plural('nueva factura', 'nuevas facturas') }} por "
            "{{ triggered_total }}{% if due_date %}, vence el {{ due_date }}{% endif %}. "
            "Por favor confirme la fecha de pago.",
        ),
        3: (
            NEW_SUBJECT["es"] + DUE_SUBJECT["es"] + " - requiere su atención",
            "Emitimos %TRG%, que detallamos abajo, por un total de {{ triggered_total }}"
            "{% if due_date %}, con vencimiento el {{ due_date.long }}{% endif %}." + DUE_POSITION + " Le pedimos "
            "especial atención a este vencimiento.",
            "Necesitamos que nos confirme la fecha de pago de "
            "{{ triggered_count | plural('esta factura', 'estas facturas') }}.",
            "Es importante regularizar su cuenta para continuar brindándole el servicio.",
            "{{ company.name }}: {{ triggered_count | plural('nueva factura', 'nuevas facturas') }} por "
            "{{ triggered_total }}{% if due_date %}, vence el {{ due_date }}{% endif %}."
            "{% if overdue_count %} Su saldo vencido es de {{ total }}.{% endif %} Confirme su fecha de pago.",
        ),
    },
    "pre_due": {
        1: (
            "Próximo vencimiento {{ company.name }}" + DUE_SUBJECT["es"],
            "Le recordamos que %TRG%, que detallamos abajo, %TRG_DUE% %DUE%, por un total de {{ triggered_total }}."
            + DUE_POSITION,
            "Si tiene algún inconveniente (no %TRG_IT% recibió, hay una diferencia en el monto o en lo entregado), "
            "avísenos antes del vencimiento para resolverlo a tiempo.",
            "Gracias por su puntualidad.",
            "{{ company.name }}: le recordamos que vence %DUE% su saldo de {{ triggered_total }}."
            "{% if overdue_count %} Saldo vencido: {{ total }}.{% endif %}",
        ),
        2: (
            "Vencimiento próximo {{ company.name }}" + DUE_SUBJECT["es"],
            "Le recordamos que %TRG%, que detallamos abajo, %TRG_DUE% %DUE%, por un total de {{ triggered_total }}."
            + DUE_POSITION
            + " Queremos asegurarnos de que el pago esté programado.",
            "Le pedimos que nos confirme la fecha en que realizará el pago.",
            "Quedamos atentos a su confirmación.",
            "{{ company.name }}: vence %DUE% su saldo de {{ triggered_total }}."
            "{% if overdue_count %} Saldo vencido: {{ total }}.{% endif %} Por favor confirme la fecha de pago.",
        ),
        3: (
            "Importante: vencimiento {{ company.name }}" + DUE_SUBJECT["es"],
            "Le recordamos que %TRG%, que detallamos abajo, %TRG_DUE% %DUE%, por un total de {{ triggered_total }}."
            + DUE_POSITION
            + " Es importante que el pago se acredite a tiempo para evitar atrasos en su cuenta.",
            "Necesitamos que nos confirme hoy la fecha de pago programada.",
            "Contamos con su pago en término.",
            "{{ company.name }}: IMPORTANTE, vence %DUE% su saldo de {{ triggered_total }}."
            "{% if overdue_count %} Saldo vencido: {{ total }}.{% endif %} Confirme hoy su fecha de pago.",
        ),
    },
    "overdue": {
        1: (
            "Recordatorio de pago {{ company.name }} " + DAYS_AND_AMOUNT,
            "Después de revisar su estado de cuenta hemos identificado que tiene %OV% por un monto de {{ total }}"
            "%OLDEST%." + OVERDUE_POSITION,
            "Necesitamos confirmación de la fecha esperada de pago. Si ya pagó, envíenos el comprobante y "
            "disculpe la molestia.",
            "Para nosotros es muy importante que todos nuestros clientes se mantengan al día en sus pagos para "
            "continuar brindándoles el nivel de servicio al que están acostumbrados.",
            "{{ company.name }}: le recordamos que tiene %OV% por {{ total }}.",
        ),
        2: (
            "Pago pendiente {{ company.name }} " + DAYS_AND_AMOUNT,
            "Estamos preocupados porque aún no hemos recibido el pago de %OV% por {{ total }}%OLDEST%."
            + OVERDUE_POSITION,
            "Necesitamos que nos confirme a la brevedad la fecha de pago. Si tiene alguna dificultad para pagar, "
            "comuníquese con nosotros para buscar juntos una solución.",
            "Valoramos nuestra relación comercial y queremos resolver esta situación cuanto antes.",
            "{{ company.name }}: no recibimos el pago de {{ total }} ({{ days_overdue_text }}). "
            "Confirme su fecha de pago.",
        ),
        3: (
            "Aviso de cobro {{ company.name }} " + DAYS_AND_AMOUNT,
            "A pesar de nuestros avisos anteriores, su cuenta mantiene %OV% por {{ total }}%OLDEST%."
            + OVERDUE_POSITION,
            "Le solicitamos regularizar el pago o comunicarse con nosotros dentro de los próximos 5 días hábiles. "
            "De lo contrario, se aplicarán las acciones de cobro previstas en nuestras condiciones comerciales.",
            "Si ya realizó el pago, envíenos el comprobante para actualizar su cuenta.",
            "{{ company.name }}: AVISO DE COBRO. Saldo vencido {{ total }} ({{ days_overdue_text }}). "
            "Regularice o comuníquese en 5 días hábiles.",
        ),
    },
    "action_notice": {
        1: (
            "Aviso de {{ action.label if action else 'gestión de cobro' }} {{ company.name }} " + DAYS_AND_AMOUNT,
            "Su cuenta registra %OV% por {{ total }}%OLDEST%. Por este motivo le informamos que procederemos con "
            "{{ action.noun if action else 'las acciones de cobro previstas' }}." + ACTION_POSITION,
            "Si ya realizó el pago o desea acordar un plan de pagos, comuníquese con nosotros hoy mismo para evitarlo.",
            "Preferimos siempre llegar a un acuerdo con nuestros clientes.",
            "{{ company.name }}: por su saldo vencido de {{ total }} procederemos con "
            "{{ action.noun if action else 'acciones de cobro' }}. Comuníquese hoy para evitarlo.",
        ),
        2: (
            "Aviso de {{ action.label if action else 'gestión de cobro' }} {{ company.name }} " + DAYS_AND_AMOUNT,
            "No hemos recibido respuesta a nuestros avisos sobre %OV% por {{ total }}%OLDEST%. En consecuencia, "
            "procederemos con {{ action.noun if action else 'las acciones de cobro previstas' }}." + ACTION_POSITION,
            "Para evitarlo, necesitamos el pago o un acuerdo de pago en los próximos días.",
            "Seguimos a su disposición para encontrar una solución.",
            "{{ company.name }}: sin respuesta por su saldo de {{ total }} ({{ days_overdue_text }}). "
            "Procederemos con {{ action.noun if action else 'acciones de cobro' }}.",
        ),
        3: (
            "Aviso de {{ action.label if action else 'gestión de cobro' }} {{ company.name }} " + DAYS_AND_AMOUNT,
            "Vencidos los plazos de nuestros avisos anteriores, y manteniendo su cuenta %OV% por {{ total }} "
            "({{ overdue_count | plural('con', 'la más antigua con') }} {{ days_overdue_text }}), hemos dispuesto "
            "{{ action.noun if action else 'el inicio de las acciones de cobro previstas' }}." + ACTION_POSITION,
            "Para revertir esta medida es necesario regularizar el total adeudado.",
            "Estamos a su disposición para informarle los pasos a seguir.",
            "{{ company.name }}: hemos dispuesto {{ action.noun if action else 'acciones de cobro' }} por su saldo "
            "de {{ total }} ({{ days_overdue_text }}).",
        ),
    },
    "unreachable": {
        1: (
            "Intentamos comunicarnos con usted - {{ company.name }}" + AMOUNT,
            "Intentamos comunicarnos con usted por teléfono, sin éxito, para conversar sobre %ABOUT%."
            + UNREACHABLE_POSITION,
            "Por favor indíquenos un horario en que podamos llamarle, o comuníquese con nosotros por los medios "
            "que figuran abajo.",
            "Gracias por su atención.",
            "{{ company.name }}: intentamos comunicarnos por su saldo de {{ total }}. Contáctenos, por favor.",
        ),
        2: (
            "Necesitamos hablar con usted - {{ company.name }} " + DAYS_AND_AMOUNT,
            "Hemos intentado varias veces, sin éxito, comunicarnos con usted acerca de %ABOUT%." + UNREACHABLE_POSITION,
            "Necesitamos que se comunique con nosotros a la brevedad para confirmar la fecha de pago.",
            "Quedamos atentos a su llamada.",
            "{{ company.name }}: no logramos comunicarnos con usted por su saldo de {{ total }} "
            "({{ days_overdue_text }}). Llámenos.",
        ),
        3: (
            "Urgente: comuníquese con {{ company.name }} " + DAYS_AND_AMOUNT,
            "A pesar de nuestros intentos, no hemos podido comunicarnos con usted acerca de %ABOUT%."
            + UNREACHABLE_POSITION,
            "Le solicitamos comunicarse con nosotros dentro de los próximos 2 días hábiles para regularizar su cuenta.",
            "Si ya realizó el pago, envíenos el comprobante.",
            "{{ company.name }}: URGENTE, comuníquese por su saldo de {{ total }} ({{ days_overdue_text }}).",
        ),
    },
    "alarm_digest": {
        0: (
            "{{ data.get('title') or 'Resumen de alarmas de cobranza' }} - {{ company.name }}" + AMOUNT,
            "{{ data.get('summary') or 'Estas son las alertas de cobranza de hoy.' }}",
            "{{ data.get('action') or 'Revise cada caso y registre la gestión realizada.' }}",
            "",
            "{{ company.name }}: {{ data.get('title') or 'alarmas de cobranza' }}"
            "{% if totals %} ({{ total }}){% endif %}.",
        ),
    },
    "campaign": {
        0: (
            "{{ data.get('subject') or 'Información sobre su cuenta' }} - {{ company.name }}" + AMOUNT,
            "{{ data.get('message') or 'Le escribimos para mantenerle al tanto del estado de su cuenta.' }}",
            "{{ data.get('action') or '' }}",
            "Gracias por su atención.",
            "{{ company.name }}: {{ data.get('short') or data.get('message') or 'información sobre su cuenta' }}",
        ),
    },
}


EN: dict[str, dict[int, Phrase]] = {
    "new_invoice": {
        1: (
            NEW_SUBJECT["en"] + TRIGGERED_AMOUNT,
            "We have issued %TRG%, listed below, for a total of {{ triggered_total }}"
            "{% if due_date %}, due on {{ due_date.long }}{% endif %}." + DUE_POSITION,
            "If anything does not match or you did not receive %TRG_IT% properly, please let us know before the due "
            "date so we can sort it out in time.",
            "Thank you for your business.",
            "{{ company.name }}: we issued %TRG% for {{ triggered_total }}{% if due_date %}, due {{ due_date }}"
            "{% endif %}.",
        ),
        2: (
            NEW_SUBJECT["en"] + DUE_SUBJECT["en"],
            "We have issued %TRG%, listed below, for a total of {{ triggered_total }}"
            "{% if due_date %}, due on {{ due_date.long }}{% endif %}." + DUE_POSITION + " Keeping your account up "
            "to date matters to us.",
            "Please confirm you received %TRG_IT% and when you plan to pay.",
            "We look forward to your confirmation.",
            "{{ company.name }}: {{ triggered_count | plural('new invoice', 'new invoices') }} for "
            "{{ triggered_total }}{% if due_date %}, due {{ due_date }}{% endif %}. Please confirm your payment date.",
        ),
        3: (
            NEW_SUBJECT["en"] + DUE_SUBJECT["en"] + " - needs your attention",
            "We have issued %TRG%, listed below, for a total of {{ triggered_total }}"
            "{% if due_date %}, due on {{ due_date.long }}{% endif %}." + DUE_POSITION + " Please give this due "
            "date special attention.",
            "We need you to confirm the payment date of "
            "{{ triggered_count | plural('this invoice', 'these invoices') }}.",
            "Settling your account lets us keep serving you.",
            "{{ company.name }}: {{ triggered_count | plural('new invoice', 'new invoices') }} for "
            "{{ triggered_total }}{% if due_date %}, due {{ due_date }}{% endif %}."
            "{% if overdue_count %} Your overdue balance is {{ total }}.{% endif %} Please confirm your payment date.",
        ),
    },
    "pre_due": {
        1: (
            "Upcoming due date {{ company.name }}" + DUE_SUBJECT["en"],
            "This is a reminder that %TRG%, listed below, %TRG_DUE% due %DUE%, for a total of {{ triggered_total }}."
            + DUE_POSITION,
            "If there is any problem (you did not receive %TRG_IT%, or the amount or the delivery differ), please "
            "tell us before the due date so we can solve it in time.",
            "Thank you for paying on time.",
            "{{ company.name }}: reminder, your balance of {{ triggered_total }} falls due %DUE%."
            "{% if overdue_count %} Overdue: {{ total }}.{% endif %}",
        ),
        2: (
            "Payment due soon {{ company.name }}" + DUE_SUBJECT["en"],
            "This is a reminder that %TRG%, listed below, %TRG_DUE% due %DUE%, for a total of {{ triggered_total }}."
            + DUE_POSITION
            + " We want to make sure the payment is scheduled.",
            "Please confirm the date you will make the payment.",
            "We look forward to your confirmation.",
            "{{ company.name }}: your balance of {{ triggered_total }} falls due %DUE%."
            "{% if overdue_count %} Overdue: {{ total }}.{% endif %} Please confirm your payment date.",
        ),
        3: (
            "Important: due date {{ company.name }}" + DUE_SUBJECT["en"],
            "This is a reminder that %TRG%, listed below, %TRG_DUE% due %DUE%, for a total of {{ triggered_total }}."
            + DUE_POSITION
            + " It is important that the payment arrives on time to keep your account current.",
            "We need you to confirm today the scheduled payment date.",
            "We count on your timely payment.",
            "{{ company.name }}: IMPORTANT, your balance of {{ triggered_total }} falls due %DUE%."
            "{% if overdue_count %} Overdue: {{ total }}.{% endif %} Confirm your payment date today.",
        ),
    },
    "overdue": {
        1: (
            "Payment reminder {{ company.name }} " + DAYS_AND_AMOUNT,
            "After reviewing your account statement we found %OV% for a total of {{ total }}%OLDEST%."
            + OVERDUE_POSITION,
            "Please confirm the date you expect to pay. If you have already paid, send us the receipt and "
            "please disregard this message.",
            "It matters to us that every customer keeps their account up to date so that we can keep giving you "
            "the service you are used to.",
            "{{ company.name }}: a reminder that you have %OV% for {{ total }}.",
        ),
        2: (
            "Payment pending {{ company.name }} " + DAYS_AND_AMOUNT,
            "We are concerned that we have not yet received payment of %OV% for {{ total }}%OLDEST%."
            + OVERDUE_POSITION,
            "Please confirm your payment date as soon as possible. If you are having difficulty paying, contact "
            "us so we can find a solution together.",
            "We value our relationship and want to resolve this soon.",
            "{{ company.name }}: we have not received payment of {{ total }} ({{ days_overdue_text }}). "
            "Please confirm your payment date.",
        ),
        3: (
            "Collection notice {{ company.name }} " + DAYS_AND_AMOUNT,
            "Despite our previous reminders, your account still has %OV% for {{ total }}%OLDEST%." + OVERDUE_POSITION,
            "Please settle the balance or contact us within the next 5 business days. Otherwise the collection "
            "actions set out in our terms of trade will apply.",
            "If you have already paid, send us the receipt so we can update your account.",
            "{{ company.name }}: COLLECTION NOTICE. Overdue balance {{ total }} ({{ days_overdue_text }}). "
            "Settle or contact us within 5 business days.",
        ),
    },
    "action_notice": {
        1: (
            "Notice of {{ action.label if action else 'collection action' }} {{ company.name }} " + DAYS_AND_AMOUNT,
            "Your account shows %OV% for {{ total }}%OLDEST%. We therefore inform you that we will proceed with "
            "{{ action.noun if action else 'the collection actions set out in our terms' }}." + ACTION_POSITION,
            "If you have already paid or want to agree a payment plan, contact us today to avoid it.",
            "We always prefer to reach an agreement with our customers.",
            "{{ company.name }}: for your overdue balance of {{ total }} we will proceed with "
            "{{ action.noun if action else 'collection action' }}. Contact us today to avoid it.",
        ),
        2: (
            "Notice of {{ action.label if action else 'collection action' }} {{ company.name }} " + DAYS_AND_AMOUNT,
            "We have had no answer to our reminders about %OV% for {{ total }}%OLDEST%. Consequently we will "
            "proceed with {{ action.noun if action else 'the collection actions set out in our terms' }}."
            + ACTION_POSITION,
            "To avoid it we need the payment or a payment agreement within the next few days.",
            "We remain available to find a solution.",
            "{{ company.name }}: no answer about your balance of {{ total }} ({{ days_overdue_text }}). "
            "We will proceed with {{ action.noun if action else 'collection action' }}.",
        ),
        3: (
            "Notice of {{ action.label if action else 'collection action' }} {{ company.name }} " + DAYS_AND_AMOUNT,
            "The terms of our previous notices have expired and your account still has %OV% for {{ total }}"
            "%OLDEST%. We have therefore ordered "
            "{{ action.noun if action else 'the collection actions set out in our terms' }}." + ACTION_POSITION,
            "To reverse this measure the full balance must be settled.",
            "We are available to explain the next steps.",
            "{{ company.name }}: we have ordered {{ action.noun if action else 'collection action' }} for your "
            "balance of {{ total }} ({{ days_overdue_text }}).",
        ),
    },
    "unreachable": {
        1: (
            "We tried to reach you - {{ company.name }}" + AMOUNT,
            "We tried to reach you by phone, without success, to talk about %ABOUT%." + UNREACHABLE_POSITION,
            "Please tell us a time when we can call you, or contact us through the channels below.",
            "Thank you for your attention.",
            "{{ company.name }}: we tried to reach you about your balance of {{ total }}. Please contact us.",
        ),
        2: (
            "We need to talk to you - {{ company.name }} " + DAYS_AND_AMOUNT,
            "We have tried several times, without success, to reach you about %ABOUT%." + UNREACHABLE_POSITION,
            "Please contact us as soon as possible to confirm the payment date.",
            "We look forward to your call.",
            "{{ company.name }}: we could not reach you about your balance of {{ total }} "
            "({{ days_overdue_text }}). Please call us.",
        ),
        3: (
            "Urgent: please contact {{ company.name }} " + DAYS_AND_AMOUNT,
            "Despite our attempts we have not been able to reach you about %ABOUT%." + UNREACHABLE_POSITION,
            "Please contact us within the next 2 business days to settle your account.",
            "If you have already paid, send us the receipt.",
            "{{ company.name }}: URGENT, please contact us about your balance of {{ total }} "
            "({{ days_overdue_text }}).",
        ),
    },
    "alarm_digest": {
        0: (
            "{{ data.get('title') or 'Collections alarms digest' }} - {{ company.name }}" + AMOUNT,
            "{{ data.get('summary') or 'These are the collections alarms of today.' }}",
            "{{ data.get('action') or 'Please review each case and record what was done.' }}",
            "",
            "{{ company.name }}: {{ data.get('title') or 'collections alarms' }}"
            "{% if totals %} ({{ total }}){% endif %}.",
        ),
    },
    "campaign": {
        0: (
            "{{ data.get('subject') or 'About your account' }} - {{ company.name }}" + AMOUNT,
            "{{ data.get('message') or 'We are writing to keep you informed about your account.' }}",
            "{{ data.get('action') or '' }}",
            "Thank you for your attention.",
            "{{ company.name }}: {{ data.get('short') or data.get('message') or 'news about your account' }}",
        ),
    },
}


PT: dict[str, dict[int, Phrase]] = {
    "new_invoice": {
        1: (
            NEW_SUBJECT["pt"] + TRIGGERED_AMOUNT,
            "Informamos que emitimos %TRG%, %TRG_LISTED%, no total de {{ triggered_total }}"
            "{% if due_date %}, com vencimento em {{ due_date.long }}{% endif %}." + DUE_POSITION,
            "Se encontrar alguma divergência ou não %TRG_IT% tiver recebido corretamente, avise-nos antes do "
            "vencimento para resolvermos a tempo.",
            "Obrigado pela confiança.",
            "{{ company.name }}: emitimos %TRG% de {{ triggered_total }}{% if due_date %}, vence em {{ due_date }}"
            "{% endif %}.",
        ),
        2: (
            NEW_SUBJECT["pt"] + DUE_SUBJECT["pt"],
            "Informamos que emitimos %TRG%, %TRG_LISTED%, no total de {{ triggered_total }}"
            "{% if due_date %}, com vencimento em {{ due_date.long }}{% endif %}." + DUE_POSITION + " Lembramos a "
            "importância de manter sua conta em dia.",
            "Pedimos que confirme o recebimento e a data prevista de pagamento.",
            "Aguardamos a sua confirmação.",
            "{{ company.name }}: {{ triggered_count | plural('nova fatura', 'novas faturas') }} de "
            "{{ triggered_total }}{% if due_date %}, vence em {{ due_date }}{% endif %}. Confirme a data de pagamento.",
        ),
        3: (
            NEW_SUBJECT["pt"] + DUE_SUBJECT["pt"] + " - requer sua atenção",
            "Emitimos %TRG%, %TRG_LISTED%, no total de {{ triggered_total }}"
            "{% if due_date %}, com vencimento em {{ due_date.long }}{% endif %}." + DUE_POSITION + " Pedimos "
            "atenção especial a este vencimento.",
            "Precisamos que nos confirme a data de pagamento "
            "{{ triggered_count | plural('desta fatura', 'destas faturas') }}.",
            "É importante regularizar sua conta para continuarmos atendendo você.",
            "{{ company.name }}: {{ triggered_count | plural('nova fatura', 'novas faturas') }} de "
            "{{ triggered_total }}{% if due_date %}, vence em {{ due_date }}{% endif %}."
            "{% if overdue_count %} Seu saldo vencido é de {{ total }}.{% endif %} Confirme a data de pagamento.",
        ),
    },
    "pre_due": {
        1: (
            "Próximo vencimento {{ company.name }}" + DUE_SUBJECT["pt"],
            "Lembramos que %TRG%, %TRG_LISTED%, %TRG_DUE% %DUE%, no total de {{ triggered_total }}." + DUE_POSITION,
            "Se houver algum problema (não %TRG_IT% recebeu, há diferença no valor ou na entrega), avise-nos antes "
            "do vencimento para resolvermos a tempo.",
            "Obrigado pela pontualidade.",
            "{{ company.name }}: lembramos que seu saldo de {{ triggered_total }} vence %DUE%."
            "{% if overdue_count %} Saldo vencido: {{ total }}.{% endif %}",
        ),
        2: (
            "Vencimento próximo {{ company.name }}" + DUE_SUBJECT["pt"],
            "Lembramos que %TRG%, %TRG_LISTED%, %TRG_DUE% %DUE%, no total de {{ triggered_total }}."
            + DUE_POSITION
            + " Queremos garantir que o pagamento esteja programado.",
            "Pedimos que nos confirme a data em que fará o pagamento.",
            "Aguardamos a sua confirmação.",
            "{{ company.name }}: seu saldo de {{ triggered_total }} vence %DUE%."
            "{% if overdue_count %} Saldo vencido: {{ total }}.{% endif %} Confirme a data de pagamento.",
        ),
        3: (
            "Importante: vencimento {{ company.name }}" + DUE_SUBJECT["pt"],
            "Lembramos que %TRG%, %TRG_LISTED%, %TRG_DUE% %DUE%, no total de {{ triggered_total }}."
            + DUE_POSITION
            + " É importante que o pagamento seja creditado a tempo para evitar atrasos em sua conta.",
            "Precisamos que nos confirme hoje a data de pagamento programada.",
            "Contamos com o seu pagamento em dia.",
            "{{ company.name }}: IMPORTANTE, seu saldo de {{ triggered_total }} vence %DUE%."
            "{% if overdue_count %} Saldo vencido: {{ total }}.{% endif %} Confirme hoje a data de pagamento.",
        ),
    },
    "overdue": {
        1: (
            "Lembrete de pagamento {{ company.name }} " + DAYS_AND_AMOUNT,
            "Após revisar seu extrato identificamos que há %OV% no valor de {{ total }}%OLDEST%." + OVERDUE_POSITION,
            "Precisamos da confirmação da data prevista de pagamento. Se já pagou, envie-nos o comprovante e "
            "desconsidere esta mensagem.",
            "Para nós é muito importante que todos os nossos clientes mantenham seus pagamentos em dia para "
            "continuarmos oferecendo o nível de serviço a que estão acostumados.",
            "{{ company.name }}: lembramos que há %OV% no valor de {{ total }}.",
        ),
        2: (
            "Pagamento pendente {{ company.name }} " + DAYS_AND_AMOUNT,
            "Estamos preocupados porque ainda não recebemos o pagamento de %OV% no valor de {{ total }}%OLDEST%."
            + OVERDUE_POSITION,
            "Precisamos que confirme o quanto antes a data de pagamento. Se tiver alguma dificuldade para pagar, "
            "fale conosco para buscarmos juntos uma solução.",
            "Valorizamos nossa relação comercial e queremos resolver esta situação o quanto antes.",
            "{{ company.name }}: não recebemos o pagamento de {{ total }} ({{ days_overdue_text }}). "
            "Confirme a data de pagamento.",
        ),
        3: (
            "Aviso de cobrança {{ company.name }} " + DAYS_AND_AMOUNT,
            "Apesar dos nossos avisos anteriores, sua conta mantém %OV% no valor de {{ total }}%OLDEST%."
            + OVERDUE_POSITION,
            "Solicitamos regularizar o pagamento ou entrar em contato conosco nos próximos 5 dias úteis. "
            "Caso contrário, serão aplicadas as ações de cobrança previstas em nossas condições comerciais.",
            "Se já realizou o pagamento, envie-nos o comprovante para atualizarmos sua conta.",
            "{{ company.name }}: AVISO DE COBRANÇA. Saldo vencido {{ total }} ({{ days_overdue_text }}). "
            "Regularize ou fale conosco em 5 dias úteis.",
        ),
    },
    "action_notice": {
        1: (
            "Aviso de {{ action.label if action else 'ação de cobrança' }} {{ company.name }} " + DAYS_AND_AMOUNT,
            "Sua conta registra %OV% no valor de {{ total }}%OLDEST%. Por isso informamos que procederemos com "
            "{{ action.noun if action else 'as ações de cobrança previstas' }}." + ACTION_POSITION,
            "Se já realizou o pagamento ou deseja combinar um plano de pagamentos, fale conosco hoje mesmo "
            "para evitá-lo.",
            "Preferimos sempre chegar a um acordo com nossos clientes.",
            "{{ company.name }}: pelo saldo vencido de {{ total }} procederemos com "
            "{{ action.noun if action else 'ações de cobrança' }}. Fale conosco hoje para evitar.",
        ),
        2: (
            "Aviso de {{ action.label if action else 'ação de cobrança' }} {{ company.name }} " + DAYS_AND_AMOUNT,
            "Não recebemos resposta aos nossos avisos sobre %OV% no valor de {{ total }}%OLDEST%. Em consequência, "
            "procederemos com {{ action.noun if action else 'as ações de cobrança previstas' }}." + ACTION_POSITION,
            "Para evitá-lo, precisamos do pagamento ou de um acordo de pagamento nos próximos dias.",
            "Continuamos à disposição para encontrar uma solução.",
            "{{ company.name }}: sem resposta sobre seu saldo de {{ total }} ({{ days_overdue_text }}). "
            "Procederemos com {{ action.noun if action else 'ações de cobrança' }}.",
        ),
        3: (
            "Aviso de {{ action.label if action else 'ação de cobrança' }} {{ company.name }} " + DAYS_AND_AMOUNT,
            "Vencidos os prazos dos nossos avisos anteriores, e mantendo sua conta %OV% no valor de {{ total }} "
            "({{ overdue_count | plural('com', 'a mais antiga com') }} {{ days_overdue_text }}), determinamos "
            "{{ action.noun if action else 'o início das ações de cobrança previstas' }}." + ACTION_POSITION,
            "Para reverter esta medida é necessário regularizar o total devido.",
            "Estamos à disposição para informar os próximos passos.",
            "{{ company.name }}: determinamos {{ action.noun if action else 'ações de cobrança' }} pelo seu saldo "
            "de {{ total }} ({{ days_overdue_text }}).",
        ),
    },
    "unreachable": {
        1: (
            "Tentamos falar com você - {{ company.name }}" + AMOUNT,
            "Tentamos falar com você por telefone, sem sucesso, sobre %ABOUT%." + UNREACHABLE_POSITION,
            "Por favor, indique-nos um horário em que possamos ligar, ou fale conosco pelos canais abaixo.",
            "Obrigado pela atenção.",
            "{{ company.name }}: tentamos falar com você sobre seu saldo de {{ total }}. Fale conosco, por favor.",
        ),
        2: (
            "Precisamos falar com você - {{ company.name }} " + DAYS_AND_AMOUNT,
            "Tentamos várias vezes, sem sucesso, falar com você sobre %ABOUT%." + UNREACHABLE_POSITION,
            "Precisamos que entre em contato conosco o quanto antes para confirmar a data de pagamento.",
            "Aguardamos o seu contato.",
            "{{ company.name }}: não conseguimos falar com você sobre seu saldo de {{ total }} "
            "({{ days_overdue_text }}). Ligue para nós.",
        ),
        3: (
            "Urgente: fale com {{ company.name }} " + DAYS_AND_AMOUNT,
            "Apesar das nossas tentativas, não conseguimos falar com você sobre %ABOUT%." + UNREACHABLE_POSITION,
            "Solicitamos que entre em contato nos próximos 2 dias úteis para regularizar sua conta.",
            "Se já realizou o pagamento, envie-nos o comprovante.",
            "{{ company.name }}: URGENTE, fale conosco sobre seu saldo de {{ total }} ({{ days_overdue_text }}).",
        ),
    },
    "alarm_digest": {
        0: (
            "{{ data.get('title') or 'Resumo de alarmes de cobrança' }} - {{ company.name }}" + AMOUNT,
            "{{ data.get('summary') or 'Estes são os alertas de cobrança de hoje.' }}",
            "{{ data.get('action') or 'Revise cada caso e registre a gestão realizada.' }}",
            "",
            "{{ company.name }}: {{ data.get('title') or 'alarmes de cobrança' }}"
            "{% if totals %} ({{ total }}){% endif %}.",
        ),
    },
    "campaign": {
        0: (
            "{{ data.get('subject') or 'Informações sobre sua conta' }} - {{ company.name }}" + AMOUNT,
            "{{ data.get('message') or 'Escrevemos para mantê-lo informado sobre sua conta.' }}",
            "{{ data.get('action') or '' }}",
            "Obrigado pela atenção.",
            "{{ company.name }}: {{ data.get('short') or data.get('message') or 'informações sobre sua conta' }}",
        ),
    },
}


PHRASES: dict[str, dict[str, dict[int, Phrase]]] = {"es": ES, "en": EN, "pt": PT}


def phrase(language: str, kind: str, tone: int) -> tuple[str, ...]:
    """The five texts of a kind and tone, markers replaced (a marker may hold others: ``%OVERDUE_TOO%``)."""
    by_tone = PHRASES[language][kind]
    chosen = by_tone.get(tone) or by_tone[0]
    markers = {k: v for k, v in COMMON[language].items() if k.startswith("%")}
    out = []
    for text in chosen:
        while "%" in text and any(marker in text for marker in markers):
            for marker, replacement in markers.items():
                text = text.replace(marker, replacement)
        out.append(text)
    return tuple(out)


def labels(language: str) -> dict[str, Any]:
    return COMMON[language]
