"""The customer input file as CSV (seed 002): the documented columns, then, optional at the end, the business
advisor and the advisor's supervisor. Headers are matched by name (English or Spanish, any case or accents);
unknown columns are ignored and reported. Comma, semicolon or tab separated; UTF-8 (with or without BOM) or
Latin-1. Phones may be written locally: the customer's country (else the tenant's) completes them.
"""

import csv
import io
import unicodedata
import uuid
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.receivables.events import bump_and_emit_customers
from services.receivables.ingest.schemas import CustomerRow, RejectedRow, RowError
from services.receivables.ingest.validation import validate_rows
from services.receivables.people.repository import name_key
from shared.problems import ValidationProblem
from shared.validation import normalize_email, normalize_phone

COLUMNS = (
    "external_id",
    "name",
    "tax_id",
    "country",
    "timezone",
    "language",
    "segment",
    "vip",
    "risk_level",
    "tags",
    "email",
    "sms_phone",
    "whatsapp",
    "collector_email",
    # seed 002: "se agregan en las columnas finales": advisor and supervisor, optional
    "advisor_first_name",
    "advisor_last_name",
    "advisor_phone",
    "advisor_whatsapp",
    "advisor_email",
    "supervisor_first_name",
    "supervisor_last_name",
    "supervisor_phone",
    "supervisor_email",
)
REQUIRED = ("external_id", "name")
ALIASES = {
    "codigo": "external_id",
    "codigo_cliente": "external_id",
    "id_cliente": "external_id",
    "razon_social": "name",
    "nombre": "name",
    "cliente": "name",
    "cuit": "tax_id",
    "rut": "tax_id",
    "rfc": "tax_id",
    "ruc": "tax_id",
    "nit": "tax_id",
    "pais": "country",
    "zona_horaria": "timezone",
    "idioma": "language",
    "segmento": "segment",
    "riesgo": "risk_level",
    "etiquetas": "tags",
    "correo": "email",
    "telefono": "sms_phone",
    "celular": "sms_phone",
    "cobrador": "collector_email",
    "email_cobrador": "collector_email",
    "asesor_nombre": "advisor_first_name",
    "asesor_apellido": "advisor_last_name",
    "asesor_telefono": "advisor_phone",
    "asesor_whatsapp": "advisor_whatsapp",
    "asesor_email": "advisor_email",
    "supervisor_nombre": "supervisor_first_name",
    "supervisor_apellido": "supervisor_last_name",
    "supervisor_telefono": "supervisor_phone",
}
TRUE = {"1", "true", "yes", "y", "si", "s", "x", "vip"}
MULTI = "|"  # several tags or addresses in one cell


def _header_key(raw: str) -> str:
    plain = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode()
    key = "_".join(plain.strip().lower().replace("-", " ").split())
    return ALIASES.get(key, key)


# Charsets an ERP's export may declare (``Content-Type: text/csv; charset=windows-1252``); without one, UTF-8.
CHARSETS = {
    "utf-8": "utf-8-sig",
    "utf8": "utf-8-sig",
    "iso-8859-1": "latin-1",
    "latin-1": "latin-1",
    "latin1": "latin-1",
    "windows-1252": "cp1252",
    "cp1252": "cp1252",
}


def _decode(body: bytes, charset: str | None) -> str:
    """The declared charset (UTF-8 with or without BOM when none is declared); a byte that is not of it is a 422
    naming its line, as in the JSON routes (issue 11: nothing is guessed). Any line ending becomes ``\n``."""
    codec = CHARSETS.get((charset or "utf-8").lower())
    if codec is None:
        raise ValidationProblem.field("charset", f"{charset!r} is not a supported charset ({', '.join(CHARSETS)})")
    try:
        text = body.decode(codec)
    except UnicodeDecodeError as exc:
        line = body[: exc.start].count(b"\n") + 1
        raise ValidationProblem.field(
            "body", f"line {line} is not valid {charset or 'UTF-8'} (declare the file's charset in Content-Type)"
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


@dataclass
class PersonSeen:
    name: str
    phone: str | None = None
    whatsapp: str | None = None
    email: str | None = None
    supervisor: str | None = None  # name key of the supervisor


@dataclass
class ParsedFile:
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    advisors: dict[str, PersonSeen] = field(default_factory=dict)
    supervisors: dict[str, PersonSeen] = field(default_factory=dict)
    advisor_of_row: dict[int, str] = field(default_factory=dict)


def _phone(raw: str, region: str | None, column: str, errors: list[RowError]) -> str | None:
    """The phone in E.164, or None with the problem added to ``errors``."""
    try:
        return normalize_phone(raw, region)
    except ValueError as exc:
        errors.append(RowError(field=column, reason=str(exc)))
        return None


def _person(cells: dict[str, str], prefix: str, region: str | None, errors: list[RowError]) -> PersonSeen | None:
    name = " ".join(p for p in (cells.get(f"{prefix}_first_name"), cells.get(f"{prefix}_last_name")) if p).strip()
    if not name:
        return None
    seen = PersonSeen(name=" ".join(name.split()))
    if cells.get(f"{prefix}_phone"):
        seen.phone = _phone(cells[f"{prefix}_phone"], region, f"{prefix}_phone", errors)
    if cells.get(f"{prefix}_whatsapp"):
        seen.whatsapp = _phone(cells[f"{prefix}_whatsapp"], region, f"{prefix}_whatsapp", errors)
    if cells.get(f"{prefix}_email"):
        try:
            seen.email = normalize_email(cells[f"{prefix}_email"])
        except ValueError as exc:
            errors.append(RowError(field=f"{prefix}_email", reason=str(exc)))
    return seen


def parse_customer_file(
    body: bytes, tenant_country: str | None, max_rows: int, charset: str | None = None
) -> ParsedFile:
    content = _decode(body, charset)
    first_line = content.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(content), delimiter=delimiter)
    try:
        return _parse_rows(reader, tenant_country, max_rows)
    except csv.Error as exc:  # a line the csv module cannot read (e.g. a line break inside an unquoted cell)
        raise ValidationProblem.field("body", f"line {reader.line_num} is not valid CSV: {exc}") from None


def _parse_rows(reader: Any, tenant_country: str | None, max_rows: int) -> ParsedFile:
    try:
        header = next(reader)
    except StopIteration:
        raise ValidationProblem.field("body", "the file is empty") from None
    keys = [_header_key(h) for h in header]
    missing = [c for c in REQUIRED if c not in keys]
    if missing:
        raise ValidationProblem.field("columns", f"the file needs the columns: {', '.join(missing)}")
    parsed = ParsedFile(
        ignored_columns=[h for h, k in zip(header, keys, strict=True) if k not in COLUMNS and h.strip()]
    )
    for index, values in enumerate(reader):
        if index >= max_rows:
            raise ValidationProblem.field("body", f"at most {max_rows} rows per file")
        if not any(v.strip() for v in values):
            continue
        cells = {k: v.strip() for k, v in zip(keys, values, strict=False) if k in COLUMNS and v.strip()}
        errors: list[RowError] = []
        row = _row(index, cells, tenant_country, parsed, errors)
        if not errors:
            parsed.rows.append((index, row))
            continue
        # The row's other problems too (a missing name...), so that one answer lists them all.
        _, invalid = validate_rows([row], CustomerRow)
        errors += invalid[0].errors if invalid else []
        parsed.rejected.append(
            RejectedRow(
                index=index,
                external_id=cells.get("external_id"),
                field=errors[0].field,
                reason=errors[0].reason,
                errors=errors,
            )
        )
    return parsed


def _remember(people: dict[str, PersonSeen], person: PersonSeen) -> None:
    """A person met on several lines: what a line says replaces what an earlier one said, blanks do not."""
    key = name_key(person.name)
    known = people.get(key)
    if known is None:
        people[key] = person
        return
    for attribute in ("phone", "whatsapp", "email", "supervisor"):
        value = getattr(person, attribute)
        if value is not None:
            setattr(known, attribute, value)


def _row(
    index: int, cells: dict[str, str], tenant_country: str | None, parsed: ParsedFile, errors: list[RowError]
) -> dict[str, Any]:
    """The row as ``CustomerRow`` reads it; a cell that cannot be read is left out and its problem added to
    ``errors`` (the row is then rejected, and the people it names are not remembered)."""
    region = (cells.get("country") or tenant_country or "").upper() or None
    contacts = []
    for column, channel in (("email", "email"), ("sms_phone", "sms"), ("whatsapp", "whatsapp")):
        for value in filter(None, (v.strip() for v in cells.get(column, "").split(MULTI))):
            address = value if channel == "email" else _phone(value, region, column, errors)
            if address is not None:
                contacts.append({"channel": channel, "address": address})
    supervisor = _person(cells, "supervisor", region, errors)
    advisor = _person(cells, "advisor", region, errors)
    if errors:
        supervisor = advisor = None
    if supervisor is not None:
        _remember(parsed.supervisors, supervisor)
    if advisor is not None:
        advisor.supervisor = name_key(supervisor.name) if supervisor else None
        _remember(parsed.advisors, advisor)
        parsed.advisor_of_row[index] = name_key(advisor.name)
    row: dict[str, Any] = {k: cells[k] for k in ("external_id", "name", "tax_id", "timezone", "segment") if k in cells}
    for k in ("country", "language", "risk_level"):
        if k in cells:
            row[k] = cells[k].lower() if k != "country" else cells[k].upper()
    row["vip"] = cells.get("vip", "").strip().lower() in TRUE
    row["tags"] = [t for t in (t.strip() for t in cells.get("tags", "").split(MULTI)) if t]
    row["contacts"] = contacts
    if "collector_email" in cells:
        row["collector_email"] = cells["collector_email"]
    return row


PEOPLE_UPSERT = text(
    """
INSERT INTO receivables.people (id, tenant_id, kind, name, name_key, email, phone, whatsapp, supervisor_id)
SELECT receivables.uuid7(), :tenant_id, :kind, x.name, x.name_key, x.email, x.phone, x.whatsapp, x.supervisor_id
FROM jsonb_to_recordset(CAST(:rows AS jsonb))
     AS x(name text, name_key text, email text, phone text, whatsapp text, supervisor_id uuid)
ON CONFLICT (tenant_id, kind, name_key) DO UPDATE SET
    name = EXCLUDED.name,
    email = coalesce(EXCLUDED.email, people.email),
    phone = coalesce(EXCLUDED.phone, people.phone),
    whatsapp = coalesce(EXCLUDED.whatsapp, people.whatsapp),
    supervisor_id = coalesce(EXCLUDED.supervisor_id, people.supervisor_id),
    updated_at = now()
WHERE (people.name, people.email, people.phone, people.whatsapp, people.supervisor_id) IS DISTINCT FROM
      (EXCLUDED.name, coalesce(EXCLUDED.email, people.email), coalesce(EXCLUDED.phone, people.phone),
       coalesce(EXCLUDED.whatsapp, people.whatsapp), coalesce(EXCLUDED.supervisor_id, people.supervisor_id))
RETURNING id, name_key, (xmax <> 0) AS existed
"""
)
PEOPLE_IDS = text(
    "SELECT id, name_key FROM receivables.people "
    "WHERE tenant_id = :tenant_id AND kind = :kind AND name_key = ANY(:keys)"
)


async def upsert_people(session: AsyncSession, tenant_id: uuid.UUID, parsed: ParsedFile) -> dict[str, uuid.UUID]:
    """Supervisors, then advisors (pointing to their supervisors), matched by name; answers advisor ids by name
    key. People whose details changed re-announce the customers that show them."""
    changed: list[uuid.UUID] = []

    async def upsert(
        kind: str, people: dict[str, PersonSeen], supervisors: dict[str, uuid.UUID]
    ) -> dict[str, uuid.UUID]:
        if not people:
            return {}
        rows = [
            {
                "name": p.name,
                "name_key": key,
                "email": p.email,
                "phone": p.phone,
                "whatsapp": p.whatsapp,
                "supervisor_id": str(supervisors[p.supervisor]) if p.supervisor in supervisors else None,
            }
            for key, p in people.items()
        ]
        result = await session.execute(
            PEOPLE_UPSERT, {"tenant_id": tenant_id, "kind": kind, "rows": orjson.dumps(rows).decode()}
        )
        changed.extend(r.id for r in result if r.existed)
        found = await session.execute(PEOPLE_IDS, {"tenant_id": tenant_id, "kind": kind, "keys": list(people)})
        return {r.name_key: r.id for r in found}

    supervisor_ids = await upsert("supervisor", parsed.supervisors, {})
    advisor_ids = await upsert("advisor", parsed.advisors, supervisor_ids)
    if changed:
        await bump_and_emit_customers(
            session,
            tenant_id,
            "c.advisor_id = ANY(:people) OR c.advisor_id IN (SELECT p.id FROM receivables.people p "
            "WHERE p.tenant_id = :tenant_id AND p.supervisor_id = ANY(:people))",
            {"people": changed},
        )
    return advisor_ids
