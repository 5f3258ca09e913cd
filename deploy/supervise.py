"""Runs every process of a Procfile and restarts one that exits, as Kubernetes does in production.

    python deploy/supervise.py deploy/Procfile

honcho (what ``make run`` used before) stops every process when one exits, so a crashed worker took the whole
system down with it. Here a process that exits is started again after a back-off (1 s doubling to 30 s, reset
once it has run a minute: ``shared.worker_process.next_backoff``); each line it prints is prefixed with its name.
Ctrl-C or SIGTERM stops them all (SIGTERM first, SIGKILL after ten seconds).
"""

import asyncio
import contextlib
import os
import signal
import sys
import time
from pathlib import Path

from shared.worker_process import next_backoff

STOP_WAIT_SECONDS = 10.0
COLOURS = [36, 33, 32, 35, 34, 31, 96, 93, 92, 95, 94, 91]


def read_procfile(path: Path) -> dict[str, str]:
    """``name: command`` lines; blank lines and comments skipped."""
    processes = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, command = line.partition(":")
        processes[name.strip()] = command.strip()
    return processes


class Supervisor:
    def __init__(self, processes: dict[str, str]) -> None:
        self.processes = processes
        self.width = max(map(len, processes), default=0)
        self.running: dict[str, asyncio.subprocess.Process] = {}
        self.stopping = asyncio.Event()

    def say(self, name: str, index: int, text: str) -> None:
        colour = COLOURS[index % len(COLOURS)]
        prefix = f"{time.strftime('%H:%M:%S')} {name.ljust(self.width)} |"
        if sys.stdout.isatty():
            prefix = f"\033[{colour}m{prefix}\033[0m"
        sys.stdout.write(f"{prefix} {text}\n")
        sys.stdout.flush()

    async def keep_running(self, name: str, command: str, index: int) -> None:
        backoff: float | None = None
        while not self.stopping.is_set():
            began = time.monotonic()
            process = await asyncio.create_subprocess_shell(
                command,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
                limit=2**20,
            )
            self.running[name] = process
            self.say(name, index, f"started with pid {process.pid}")
            assert process.stdout is not None
            async for line in process.stdout:
                self.say(name, index, line.decode(errors="replace").rstrip())
            code = await process.wait()
            if self.stopping.is_set():
                return
            backoff = next_backoff(backoff, time.monotonic() - began)
            self.say(name, index, f"exited with code {code}; restarting in {backoff:g} s")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), backoff)

    async def stop(self) -> None:
        self.stopping.set()
        live = [p for p in self.running.values() if p.returncode is None]
        for process in live:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*(p.wait() for p in live)), STOP_WAIT_SECONDS)
        for process in live:
            if process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        done = asyncio.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, done.set)
        tasks = [
            asyncio.create_task(self.keep_running(name, command, index))
            for index, (name, command) in enumerate(self.processes.items())
        ]
        await done.wait()
        await self.stop()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit("usage: python deploy/supervise.py <Procfile>")
    asyncio.run(Supervisor(read_procfile(Path(sys.argv[1]))).run())


if __name__ == "__main__":
    main()
