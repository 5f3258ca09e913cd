"""Gateway overhead: an authenticated single-row read (GET /v1/customers/{id}) through the gateway, beside the
same read sent straight to the receivables service with the identity headers the gateway would add.

Both measured in the same run with wrk (8 connections). Goals (issue 2): through the gateway at least half the
direct requests/s, and at most 3 ms added at p50. Also printed: the CPU each process spent per request (the
gateway with one process, the service), which says what the gateway's own work costs whatever the machine's load.
"""

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import System, arguments, bench_line, require_wrk
from shared.identity import READERS, identity_headers
from shared.settings import DEVELOPMENT_SECRET

CONNECTIONS = 8


def run_wrk(
    wrk: str,
    url: str,
    headers: dict[str, str],
    seconds: int,
    connections: int = CONNECTIONS,
    script: tuple[str, ...] = (),
) -> dict[str, float]:
    """wrk's figures for ``url``; ``script``: a Lua script and its arguments (which requests to make)."""
    command = [wrk, "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    if script:
        command += ["-s", script[0]]
    trailing = ["--", *script[1:]] if script[1:] else []
    output = subprocess.run([*command, url, *trailing], capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in output:
        raise SystemExit(f"wrk saw errors:\n{output}")
    return {
        "requests": float(re.search(r"(\d+) requests in", output).group(1)),
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": _ms(re.search(r"50%\s+([\d.]+\w+)", output).group(1)),
        "p99": _ms(re.search(r"99%\s+([\d.]+\w+)", output).group(1)),
    }


def _ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


async def main() -> None:
    args = arguments(__doc__)
    seconds = 5 if args.scale == "small" else 20
    wrk = require_wrk()
    redis_db = os.environ.get("COBRANZA_BENCH_REDIS_DB")  # default: the harness's database for this bench
    async with System(
        "gateway" + os.environ.get("COBRANZA_BENCH_SUFFIX", ""),  # a database of its own beside another checkout's
        services=("receivables",),
        port_base=args.port_base,
        redis_db=int(redis_db) if redis_db else None,
    ) as system:
        # The gateway is stateless and scales by processes: measured with one and with two (one per core).
        two_workers = system.start_app("gateway", args.port_base + 10, workers=2)
        await system.wait_ready([two_workers])
        tenant = await system.tenant_api_key()
        async with httpx.AsyncClient(base_url=system.url("gateway")) as client:
            created = await client.post(
                "/v1/customers", headers=tenant["api_key"], json={"name": "Cliente Bench", "external_id": "B-1"}
            )
            created.raise_for_status()
        path = f"/v1/customers/{created.json()['id']}"
        direct_headers = identity_headers(DEVELOPMENT_SECRET, tenant["tenant_id"], "apikey:bench", READERS)
        targets = {
            "direct": (system.url("receivables") + path, direct_headers),
            "gateway x1": (system.url("gateway") + path, tenant["api_key"]),
            "gateway x2": (two_workers + path, tenant["api_key"]),
        }
        for url, headers in targets.values():  # warm up pools and caches
            run_wrk(wrk, url, headers, 2)
        results, cpu_ms = {}, {}
        for name, (url, headers) in targets.items():
            before = system.cpu_by_role()
            results[name] = run_wrk(wrk, url, headers, seconds)
            after = system.cpu_by_role()
            cpu_ms[name] = {
                role: (after[role] - before[role]) * 1000 / results[name]["requests"]
                for role in ("gateway", "receivables")
            }
    d = results["direct"]
    for name, r in results.items():
        print(
            f"{name:11s}: {r['rps']:6.0f} req/s  p50 {r['p50']:6.2f} ms  p99 {r['p99']:6.2f} ms"
            f"  (vs direct: {r['rps'] / d['rps']:.2f}x req/s, {r['p50'] - d['p50']:+.2f} ms at p50)"
        )
    print(
        f"CPU per request: gateway (1 process) {cpu_ms['gateway x1']['gateway']:.3f} ms beside the service's"
        f" {cpu_ms['gateway x1']['receivables']:.3f} ms; direct: the service {cpu_ms['direct']['receivables']:.3f} ms"
    )
    print("goals: through the gateway >= 0.5x the direct req/s, <= +3 ms at p50 (8 connections)")
    for label, name in (("x1", "gateway x1"), ("x2", "gateway x2")):
        g = results[name]
        print(bench_line(f"gateway_{label}_read_rps", g["rps"], d["rps"], "req/s"))
        print(bench_line(f"gateway_{label}_read_p50", g["p50"], d["p50"], "ms"))
        print(bench_line(f"gateway_{label}_read_p99", g["p99"], d["p99"], "ms"))
    gateway_cpu, service_cpu = cpu_ms["gateway x1"]["gateway"], cpu_ms["direct"]["receivables"]
    print(bench_line("gateway_x1_cpu_per_request", gateway_cpu, service_cpu, "ms"))


if __name__ == "__main__":
    asyncio.run(main())
