"""The words of the ``plans_broken`` digest (issue 19), in Spanish, English and Portuguese; ``texts.TEXTS`` merges
them in. Plain data: ``wording.compose`` fills them. Seed 004's fifth objective of a contact, "Renegociar la deuda a
tres plazos": when the renegotiated plan breaks, the collector (else a manager) must call the customer again."""

from typing import Any

PLAN_TEXTS: dict[str, dict[str, Any]] = {
    "es": {
        "title": {
            ("plans_broken", "collector"): "Planes de pago incumplidos",
            ("plans_broken", "manager"): "Planes de pago incumplidos sin cobrador",
        },
        "summary": {
            ("plans_broken", "collector"): "{customers} con un plan de pagos incumplido{owed}. Sus facturas "
            "volvieron a la gestión normal.",
            ("plans_broken", "manager"): "{customers} sin cobrador con un plan de pagos incumplido{owed}. Sus "
            "facturas volvieron a la gestión normal.",
        },
        "action": {
            ("plans_broken", "collector"): "Llame hoy a cada cliente: renegocie o registre el resultado de la gestión.",
            ("plans_broken", "manager"): "Asigne un cobrador a cada cliente y haga el seguimiento.",
        },
        "rows": {"plans_broken": ("plan incumplido", "planes incumplidos")},
        "line": {
            ("plans_broken", "collector"): "{customer}: plan incumplido el {date}, {installments} de {total} "
            "sin pagar{reason}; cobrado {paid}{owed}",
            ("plans_broken", "manager"): "{customer}: plan incumplido el {date}, {installments} de {total} "
            "sin pagar{reason}; cobrado {paid}{owed}",
        },
        "installments": ("cuota", "cuotas"),
        "plan_reason": " ({reason})",
    },
    "en": {
        "title": {
            ("plans_broken", "collector"): "Broken payment plans",
            ("plans_broken", "manager"): "Broken payment plans without a collector",
        },
        "summary": {
            ("plans_broken", "collector"): "{customers} with a broken payment plan{owed}. Their invoices are back "
            "to normal collection.",
            ("plans_broken", "manager"): "{customers} without a collector with a broken payment plan{owed}. Their "
            "invoices are back to normal collection.",
        },
        "action": {
            ("plans_broken", "collector"): "Call each customer today: renegotiate or record the outcome.",
            ("plans_broken", "manager"): "Assign a collector to each customer and follow them up.",
        },
        "rows": {"plans_broken": ("broken plan", "broken plans")},
        "line": {
            ("plans_broken", "collector"): "{customer}: plan broken on {date}, {installments} of {total} unpaid"
            "{reason}; collected {paid}{owed}",
            ("plans_broken", "manager"): "{customer}: plan broken on {date}, {installments} of {total} unpaid"
            "{reason}; collected {paid}{owed}",
        },
        "installments": ("installment", "installments"),
        "plan_reason": " ({reason})",
    },
    "pt": {
        "title": {
            ("plans_broken", "collector"): "Parcelamentos não cumpridos",
            ("plans_broken", "manager"): "Parcelamentos não cumpridos sem cobrador",
        },
        "summary": {
            ("plans_broken", "collector"): "{customers} com um parcelamento não cumprido{owed}. Suas faturas "
            "voltaram à cobrança normal.",
            ("plans_broken", "manager"): "{customers} sem cobrador com um parcelamento não cumprido{owed}. Suas "
            "faturas voltaram à cobrança normal.",
        },
        "action": {
            ("plans_broken", "collector"): "Ligue hoje para cada cliente: renegocie ou registre o resultado.",
            ("plans_broken", "manager"): "Atribua um cobrador a cada cliente e acompanhe.",
        },
        "rows": {"plans_broken": ("parcelamento não cumprido", "parcelamentos não cumpridos")},
        "line": {
            ("plans_broken", "collector"): "{customer}: parcelamento não cumprido em {date}, {installments} de "
            "{total} sem pagar{reason}; recebido {paid}{owed}",
            ("plans_broken", "manager"): "{customer}: parcelamento não cumprido em {date}, {installments} de "
            "{total} sem pagar{reason}; recebido {paid}{owed}",
        },
        "installments": ("parcela", "parcelas"),
        "plan_reason": " ({reason})",
    },
}
