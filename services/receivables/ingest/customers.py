"""Bulk customer upsert: collectors and advisors resolved once for the batch, COPY into staging, one statement.

ERP-owned fields (name, tax id, country, timezone, language, segment, VIP, risk, tags, contacts) take the row's
values; the collector and the advisor change only when the row names them (collections may assign them here).
A contact messaging found invalid stays invalid when the ERP sends it again; opt-outs are never touched.
A deleted customer sent again is active again. The batch's changes are announced by one deferred outbox row, which
the relay sends as one ``CustomersChanged``.
"""

import uuid
from typing import Any

import orjson
from sqlalchemy import any_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.receivables.customers.schemas import contact_rows
from services.receivables.events import OUTBOX_COLUMNS, announce_customers_later
from services.receivables.ingest.invoices import Counts
from services.receivables.ingest.schemas import CustomerRow, RejectedRow, RowError
from services.receivables.ingest.staging import copy_rows, refresh_statistics, stored_rows
from services.receivables.models import Person, TenantUser
from services.receivables.people.repository import learn_users
from services.receivables.people.schemas import PersonKind
from services.receivables.tenant_settings.repository import TenantProfile
from shared.identity import COLLECTOR
from shared.tenant_users import TenantUsers

STAGING = "ingest_customers"
COLUMNS = (
    ("idx", "integer"),
    ("external_id", "text"),
    ("name", "text"),
    ("tax_id", "text"),
    ("country", "text"),
    ("timezone", "text"),
    ("language", "text"),
    ("segment", "text"),
    ("vip", "boolean"),
    ("risk_level", "text"),
    ("tags", "varchar(60)[]"),
    ("contacts", "jsonb"),
    ("collector_id", "uuid"),
    ("advisor_id", "uuid"),
    ("version", "bigint"),
)
SNAPSHOT = ("name", "tax_id", "country", "timezone", "language", "segment", "vip", "risk_level", "tags")

# The row's contacts, each keeping the invalid mark it has on the stored customer ``c``.
MERGED_CONTACTS = """(SELECT coalesce(jsonb_agg(n || jsonb_build_object('invalid', EXISTS (
        SELECT 1 FROM jsonb_array_elements(c.contacts) o
        WHERE o->>'channel' = n->>'channel' AND o->>'address' = n->>'address'
          AND coalesce((o->>'invalid')::boolean, false))) ORDER BY k), '[]'::jsonb)
    FROM jsonb_array_elements(s.contacts) WITH ORDINALITY AS x(n, k))"""

CHANGED = (
    f"({', '.join(f'c.{f}' for f in SNAPSHOT)}, c.contacts, c.collector_id, c.advisor_id, c.deleted) "
    f"IS DISTINCT FROM ({', '.join(f's.{f}' for f in SNAPSHOT)}, {MERGED_CONTACTS}, "
    "coalesce(s.collector_id, c.collector_id), coalesce(s.advisor_id, c.advisor_id), false)"
)

UPSERT = text(
    f"""
WITH stored AS MATERIALIZED ({stored_rows("receivables.customers", "c", "external_ids", "c.id")}),
looked AS (
    SELECT s.*, c.id AS customer_id FROM {STAGING} s LEFT JOIN stored c ON c.external_id = s.external_id
),
updated AS (
    UPDATE receivables.customers c
    SET {", ".join(f"{f} = s.{f}" for f in SNAPSHOT)}, contacts = {MERGED_CONTACTS},
        collector_id = coalesce(s.collector_id, c.collector_id), advisor_id = coalesce(s.advisor_id, c.advisor_id),
        deleted = false, source_version = coalesce(s.version, c.source_version), revision = c.revision + 1,
        updated_at = now()
    FROM looked s
    WHERE c.id = ANY(ARRAY(SELECT id FROM stored)) AND c.id = s.customer_id  -- ids found in the tenant
      AND (s.version IS NULL OR c.source_version IS NULL OR s.version > c.source_version) AND {CHANGED}
    RETURNING c.*
),
inserted AS (
    INSERT INTO receivables.customers (id, tenant_id, external_id, {", ".join(SNAPSHOT)}, contacts, collector_id,
                                       advisor_id, source_version)
    SELECT receivables.uuid7(), :tenant_id, s.external_id, {", ".join(f"s.{f}" for f in SNAPSHOT)}, s.contacts,
           s.collector_id, s.advisor_id, s.version
    FROM looked s WHERE s.customer_id IS NULL
    ON CONFLICT (tenant_id, external_id) DO NOTHING
    RETURNING *
),
events AS (
    -- One deferred row for the batch: the relay sends it as one CustomersChanged.
    INSERT INTO receivables.outbox {OUTBOX_COLUMNS}
    SELECT {announce_customers_later("jsonb_agg(c.id)", "CAST(:tenant_id AS uuid)")}
    FROM (SELECT id FROM inserted UNION ALL SELECT id FROM updated) c HAVING count(*) > 0
)
SELECT (SELECT count(*) FROM inserted) AS created, (SELECT count(*) FROM updated) AS updated
"""
)


async def _collectors(session: AsyncSession, tenant_id: uuid.UUID) -> dict[uuid.UUID, str]:
    users = TenantUser.__table__
    query = select(users.c.user_id, users.c.email).where(
        users.c.tenant_id == tenant_id, any_(users.c.roles) == COLLECTOR
    )
    return {row.user_id: row.email.lower() for row in await session.execute(query)}


async def _references(
    session: AsyncSession, gateway: TenantUsers, tenant_id: uuid.UUID, rows: list[tuple[int, CustomerRow]]
) -> tuple[Any, ...]:
    collectors = await _collectors(session, tenant_id)
    # Collectors named but not known here may have been created a moment ago: the gateway is asked once.
    emails = set(collectors.values())
    missing_ids = list(
        dict.fromkeys(r.collector_id for _, r in rows if r.collector_id and r.collector_id not in collectors)
    )
    missing_emails = list(
        dict.fromkeys(e.lower() for _, r in rows if (e := r.collector_email) and e.lower() not in emails)
    )
    if (missing_ids or missing_emails) and await learn_users(session, gateway, tenant_id, missing_ids, missing_emails):
        collectors = await _collectors(session, tenant_id)
    people = Person.__table__
    advisor_ids = [r.advisor_id for _, r in rows if r.advisor_id]
    advisor_external_ids = [r.advisor_external_id for _, r in rows if r.advisor_external_id]
    advisors: dict[Any, uuid.UUID] = {}
    if advisor_ids or advisor_external_ids:
        for row in await session.execute(
            select(people.c.id, people.c.external_id).where(
                people.c.tenant_id == tenant_id,
                people.c.kind == PersonKind.ADVISOR,
                people.c.id.in_(advisor_ids) | people.c.external_id.in_(advisor_external_ids),
            )
        ):
            advisors[row.id] = row.id
            if row.external_id:
                advisors[row.external_id] = row.id
    return collectors, {email: user_id for user_id, email in collectors.items()}, advisors


async def upsert_customers(
    session: AsyncSession, profile: TenantProfile, rows: list[tuple[int, CustomerRow]], gateway: TenantUsers
) -> tuple[Counts, list[RejectedRow]]:
    if not rows:
        return Counts(), []
    collectors, collector_by_email, advisors = await _references(session, gateway, profile.tenant_id, rows)
    rejected: list[RejectedRow] = []
    records = []
    for index, row in rows:
        collector_id = row.collector_id
        errors: list[RowError] = []
        if collector_id is not None and collector_id not in collectors:
            errors.append(RowError(field="collector_id", reason="is not a collector of this tenant"))
        if row.collector_email is not None:
            collector_id = collector_by_email.get(row.collector_email.lower())
            if collector_id is None:
                errors.append(
                    RowError(field="collector_email", reason="is not the email of a collector of this tenant")
                )
        advisor_key = row.advisor_id or row.advisor_external_id
        advisor_id = advisors.get(advisor_key) if advisor_key is not None else None
        if advisor_key is not None and advisor_id is None:
            field = "advisor_id" if row.advisor_id else "advisor_external_id"
            errors.append(RowError(field=field, reason="is not a business advisor of this tenant"))
        if errors:
            rejected.append(
                RejectedRow(
                    index=index,
                    external_id=row.external_id,
                    field=errors[0].field,
                    reason=errors[0].reason,
                    errors=errors,
                )
            )
            continue
        records.append(
            (
                index,
                row.external_id,
                row.name,
                row.tax_id,
                row.country,
                row.timezone,
                row.language,
                row.segment,
                row.vip,
                row.risk_level.value if row.risk_level else None,
                row.tags,
                orjson.dumps(contact_rows(row.contacts)).decode(),
                collector_id,
                advisor_id,
                row.version,
            )
        )
    if not records:
        return Counts(), rejected
    await refresh_statistics(session, "receivables.customers", "receivables.people", "receivables.users")
    await copy_rows(session, STAGING, COLUMNS, records)
    external_ids = [record[1] for record in records]
    result = (await session.execute(UPSERT, {"tenant_id": profile.tenant_id, "external_ids": external_ids})).one()
    return Counts(result.created, result.updated, len(records) - result.created - result.updated), rejected
