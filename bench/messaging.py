"""Messaging throughput: 50,000 collection emails rendered and sent by the real messaging worker to a local SMTP
server, beside a bare loop of the same async SMTP client (aiosmtplib) sending pre-rendered messages to the same
server in the same run. Also the rendering rate alone.

Ours is the whole pipeline: the ``messaging.send_communications`` commands (500 communications each) arrive on the
worker's queue as the outbox relay delivers them; the worker accepts them (idempotency, compliance, rendering of
subject, HTML and text, rows and events written), the deliver jobs claim them, build the MIME message with the
account statement attached, hand it to the SMTP server and record the outcome and its event; the outbox relay
runs meanwhile. The clock stops when every message is ``sent``. Goal (issue 5): at least half the bare rate.

With PDF statements (the default formats) a third run shows that they do not slow others: tenant A's PDF emails
are queued first, then tenant B's emails without a statement; B's rate is timed while A's PDFs are still being sent.
"""

import asyncio
import os
import subprocess
import sys
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import aiosmtplib
import asyncpg
import httpx
from arq import create_pool
from redis.asyncio import Redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import VENV_BIN, System, arguments, bench_line, cpu_seconds
from messaging_service.channels.config import EmailConfig, SmtpConfig
from messaging_service.channels.email import build_email
from messaging_service.delivery.rendering import render_communication
from messaging_service.delivery.statement import statement_attachments
from messaging_service.templates.context import TenantView
from shared.contracts.messaging import Communication, SendCommunications
from shared.messages import Envelope
from shared.outbox import HANDLE_MESSAGES, queue_name
from shared.worker import JOB_CODEC, redis_settings

PER_COMMAND = 500
PROFILE = {
    "collections": {
        "name": "Andrea Figuera",
        "department": "Departamento de Cobros",
        "phone": "+1(829)412-3122",
        "email": "cobros@bench.example",
    },
    "payment_instructions": [
        "Emitir cheque a nombre de Bench S.A.",
        "Banco Mercantil: 0105-0091-58-1094324268",
        "Banco Provincial: 0108-0950-99-0104443717",
    ],
    "portal_url": "https://pagos.bench.example/c/{external_id}",
}
# The attached statement's formats (the tenant's choice; default pdf and csv): e.g. "html,csv" to compare.
if os.environ.get("COBRANZA_BENCH_STATEMENT_FORMATS"):
    PROFILE["statement_formats"] = os.environ["COBRANZA_BENCH_STATEMENT_FORMATS"].split(",")


def communications(count: int, first: int = 0, attach_statement: bool = True) -> list[Communication]:
    """Overdue reminders, one per customer, two invoices each, in the three tones (seed 004's model email)."""
    today = date.today()
    out = []
    for n in range(first, first + count):
        days = 10 + n % 90
        out.append(
            Communication.model_validate(
                {
                    "idempotency_key": f"bench:{n}",
                    "kind": "overdue",
                    "channel": "email",
                    "to": f"cliente{n}@bench.example",
                    "language": "es",
                    "tone": 1 + n % 3,
                    "customer": {
                        "customer_id": uuid.UUID(int=n + 1),
                        "external_id": f"C-{n:06d}",
                        "name": f"Cliente {n} S.A.",
                        "country": "AR",
                        "timezone": "America/Argentina/Buenos_Aires",
                    },
                    "recipient_name": f"Cuentas por pagar {n}",
                    "invoices": [
                        {
                            "invoice_id": uuid.UUID(int=10_000_000 + 2 * n),
                            "number": f"A-{n:06d}",
                            "currency": "USD",
                            "amount": f"{1000 + n % 5000}.50",
                            "open_amount": f"{1000 + n % 5000}.50",
                            "issue_date": today - timedelta(days=days + 30),
                            "due_date": today - timedelta(days=days),
                            "days_overdue": days,
                        },
                        {
                            "invoice_id": uuid.UUID(int=10_000_001 + 2 * n),
                            "number": f"B-{n:06d}",
                            "currency": "ARS",
                            "amount": "350000.00",
                            "open_amount": "123427.72",
                            "issue_date": today - timedelta(days=40),
                            "due_date": today - timedelta(days=10),
                            "days_overdue": 10,
                        },
                    ],
                    "oldest_days_overdue": days,
                    "advisor": {"name": "Juan Gómez", "whatsapp": "+5491155550001"},
                    "attach_statement": attach_statement,
                    "source": "bench",
                }
            )
        )
    return out


def render_all(batch: list[Communication], tenant: TenantView) -> float:
    """Subject, HTML and text of every message, as acceptance renders them: messages per second."""
    today = date.today()
    started = time.perf_counter()
    for communication in batch:
        render_communication(communication, tenant, {}, today=today, unsubscribe_url="https://x.example/u/abc")
    return len(batch) / (time.perf_counter() - started)


def prerendered(batch: list[Communication], tenant: TenantView, config: EmailConfig) -> list[bytes]:
    """The baseline's messages, rendered and built before its clock starts (with the same statement attached)."""
    out = []
    today = date.today()
    for n, communication in enumerate(batch):
        rendered = render_communication(communication, tenant, {}, today=today, unsubscribe_url="https://x/u")
        raw = build_email(
            config,
            to=communication.to,
            to_name=communication.recipient_name,
            subject=rendered.subject or "",
            text=rendered.body_text,
            html=rendered.body_html,
            message_id=f"<baseline-{n}@bench.example>",
            attachments=statement_attachments(communication.model_dump(mode="json"), tenant, "es", today),
            unsubscribe_url="https://x/u",
        )
        out.append(raw)
    return out


async def bare_loop(port: int, messages: list[bytes], count: int) -> float:
    """One aiosmtplib connection, one message after the other: messages per second."""
    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port)
    await client.connect()
    started = time.perf_counter()
    for n in range(count):
        await client.sendmail("cobranzas@bench.example", [f"cliente{n}@bench.example"], messages[n % len(messages)])
    elapsed = time.perf_counter() - started
    await client.quit()
    return count / elapsed


async def wait_for(dsn: str, query: str, target: int, limit_seconds: float, *args: object) -> float:
    """Poll until ``query`` answers ``target``; answers when (monotonic)."""
    conn = await asyncpg.connect(dsn)
    deadline = time.monotonic() + limit_seconds
    try:
        while True:
            value = await conn.fetchval(query, *args)
            if value >= target:
                return time.monotonic()
            if time.monotonic() > deadline:
                raise SystemExit(f"timed out: {query} = {value}, wanted {target}")
            await asyncio.sleep(0.25)
    finally:
        await conn.close()


async def processes(system: System, smtp: subprocess.Popen[bytes]) -> dict[str, list[int]]:
    """Who works during the run: the messaging worker, the SMTP server, the database backends of this database."""
    conn = await asyncpg.connect(system.dsn)
    backends = await conn.fetch("SELECT pid FROM pg_stat_activity WHERE datname = $1", system.database)
    await conn.close()
    found = {"smtp server": [smtp.pid], "postgres": [r["pid"] for r in backends]}
    for process in system.processes:
        name = "messaging worker" if system.roles[process.pid] == "messaging-worker" else "other processes"
        found.setdefault(name, []).append(process.pid)
    return found


def start_smtp(port: int) -> subprocess.Popen[bytes]:
    """The local SMTP server, counting messages without keeping them (both sides send to it)."""
    return subprocess.Popen(
        [str(VENV_BIN / "python"), "-m", "messaging_service.stubs.smtp_server", "--port", str(port), "--discard"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def tenant_ready(system: System) -> dict:
    """A tenant messaging knows, its email channel open at any hour and uncapped."""
    tenant = await system.tenant_api_key()
    await wait_for(
        system.dsn,
        "SELECT count(*) FROM messaging.tenant_settings WHERE tenant_id = $1 AND tenant_event_at IS NOT NULL",
        1,
        30,
        uuid.UUID(tenant["tenant_id"]),
    )
    async with httpx.AsyncClient(base_url=system.url("gateway"), timeout=30) as client:
        response = await client.patch(
            "/v1/messaging-settings",
            headers=tenant["admin"],
            json={"profile": PROFILE, "email": {"quiet_hours": None, "frequency_cap": None}},
        )
        response.raise_for_status()
    return tenant


async def hand_over(system: System, tenant_id: uuid.UUID, batch: list[Communication]) -> None:
    """The commands on the worker's queue, as the outbox relay delivers them."""
    arq = await create_pool(redis_settings(system.redis_url), **JOB_CODEC)
    for start in range(0, len(batch), PER_COMMAND):
        command = SendCommunications(communications=batch[start : start + PER_COMMAND])
        envelope = Envelope.wrap(command, tenant_id).model_dump(mode="json")
        await arq.enqueue_job(HANDLE_MESSAGES, [envelope], _queue_name=queue_name("messaging"))
    await arq.aclose()


async def pipeline(system: System, smtp: subprocess.Popen[bytes], batch: list[Communication], label: str) -> float:
    """Hand the commands to the messaging worker(s) and time until every message is sent; answers messages/s."""
    tenant_id = uuid.UUID((await tenant_ready(system))["tenant_id"])
    count = len(batch)
    who = await processes(system, smtp)
    cpu_before = {name: sum(cpu_seconds(p) for p in pids) for name, pids in who.items()}
    started = time.monotonic()
    await hand_over(system, tenant_id, batch)
    scoped = "SELECT count(*) FROM messaging.messages WHERE tenant_id = $1"
    accepted = await wait_for(system.dsn, scoped, count, 3600, tenant_id)
    finished = await wait_for(system.dsn, scoped + " AND state = 'sent'", count, 3600, tenant_id)
    ours = count / (finished - started)
    who = await processes(system, smtp)
    cpu = {name: sum(cpu_seconds(p) for p in pids) - cpu_before.get(name, 0.0) for name, pids in who.items()}
    conn = await asyncpg.connect(system.dsn)
    failed = await conn.fetchval(scoped + " AND state <> 'sent'", tenant_id)
    await conn.close()
    print(f"{label}: {count} sent, {failed} not sent; accepted (rendered, stored) after {accepted - started:.1f}s, ")
    print(f"{label}: all sent after {finished - started:.1f}s: {ours:.0f} messages/s")
    print(f"{label}: CPU ms per message: " + ", ".join(f"{n} {1000 * v / count:.2f}" for n, v in cpu.items()))
    return ours


async def beside_pdfs(system: System, pdfs: list[Communication], plain: list[Communication]) -> float:
    """Tenant A's PDF emails accepted first, then tenant B's emails without a statement: B's messages/s while A's
    PDFs are being sent (a PDF lane of their own: they must not slow B to their pace)."""
    a = uuid.UUID((await tenant_ready(system))["tenant_id"])
    b = uuid.UUID((await tenant_ready(system))["tenant_id"])
    scoped = "SELECT count(*) FROM messaging.messages WHERE tenant_id = $1"
    await hand_over(system, a, pdfs)
    await wait_for(system.dsn, scoped, len(pdfs), 3600, a)
    started = time.monotonic()
    await hand_over(system, b, plain)
    finished = await wait_for(system.dsn, scoped + " AND state = 'sent'", len(plain), 3600, b)
    conn = await asyncpg.connect(system.dsn)
    a_sent = await conn.fetchval(scoped + " AND state = 'sent'", a)
    await conn.close()
    rate = len(plain) / (finished - started)
    print(f"beside PDFs: tenant B's {len(plain)} emails without PDF all sent after {finished - started:.1f}s: ")
    print(f"beside PDFs: {rate:.0f} messages/s, while tenant A had {a_sent} of its {len(pdfs)} PDF emails sent")
    await wait_for(system.dsn, scoped + " AND state = 'sent'", len(pdfs), 3600, a)  # the next run starts clean
    return rate


async def main() -> None:
    args = arguments(__doc__)
    count = 2_000 if args.scale == "small" else 50_000
    smtp_port = args.port_base + 25
    smtp = start_smtp(smtp_port)
    env = {
        "COBRANZA_SMTP_HOST": "127.0.0.1",
        "COBRANZA_SMTP_PORT": str(smtp_port),
        "MESSAGING_SMTP_CONNECTIONS": "8",
        "MESSAGING_DELIVERY_PARALLELISM": "4",
        "MESSAGING_DELIVERY_BATCH_SIZE": "250",
    }
    redis_db = os.environ.get("COBRANZA_BENCH_REDIS_DB")  # default: the harness's database for this bench
    try:
        async with System(
            "messaging",
            services=("messaging",),
            workers=("gateway", "messaging"),
            port_base=args.port_base,
            redis_db=int(redis_db) if redis_db else None,
            extra_env=env,
        ) as system:
            view = TenantView(
                name="Bench S.A.", country="AR", timezone="America/Argentina/Buenos_Aires", profile=PROFILE
            )
            sample = communications(min(count, 5_000))
            render_rate = render_all(sample, view)
            config = EmailConfig(
                SmtpConfig("127.0.0.1", smtp_port, None, None, "none", 30),
                "cobranzas@bench.example",
                "Bench S.A.",
                None,
            )
            baseline = await bare_loop(smtp_port, prerendered(sample[:200], view, config), count)
            print(f"rendering alone: {render_rate:.0f} messages/s (subject + HTML + text)")
            print(f"bare aiosmtplib loop (1 connection, pre-rendered messages): {baseline:.0f} messages/s")
            one = await pipeline(system, smtp, communications(count), "1 worker process")
            if "pdf" in PROFILE.get("statement_formats", ["pdf"]):
                pdfs, plain = communications(count // 5, 3 * count), communications(count, 4 * count, False)
                beside = await beside_pdfs(system, pdfs, plain)
                print(bench_line("messaging_beside_pdfs", beside, baseline, "messages/s"))
            system.start_worker("messaging")  # workers are stateless: the service scales by processes
            two = await pipeline(system, smtp, communications(count, count), "2 worker processes")
            print("goal: the whole pipeline at least half the bare loop's rate")
            print(bench_line("messaging_render", render_rate, baseline, "messages/s"))
            print(bench_line("messaging_x2", two, baseline, "messages/s"))
            # The events of 100,000 messages wait in the receivables and dunning queues: give the memory back.
            redis = Redis.from_url(system.redis_url)
            await redis.flushdb()
            await redis.aclose()
            print(bench_line("messaging", one, baseline, "messages/s"))
    finally:
        smtp.terminate()
        smtp.wait(10)


if __name__ == "__main__":
    asyncio.run(main())
