"""Run a command and measure what a user would: wall time and the peak memory of its whole process tree,
plus the CPU time it used, which other load on a shared machine disturbs far less than wall time.

Peak RSS is sampled from /proc every 20 ms over the process and all its descendants, summed (a writer
process counts too), and cross-checked against the kernel's own peak for the top process
(`wait4`'s `ru_maxrss`), which sampling can only under-estimate.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

SAMPLE_SECONDS = 0.02


@dataclass(frozen=True, slots=True)
class Measured:
    returncode: int
    seconds: float
    peak_rss_mb: float  # the process tree's summed RSS at its largest
    cpu_seconds: float  # user + system time of the process and the children it waited for
    stdout: str
    stderr: str


def _children(pid: int) -> list[int]:
    found = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += [int(child) for child in (task / "children").read_text().split()]
    except OSError:
        pass
    return found


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_kb(pid: int) -> int:
    """Summed resident memory of `pid` and every descendant, now."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        total += _rss_kb(current)
        pending += _children(current)
    return total


def run_measured(command: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> Measured:
    """Run `command` to completion; its output is captured to temporary files, not pipes (no dead-lock)."""
    out_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"measure-{os.getpid()}-{time.monotonic_ns()}"
    with open(f"{out_path}.out", "w+") as out, open(f"{out_path}.err", "w+") as err:
        started = time.monotonic()
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        peak = 0
        stop = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not stop.is_set():
                peak = max(peak, tree_rss_kb(process.pid))
                stop.wait(SAMPLE_SECONDS)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.monotonic() - started
        stop.set()
        sampler.join()
        process.returncode = os.waitstatus_to_exitcode(status)
        peak = max(peak, usage.ru_maxrss)
        out.seek(0)
        err.seek(0)
        cpu = usage.ru_utime + usage.ru_stime
        result = Measured(process.returncode, seconds, peak / 1024, cpu, out.read(), err.read())
    os.unlink(f"{out_path}.out")
    os.unlink(f"{out_path}.err")
    return result
