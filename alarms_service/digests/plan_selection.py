"""The selection of the ``plans_broken`` alarm (issue 19; seed 004's "Renegociar la deuda a tres plazos": a plan
that broke puts its invoices back to normal, and someone must call the customer again). One statement over the
tenant's plans on the frame of ``selection_repository`` (``r``: one row per broken plan with its recipient key and
sort keys; ``money``: what the plan left unpaid, per currency). The predicate is ``rules.plan_broken_pending``.

A plan goes to its collector (the plan's, else the customer's); a plan nobody collects goes to each manager (the
tenant's active managers; without one, its active admins), as issue 18's manager alarms do."""

from alarms_service.digests.manager_selection import MANAGERS

PLANS_BROKEN = f"""
WITH {MANAGERS}, bp AS MATERIALIZED (
    SELECT p.plan_id, p.customer_id, p.currency, p.principal, p.paid_amount,
           greatest(p.principal - p.paid_amount, 0) AS unpaid, p.installments, p.unpaid_installments, p.broken_on,
           p.reason, coalesce(p.collector_id, c.collector_id) AS collector_id, c.name AS customer_name,
           c.external_id AS customer_external_id
    FROM alarms.payment_plans p
    LEFT JOIN alarms.customers c ON c.tenant_id = p.tenant_id AND c.id = p.customer_id
    WHERE p.tenant_id = CAST(:tenant AS uuid) AND p.status = 'broken'
      AND p.broken_on BETWEEN CAST(:since AS date) AND CAST(:as_of AS date)
      AND NOT coalesce(c.deleted, false)
), to_whom AS (
    SELECT 'collector' AS audience, bp.collector_id AS key, NULL::text AS problem, bp.* FROM bp
    WHERE bp.collector_id IS NOT NULL
    UNION ALL
    SELECT 'manager', mg.user_id, CASE WHEN mg.user_id IS NULL THEN 'no_manager' END, bp.*
    FROM bp LEFT JOIN managers mg ON true
    WHERE bp.collector_id IS NULL
), r AS (
    SELECT w.audience, w.key, w.problem, w.customer_id, NULL::text AS area,
           json_build_object(
               'plan_id', w.plan_id, 'customer_id', w.customer_id, 'customer_name', w.customer_name,
               'customer_external_id', w.customer_external_id, 'collector_id', w.collector_id,
               'broken_on', w.broken_on, 'currency', w.currency, 'principal', w.principal::text,
               'paid_amount', w.paid_amount::text, 'unpaid_amount', w.unpaid::text, 'installments', w.installments,
               'unpaid_installments', w.unpaid_installments, 'reason', w.reason) AS doc,
           w.broken_on AS s1, coalesce(w.customer_name, '') COLLATE "C" AS s2, w.plan_id::text AS s3,
           NULL::text AS s4, NULL::text AS s5, w.currency, w.unpaid AS amount
    FROM to_whom w
), money AS (
    SELECT audience, key, problem, currency, amount FROM r
)"""
