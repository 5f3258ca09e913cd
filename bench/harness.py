"""Runs the real system for a benchmark: a fresh database, the migrations, and real service processes
(uvicorn apps and arq workers) on loopback ports, then stops them.

    async with System("gateway", services=("receivables",)) as system:
        headers = await system.tenant_api_key()
        ... system.url("gateway") ...

Each benchmark picks its own database name and port base, so benchmarks never touch a developer's data.

``system.supervise()`` makes the harness the supervisor a deployment has (Kubernetes, ``make run``): any of our
processes that exits is started again about a second later, unless the fault harness holds its role down
(``system.held``). ``RedisServer`` is a Redis of the benchmark's own, which it can stop and start again.
"""

import argparse
import asyncio
import contextlib
import importlib.util
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
APPS = {
    "gateway": "api_gateway.main:create_app",
    "receivables": "services.receivables.main:create_app",
    "dunning": "dunning_service.main:create_app",
    "messaging": "messaging_service.main:create_app",
    "alarms": "alarms_service.main:create_app",
    "webhooks": "services.webhooks.main:create_app",
    "portal": "services.portal.main:create_app",
}
WORKERS = {
    "gateway": "api_gateway.worker.WorkerSettings",
    "receivables": "services.receivables.worker.WorkerSettings",
    "dunning": "dunning_service.worker.WorkerSettings",
    "messaging": "messaging_service.worker.WorkerSettings",
    "alarms": "alarms_service.worker.WorkerSettings",
    "webhooks": "services.webhooks.worker.WorkerSettings",
    "portal": "services.portal.worker.WorkerSettings",
}
OFFSETS = {"gateway": 0, "receivables": 1, "dunning": 2, "messaging": 3, "alarms": 4, "webhooks": 6, "portal": 8}
PG_SERVER = os.environ.get("COBRANZA_BENCH_PG", "postgres@127.0.0.1:5432")
REDIS_SERVER = os.environ.get("COBRANZA_BENCH_REDIS", "127.0.0.1:6379")
# Benchmarks may run at the same time: each flushes only a Redis database of its own.
BENCH_REDIS_DBS = {"gateway": 7, "ingest": 8, "dunning": 9, "messaging": 10, "dunning_catchup": 12}
MEMORY_GOAL_MB = 500  # issue 13: every process under 500 MB at 1M invoices
OPERATOR_TOKEN = "dev-operator-token"
RESTART_AFTER_SECONDS = 1.0


def worker_command(settings_path: str) -> list[str]:
    """The worker launcher that rides out Redis and PostgreSQL outages when the checkout has it, else arq's own
    command (which exits when Redis goes away)."""
    if importlib.util.find_spec("shared.worker_process") is not None:
        return [sys.executable, "-m", "shared.worker_process", settings_path]
    return [str(VENV_BIN / "arq"), settings_path]


def arguments(description: str, extra: Callable[[argparse.ArgumentParser], None] | None = None) -> argparse.Namespace:
    """--scale and --port-base, and whatever options ``extra`` adds for one bench."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--scale", choices=("small", "full"), default="full")
    parser.add_argument("--port-base", type=int, default=int(os.environ.get("COBRANZA_BENCH_PORT_BASE", "8900")))
    if extra is not None:
        extra(parser)
    return parser.parse_args()


def bench_line(name: str, ours: float, baseline: float, unit: str) -> str:
    ratio = ours / baseline if baseline else float("nan")
    return f"BENCH {name} ours={ours:.2f} baseline={baseline:.2f} ratio={ratio:.3f} unit={unit}"


class System:
    def __init__(
        self,
        name: str,
        *,
        services: tuple[str, ...] = ("receivables",),
        workers: tuple[str, ...] = (),
        port_base: int = 8900,
        redis_db: int | None = None,
        redis_url: str | None = None,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.name = name
        self.database = f"cobranza_bench_{name}"
        self.services = ("gateway", *services)
        self.workers = workers
        self.port_base = port_base
        self.redis_db = redis_db if redis_db is not None else BENCH_REDIS_DBS.get(name, 11)
        self.processes: list[subprocess.Popen[bytes]] = []
        self.roles: dict[int, str] = {}  # pid -> service, or service-worker
        self.commands: dict[int, tuple[str, list[str]]] = {}  # pid -> (log name, command), to start it again
        self.held: set[str] = set()  # roles the supervisor must leave down (a fault in progress)
        self.restarts: list[tuple[float, str]] = []  # (time, role) of every restart by the supervisor
        self._supervisor: asyncio.Task[None] | None = None
        self.database_url = f"postgresql+asyncpg://{PG_SERVER}/{self.database}"
        self.dsn = f"postgresql://{PG_SERVER}/{self.database}"
        self.redis_url = redis_url or f"redis://{REDIS_SERVER}/{self.redis_db}"
        self.env = {
            **os.environ,
            "COBRANZA_DATABASE_URL": self.database_url,
            "COBRANZA_REDIS_URL": self.redis_url,
            "COBRANZA_LOG_LEVEL": "WARNING",
            "COBRANZA_ENVIRONMENT": "development",
            **{f"COBRANZA_{s.upper()}_URL": self.url(s) for s in APPS},
            **(extra_env or {}),
        }
        self.log_dir = ROOT / ".run" / "bench" / name
        self.log_dir.mkdir(parents=True, exist_ok=True)

    def port(self, service: str) -> int:
        return self.port_base + OFFSETS[service]

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.port(service)}"

    async def __aenter__(self) -> "System":
        await self._recreate_database()
        await self._migrate()
        await self._flush_redis()
        try:
            for service in self.services:
                self.start_app(service, self.port(service))
            for service in self.workers:
                self.start_worker(service, f"{service}-worker")
            await self.wait_ready([self.url(s) for s in self.services])
        except BaseException:
            self.stop()  # no process of a failed start outlives it
            raise
        return self

    def start_app(self, service: str, port: int, workers: int = 1) -> str:
        """Start (another) uvicorn process of ``service``; answers its URL."""
        self._spawn(
            service,
            f"{service}-{port}",
            [
                *(str(VENV_BIN / "uvicorn"), "--factory", APPS[service], "--host", "127.0.0.1", "--port", str(port)),
                *("--workers", str(workers), "--no-access-log", "--log-level", "warning"),
            ],
        )
        return f"http://127.0.0.1:{port}"

    def start_worker(self, service: str, name: str | None = None) -> None:
        """Start (another) arq worker process of ``service`` (workers are stateless: they scale by processes)."""
        name = name or f"{service}-worker-{len(self.processes)}"
        self._spawn(f"{service}-worker", name, worker_command(WORKERS[service]))

    async def __aexit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self._supervisor is not None:
            self._supervisor.cancel()
            self._supervisor = None
        if self.processes:
            peaks = self.peak_rss()
            print(peak_rss_line(peaks), flush=True)
            if peaks:
                print(bench_line(f"{self.name}_peak_rss", max(peaks.values()), MEMORY_GOAL_MB, "MB"), flush=True)
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        deadline = time.monotonic() + 10
        for process in self.processes:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()
        self.roles.clear()
        self.commands.clear()

    def _spawn(self, role: str, name: str, command: list[str], append: bool = False) -> subprocess.Popen[bytes]:
        log = open(self.log_dir / f"{name}.log", "ab" if append else "wb")  # noqa: SIM115 - open for its life
        process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=log)
        self.processes.append(process)
        self.roles[process.pid] = role
        self.commands[process.pid] = (name, command)
        return process

    # ---- supervision (the fault harness) -------------------------------------------------------------------

    def processes_of(self, role: str) -> list[subprocess.Popen[bytes]]:
        """The running processes of a role (``messaging``, ``messaging-worker``...)."""
        return [p for p in self.processes if self.roles[p.pid] == role and p.poll() is None]

    def signal_role(self, role: str, signum: int) -> int:
        """Send ``signum`` to every running process of ``role``; answers how many got it."""
        targets = self.processes_of(role)
        for process in targets:
            process.send_signal(signum)
        return len(targets)

    def supervise(self) -> None:
        """Start the supervisor: a process of ours that exits is started again ``RESTART_AFTER_SECONDS`` later
        (roles in ``held`` excepted, until released)."""
        if self._supervisor is None:
            self._supervisor = asyncio.get_running_loop().create_task(self._supervise())

    async def _supervise(self) -> None:
        exited_at: dict[int, float] = {}
        while True:
            now = time.monotonic()
            for process in list(self.processes):
                if process.poll() is None:
                    continue
                role = self.roles[process.pid]
                since = exited_at.setdefault(process.pid, now)
                if role in self.held or now - since < RESTART_AFTER_SECONDS:
                    continue
                name, command = self.commands.pop(process.pid)
                self.processes.remove(process)
                self.roles.pop(process.pid)
                exited_at.pop(process.pid)
                self._spawn(role, name, command, append=True)
                self.restarts.append((time.time(), role))
            await asyncio.sleep(0.2)

    def peak_rss(self) -> dict[str, float]:
        """Peak resident memory (VmHWM, MB) of each of our running processes and of their children (uvicorn's
        worker processes, a worker launcher's child), named by role; read just before they are stopped. A process
        the supervisor restarted counts from its restart."""
        peaks: dict[str, float] = {}
        for process in self.processes:
            if process.poll() is not None:
                continue
            parent = unique_name(self.roles[process.pid], peaks)
            for n, pid in enumerate([process.pid, *descendants(process.pid)]):
                kb = vm_hwm_kb(_read(f"/proc/{pid}/status"))
                if kb is not None:
                    peaks[parent if n == 0 else unique_name(f"{parent}-child", peaks)] = kb / 1024
        return peaks

    def cpu_by_role(self) -> dict[str, float]:
        """CPU time (user + system) used so far by each of our running processes, by service, by every PostgreSQL
        process of this machine (when the server is local) and by this benchmark itself: sampled before and
        after a phase, it says where the machine's cores went. Linux only (reads /proc)."""
        used: dict[str, float] = {"benchmark": sum(os.times()[:2])}
        for process in self.processes:
            role = self.roles[process.pid]
            used[role] = used.get(role, 0.0) + cpu_seconds(process.pid)
        if PG_SERVER.split("@")[-1].startswith(("127.0.0.1", "localhost")):
            servers = [int(comm.parent.name) for comm in Path("/proc").glob("[0-9]*/comm") if _is_postgres(comm)]
            used["postgres"] = sum(cpu_seconds(pid) for pid in servers)
        return used

    async def _recreate_database(self) -> None:
        conn = await asyncpg.connect(f"postgresql://{PG_SERVER}/postgres")
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
            await conn.execute(f'CREATE DATABASE "{self.database}"')
        finally:
            await conn.close()

    async def _migrate(self) -> None:
        alembic = str(VENV_BIN / "alembic")
        process = await asyncio.create_subprocess_exec(
            alembic, "-x", f"url={self.database_url}", "upgrade", "head", cwd=ROOT, env=self.env
        )
        if await process.wait() != 0:
            raise RuntimeError("migrations failed")

    async def _flush_redis(self) -> None:
        from redis.asyncio import Redis

        redis = Redis.from_url(self.redis_url)
        await redis.flushdb()
        await redis.aclose()

    async def wait_ready(self, urls: list[str], seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        async with httpx.AsyncClient() as client:
            for url in urls:
                while True:
                    try:
                        if (await client.get(url + "/readyz", timeout=2)).status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    dead = [p.args for p in self.processes if p.poll() is not None]
                    if dead or time.monotonic() > deadline:
                        raise RuntimeError(f"{url} did not start (see {self.log_dir}); exited: {dead}")
                    await asyncio.sleep(0.2)

    async def tenant_api_key(self, rate_limit_per_minute: int = 1_000_000) -> dict[str, Any]:
        """A fresh tenant, its admin token headers and an integration API key that is never rate limited."""
        slug = f"bench-{uuid.uuid4().hex[:8]}"
        password = "bench-password-123"
        gateway = self.url("gateway")
        async with httpx.AsyncClient(base_url=gateway, timeout=30) as client:
            created = await client.post(
                "/v1/tenants",
                headers={"X-Operator-Token": OPERATOR_TOKEN},
                json={
                    "slug": slug,
                    "name": "Bench S.A.",
                    "country": "AR",
                    "timezone": "America/Argentina/Buenos_Aires",
                    "default_currency": "ARS",
                    "language": "es",
                    "admin": {"email": f"admin@{slug}.example", "full_name": "Bench Admin", "password": password},
                },
            )
            created.raise_for_status()
            token = await client.post(
                "/v1/auth/token", data={"tenant": slug, "username": f"admin@{slug}.example", "password": password}
            )
            token.raise_for_status()
            admin = {"Authorization": f"Bearer {token.json()['access_token']}"}
            key = await client.post(
                "/v1/api-keys", headers=admin, json={"name": "bench", "rate_limit_per_minute": rate_limit_per_minute}
            )
            key.raise_for_status()
        return {
            "tenant_id": created.json()["tenant"]["id"],
            "admin": admin,
            "api_key": {"X-API-Key": key.json()["key"]},
        }


class RedisServer:
    """A Redis of the benchmark's own (``redis-server`` as a child process, nothing kept on disk), so a fault
    can stop it and start it again on the same port: what it held is gone, as after a real restart."""

    def __init__(self, port: int, log_dir: Path) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.log_path = log_dir / "redis.log"
        self.process: subprocess.Popen[bytes] | None = None

    def _spawn(self) -> subprocess.Popen[bytes]:
        binary = shutil.which("redis-server")
        if binary is None:
            raise SystemExit("redis-server is needed: apt-get install redis-server")
        command = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        log = open(self.log_path, "ab")  # noqa: SIM115 - kept open for the process's life
        return subprocess.Popen([*command, "--daemonize", "no"], stdout=log, stderr=log)

    async def start(self) -> None:
        from redis.asyncio import Redis
        from redis.exceptions import RedisError

        self.process = self._spawn()
        redis = Redis.from_url(self.url)
        try:
            for _ in range(200):
                with contextlib.suppress(RedisError, OSError):
                    if await redis.ping():
                        return
                if self.process.poll() is not None:
                    raise RuntimeError(f"redis-server exited (see {self.log_path})")
                await asyncio.sleep(0.05)
            raise RuntimeError(f"redis-server did not answer on port {self.port}")
        finally:
            await redis.aclose()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


def port_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port_base(offsets: range | list[int]) -> int:
    """A port base whose ``base + offset`` ports are all free on loopback (for tests that start the system).

    Taken below the kernel's ephemeral range (32768 and up), which outgoing connections draw from: a port found free
    there could be taken by any client's connection before the system binds it (seen under two test workers)."""
    for _ in range(200):
        base = random.randrange(20_000, 32_000 - max(offsets))
        if all(port_free(base + n) for n in offsets):
            return base
    raise RuntimeError("no free ports")


def vm_hwm_kb(status: str) -> int | None:
    """The peak resident set size (``VmHWM``, kB) in the text of ``/proc/<pid>/status``; None when absent."""
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return None


def unique_name(name: str, taken: dict[str, float]) -> str:
    """``name``, or ``name#2``, ``name#3``... when a process of the same role is already named."""
    key, n = name, 2
    while key in taken:
        key, n = f"{name}#{n}", n + 1
    return key


def peak_rss_line(peaks: dict[str, float]) -> str:
    """``peak RSS: gateway 112 MB, dunning 310 MB, ...`` in the order given."""
    return "peak RSS: " + (", ".join(f"{name} {mb:,.0f} MB" for name, mb in peaks.items()) or "no process")


def descendants(pid: int) -> list[int]:
    """Every live descendant of ``pid`` (Linux ``/proc``: the children listed by each of its threads)."""
    found: list[int] = []
    pending = [pid]
    while pending:
        parent = pending.pop()
        for children in Path(f"/proc/{parent}/task").glob("*/children"):
            for child in _read(str(children)).split():
                found.append(int(child))
                pending.append(int(child))
    return found


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used (Linux ``/proc``); 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _is_postgres(comm: Path) -> bool:
    try:
        return comm.read_text().strip() == "postgres"
    except OSError:
        return False


def require_wrk() -> str:
    """wrk, the load generator (Debian package); installed when missing and allowed."""
    path = shutil.which("wrk")
    if path:
        return path
    if os.geteuid() == 0:
        subprocess.run(
            ["apt-get", "install", "-y", "-q", "wrk"],
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            check=False,
        )
    path = shutil.which("wrk")
    if not path:
        raise SystemExit("wrk is needed: apt-get install wrk")
    return path
