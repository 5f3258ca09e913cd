"""The bench harness's peak memory figures: VmHWM read from /proc, one line per process, children found."""

import os
import subprocess
import sys
from pathlib import Path

from bench.harness import descendants, peak_rss_line, unique_name, vm_hwm_kb


def test_vm_hwm_is_read_from_the_status_text() -> None:
    status = "Name:\tpython\nVmPeak:\t  900 kB\nVmHWM:\t   123456 kB\nVmRSS:\t  100000 kB\n"
    assert vm_hwm_kb(status) == 123456
    assert vm_hwm_kb("Name:\tgone\n") is None


def test_own_process_has_a_peak() -> None:
    assert (vm_hwm_kb(Path(f"/proc/{os.getpid()}/status").read_text()) or 0) > 0


def test_one_line_names_every_process() -> None:
    line = peak_rss_line({"gateway": 112.4, "dunning": 310.0, "dunning-worker": 1_305.6})
    assert line == "peak RSS: gateway 112 MB, dunning 310 MB, dunning-worker 1,306 MB"
    assert peak_rss_line({}) == "peak RSS: no process"


def test_processes_of_one_role_get_numbered() -> None:
    assert unique_name("gateway", {}) == "gateway"
    assert unique_name("gateway", {"gateway": 1.0, "gateway#2": 1.0}) == "gateway#3"


def test_descendants_include_grandchildren() -> None:
    code = "import subprocess, sys; subprocess.run([sys.executable, '-c', 'import time; time.sleep(30)'])"
    child = subprocess.Popen([sys.executable, "-c", code])
    try:
        for _ in range(100):  # until the grandchild exists (bounded by count)
            found = descendants(child.pid)
            if found:
                break
            subprocess.run(["sleep", "0.05"], check=True)
        assert len(found) == 1
        assert child.pid not in found
    finally:
        for pid in descendants(child.pid):
            os.kill(pid, 9)
        child.kill()
        child.wait()
