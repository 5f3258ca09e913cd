"""The words of issue 18's digests (the manager's alarms and the collectors' weekly warning signs), in Spanish,
English and Portuguese; ``texts.TEXTS`` merges them in. Plain data: ``wording.compose`` fills them.

A sign's words take its evidence (what receivables computed it from, seed 001); a sign whose evidence lacks a
field the words name is said by its label alone (``labels``).
"""

from typing import Any

MANAGER_TEXTS: dict[str, dict[str, Any]] = {
    "es": {
        "title": {
            ("tasks_overdue", "assignee"): "Tareas vencidas",
            ("unassigned_customers", "manager"): "Clientes con deuda vencida sin cobrador",
            ("workload", "manager"): "Carga de trabajo desequilibrada entre cobradores",
            ("overdue_threshold", "collector"): "Clientes que alcanzaron el umbral de deuda vencida",
            ("overdue_threshold", "manager"): "Clientes que alcanzaron el umbral de deuda vencida",
            ("contact_rate", "manager"): "Cobradores con menos contactos que los planificados",
            ("warning_signs", "collector"): "Señales de alerta de sus clientes",
        },
        "summary": {
            ("tasks_overdue", "assignee"): "Tiene {rows} sin completar.",
            ("unassigned_customers", "manager"): "{customers} con deuda vencida y sin cobrador asignado{owed}.",
            ("workload", "manager"): "{rows} por encima de la media del equipo en más de un {spread} % (clientes o "
            "monto vencido).",
            ("overdue_threshold", "collector"): "{customers} con deuda vencida que alcanzó el umbral{owed}.",
            ("overdue_threshold", "manager"): "{customers} con deuda vencida que alcanzó el umbral{owed}.",
            ("contact_rate", "manager"): "{rows} con menos contactos que los planificados la semana pasada "
            "({planned} por día hábil).",
            ("warning_signs", "collector"): "{customers} con señales de alerta de dificultades de pago.",
        },
        "action": {
            ("tasks_overdue", "assignee"): "Complete cada tarea o reprograme su vencimiento.",
            ("unassigned_customers", "manager"): "Asigne un cobrador a cada cliente.",
            ("workload", "manager"): "Revise la cartera de cada cobrador y redistribuya clientes si hace falta.",
            ("overdue_threshold", "collector"): "Gestione hoy a cada cliente: su deuda vencida alcanzó el umbral.",
            ("overdue_threshold", "manager"): "Haga el seguimiento de cada cliente con su cobrador.",
            ("contact_rate", "manager"): "Hable con cada cobrador: puede estar sobrecargado o necesitar ayuda.",
            ("warning_signs", "collector"): "Contacte a estos clientes antes de que su deuda crezca.",
        },
        "rows": {
            "tasks_overdue": ("tarea vencida", "tareas vencidas"),
            "unassigned_customers": ("cliente", "clientes"),
            "workload": ("cobrador", "cobradores"),
            "overdue_threshold": ("cliente", "clientes"),
            "contact_rate": ("cobrador", "cobradores"),
            "warning_signs": ("cliente", "clientes"),
        },
        "line": {
            ("tasks_overdue", "assignee"): "{title}{customer}: vencida el {date} ({days})",
            ("unassigned_customers", "manager"): "{customer}: {invoices} desde el {date} ({days}){owed}",
            ("workload", "manager"): "{collector}: {customers} con deuda vencida (media del equipo {mean}){owed}; "
            "{percent} % de la media",
            ("overdue_threshold", "collector"): "{customer}: deuda vencida {amount} (umbral {threshold}), "
            "{invoices}, vencida desde el {date}",
            ("overdue_threshold", "manager"): "{customer} ({collector}): deuda vencida {amount} (umbral "
            "{threshold}), {invoices}, vencida desde el {date}",
            ("contact_rate", "manager"): "{collector}: {contacts} de {planned} planificados ({percent} %) del "
            "{since} al {until}",
            ("warning_signs", "collector"): "{customer}{risk}: {signs}",
        },
        "task_customer": " ({customer})",
        "overdue_invoices": ("factura vencida", "facturas vencidas"),
        "no_collector": "sin cobrador",
        "unknown_collector": "Cobrador desconocido",
        "team_owed": "; media {amounts}",
        "risk": " (riesgo {level})",
        "risk_levels": {"high": "alto", "medium": "medio", "low": "bajo"},
        "labels": {
            "days_late_trend": "paga cada vez más tarde",
            "small_before_large": "paga facturas pequeñas antes que las grandes",
            "broken_promises": "promesas incumplidas",
            "bad_contacts": "contactos rebotados o inválidos",
            "growing_overdue": "deuda vencida en aumento",
        },
        "signs": {
            "days_late_trend": "paga más tarde que antes ({recent_avg_days_late} días de atraso en los últimos "
            "{recent_payments} pagos contra {earlier_avg_days_late})",
            "small_before_large": "pagó {payments} facturas pequeñas antes que otras mayores y más antiguas en "
            "{window_days} días",
            "broken_promises": "incumplió {broken} promesas en {window_days} días",
            "bad_contacts": "{invalid} contactos rebotados o inválidos",
            "growing_overdue": "deuda vencida en aumento ({overdue_60_days_ago} hace 60 días, {overdue_30_days_ago} "
            "hace 30, {overdue_now} hoy)",
        },
    },
    "en": {
        "title": {
            ("tasks_overdue", "assignee"): "Overdue tasks",
            ("unassigned_customers", "manager"): "Customers with overdue debt and no collector",
            ("workload", "manager"): "Workload imbalance between collectors",
            ("overdue_threshold", "collector"): "Customers whose overdue debt reached the threshold",
            ("overdue_threshold", "manager"): "Customers whose overdue debt reached the threshold",
            ("contact_rate", "manager"): "Collectors with fewer contacts than planned",
            ("warning_signs", "collector"): "Warning signs of your customers",
        },
        "summary": {
            ("tasks_overdue", "assignee"): "You have {rows} not completed.",
            ("unassigned_customers", "manager"): "{customers} with overdue debt and no collector assigned{owed}.",
            ("workload", "manager"): "{rows} above the team's mean by more than {spread}% (customers or overdue "
            "amount).",
            ("overdue_threshold", "collector"): "{customers} whose overdue debt reached the threshold{owed}.",
            ("overdue_threshold", "manager"): "{customers} whose overdue debt reached the threshold{owed}.",
            ("contact_rate", "manager"): "{rows} with fewer contacts than planned last week ({planned} per business "
            "day).",
            ("warning_signs", "collector"): "{customers} showing warning signs of payment trouble.",
        },
        "action": {
            ("tasks_overdue", "assignee"): "Complete each task or move its due date.",
            ("unassigned_customers", "manager"): "Assign a collector to each customer.",
            ("workload", "manager"): "Review each collector's portfolio and move customers if needed.",
            ("overdue_threshold", "collector"): "Work each customer today: their overdue debt reached the threshold.",
            ("overdue_threshold", "manager"): "Follow each customer up with their collector.",
            ("contact_rate", "manager"): "Talk to each collector: they may be overloaded or need help.",
            ("warning_signs", "collector"): "Contact these customers before their debt grows.",
        },
        "rows": {
            "tasks_overdue": ("overdue task", "overdue tasks"),
            "unassigned_customers": ("customer", "customers"),
            "workload": ("collector", "collectors"),
            "overdue_threshold": ("customer", "customers"),
            "contact_rate": ("collector", "collectors"),
            "warning_signs": ("customer", "customers"),
        },
        "line": {
            ("tasks_overdue", "assignee"): "{title}{customer}: due {date} ({days})",
            ("unassigned_customers", "manager"): "{customer}: {invoices} since {date} ({days}){owed}",
            ("workload", "manager"): "{collector}: {customers} with overdue debt (team mean {mean}){owed}; "
            "{percent}% of the mean",
            ("overdue_threshold", "collector"): "{customer}: overdue {amount} (threshold {threshold}), {invoices}, "
            "overdue since {date}",
            ("overdue_threshold", "manager"): "{customer} ({collector}): overdue {amount} (threshold {threshold}), "
            "{invoices}, overdue since {date}",
            ("contact_rate", "manager"): "{collector}: {contacts} of {planned} planned ({percent}%) from {since} to "
            "{until}",
            ("warning_signs", "collector"): "{customer}{risk}: {signs}",
        },
        "task_customer": " ({customer})",
        "overdue_invoices": ("overdue invoice", "overdue invoices"),
        "no_collector": "no collector",
        "unknown_collector": "Unknown collector",
        "team_owed": "; mean {amounts}",
        "risk": " ({level} risk)",
        "risk_levels": {"high": "high", "medium": "medium", "low": "low"},
        "labels": {
            "days_late_trend": "pays later and later",
            "small_before_large": "pays small invoices before large ones",
            "broken_promises": "broken promises",
            "bad_contacts": "bounced or invalid contacts",
            "growing_overdue": "growing overdue debt",
        },
        "signs": {
            "days_late_trend": "pays later than before ({recent_avg_days_late} days late on the last "
            "{recent_payments} payments against {earlier_avg_days_late})",
            "small_before_large": "paid {payments} small invoices before larger, older ones in {window_days} days",
            "broken_promises": "broke {broken} promises in {window_days} days",
            "bad_contacts": "{invalid} bounced or invalid contacts",
            "growing_overdue": "overdue debt growing ({overdue_60_days_ago} 60 days ago, {overdue_30_days_ago} 30 "
            "days ago, {overdue_now} today)",
        },
    },
    "pt": {
        "title": {
            ("tasks_overdue", "assignee"): "Tarefas vencidas",
            ("unassigned_customers", "manager"): "Clientes com dívida vencida sem cobrador",
            ("workload", "manager"): "Carga de trabalho desequilibrada entre cobradores",
            ("overdue_threshold", "collector"): "Clientes cuja dívida vencida atingiu o limite",
            ("overdue_threshold", "manager"): "Clientes cuja dívida vencida atingiu o limite",
            ("contact_rate", "manager"): "Cobradores com menos contatos que os planejados",
            ("warning_signs", "collector"): "Sinais de alerta dos seus clientes",
        },
        "summary": {
            ("tasks_overdue", "assignee"): "Você tem {rows} não concluídas.",
            ("unassigned_customers", "manager"): "{customers} com dívida vencida e sem cobrador atribuído{owed}.",
            ("workload", "manager"): "{rows} acima da média da equipe em mais de {spread}% (clientes ou valor "
            "vencido).",
            ("overdue_threshold", "collector"): "{customers} cuja dívida vencida atingiu o limite{owed}.",
            ("overdue_threshold", "manager"): "{customers} cuja dívida vencida atingiu o limite{owed}.",
            ("contact_rate", "manager"): "{rows} com menos contatos que os planejados na semana passada ({planned} "
            "por dia útil).",
            ("warning_signs", "collector"): "{customers} com sinais de alerta de dificuldades de pagamento.",
        },
        "action": {
            ("tasks_overdue", "assignee"): "Conclua cada tarefa ou reprograme o seu vencimento.",
            ("unassigned_customers", "manager"): "Atribua um cobrador a cada cliente.",
            ("workload", "manager"): "Revise a carteira de cada cobrador e redistribua clientes se necessário.",
            ("overdue_threshold", "collector"): "Trate hoje cada cliente: a dívida vencida atingiu o limite.",
            ("overdue_threshold", "manager"): "Acompanhe cada cliente com o seu cobrador.",
            ("contact_rate", "manager"): "Converse com cada cobrador: pode estar sobrecarregado ou precisar de ajuda.",
            ("warning_signs", "collector"): "Contate estes clientes antes que a dívida cresça.",
        },
        "rows": {
            "tasks_overdue": ("tarefa vencida", "tarefas vencidas"),
            "unassigned_customers": ("cliente", "clientes"),
            "workload": ("cobrador", "cobradores"),
            "overdue_threshold": ("cliente", "clientes"),
            "contact_rate": ("cobrador", "cobradores"),
            "warning_signs": ("cliente", "clientes"),
        },
        "line": {
            ("tasks_overdue", "assignee"): "{title}{customer}: vencida em {date} ({days})",
            ("unassigned_customers", "manager"): "{customer}: {invoices} desde {date} ({days}){owed}",
            ("workload", "manager"): "{collector}: {customers} com dívida vencida (média da equipe {mean}){owed}; "
            "{percent}% da média",
            ("overdue_threshold", "collector"): "{customer}: dívida vencida {amount} (limite {threshold}), "
            "{invoices}, vencida desde {date}",
            ("overdue_threshold", "manager"): "{customer} ({collector}): dívida vencida {amount} (limite "
            "{threshold}), {invoices}, vencida desde {date}",
            ("contact_rate", "manager"): "{collector}: {contacts} de {planned} planejados ({percent}%) de {since} a "
            "{until}",
            ("warning_signs", "collector"): "{customer}{risk}: {signs}",
        },
        "task_customer": " ({customer})",
        "overdue_invoices": ("fatura vencida", "faturas vencidas"),
        "no_collector": "sem cobrador",
        "unknown_collector": "Cobrador desconhecido",
        "team_owed": "; média {amounts}",
        "risk": " (risco {level})",
        "risk_levels": {"high": "alto", "medium": "médio", "low": "baixo"},
        "labels": {
            "days_late_trend": "paga cada vez mais tarde",
            "small_before_large": "paga faturas pequenas antes das grandes",
            "broken_promises": "promessas não cumpridas",
            "bad_contacts": "contatos devolvidos ou inválidos",
            "growing_overdue": "dívida vencida crescente",
        },
        "signs": {
            "days_late_trend": "paga mais tarde que antes ({recent_avg_days_late} dias de atraso nos últimos "
            "{recent_payments} pagamentos contra {earlier_avg_days_late})",
            "small_before_large": "pagou {payments} faturas pequenas antes de outras maiores e mais antigas em "
            "{window_days} dias",
            "broken_promises": "não cumpriu {broken} promessas em {window_days} dias",
            "bad_contacts": "{invalid} contatos devolvidos ou inválidos",
            "growing_overdue": "dívida vencida crescente ({overdue_60_days_ago} há 60 dias, {overdue_30_days_ago} "
            "há 30, {overdue_now} hoje)",
        },
    },
}
