"""Fault harness (issue 10): the real system runs a real dunning run while one fault is injected, then every
message is counted where it arrived (the SMTP server's Maildir, the SMS/WhatsApp provider stub's request log)
against the run's plan.

The system: gateway, receivables, dunning, messaging and alarms apps and their workers (``bench/harness.py``),
the local SMTP server (a Maildir this harness reads), the provider stub (calling status callbacks back to the
gateway) and a Redis of the harness's own (``redis-server``, nothing on disk), so it can stop and restart it. The
harness is the supervisor, as Kubernetes or ``make run`` would be: a process of ours that exits is started again
about a second later (not while a fault holds it down).

Each fault gets a tenant of its own: customers with an email address, an SMS phone and a WhatsApp number (each
address used by that customer only), three overdue invoices each (5, 20 and 40 days), a strategy whose three
overdue steps prefer email, SMS and WhatsApp in turn, no contact window and no frequency cap: the plan sends one
message per customer on each channel (``--scale full``: 700 customers, 2,100 messages; ``small``: 100, 300,
with shorter outages: a smoke run of a few minutes).
The plan is the dry run's; then the real run is started through the API and the fault injected:

- ``dunning_worker_kill9``: kill -9 the dunning worker while the run is ``running`` (the run is chunked and
  paced by ``DUNNING_RUN_PARTS`` and ``DUNNING_RUN_PART_PAUSE_SECONDS`` so it lasts a few seconds);
- ``messaging_worker_kill9`` / ``messaging_worker_sigterm``: the messaging worker, once a tenth of the plan is
  sent;
- ``redis_stop_20s``: the harness's Redis stopped for 20 s, then started on the same port, empty;
- ``provider_5xx_60s``: the provider stub answers 503 to every send for 60 s;
- ``messaging_app_down_60s``: messaging's HTTP app killed and kept down for 60 s (status callbacks reach the
  gateway meanwhile); also counts how many SMS/WhatsApp messages that reached the stub end ``delivered``;
- ``postgres_connections_exhausted_30s``: connections opened to PostgreSQL until it refuses more, held 30 s
  (beware: it starves every client of that server, other test runs included).

Then the harness waits for the system to settle: the run finished, every planned message accepted by messaging,
none ``queued``, ``sending`` or ``deferred`` (for ``messaging_app_down_60s`` no SMS/WhatsApp message still
``sent`` either: its delivery status is awaited), and nothing changing (messaging's states, the peers' counts) for
``--quiet`` seconds; or, when something stays stuck, nothing changing for ``--stall`` seconds (the line then
shows what was lost). Counts come from the peers, never from our database:

- expected: the communications of the plan (one per customer and channel, each to an address of its own);
- delivered: how many of them arrived at least once (an email in the Maildir to that address, an accepted
  SMS/WhatsApp send to that number);
- lost = expected - delivered; duplicates = every arrival of a planned message beyond its first;
- recovered_s: the delay the fault caused beyond its own length: the time from the run's start until its last
  planned message first arrived, less the same time measured first in a run with no fault (the baseline, printed
  before the faults), less the outage itself (20 s of Redis stopped, 60 s of provider 5xx...; 0 for a kill);
  ``never`` when some were lost. The detail line adds ``took_s`` (that time for this run) and ``flowing_s``: from
  the fault's end to the first arrival after it.

``python bench/faults.py [--scale small] [--faults a,b]`` prints one line per fault:
``FAULT <name> expected=<n> delivered=<n> lost=<n> duplicates=<n> recovered_s=<s>``.
"""

import argparse
import asyncio
import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.parser import BytesHeaderParser
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import PG_SERVER, ROOT, VENV_BIN, RedisServer, System, port_free
from shared.calendar import BusinessCalendar

TIMEZONE = "America/Argentina/Buenos_Aires"
SERVICES = ("receivables", "dunning", "messaging", "alarms")
WORKERS = ("gateway", "receivables", "dunning", "messaging", "alarms")
PROVIDER_OFFSET, REDIS_OFFSET, SMTP_OFFSET = 5, 10, 25
PORT_OFFSETS = [0, 1, 2, 3, 4, PROVIDER_OFFSET, REDIS_OFFSET, SMTP_OFFSET]
STEPS = [
    {"key": "od-1", "kind": "overdue", "days": 1, "tone": 1, "channels": ["email", "sms", "whatsapp"]},
    {"key": "od-15", "kind": "overdue", "days": 15, "tone": 2, "channels": ["sms", "whatsapp", "email"]},
    {"key": "od-30", "kind": "overdue", "days": 30, "tone": 3, "channels": ["whatsapp", "email", "sms"]},
]
OVERDUE_DAYS = (5, 20, 40)  # one invoice on each step: one communication per channel
OPEN_CHANNEL = {"quiet_hours": None, "frequency_cap": None}
PENDING_STATES = ("queued", "sending", "deferred", "unknown")
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


# ---- the peers ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Arrival:
    """One message as a peer received it."""

    channel: str
    recipient: str  # email address (lower case) or E.164 phone
    reference: str | None  # our message id when the peer's copy names it (Message-ID, StatusCallback...)
    at: float  # time.time() of arrival


class Peers:
    """The local SMTP server (keeping mail in a Maildir) and the SMS/WhatsApp provider stub, started as child
    processes, and what they received."""

    def __init__(self, port_base: int, gateway_url: str, log_dir: Path) -> None:
        self.smtp_port = port_base + SMTP_OFFSET
        self.provider_url = f"http://127.0.0.1:{port_base + PROVIDER_OFFSET}"
        self.maildir = log_dir / "mail"
        self.gateway_url = gateway_url
        self.log_dir = log_dir
        self.processes: list[subprocess.Popen[bytes]] = []
        self._mail: dict[str, Arrival | None] = {}  # Maildir file name -> its arrival, parsed once

    def start(self) -> None:
        if self.maildir.exists():
            for sub in ("new", "cur", "tmp"):
                for path in (self.maildir / sub).glob("*"):
                    path.unlink()
        python = str(VENV_BIN / "python")
        smtp = [python, "-m", "messaging_service.stubs.smtp_server", "--port", str(self.smtp_port)]
        provider = [python, "-m", "messaging_service.stubs.provider", "--port", self.provider_url.rsplit(":", 1)[1]]
        webhook = f"{self.gateway_url}/webhooks/messaging/whatsapp"
        for name, command in (
            ("smtp", [*smtp, "--maildir", str(self.maildir), "--quiet"]),
            ("provider", [*provider, "--whatsapp-webhook-url", webhook]),
        ):
            log = open(self.log_dir / f"{name}.log", "wb")  # noqa: SIM115 - kept open for the process's life
            self.processes.append(subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=log))

    async def wait_ready(self) -> None:
        async with httpx.AsyncClient() as client:
            for _ in range(300):
                with contextlib.suppress(httpx.HTTPError, OSError):
                    await client.get(self.provider_url + "/_stub/requests?channel=none", timeout=2)
                    _, writer = await asyncio.open_connection("127.0.0.1", self.smtp_port)
                    writer.close()
                    return
                await asyncio.sleep(0.1)
        raise RuntimeError(f"the SMTP server or the provider stub did not start (see {self.log_dir})")

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()

    def mail(self) -> list[Arrival]:
        """Every email in the Maildir: recipient, Message-ID, arrival time (the file's)."""
        for sub in ("new", "cur"):
            directory = self.maildir / sub
            if not directory.exists():
                continue
            for path in directory.iterdir():
                if path.name not in self._mail:
                    self._mail[path.name] = _parse_mail(path)
        return [a for a in self._mail.values() if a is not None]

    async def provider(self) -> list[Arrival]:
        """Every send the provider stub accepted (a refused one, 4xx or 5xx, delivered nothing)."""
        async with httpx.AsyncClient(timeout=60) as client:
            answer = (await client.get(self.provider_url + "/_stub/requests")).json()
        arrivals = []
        for request in answer["requests"]:
            if request["status"] not in (200, 201):
                continue
            body = request["body"]
            if request["channel"] == "sms":
                recipient = body.get("To", "")
                query = parse_qs(urlsplit(body.get("StatusCallback") or "").query)
                reference = (query.get("message") or [None])[0]
            else:
                recipient = "+" + str(body.get("to", ""))
                reference = None
            if reference is None:  # whatever field carries our message id (an idempotency key, opaque data)
                found = UUID_RE.findall(json.dumps(body))
                reference = found[-1] if found else None
            arrivals.append(Arrival(request["channel"], recipient, reference, request["received_at"]))
        return arrivals

    async def arrivals(self) -> list[Arrival]:
        return self.mail() + await self.provider()

    async def add_fault(self, mode: str) -> None:
        async with httpx.AsyncClient(timeout=30) as client:
            (await client.post(self.provider_url + "/_stub/faults", json={"mode": mode})).raise_for_status()

    async def clear_faults(self) -> None:
        async with httpx.AsyncClient(timeout=30) as client:
            (await client.delete(self.provider_url + "/_stub/faults")).raise_for_status()


def _parse_mail(path: Path) -> Arrival | None:
    try:
        with path.open("rb") as handle:
            head = handle.read(16384)
        at = path.stat().st_mtime
    except OSError:  # moved between listing and reading
        return None
    headers = BytesHeaderParser().parsebytes(head.split(b"\n\n", 1)[0].split(b"\r\n\r\n", 1)[0])
    found = UUID_RE.search(headers.get("Message-ID", ""))
    return Arrival("email", parseaddr(headers.get("To", ""))[1].lower(), found.group(0) if found else None, at)


# ---- the portfolio --------------------------------------------------------------------------------------------


@dataclass
class Portfolio:
    tenant_id: uuid.UUID
    admin: dict[str, str]
    as_of: date
    recipients: set[tuple[str, str]]  # (channel, address) of every planned message
    expected: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)
    run_id: str | None = None


def addresses(index: int, n: int) -> tuple[str, str]:
    """A customer's own email address and phone (SMS and WhatsApp): a valid Argentine mobile."""
    return f"c{n}@f{index}.bench.example", f"+54911{40_000_000 + index * 100_000 + n:08d}"


def last_business_day() -> date:
    calendar = BusinessCalendar(country="AR")
    today = datetime.now(ZoneInfo(TIMEZONE)).date()
    return today if calendar.is_business_day(today) else calendar.previous_business_day(today)


async def wait_until(check: Callable[[], Awaitable[bool]], what: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not await check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)


async def build_portfolio(system: System, index: int, customers: int) -> Portfolio:
    """A tenant of its own, its customers and invoices through the API, the settings and the strategy; answers
    once dunning's projection holds them, with the dry run's plan."""
    tenant = await system.tenant_api_key()
    tenant_id = uuid.UUID(tenant["tenant_id"])
    admin, key = tenant["admin"], tenant["api_key"]
    as_of = last_business_day()
    conn = await asyncpg.connect(system.dsn)
    try:
        async with httpx.AsyncClient(base_url=system.url("gateway"), timeout=120) as client:

            async def known_to_services() -> bool:
                messaging = await conn.fetchval(
                    "SELECT count(*) FROM messaging.tenant_settings WHERE tenant_id = $1 "
                    "AND tenant_event_at IS NOT NULL",
                    tenant_id,
                )
                settings = await client.patch("/v1/dunning-settings", headers=admin, json={"automatic": False})
                return bool(messaging) and settings.status_code == 200 and settings.json()["country"] == "AR"

            await wait_until(known_to_services, "the tenant to reach messaging and dunning")
            channels = {"email": OPEN_CHANNEL, "sms": OPEN_CHANNEL, "whatsapp": OPEN_CHANNEL}
            (await client.patch("/v1/messaging-settings", headers=admin, json=channels)).raise_for_status()
            strategy = {"name": "Faults", "is_default": True, "steps": STEPS}
            (await client.post("/v1/strategies", headers=admin, json=strategy)).raise_for_status()
            rows, invoices, recipients = [], [], set()
            for n in range(customers):
                email, phone = addresses(index, n)
                recipients |= {("email", email), ("sms", phone), ("whatsapp", phone)}
                contacts = [
                    {"channel": "email", "address": email},
                    {"channel": "sms", "address": phone},
                    {"channel": "whatsapp", "address": phone},
                ]
                external = f"C-{index}-{n:05d}"
                rows.append({"external_id": external, "name": f"Cliente {n} S.A.", "country": "AR",
                             "timezone": TIMEZONE, "language": "es", "contacts": contacts})  # fmt: skip
                for days in OVERDUE_DAYS:
                    due = as_of - timedelta(days=days)
                    invoices.append({"external_id": f"F-{external}-{days}", "customer_external_id": external,
                                     "number": f"A-{n:05d}-{days}", "currency": "ARS", "amount": "125000.00",
                                     "issue_date": (due - timedelta(days=30)).isoformat(),
                                     "due_date": due.isoformat()})  # fmt: skip
            for path, items in (("/v1/ingest/customers", rows), ("/v1/ingest/invoices", invoices)):
                answer = await client.post(path, headers=key, json={"items": items})
                answer.raise_for_status()
                if answer.json()["rejected"]:
                    raise RuntimeError(f"{path} rejected rows: {answer.json()['rejected'][:3]}")

            async def projected() -> bool:
                count = await conn.fetchval(
                    "SELECT count(*) FROM dunning.invoices i JOIN dunning.customers c ON c.id = i.customer_id "
                    "WHERE i.tenant_id = $1 AND jsonb_array_length(c.contacts) = 3",
                    tenant_id,
                )
                return count >= len(invoices)

            await wait_until(projected, "dunning's projection of the portfolio", 300)
            dry = await client.post(
                "/v1/dunning-runs", params={"plan_limit": 0}, headers=admin, json={"as_of": as_of.isoformat(),
                                                                                    "dry_run": True}
            )  # fmt: skip
            dry.raise_for_status()
            plan = dry.json()
            while plan["status"] in ("queued", "running"):  # a dry run not done within a few seconds is polled
                await asyncio.sleep(0.2)
                plan = (await client.get(f"/v1/dunning-runs/{plan['id']}", headers=admin)).json()
            counts = plan["counts"]
    finally:
        await conn.close()
    portfolio = Portfolio(tenant_id, admin, as_of, recipients, counts["communications"], counts["by_channel"])
    if portfolio.expected != len(recipients):
        raise RuntimeError(f"the plan has {portfolio.expected} communications, the portfolio {len(recipients)}")
    return portfolio


async def start_run(system: System, portfolio: Portfolio) -> None:
    async with httpx.AsyncClient(base_url=system.url("gateway"), timeout=60) as client:
        answer = await client.post(
            "/v1/dunning-runs", headers=portfolio.admin, json={"as_of": portfolio.as_of.isoformat()}
        )
        answer.raise_for_status()
        portfolio.run_id = answer.json()["id"]


async def run_status(system: System, portfolio: Portfolio) -> str:
    """The run's status (``unknown`` while the API cannot answer: a fault may be in progress)."""
    try:
        async with httpx.AsyncClient(base_url=system.url("gateway"), timeout=10) as client:
            answer = await client.get(f"/v1/dunning-runs/{portfolio.run_id}", headers=portfolio.admin)
    except httpx.HTTPError:
        return "unknown"
    return answer.json().get("status", "unknown") if answer.status_code == 200 else "unknown"


async def message_states(system: System, tenant_id: uuid.UUID) -> dict[str, int]:
    """Messaging's messages of the tenant by state: to know when the system settled (counting is the peers')."""
    try:
        conn = await asyncpg.connect(system.dsn, timeout=10)
        try:
            rows = await conn.fetch(
                "SELECT channel || ':' || state AS key, count(*) AS n FROM messaging.messages "
                "WHERE tenant_id = $1 GROUP BY 1",
                tenant_id,
            )
        finally:
            await conn.close()
    except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
        return {"database:unknown": 1}  # PostgreSQL refused us (a fault): not settled
    return {r["key"]: r["n"] for r in rows}


def sent_share(states: dict[str, int]) -> int:
    return sum(n for key, n in states.items() if key.split(":")[1] in ("sent", "delivered", "read"))


# ---- faults ---------------------------------------------------------------------------------------------------


@dataclass
class Context:
    system: System
    peers: Peers
    redis: RedisServer
    portfolio: Portfolio
    redis_stop_seconds: float = 20.0
    outage_seconds: float = 60.0
    connections_seconds: float = 30.0


async def mid_send(ctx: Context, share: float = 0.1) -> None:
    """Until a share of the plan is sent (some messages already reached the peers)."""
    target = max(1, int(ctx.portfolio.expected * share))

    async def enough() -> bool:
        return sent_share(await message_states(ctx.system, ctx.portfolio.tenant_id)) >= target

    await wait_until(enough, f"{target} messages sent", 600)


async def dunning_worker_kill9(ctx: Context) -> tuple[float, float]:
    async def running() -> bool:
        return await run_status(ctx.system, ctx.portfolio) == "running"

    await wait_until(running, "the run to be running", 300)
    await asyncio.sleep(1)  # some customers' communications handed over, most not yet
    ctx.system.signal_role("dunning-worker", signal.SIGKILL)
    return time.time(), time.time()


async def messaging_worker_kill9(ctx: Context) -> tuple[float, float]:
    await mid_send(ctx)
    ctx.system.signal_role("messaging-worker", signal.SIGKILL)
    return time.time(), time.time()


async def messaging_worker_sigterm(ctx: Context) -> tuple[float, float]:
    await mid_send(ctx)
    ctx.system.signal_role("messaging-worker", signal.SIGTERM)
    return time.time(), time.time()


async def redis_stop(ctx: Context) -> tuple[float, float]:
    await mid_send(ctx)
    injected = time.time()
    ctx.redis.stop()
    await asyncio.sleep(ctx.redis_stop_seconds)
    await ctx.redis.start()
    return injected, time.time()


async def provider_5xx(ctx: Context) -> tuple[float, float]:
    await mid_send(ctx)
    injected = time.time()
    await ctx.peers.add_fault("http_503")
    await asyncio.sleep(ctx.outage_seconds)
    await ctx.peers.clear_faults()
    return injected, time.time()


async def messaging_app_down(ctx: Context) -> tuple[float, float]:
    await mid_send(ctx)
    injected = time.time()
    ctx.system.held.add("messaging")
    try:
        ctx.system.signal_role("messaging", signal.SIGKILL)
        await asyncio.sleep(ctx.outage_seconds)
    finally:
        ctx.system.held.discard("messaging")
    return injected, time.time()


async def postgres_connections_exhausted(ctx: Context) -> tuple[float, float]:
    await mid_send(ctx)
    injected = time.time()
    held: list[asyncpg.Connection] = []
    try:
        for _ in range(2000):
            try:
                held.append(await asyncpg.connect(f"postgresql://{PG_SERVER}/postgres", timeout=10))
            except (asyncpg.TooManyConnectionsError, asyncpg.CannotConnectNowError):
                break
        print(f"  holding {len(held)} connections to PostgreSQL", flush=True)
        await asyncio.sleep(ctx.connections_seconds)
    finally:
        await asyncio.gather(*(c.close() for c in held), return_exceptions=True)
    return injected, time.time()


async def no_fault(ctx: Context) -> tuple[float, float]:
    """The baseline: the same run with nothing injected (how long the system takes to send it all)."""
    await mid_send(ctx)
    return time.time(), time.time()


BASELINE = "no_fault"
FAULTS: dict[str, Callable[[Context], Awaitable[tuple[float, float]]]] = {
    "dunning_worker_kill9": dunning_worker_kill9,
    "messaging_worker_kill9": messaging_worker_kill9,
    "messaging_worker_sigterm": messaging_worker_sigterm,
    "redis_stop_20s": redis_stop,
    "provider_5xx_60s": provider_5xx,
    "messaging_app_down_60s": messaging_app_down,
    "postgres_connections_exhausted_30s": postgres_connections_exhausted,
}


# ---- settling and counting ------------------------------------------------------------------------------------


@dataclass
class Outcome:
    name: str
    expected: int
    delivered: int
    lost: int
    duplicates: int
    recovered_s: float | None  # None: some planned messages never arrived
    flowing_s: float | None
    took_s: float  # from the run's start until its last planned message first arrived
    references: dict[str, int]  # distinct references (Message-ID, message id) seen per channel
    sends: dict[str, int]  # every arrival of a planned message, per channel
    settled: str  # "settled" or "stalled"
    states: dict[str, int]
    statuses: dict[str, int] | None = None  # messaging_app_down: reached-the-stub messages by final state
    in_flight_bound: int = 0  # a batch per deliver job: what one messaging worker may have in flight

    def line(self) -> str:
        recovered = "never" if self.recovered_s is None else f"{self.recovered_s:.1f}"
        return (
            f"FAULT {self.name} expected={self.expected} delivered={self.delivered} lost={self.lost} "
            f"duplicates={self.duplicates} recovered_s={recovered}"
        )

    def detail(self) -> str:
        flowing = "never" if self.flowing_s is None else f"{self.flowing_s:.1f}"
        text = (
            f"  {self.settled}; took_s={self.took_s:.1f}; flowing_s={flowing}; arrivals {self.sends}; "
            f"distinct references {self.references}; "
            f"duplicates allowed up to the sends in flight at a crash ({self.in_flight_bound} per worker); "
            f"messaging's states {dict(sorted(self.states.items()))}"
        )
        if self.statuses is not None:
            text += f"\n  statuses of the SMS/WhatsApp messages that reached the stub: {self.statuses}"
        return text


async def settle(ctx: Context, quiet: float, stall: float, await_statuses: bool = False) -> str:
    """Wait until nothing is pending (the run finished, every planned message accepted by messaging and none
    queued, sending or deferred) and nothing changes for ``quiet`` seconds ("settled"), or nothing changes for
    ``stall`` seconds while something is still pending ("stalled")."""
    last: tuple[Any, ...] | None = None
    changed = time.monotonic()
    while True:
        states = await message_states(ctx.system, ctx.portfolio.tenant_id)
        status = await run_status(ctx.system, ctx.portfolio)
        arrivals = len(await ctx.peers.arrivals())
        snapshot = (tuple(sorted(states.items())), status, arrivals)
        now = time.monotonic()
        if snapshot != last:
            last, changed = snapshot, now
        pending = (
            status in ("queued", "running", "unknown")
            or sum(states.values()) < ctx.portfolio.expected  # commands not yet accepted by messaging
            or any(key.split(":")[-1] in PENDING_STATES for key in states)
            or (await_statuses and any(key in ("sms:sent", "whatsapp:sent") for key in states))
        )
        if not pending and now - changed >= quiet:
            return "settled"
        if now - changed >= stall:
            return "stalled"
        await asyncio.sleep(1)


def tally(
    name: str,
    portfolio: Portfolio,
    arrivals: list[Arrival],
    started: float,
    fault: tuple[float, float],
    baseline_s: float | None,
) -> Outcome:
    planned = [a for a in arrivals if (a.channel, a.recipient) in portfolio.recipients]
    first: dict[tuple[str, str], float] = {}
    for arrival in planned:
        key = (arrival.channel, arrival.recipient)
        first[key] = min(first.get(key, arrival.at), arrival.at)
    delivered = len(first)
    lost = portfolio.expected - delivered
    injected, fault_end = fault
    after = [a.at for a in planned if a.at >= fault_end]
    took = max(first.values(), default=started) - started  # from the run's start to the last first arrival
    if lost:
        recovered = None
    elif baseline_s is None:  # no baseline: until the last planned message arrived
        recovered = max(0.0, max(first.values(), default=fault_end) - fault_end)
    else:  # the delay the fault caused beyond its own length
        recovered = max(0.0, took - baseline_s - (fault_end - injected))
    references: dict[str, set[str]] = {}
    for arrival in planned:
        if arrival.reference:
            references.setdefault(arrival.channel, set()).add(arrival.reference)
    return Outcome(
        name=name,
        expected=portfolio.expected,
        delivered=delivered,
        lost=lost,
        duplicates=len(planned) - delivered,
        recovered_s=recovered,
        flowing_s=(min(after) - fault_end) if after else None,
        took_s=took,
        references={channel: len(refs) for channel, refs in sorted(references.items())},
        sends=dict(sorted(Counter(a.channel for a in planned).items())),
        settled="",
        states={},
    )


async def delivery_statuses(system: System, portfolio: Portfolio, arrivals: list[Arrival]) -> dict[str, int]:
    """For each SMS/WhatsApp message that reached the stub, its state in messaging (should be ``delivered``)."""
    reached = {(a.channel, a.recipient) for a in arrivals if a.channel != "email"}
    conn = await asyncpg.connect(system.dsn)
    try:
        rows = await conn.fetch(
            "SELECT channel, to_address, state FROM messaging.messages WHERE tenant_id = $1 AND channel <> 'email'",
            portfolio.tenant_id,
        )
    finally:
        await conn.close()
    return dict(Counter(r["state"] for r in rows if (r["channel"], r["to_address"]) in reached))


async def run_fault(ctx: Context, name: str, quiet: float, stall: float, baseline_s: float | None = None) -> Outcome:
    started = time.time()
    await start_run(ctx.system, ctx.portfolio)
    fault = await (no_fault if name == BASELINE else FAULTS[name])(ctx)
    statuses = name.startswith("messaging_app_down")
    settled = await settle(ctx, quiet, stall, await_statuses=statuses)
    arrivals = await ctx.peers.arrivals()
    outcome = tally(name, ctx.portfolio, arrivals, started, fault, baseline_s)
    outcome.settled = settled
    env = ctx.system.env  # messaging's defaults (settings.py) unless the run sets them
    batch, jobs = env.get("MESSAGING_DELIVERY_BATCH_SIZE", "200"), env.get("MESSAGING_DELIVERY_PARALLELISM", "4")
    outcome.in_flight_bound = int(batch) * int(jobs)
    outcome.states = await message_states(ctx.system, ctx.portfolio.tenant_id)
    if statuses:
        outcome.statuses = await delivery_statuses(ctx.system, ctx.portfolio, arrivals)
    return outcome


# ---- the system -----------------------------------------------------------------------------------------------


def system_env(port_base: int) -> dict[str, str]:
    gateway = f"http://127.0.0.1:{port_base}"
    return {
        "COBRANZA_SMTP_HOST": "127.0.0.1",
        "COBRANZA_SMTP_PORT": str(port_base + SMTP_OFFSET),
        "COBRANZA_PROVIDER_URL": f"http://127.0.0.1:{port_base + PROVIDER_OFFSET}",
        "COBRANZA_PUBLIC_BASE_URL": gateway,  # status callbacks come back through the gateway
        "MESSAGING_PUBLIC_BASE_URL": gateway,
        "COBRANZA_GATEWAY_URL": gateway,
        "COBRANZA_RELAY_ENABLED": "true",  # the test suite turns it off for its in-process apps
        # A run of this size takes a few seconds: the dunning worker can be killed while it runs.
        "DUNNING_RUN_PARTS": "20",
        "DUNNING_RUN_PART_PAUSE_SECONDS": "0.5",
    }


@contextlib.asynccontextmanager
async def running_system(name: str, port_base: int, customers: int, extra_env: dict[str, str] | None = None):
    """The whole system with its peers and its own Redis, supervised; yields (system, peers, redis)."""
    taken = [port_base + n for n in PORT_OFFSETS if not port_free(port_base + n)]
    if taken:
        raise SystemExit(f"ports in use: {taken} (another run still up?); pick another --port-base")
    log_dir = ROOT / ".run" / "bench" / name
    log_dir.mkdir(parents=True, exist_ok=True)
    redis = RedisServer(port_base + REDIS_OFFSET, log_dir)
    await redis.start()
    system = System(
        name,
        services=SERVICES,
        workers=WORKERS,
        port_base=port_base,
        redis_url=redis.url,
        extra_env={**system_env(port_base), **(extra_env or {})},
    )
    peers = Peers(port_base, system.url("gateway"), system.log_dir)
    try:
        peers.start()
        await peers.wait_ready()
        async with system:
            system.supervise()
            yield system, peers, redis
    finally:
        peers.stop()
        redis.stop()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", choices=("small", "full"), default="full")
    parser.add_argument("--port-base", type=int, default=int(os.environ.get("COBRANZA_BENCH_PORT_BASE", "8700")))
    parser.add_argument("--faults", default=",".join(FAULTS), help="comma separated, of: " + ", ".join(FAULTS))
    parser.add_argument("--quiet", type=float, default=10.0, help="seconds without change that mean settled")
    parser.add_argument("--stall", type=float, default=300.0, help="seconds without change that mean stuck")
    args = parser.parse_args()
    names = [n.strip() for n in args.faults.split(",") if n.strip()]
    unknown = [n for n in names if n not in FAULTS]
    if unknown:
        raise SystemExit(f"unknown faults: {', '.join(unknown)}; known: {', '.join(FAULTS)}")
    customers = 700 if args.scale == "full" else 100
    # Small scale is a smoke run of every fault: shorter outages (5 s Redis stop, 10 s provider or app outage, 5 s of
    # exhausted connections) and a shorter quiet spell; the figures in bench/README.md are the full size's.
    durations = (
        {} if args.scale == "full" else {"redis_stop_seconds": 5, "outage_seconds": 10, "connections_seconds": 5}
    )
    quiet = args.quiet if args.scale == "full" or args.quiet != 10.0 else 5.0
    outcomes = []
    baseline_s: float | None = None
    async with running_system("faults", args.port_base, customers) as (system, peers, redis):
        for index, name in enumerate([BASELINE, *names], start=1):
            portfolio = await build_portfolio(system, index, customers)
            print(f"{name}: {portfolio.expected} messages planned {portfolio.by_channel}, as of {portfolio.as_of}")
            started = time.monotonic()
            context = Context(system, peers, redis, portfolio, **durations)
            outcome = await run_fault(context, name, quiet, args.stall, baseline_s)
            if name == BASELINE:
                baseline_s = outcome.took_s
                print(f"{BASELINE}: the run took {baseline_s:.1f} s to the last arrival with no fault", flush=True)
                continue
            outcomes.append(outcome)
            print(outcome.line(), flush=True)
            print(outcome.detail() + f" ({time.monotonic() - started:.0f} s)", flush=True)
        restarts = Counter(role for _, role in system.restarts)
        print(f"restarts by the supervisor: {dict(restarts) or 'none'}")
    print("\n".join(o.line() for o in outcomes))


if __name__ == "__main__":
    asyncio.run(main())
