"""Process helpers for the benchmarks (stdlib, Linux /proc): process trees, their CPU time, peak memory."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name (field 3 onwards), or None when gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (children, grandchildren, …)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (fields := _stat(int(entry))) is not None:
            parents.setdefault(int(fields[1]), []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        children = parents.get(todo.pop(), [])
        out += children
        todo += children
    return out


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds used so far by these processes (those still alive)."""
    total = 0
    for pid in pids:
        if (fields := _stat(pid)) is not None:
            total += int(fields[11]) + int(fields[12])
    return total / TICK


def settle(quiet_s: float = 1.0, timeout: float = 60.0, idle_cpu: float = 0.05) -> float:
    """Wait until this process and its descendants use under `idle_cpu` CPU seconds over `quiet_s`
    (e.g. an app's background start-up: a pre-started trainer importing torch). Returns the seconds waited."""
    start = time.monotonic()
    me = os.getpid()
    before = cpu_seconds([me, *descendants(me)])
    while time.monotonic() - start < timeout:
        time.sleep(quiet_s)
        now = cpu_seconds([me, *descendants(me)])
        if now - before < idle_cpu:
            break
        before = now
    return time.monotonic() - start


@dataclass
class Finished:
    """How a measured child process ended."""

    code: int
    seconds: float
    peak_rss_bytes: int


def peak_rss(pid: int) -> int:
    """The process's peak resident memory so far (VmHWM), in bytes; 0 when it is gone.

    (`wait4`'s ru_maxrss would not do: Linux carries the parent's resident size over fork and exec into it.)
    """
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def run_measured(command: list[str], timeout: float, **popen) -> Finished:
    """Run `command` to its end: its exit code, wall time and peak resident memory (sampled every 50 ms)."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, **popen)
    peak = 0
    try:
        while proc.poll() is None:
            peak = max(peak, peak_rss(proc.pid))
            if time.perf_counter() - start > timeout:
                proc.kill()
                proc.wait()
                break
            time.sleep(0.05)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return Finished(proc.returncode, time.perf_counter() - start, peak)


def end_processes(pids: list[int], grace: float = 10.0) -> None:
    """SIGTERM these processes, then SIGKILL those still alive after `grace` seconds."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        alive = [pid for pid in pids if is_running(pid)]
        for pid in alive:
            try:
                os.kill(pid, sig)
            except OSError:
                pass
        deadline = time.monotonic() + grace
        while alive and time.monotonic() < deadline:
            time.sleep(0.1)
            alive = [pid for pid in alive if is_running(pid)]
        if not alive:
            return


def is_running(pid: int) -> bool:
    """Whether the process exists and has not exited (a zombie has)."""
    fields = _stat(pid)
    return fields is not None and fields[0] != "Z"


def terminate_tree(proc: subprocess.Popen, timeout: float = 30.0) -> None:
    """Stop `proc` (SIGTERM, then SIGKILL) and then every process it had started that is still alive
    (e.g. trainings or a pre-started trainer left behind by an app)."""
    below = descendants(proc.pid)
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    end_processes(below)
