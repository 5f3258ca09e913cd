"""The customer's page (issue 17): requests/s and latency of the page a link opens, through the gateway, beside a
bare static file (the page's own stylesheet, GET /portal/static/portal.css) served by the same portal process
behind the same gateway in the same run.

Set-up: 10,000 customers (small: 1,000) with two invoices each (one overdue, one not yet due)
loaded through the bulk ingest API, then a link for each (POST /v1/portal-links, 8 at a time). Then wrk (32
connections) asks for the pages round the links, one link after another: each request checks the token, counts an
open, reads the customer's statement from receivables and the tenant's profile from messaging, and renders the
page. The limit of pages per address is raised for the run (everything comes from 127.0.0.1); the limit per link
stays (each link is asked far fewer times a minute than it allows).

    python bench/portal.py [--scale small]      (small: 1,000 customers, under a minute)
"""

import asyncio
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.gateway import run_wrk
from bench.harness import System, arguments, bench_line, require_wrk

CONNECTIONS = 32
# Links are made a few at a time: each POST holds one of the portal's pooled connections (3 + 2) while it writes.
LINKS_IN_FLIGHT = 8
INGEST_BATCH = 5_000
# wrk walks the links in turn (the page counts an open per request, as a debtor's visit does).
WALK_LINKS = """
paths = {}
init = function(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  counter = math.random(#paths)
end
request = function()
  counter = counter % #paths + 1
  return wrk.format("GET", paths[counter])
end
"""


def customers(count: int) -> list[dict]:
    return [
        {
            "external_id": f"C-{n:06d}",
            "name": f"Cliente {n:06d} S.A.",
            "country": "AR",
            "language": ("es", "en", "pt")[n % 3],
            "contacts": [{"channel": "email", "address": f"pagos{n}@cliente.example"}],
        }
        for n in range(count)
    ]


def invoices(count: int, today: date) -> list[dict]:
    rows = []
    for n in range(count):
        for k, (amount, issued_days_ago, term) in enumerate((("150000.00", 60, 30), ("4200.50", 10, 15))):
            issued = today - timedelta(days=issued_days_ago)
            rows.append(
                {
                    "external_id": f"FC-{n:06d}-{k}",
                    "customer_external_id": f"C-{n:06d}",
                    "number": f"A-0001-{n:06d}{k}",
                    "currency": "ARS",
                    "amount": amount,
                    "issue_date": issued.isoformat(),
                    "due_date": (issued + timedelta(days=term)).isoformat(),
                }
            )
    return rows


async def ingest(client: httpx.AsyncClient, headers: dict[str, str], kind: str, rows: list[dict]) -> None:
    for start in range(0, len(rows), INGEST_BATCH):
        response = await client.post(
            f"/v1/ingest/{kind}", headers=headers, json={"items": rows[start : start + INGEST_BATCH]}
        )
        response.raise_for_status()
        if response.json().get("rejected"):
            raise SystemExit(f"ingest {kind} rejected rows: {response.json()['rejected'][:3]}")


async def make_links(client: httpx.AsyncClient, headers: dict[str, str], count: int) -> list[str]:
    """A link for each customer (POST /v1/portal-links, ``LINKS_IN_FLIGHT`` at a time): the paths of their URLs."""
    ids: list[str] = []
    after = None
    while True:
        params = {"limit": 500, **({"cursor": after} if after else {})}
        listed = await client.get("/v1/customers", headers=headers, params=params)
        listed.raise_for_status()
        page = listed.json()
        ids += [c["id"] for c in page["items"]]
        after = page.get("next_cursor")
        if not after:
            break
    assert len(ids) == count, (len(ids), count)
    limit = asyncio.Semaphore(LINKS_IN_FLIGHT)

    async def link(customer_id: str) -> str:
        async with limit:
            created = await client.post("/v1/portal-links", headers=headers, json={"customer_id": customer_id})
            created.raise_for_status()
            return httpx.URL(created.json()["url"]).path

    return list(await asyncio.gather(*(link(i) for i in ids)))


async def main() -> None:
    args = arguments(__doc__)
    count = 1_000 if args.scale == "small" else 10_000
    seconds = 5 if args.scale == "small" else 20
    wrk = require_wrk()
    env = {"PORTAL_PAGES_PER_MINUTE_PER_ADDRESS": "100000000"}
    async with System(
        "portal", services=("receivables", "messaging", "portal"), port_base=args.port_base, extra_env=env
    ) as system:
        tenant = await system.tenant_api_key()
        headers = tenant["api_key"]
        async with httpx.AsyncClient(base_url=system.url("gateway"), timeout=60) as client:
            began = time.monotonic()
            await ingest(client, headers, "customers", customers(count))
            await ingest(client, headers, "invoices", invoices(count, date.today()))
            loaded = time.monotonic()
            paths = await make_links(client, headers, count)
            linked = time.monotonic()
            first = await client.get(paths[0])
            if first.status_code != 200 or "<h1>" not in first.text:
                raise SystemExit(f"the page did not open: {first.status_code} {first.text[:500]}")
        print(
            f"set-up: {count:,} customers and {2 * count:,} invoices loaded in {loaded - began:.1f} s;"
            f" {count:,} links made in {linked - loaded:.1f} s ({count / (linked - loaded):,.0f} links/s)"
        )
        with tempfile.TemporaryDirectory() as directory:
            script, listing = Path(directory) / "walk.lua", Path(directory) / "paths.txt"
            script.write_text(WALK_LINKS)
            listing.write_text("\n".join(paths) + "\n")
            gateway = system.url("gateway")
            stylesheet = f"{gateway}/portal/static/portal.css"
            walk = (str(script), str(listing))
            run_wrk(wrk, stylesheet, {}, 2, CONNECTIONS)  # warm up pools and caches
            run_wrk(wrk, gateway, {}, 2, CONNECTIONS, walk)
            before = system.cpu_by_role()
            page = run_wrk(wrk, gateway, {}, seconds, CONNECTIONS, walk)
            after = system.cpu_by_role()
            static = run_wrk(wrk, stylesheet, {}, seconds, CONNECTIONS)
    cpu = {
        role: (after[role] - before[role]) * 1000 / page["requests"]
        for role in ("gateway", "portal", "receivables", "messaging", "postgres")
        if role in after
    }
    for name, r in (("page", page), ("static", static)):
        print(f"{name:7s}: {r['rps']:7.0f} req/s  p50 {r['p50']:7.2f} ms  p99 {r['p99']:7.2f} ms ({CONNECTIONS} conns)")
    print("CPU per page: " + ", ".join(f"{role} {ms:.2f} ms" for role, ms in cpu.items()))
    print(bench_line("portal_page_rps", page["rps"], static["rps"], "req/s"))
    print(bench_line("portal_page_p50", page["p50"], static["p50"], "ms"))
    print(bench_line("portal_page_p99", page["p99"], static["p99"], "ms"))


if __name__ == "__main__":
    asyncio.run(main())
