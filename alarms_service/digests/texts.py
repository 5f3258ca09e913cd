"""The words of the digests, in Spanish, English and Portuguese (seed 000, "Sub-proceso 3: Alarmas internas").

Plain data: ``wording.compose`` fills them. A pair is (singular, plural); a summary given as a pair agrees with the
number of rows. Messaging's shipped ``alarm_digest``
templates print ``data.title`` as the subject, then ``data.summary``, ``data.lines`` and ``data.action``.
"""

from typing import Any

from alarms_service.digests.manager_texts import MANAGER_TEXTS
from alarms_service.digests.plan_texts import PLAN_TEXTS

TEXTS: dict[str, dict[str, Any]] = {
    "es": {
        "title": {
            ("actions", "action_owner"): "Clientes con los que se deben tomar acciones",
            ("broken_promises", "collector"): "Promesas de pago incumplidas",
            ("payments_reported", "collector"): "Pagos informados no acreditados",
            ("disputes", "area"): "Facturas en disputa a resolver por su área",
            ("disputes", "collector"): "Facturas de sus clientes en disputa",
        },
        "summary": {
            ("actions", "action_owner"): "{customers} con acciones pendientes ({rows}){owed}.",
            ("broken_promises", "collector"): "{customers} con promesas de pago incumplidas{owed}. "
            "Deben ser gestionados con suma urgencia.",
            ("payments_reported", "collector"): (
                "{rows} que sus clientes dicen haber pagado sigue impaga pasados más de {days}{owed}.",
                "{rows} que sus clientes dicen haber pagado siguen impagas pasados más de {days}{owed}.",
            ),
            ("disputes", "area"): "{rows} con una disputa a resolver por {areas}{owed}.",
            ("disputes", "collector"): "{rows} de sus clientes con una disputa pendiente de resolver{owed}; "
            "cada línea indica el área responsable.",
        },
        "action": {
            ("actions", "action_owner"): "Tome la acción indicada con cada cliente (suspender el servicio, "
            "iniciar acciones legales, castigar la venta, llamar) y registre el resultado.",
            ("broken_promises", "collector"): "Comuníquese hoy con cada cliente y registre el resultado de la gestión.",
            ("payments_reported", "collector"): "Algo raro parece estar pasando: el pago pudo aplicarse a otra "
            "factura, la transferencia no procesarse o asociarse a otro cliente. Analice y resuelva cada caso a la "
            "brevedad.",
            ("disputes", "area"): "Resuelva cada disputa e informe el resultado al cobrador.",
            ("disputes", "collector"): "Haga el seguimiento de cada disputa con el área responsable.",
        },
        "customers": ("cliente", "clientes"),
        "rows": {
            "actions": ("acción", "acciones"),
            "broken_promises": ("promesa incumplida", "promesas incumplidas"),
            "payments_reported": ("factura", "facturas"),
            "disputes": ("factura", "facturas"),
        },
        "days": ("día", "días"),
        "invoices": ("factura", "facturas"),
        "owed": ", saldo {amounts}",
        "and": " y ",
        "actions": {
            "suspend_service": "suspender el servicio",
            "legal": "iniciar acciones legales",
            "write_off": "castigar la venta",
            "call": "llamar",
        },
        "notice": {"pending": "; aviso aún no enviado", "sent": "; aviso enviado", "failed": "; el aviso no llegó"},
        "line": {
            ("actions", "action_owner"): "{customer}: {action}, desde el {date} ({days}){invoices}{owed}{notice}",
            ("broken_promises", "collector"): "{customer}: {promises} ({details}){owed}",
            ("payments_reported", "collector"): "{customer}, factura {number}: pago informado el {date} ({days}){owed}",
            ("disputes", "area"): "{customer}, factura {number} ({area}): en disputa desde el {date} ({days}){owed}",
            ("disputes", "collector"): "{customer}, factura {number}: en disputa con {area} desde el {date} "
            "({days}){owed}",
        },
        "promise": "{number} prometida para el {date}",
        "no_area": "ningún área asignada",
        "unknown_customer": "Cliente desconocido",
        "more": "… y {count} más (el detalle completo está en cobranza: alarma {alarm}).",
    },
    "en": {
        "title": {
            ("actions", "action_owner"): "Customers with actions to take",
            ("broken_promises", "collector"): "Broken payment promises",
            ("payments_reported", "collector"): "Payments reported but not credited",
            ("disputes", "area"): "Disputed invoices your area must resolve",
            ("disputes", "collector"): "Your customers' disputed invoices",
        },
        "summary": {
            ("actions", "action_owner"): "{customers} with pending actions ({rows}){owed}.",
            ("broken_promises", "collector"): "{customers} with broken payment promises{owed}. "
            "They must be handled with utmost urgency.",
            ("payments_reported", "collector"): (
                "{rows} your customers say they paid is still unpaid after more than {days}{owed}.",
                "{rows} your customers say they paid are still unpaid after more than {days}{owed}.",
            ),
            ("disputes", "area"): "{rows} with a dispute {areas} must resolve{owed}.",
            ("disputes", "collector"): "{rows} of your customers with a dispute pending resolution{owed}; "
            "each line names the responsible area.",
        },
        "action": {
            ("actions", "action_owner"): "Take the action stated for each customer (suspend service, start legal "
            "action, write off, call) and record the outcome.",
            ("broken_promises", "collector"): "Contact each customer today and record the outcome.",
            ("payments_reported", "collector"): "Something odd seems to be happening: the payment may have gone to "
            "another invoice, the transfer may have failed or been matched to another customer. Look into each "
            "case and resolve it promptly.",
            ("disputes", "area"): "Resolve each dispute and tell the collector the outcome.",
            ("disputes", "collector"): "Follow each dispute up with the responsible area.",
        },
        "customers": ("customer", "customers"),
        "rows": {
            "actions": ("action", "actions"),
            "broken_promises": ("broken promise", "broken promises"),
            "payments_reported": ("invoice", "invoices"),
            "disputes": ("invoice", "invoices"),
        },
        "days": ("day", "days"),
        "invoices": ("invoice", "invoices"),
        "owed": ", balance {amounts}",
        "and": " and ",
        "actions": {
            "suspend_service": "suspend service",
            "legal": "start legal action",
            "write_off": "write off",
            "call": "call",
        },
        "notice": {
            "pending": "; notice not sent yet",
            "sent": "; notice sent",
            "failed": "; the notice did not reach them",
        },
        "line": {
            ("actions", "action_owner"): "{customer}: {action}, since {date} ({days}){invoices}{owed}{notice}",
            ("broken_promises", "collector"): "{customer}: {promises} ({details}){owed}",
            ("payments_reported", "collector"): "{customer}, invoice {number}: payment reported on {date} "
            "({days}){owed}",
            ("disputes", "area"): "{customer}, invoice {number} ({area}): in dispute since {date} ({days}){owed}",
            ("disputes", "collector"): "{customer}, invoice {number}: in dispute with {area} since {date} "
            "({days}){owed}",
        },
        "promise": "{number} promised for {date}",
        "no_area": "no area assigned",
        "unknown_customer": "Unknown customer",
        "more": "… and {count} more (the full list is in cobranza: alarm {alarm}).",
    },
    "pt": {
        "title": {
            ("actions", "action_owner"): "Clientes com ações a tomar",
            ("broken_promises", "collector"): "Promessas de pagamento não cumpridas",
            ("payments_reported", "collector"): "Pagamentos informados não creditados",
            ("disputes", "area"): "Faturas em disputa a resolver pela sua área",
            ("disputes", "collector"): "Faturas dos seus clientes em disputa",
        },
        "summary": {
            ("actions", "action_owner"): "{customers} com ações pendentes ({rows}){owed}.",
            ("broken_promises", "collector"): "{customers} com promessas de pagamento não cumpridas{owed}. "
            "Devem ser tratados com máxima urgência.",
            ("payments_reported", "collector"): (
                "{rows} que os seus clientes dizem ter pago continua em aberto após mais de {days}{owed}.",
                "{rows} que os seus clientes dizem ter pago continuam em aberto após mais de {days}{owed}.",
            ),
            ("disputes", "area"): "{rows} com uma disputa a resolver por {areas}{owed}.",
            ("disputes", "collector"): "{rows} dos seus clientes com uma disputa pendente{owed}; "
            "cada linha indica a área responsável.",
        },
        "action": {
            ("actions", "action_owner"): "Tome a ação indicada com cada cliente (suspender o serviço, iniciar "
            "ações judiciais, baixar a venda, ligar) e registre o resultado.",
            ("broken_promises", "collector"): "Entre em contato hoje com cada cliente e registre o resultado.",
            ("payments_reported", "collector"): "Algo estranho parece estar acontecendo: o pagamento pode ter sido "
            "aplicado a outra fatura, a transferência pode não ter sido processada ou associada a outro cliente. "
            "Analise e resolva cada caso com brevidade.",
            ("disputes", "area"): "Resolva cada disputa e informe o resultado ao cobrador.",
            ("disputes", "collector"): "Acompanhe cada disputa com a área responsável.",
        },
        "customers": ("cliente", "clientes"),
        "rows": {
            "actions": ("ação", "ações"),
            "broken_promises": ("promessa não cumprida", "promessas não cumpridas"),
            "payments_reported": ("fatura", "faturas"),
            "disputes": ("fatura", "faturas"),
        },
        "days": ("dia", "dias"),
        "invoices": ("fatura", "faturas"),
        "owed": ", saldo {amounts}",
        "and": " e ",
        "actions": {
            "suspend_service": "suspender o serviço",
            "legal": "iniciar ações judiciais",
            "write_off": "baixar a venda",
            "call": "ligar",
        },
        "notice": {"pending": "; aviso ainda não enviado", "sent": "; aviso enviado", "failed": "; o aviso não chegou"},
        "line": {
            ("actions", "action_owner"): "{customer}: {action}, desde {date} ({days}){invoices}{owed}{notice}",
            ("broken_promises", "collector"): "{customer}: {promises} ({details}){owed}",
            ("payments_reported", "collector"): "{customer}, fatura {number}: pagamento informado em {date} "
            "({days}){owed}",
            ("disputes", "area"): "{customer}, fatura {number} ({area}): em disputa desde {date} ({days}){owed}",
            ("disputes", "collector"): "{customer}, fatura {number}: em disputa com {area} desde {date} ({days}){owed}",
        },
        "promise": "{number} prometida para {date}",
        "no_area": "nenhuma área atribuída",
        "unknown_customer": "Cliente desconhecido",
        "more": "… e mais {count} (a lista completa está no cobranza: alarme {alarm}).",
    },
}


def _merge_texts(more: dict[str, dict[str, Any]]) -> None:
    """Issue 18's words (``manager_texts``) and issue 19's (``plan_texts``) beside seed 000's: the tables of each
    kind are joined, the rest added."""
    for language, extra in more.items():
        for key, value in extra.items():
            current = TEXTS[language].get(key)
            if isinstance(current, dict) and key in ("title", "summary", "action", "rows", "line"):
                current.update(value)
            else:
                TEXTS[language][key] = value


_merge_texts(MANAGER_TEXTS)
_merge_texts(PLAN_TEXTS)
