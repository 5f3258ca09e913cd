"""What each export holds: its columns (English keys, the JSON field names) and how a row of the list or report
becomes a row of the sheet. Pure: no I/O.

Money is a number with the currency in its own column; dates are dates; a list (tags, contacts) is one cell with
its entries separated by ``;``.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, cast

from services.receivables.invoices.service import days_overdue
from shared.aging import BUCKET_NAMES

Kind = Literal["text", "money", "number", "integer", "date", "datetime", "boolean", "list"]


@dataclass(frozen=True)
class Column:
    key: str
    kind: Kind = "text"


@dataclass(frozen=True)
class Table:
    name: str  # the file's and the sheet's name
    columns: tuple[Column, ...]
    example: tuple[str, ...] = ()  # one realistic CSV row, for the OpenAPI document

    @property
    def example_csv(self) -> str:
        return ",".join(self.header) + "\r\n" + ",".join(self.example) + "\r\n"

    @property
    def header(self) -> list[str]:
        return [c.key for c in self.columns]


def _columns(spec: str) -> tuple[Column, ...]:
    """``"id name:text amount:money"``: a column per word, its kind after a colon (text when none)."""
    columns = []
    for word in spec.split():
        key, _, kind = word.partition(":")
        columns.append(Column(key, cast(Kind, kind or "text")))
    return tuple(columns)


CUSTOMERS = Table(
    "customers",
    _columns(
        "id external_id name tax_id country timezone language segment vip:boolean risk_level tags:list "
        "email:list sms:list whatsapp:list opted_out_channels:list collector_id advisor_id "
        "created_at:datetime updated_at:datetime"
    ),
    (
        "0192f1a4-5c1e-7b3a-9d2e-4f6a8b0c1d2e",
        "ERP-C-100",
        "Ferretería Los Andes S.A.",
        "30-71234567-9",
        "AR",
        "America/Argentina/Buenos_Aires",
        "es",
        "pyme",
        "false",
        "medium",
        "mayorista;zona-norte",
        "pagos@losandes.example",
        "+5491155550100",
        "+5491155550100",
        "",
        "0192f1a4-0000-7000-8000-00000000c01e",
        "",
        "2026-03-02T13:15:00+00:00",
        "2026-11-30T18:40:12+00:00",
    ),
)
INVOICES = Table(
    "invoices",
    _columns(
        "id external_id number kind customer_id customer_external_id customer_name currency amount:money "
        "open_amount:money issue_date:date due_date:date days_overdue:integer status promised_date:date "
        "reported_date:date dispute_area_id closed_on:date applies_to:list document_url "
        "created_at:datetime updated_at:datetime"
    ),
    (
        "0192f1a4-7d10-7c55-8e41-2b9d6a3f0451",
        "A-0001-00000451",
        "A-0001-00000451",
        "invoice",
        "0192f1a4-5c1e-7b3a-9d2e-4f6a8b0c1d2e",
        "ERP-C-100",
        "Ferretería Los Andes S.A.",
        "ARS",
        "125000.00",
        "45000.00",
        "2026-10-01",
        "2026-10-31",
        "36",
        "promise_to_pay",
        "2026-12-15",
        "",
        "",
        "",
        "",
        "https://erp.example/facturas/A-0001-00000451.pdf",
        "2026-10-01T12:00:00+00:00",
        "2026-12-05T15:22:09+00:00",
    ),
)
AGING = Table(
    "aging",
    (
        Column("as_of", "date"),
        Column("currency"),
        *(Column(bucket, "money") for bucket in BUCKET_NAMES),
        Column("overdue", "money"),
        Column("total", "money"),
        Column("invoices", "integer"),
    ),
    (
        "2026-12-06",
        "ARS",
        "310500.00",
        "125000.00",
        "48200.50",
        "0.00",
        "12000.00",
        "9800.00",
        "195000.50",
        "505500.50",
        "27",
    ),
)
KPIS = Table(
    "kpis",
    _columns("kpi date_from:date date_to:date as_of:date currency subject subject_id metric value:number"),
    ("dso", "2026-11-01", "2026-11-30", "", "ARS", "", "", "days", "41.7"),
)


def customer_row(customer: Mapping[str, Any]) -> dict[str, Any]:
    contacts = customer["contacts"] or []
    by_channel = {
        channel: [c["address"] for c in contacts if c["channel"] == channel] for channel in ("email", "sms", "whatsapp")
    }
    return {**customer, **by_channel}


def invoice_row(invoice: Mapping[str, Any], today: date) -> dict[str, Any]:
    return {**invoice, "days_overdue": days_overdue(invoice["due_date"], today)}


def aging_rows(aging: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per currency: the amount of each bucket, then overdue, total and the count of open invoices."""
    return [
        {
            "as_of": aging["as_of"],
            "currency": currency["currency"],
            **{b["bucket"]: b["amount"] for b in currency["buckets"]},
            "overdue": currency["overdue"],
            "total": currency["total"],
            "invoices": sum(b["invoices"] for b in currency["buckets"]),
        }
        for currency in aging["currencies"]
    ]


def _figures(values: Mapping[str, Any], metrics: Iterable[str], **where: Any) -> list[dict[str, Any]]:
    """A KPI row per metric of ``values``, each with ``where`` (kpi, dates, currency, subject); booleans as 1/0."""
    return [
        {**where, "metric": m, "value": int(values[m]) if isinstance(values[m], bool) else values[m]} for m in metrics
    ]


def kpi_rows(kpis: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every figure of ``GET /v1/kpis`` as one long table (a row per number), so that one sheet holds them all and
    a pivot table can take them apart: ``kpi``, the period or date it is measured at, the currency and the subject
    (bucket, excuse, hashtag, collector, assignee) it is about, then ``metric`` and ``value``."""
    rows: list[dict[str, Any]] = []
    aging, dso, cei, promises = kpis["aging"], kpis["dso"], kpis["cei"], kpis["promises"]
    period = {"date_from": cei["date_from"], "date_to": cei["date_to"]}
    for currency in aging["currencies"]:
        at = {"kpi": "aging", "as_of": aging["as_of"], "currency": currency["currency"]}
        rows += _figures(currency, ("total", "overdue"), **at, subject="all")
        for bucket in currency["buckets"]:
            rows += _figures(bucket, ("amount", "invoices"), **at, subject=bucket["bucket"])
    for currency in dso["currencies"]:
        at = {"kpi": "dso", "as_of": dso["as_of"], "currency": currency["currency"]}
        rows += _figures(currency, ("dso", "receivables", "exhausted"), **at)
    for currency in cei["currencies"]:
        metrics: tuple[str, ...] = ("cei", "beginning", "sales", "ending_total", "ending_current")
        rows += _figures(currency, metrics, kpi="cei", **period, currency=currency["currency"])
    metrics = ("made", "kept", "broken", "cancelled", "open_now", "kept_rate")
    rows += _figures(promises, metrics, kpi="promises", **period)
    for broken in promises["broken_amounts"]:
        at = {"kpi": "promises", **period, "currency": broken["currency"], "subject": "broken"}
        rows += _figures(broken, ("amount", "promises"), **at)
    for excuse in kpis["excuses"]["by_reason"]:
        rows += _figures(excuse, ("outcomes", "notes"), kpi="excuses", **period, subject=excuse["excuse"])
    for hashtag in kpis["excuses"]["by_hashtag"]:
        rows += _figures(hashtag, ("notes",), kpi="hashtags", **period, subject=hashtag["hashtag"])
    for collector in kpis["contacts"]["collectors"]:
        who = {"kpi": "contacts", **period, "subject": collector["name"], "subject_id": collector["user_id"]}
        rows += _figures(collector, ("contacts", "customers"), **who)
        outcomes = {f"outcome:{kind}": n for kind, n in sorted(collector["outcomes"].items())}
        rows += _figures(outcomes, outcomes, **who)
    workload = kpis["workload"]
    for assignee in workload["assignees"]:
        who = {
            "kpi": "workload",
            "as_of": workload["as_of"],
            "subject": assignee["name"],
            "subject_id": assignee["user_id"],
        }
        rows += _figures(assignee, ("open_tasks", "overdue", "due_today"), **who)
    return rows
