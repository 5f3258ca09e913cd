"""Exports for spreadsheets: customers, invoices, the aging report and the KPIs, each as CSV and XLSX, read back
(the csv module, openpyxl's reader) and compared with the JSON of the list or report with the same filters;
another tenant's rows never appear; a large export arrives in many chunks."""

import asyncio
import csv
import io
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook

from services.receivables.exports.repository import BATCH
from services.receivables.exports.tables import AGING, CUSTOMERS, INVOICES, KPIS, Column
from shared.identity import identity_headers
from shared.settings import ServiceSettings
from tests.receivables.helpers import Ctx, customer, invoice, post, setup_tenant

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def download(ctx: Ctx, path: str, export_format: str, params: Any = ()) -> tuple[list[str], list[list[Any]]]:
    """The export's header and rows, read back with the reader of its format."""
    response = await ctx.api.get(path, params=[*params, ("format", export_format)], headers=ctx.admin)
    assert response.status_code == 200, response.text
    name = path.strip("/").split("/")[-2]
    disposition = response.headers["content-disposition"]
    assert re.fullmatch(rf'attachment; filename="{name}-\d{{4}}-\d\d-\d\d\.{export_format}"', disposition)
    if export_format == "csv":
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    else:
        assert response.headers["content-type"] == XLSX
        sheet = load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
        rows = [row + [None] * (len(rows[0]) - len(row)) for row in rows]  # a row ends at its last value
    return rows[0], rows[1:]


class Moment:
    """A datetime equal to those within a millisecond of it (Excel keeps milliseconds, rounded)."""

    def __init__(self, value: datetime) -> None:
        self.value = value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Moment) and abs(self.value - other.value) <= timedelta(milliseconds=1)

    def __repr__(self) -> str:
        return f"Moment({self.value.isoformat()})"


def expected(column: Column, value: Any, export_format: str) -> Any:
    """What the sheet holds for the JSON ``value`` of ``column``."""
    if column.kind == "list":
        value = ";".join(value) if value else None
    if value is None:
        return "" if export_format == "csv" else None
    if column.kind in ("money", "number"):
        return Decimal(str(value))
    if column.kind == "datetime":
        return Moment(datetime.fromisoformat(value))
    if column.kind == "date":
        return date.fromisoformat(str(value))
    if export_format == "csv":
        return {True: "true", False: "false"}.get(value, str(value)) if column.kind == "boolean" else str(value)
    return value


def read(column: Column, cell: Any, export_format: str) -> Any:
    """A sheet's cell in the same terms as ``expected``."""
    if cell in ("", None):
        return cell
    if column.kind in ("money", "number"):
        return Decimal(str(cell))
    if column.kind == "datetime":
        return Moment(datetime.fromisoformat(cell) if export_format == "csv" else cell)
    if column.kind == "date":
        return date.fromisoformat(cell) if export_format == "csv" else cell.date()
    if column.kind == "integer" and export_format == "csv":
        return cell
    return cell


def as_sheet(columns: tuple[Column, ...], items: list[dict[str, Any]], export_format: str) -> list[list[Any]]:
    rows = []
    for item in items:
        row = []
        for column in columns:
            value = expected(column, item.get(column.key), export_format)
            if column.kind == "integer" and export_format == "csv":
                value = str(value)
            row.append(value)
        rows.append(row)
    return rows


def from_sheet(columns: tuple[Column, ...], rows: list[list[Any]], export_format: str) -> list[list[Any]]:
    return [[read(c, cell, export_format) for c, cell in zip(columns, row, strict=True)] for row in rows]


async def listed(ctx: Ctx, path: str, params: Any = ()) -> list[dict[str, Any]]:
    response = await ctx.api.get(path, params=[*params, ("limit", "500")], headers=ctx.admin)
    assert response.status_code == 200, response.text
    assert response.json()["next_cursor"] is None
    return response.json()["items"]


@pytest.fixture
async def two_tenants(api, stack) -> tuple[Ctx, Ctx]:
    ours, theirs = await setup_tenant(api, stack), await setup_tenant(api, stack)
    for ctx in (ours, theirs):
        vip = await customer(
            ctx,
            name="Ñandú Distribuidora S.A.",
            tax_id="30-71234567-8",
            vip=True,
            tags=["north", "key-account"],
            segment="wholesale",
            contacts=[
                {"channel": "email", "address": "pagos@nandu.com.ar"},
                {"channel": "email", "address": "cuentas@nandu.com.ar"},
                {"channel": "whatsapp", "address": "+5491155551234"},
            ],
            collector_id=str(ctx.collector_id),
        )
        plain = await customer(ctx, name="Almacén Los Andes", segment="retail")
        today = ctx.today
        await invoice(ctx, vip["id"], amount="1500.50", due_date=str(today - timedelta(days=45)))
        await invoice(ctx, vip["id"], currency="USD", amount="99.99", due_date=str(today - timedelta(days=3)))
        await invoice(ctx, plain["id"], amount="20000.00", open_amount="5000.00", due_date=str(today + timedelta(9)))
        await invoice(ctx, plain["id"], currency="CLP", amount="125000", due_date=str(today - timedelta(days=130)))
        disputed = await invoice(ctx, plain["id"], amount="700.00", due_date=str(today - timedelta(days=70)))
        area = await post(ctx.api, "/v1/dispute-areas", ctx.admin, {"name": "Comercial"})
        await post(
            ctx.api,
            f"/v1/invoices/{disputed['id']}/status",
            ctx.admin,
            {"status": "dispute", "dispute_area_id": area["id"], "reason": "Precio mal cargado"},
            expect=200,
        )
        ctx.extra.update(vip=vip, plain=plain)
    return ours, theirs


def customer_items(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            **c,
            **{ch: [k["address"] for k in c["contacts"] if k["channel"] == ch] for ch in ("email", "sms", "whatsapp")},
        }
        for c in items
    ]


async def invoice_items(ctx: Ctx, params: Any) -> list[dict[str, Any]]:
    names = {c["id"]: c for c in await listed(ctx, "/v1/customers")}
    return [
        {
            **i,
            "customer_name": names[i["customer_id"]]["name"],
            "customer_external_id": names[i["customer_id"]]["external_id"],
        }
        for i in await listed(ctx, "/v1/invoices", params)
    ]


@pytest.mark.parametrize("export_format", ["csv", "xlsx"])
async def test_customers_export_is_the_list(two_tenants, export_format):
    ours, theirs = two_tenants
    for params in ([], [("vip", "true")], [("q", "andes")], [("tag", "north"), ("has_overdue", "true")]):
        header, rows = await download(ours, "/v1/customers/export", export_format, params)
        assert header == CUSTOMERS.header
        items = customer_items(await listed(ours, "/v1/customers", params))
        assert items, params
        assert from_sheet(CUSTOMERS.columns, rows, export_format) == as_sheet(CUSTOMERS.columns, items, export_format)
    _, rows = await download(ours, "/v1/customers/export", export_format)
    theirs_ids = {c["id"] for c in await listed(theirs, "/v1/customers")}
    assert len(rows) == 2 and not theirs_ids & {r[0] for r in rows}
    vip = next(r for r in rows if r[0] == ours.extra["vip"]["id"])
    assert vip[CUSTOMERS.header.index("email")] == "pagos@nandu.com.ar;cuentas@nandu.com.ar"
    assert vip[CUSTOMERS.header.index("name")] == "Ñandú Distribuidora S.A."


@pytest.mark.parametrize("export_format", ["csv", "xlsx"])
async def test_invoices_export_is_the_list(two_tenants, export_format):
    ours, theirs = two_tenants
    for params in (
        [],
        [("currency", "ARS")],
        [("overdue", "true")],
        [("status", "dispute"), ("status", "normal"), ("customer_id", ours.extra["plain"]["id"])],
        [("collector_id", str(ours.collector_id))],
        [("due_from", str(ours.today - timedelta(days=80))), ("due_to", str(ours.today))],
    ):
        header, rows = await download(ours, "/v1/invoices/export", export_format, params)
        assert header == INVOICES.header
        items = await invoice_items(ours, params)
        assert items, params
        assert from_sheet(INVOICES.columns, rows, export_format) == as_sheet(INVOICES.columns, items, export_format)
    _, rows = await download(ours, "/v1/invoices/export", export_format)
    theirs_ids = {i["id"] for i in await listed(theirs, "/v1/invoices")}
    assert len(rows) == 5 and not theirs_ids & {r[0] for r in rows}


async def test_money_and_dates_are_numbers_and_dates_in_xlsx(two_tenants):
    ours, _ = two_tenants
    response = await ours.api.get("/v1/invoices/export?format=xlsx&currency=CLP", headers=ours.admin)
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    header = [c.value for c in sheet[1]]
    amount, due = sheet.cell(2, header.index("amount") + 1), sheet.cell(2, header.index("due_date") + 1)
    assert amount.data_type == "n" and amount.value == 125000 and amount.number_format == "#,##0"  # CLP: no cents
    assert due.is_date and due.number_format == "yyyy-mm-dd"
    assert sheet.cell(2, header.index("currency") + 1).value == "CLP"


@pytest.mark.parametrize("export_format", ["csv", "xlsx"])
async def test_aging_export_is_the_report(two_tenants, export_format):
    ours, _ = two_tenants
    for params in ([], [("currency", "ARS")], [("as_of", str(ours.today + timedelta(days=60)))]):
        header, rows = await download(ours, "/v1/kpis/aging/export", export_format, params)
        assert header == AGING.header
        report = (await ours.api.get("/v1/kpis/aging", params=params, headers=ours.admin)).json()
        items = [
            {
                "as_of": report["as_of"],
                "currency": c["currency"],
                **{b["bucket"]: b["amount"] for b in c["buckets"]},
                "overdue": c["overdue"],
                "total": c["total"],
                "invoices": sum(b["invoices"] for b in c["buckets"]),
            }
            for c in report["currencies"]
        ]
        assert len(items) == (3 if not params or "as_of" in params[0][0] else 1)
        assert from_sheet(AGING.columns, rows, export_format) == as_sheet(AGING.columns, items, export_format)
    # the foreign tenant's identical portfolio is not added in: ARS is ours alone
    _, rows = await download(ours, "/v1/kpis/aging/export", export_format, [("currency", "ARS")])
    assert Decimal(str(rows[0][AGING.header.index("total")])) == Decimal("1500.50") + 5000 + 700


def number(value: Any) -> Decimal | None:
    return None if value in ("", None) else Decimal(str(value))


@pytest.mark.parametrize("export_format", ["csv", "xlsx"])
async def test_kpis_export_holds_every_figure_of_the_report(two_tenants, export_format):
    ours, _ = two_tenants
    vip = ours.extra["vip"]
    promised = (await listed(ours, "/v1/invoices", [("customer_id", vip["id"]), ("currency", "ARS")]))[0]
    outcome = {
        "customer_id": vip["id"],
        "kind": "promise_to_pay",
        "invoice_ids": [promised["id"]],
        "promised_date": str(ours.today + timedelta(days=1)),
        "excuse": "forgetting",
        "note": "Se olvidó #olvido",
    }
    await post(ours.api, "/v1/outcomes", ours.collector, outcome)
    await post(ours.api, "/v1/tasks", ours.collector, {"title": "Llamar", "due_date": str(ours.today)})
    header, rows = await download(ours, "/v1/kpis/export", export_format, [("months", "6")])
    assert header == KPIS.header
    column = {key: i for i, key in enumerate(header)}
    figures = {
        tuple(r[column[k]] or "" for k in ("kpi", "currency", "subject", "metric")): number(r[column["value"]])
        for r in rows
    }
    assert len(figures) == len(rows)  # one row per figure
    report = (await ours.api.get("/v1/kpis", params={"months": 6}, headers=ours.admin)).json()
    wanted = {}
    for c in report["aging"]["currencies"]:
        wanted[("aging", c["currency"], "all", "total")] = c["total"]
        wanted[("aging", c["currency"], "all", "overdue")] = c["overdue"]
        for b in c["buckets"]:
            wanted[("aging", c["currency"], b["bucket"], "amount")] = b["amount"]
            wanted[("aging", c["currency"], b["bucket"], "invoices")] = b["invoices"]
    for c in report["dso"]["currencies"]:
        wanted[("dso", c["currency"], "", "dso")] = c["dso"]
        wanted[("dso", c["currency"], "", "receivables")] = c["receivables"]
        wanted[("dso", c["currency"], "", "exhausted")] = int(c["exhausted"])
    for c in report["cei"]["currencies"]:
        for metric in ("cei", "beginning", "sales", "ending_total", "ending_current"):
            wanted[("cei", c["currency"], "", metric)] = c[metric]
    for metric in ("made", "kept", "broken", "cancelled", "open_now", "kept_rate"):
        wanted[("promises", "", "", metric)] = report["promises"][metric]
    for excuse in report["excuses"]["by_reason"]:
        wanted[("excuses", "", excuse["excuse"], "outcomes")] = excuse["outcomes"]
        wanted[("excuses", "", excuse["excuse"], "notes")] = excuse["notes"]
    for hashtag in report["excuses"]["by_hashtag"]:
        wanted[("hashtags", "", hashtag["hashtag"], "notes")] = hashtag["notes"]
    for collector in report["contacts"]["collectors"]:
        for metric in ("contacts", "customers"):
            wanted[("contacts", "", collector["name"], metric)] = collector[metric]
        for kind, n in collector["outcomes"].items():
            wanted[("contacts", "", collector["name"], f"outcome:{kind}")] = n
    for assignee in report["workload"]["assignees"]:
        for metric in ("open_tasks", "overdue", "due_today"):
            wanted[("workload", "", assignee["name"], metric)] = assignee[metric]
    assert len(report["aging"]["currencies"]) == 3 and report["dso"]["currencies"]
    assert report["excuses"]["by_hashtag"] and report["contacts"]["collectors"] and report["workload"]["assignees"]
    assert report["promises"]["made"] == 1
    assert {k: figures.get(k, "missing") for k in wanted} == {k: number(v) for k, v in wanted.items()}
    assert {r[column["kpi"]] for r in rows} == {
        "aging",
        "dso",
        "cei",
        "promises",
        "excuses",
        "hashtags",
        "contacts",
        "workload",
    }


async def test_exports_need_a_reader_and_a_known_format(two_tenants):
    ours, _ = two_tenants
    for path in ("/v1/customers/export", "/v1/invoices/export", "/v1/kpis/export", "/v1/kpis/aging/export"):
        assert (await ours.api.get(path)).status_code == 401
        assert (await ours.api.get(path, headers=ours.collector)).status_code == 200  # as the list: any reader
        assert (await ours.api.get(path, headers=ours.erp)).status_code == 200
        bad = await ours.api.get(path, params={"format": "pdf"}, headers=ours.admin)
        assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in bad.json()["errors"]] == ["format"]
    bad = await ours.api.get("/v1/invoices/export", params={"due_from": "tomorrow"}, headers=ours.admin)
    assert bad.status_code == 422 and [e["field"] for e in bad.json()["errors"]] == ["due_from"]


INVOICES_AT_SCALE = 5000


async def asgi_get(rc: Ctx, path: str, query: str = "") -> tuple[int, list[bytes]]:
    """GET from the receivables app itself, as the gateway forwards it (a signed identity), recording each body
    message the app sends: the chunks of the answer as they leave the service (an in-process HTTP client would
    hand them over joined)."""
    secret = ServiceSettings().internal_secret
    headers = identity_headers(secret, rc.tenant_id, "user:exporter", ["admin"])
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("receivables.test", 80),
    }
    sent: list[dict[str, Any]] = []
    requested, done = asyncio.Event(), asyncio.Event()

    async def receive() -> dict[str, Any]:
        if not requested.is_set():
            requested.set()
            return {"type": "http.request", "body": b"", "more_body": False}
        await done.wait()  # the client stays until the whole answer is sent
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            done.set()

    await rc.stack.services["receivables"](scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    return status, [m["body"] for m in sent if m["type"] == "http.response.body" and m.get("body")]


async def test_a_large_export_streams_in_chunks(rc):
    """5,000 invoices: the CSV leaves the service in many chunks (a batch of rows each, read from a server-side
    cursor), and the same rows come through the gateway; so does the XLSX (the workbook's start, a deflated chunk
    per batch, its end), whose cells read back by openpyxl are the CSV's, in their own types."""
    rows = [{"external_id": f"C-{n}", "name": f"Cliente {n:03d}"} for n in range(50)]
    await post(rc.api, "/v1/ingest/customers", rc.erp, {"items": rows}, expect=200)
    invoices = [
        {
            "external_id": f"F-{n:05d}",
            "customer_external_id": f"C-{n % 50}",
            "number": f"A-{n:05d}",
            "currency": "ARS",
            "amount": f"{1000 + n}.25",
            "issue_date": "2026-01-01",
            "due_date": str(date(2026, 2, 1) + timedelta(days=n % 300)),
        }
        for n in range(INVOICES_AT_SCALE)
    ]
    await post(rc.api, "/v1/ingest/invoices", rc.erp, {"items": invoices}, expect=200)
    status, chunks = await asgi_get(rc, "/v1/invoices/export")
    assert status == 200
    assert len(chunks) == 1 + INVOICES_AT_SCALE // BATCH  # the header, then one chunk per batch of rows
    assert max(chunk.count(b"\r\n") for chunk in chunks) == BATCH
    through_gateway = await rc.api.get("/v1/invoices/export", headers=rc.admin)
    assert through_gateway.content == b"".join(chunks)
    lines = list(csv.reader(io.StringIO(through_gateway.content.decode("utf-8-sig"))))
    assert len(lines) == INVOICES_AT_SCALE + 1
    amounts = sorted(Decimal(line[INVOICES.header.index("amount")]) for line in lines[1:])
    assert amounts == [Decimal(f"{1000 + n}.25") for n in range(INVOICES_AT_SCALE)]
    due = [line[INVOICES.header.index("due_date")] for line in lines[1:]]
    assert due == sorted(due)  # the list's order

    status, xlsx_chunks = await asgi_get(rc, "/v1/invoices/export", "format=xlsx")
    assert status == 200
    assert len(xlsx_chunks) == 1 + INVOICES_AT_SCALE // BATCH + 1  # the start, a chunk per batch, the end
    through_gateway = await rc.api.get("/v1/invoices/export?format=xlsx", headers=rc.admin)
    assert through_gateway.content == b"".join(xlsx_chunks)
    _, rows = await download(rc, "/v1/invoices/export", "xlsx")
    assert len(rows) == INVOICES_AT_SCALE
    assert typed(INVOICES.columns, rows, "xlsx") == typed(INVOICES.columns, lines[1:], "csv")


def typed(columns: tuple[Column, ...], rows: list[list[Any]], export_format: str) -> list[list[Any]]:
    """The cells in the same terms, whatever the format (an empty cell None, integers ints); an XLSX cell must be
    of its column's type: numbers for money and integers, datetimes for dates (openpyxl reads both as datetimes),
    text for text."""
    kinds: dict[str, tuple[type, ...]] = {
        "money": (int, float),
        "number": (int, float),
        "integer": (int,),
        "date": (datetime,),
        "datetime": (datetime,),
        "boolean": (bool,),
    }
    out = []
    for row in rows:
        cells = []
        for column, cell in zip(columns, row, strict=True):
            if cell in ("", None):
                cells.append(None)
                continue
            if export_format == "xlsx":
                assert isinstance(cell, kinds.get(column.kind, (str,))), (column, cell)
            value = read(column, cell, export_format)
            if export_format == "csv" and column.kind in ("integer", "boolean"):
                value = int(value) if column.kind == "integer" else value == "true"
            cells.append(value)
        out.append(cells)
    return out
