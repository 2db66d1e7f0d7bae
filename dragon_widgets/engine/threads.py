"""Torch's thread count from the cores that are actually free.

torch starts one thread per core and every parallel operation waits for its slowest thread: when another process
keeps one of two cores busy, two threads run several times slower than one. A run therefore picks its thread
count from what is free *now*:

* the cores this process may use (``os.sched_getaffinity``, and a container's CPU quota from cgroups, as on
  Binder),
* minus the cores other processes kept busy since the last look (``/proc/stat``'s busy time less this process's
  own CPU time, so the kernel's own work and the previous edit do not count against it),
* at most ``cap`` (by default the thread count torch has now: ``OMP_NUM_THREADS`` or ``torch.set_num_threads``
  still set the ceiling), at least 1.

:class:`ThreadChooser` keeps the last look, so a run normally decides at once (the window is the time since the
previous run began); only the first run of a process samples for :data:`SAMPLE_S`. Where ``/proc`` is missing
(macOS, Windows) the one-minute load average stands in for the busy cores, and failing that the cap is used.
:func:`run_threads` applies a choice to the calling thread for the length of a run and restores the previous
count afterwards (torch's OpenMP thread count belongs to the thread that sets it: the editor app's worker thread
sets its own).
"""

from __future__ import annotations

import math
import os
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass

import torch

#: How long a first look samples the machine (seconds).
SAMPLE_S = 0.1
#: A look older than this is not trusted: the chooser samples afresh (seconds).
MAX_WINDOW_S = 120.0
#: Busy cores are rounded up from this fraction: another process using 0.3 of a core or more takes a whole core
#: from the count (a thread sharing a core stalls every parallel operation).
BUSY_ROUNDING = 0.3


def usable_cores() -> int:
    """Cores this process may run on: its CPU affinity, capped by a cgroup CPU quota (containers, Binder)."""
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        n = os.cpu_count() or 1
    quota = _cgroup_quota()
    if quota is not None:
        n = min(n, max(1, math.ceil(quota - 1e-6)))
    return max(1, n)


def _cgroup_quota() -> float | None:
    """The container's CPU limit in cores (cgroup v2 ``cpu.max`` or v1 ``cfs_quota_us``), or None."""
    try:
        with open("/sys/fs/cgroup/cpu.max") as f:
            quota, period = f.read().split()[:2]
        return None if quota == "max" else int(quota) / int(period)
    except (OSError, ValueError):
        pass
    try:
        with open("/sys/fs/cgroup/cpu/cpu.cfs_quota_us") as f:
            quota = int(f.read())
        with open("/sys/fs/cgroup/cpu/cpu.cfs_period_us") as f:
            period = int(f.read())
        return None if quota <= 0 else quota / period
    except (OSError, ValueError):
        return None


@dataclass(frozen=True)
class Look:
    """One reading: wall time, the machine's busy and total CPU seconds, this process's CPU seconds."""

    wall: float
    busy: float | None  # None where /proc/stat is missing
    total: float | None
    own: float


def look() -> Look:
    busy = total = None
    try:
        with open("/proc/stat") as f:
            fields = f.readline().split()
        if fields and fields[0] == "cpu":
            vals = [float(v) for v in fields[1:]]
            idle = vals[3] + (vals[4] if len(vals) > 4 else 0.0)  # idle + iowait
            steal = vals[7] if len(vals) > 7 else 0.0  # time a hypervisor gave to other machines: not ours to use
            hz = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
            total = sum(vals[:8]) / hz
            busy = (sum(vals[:8]) - idle - steal) / hz
    except (OSError, ValueError, IndexError):
        pass
    return Look(wall=time.monotonic(), busy=busy, total=total, own=time.process_time())


def busy_elsewhere(before: Look, after: Look) -> float | None:
    """Cores that other processes kept busy between two looks (None when it cannot be told)."""
    wall = after.wall - before.wall
    if wall <= 0:
        return None
    if before.busy is not None and after.busy is not None:
        others = (after.busy - before.busy) - (after.own - before.own)
        return max(0.0, others / wall)
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        return None
    return max(0.0, load - (after.own - before.own) / wall)


def threads_for(free: float, cap: int) -> int:
    """The thread count for ``free`` free cores, between 1 and ``cap``."""
    return max(1, min(int(cap), int(math.floor(free + BUSY_ROUNDING + 1e-9))))


class ThreadChooser:
    """Chooses a run's thread count (see module docstring); thread-safe, one per process is enough."""

    def __init__(self, sample_s: float = SAMPLE_S):
        self.sample_s = sample_s
        self._last: Look | None = None
        self._lock = threading.Lock()
        self.last_choice: dict | None = None  # what the last choice saw (for benchmarks and bug reports)

    def prime(self) -> None:
        """Take a first look now (if there is none), so the next choice needs no sampling wait."""
        with self._lock:
            if self._last is None or time.monotonic() - self._last.wall > MAX_WINDOW_S:
                self._last = look()

    def free_cores(self) -> float:
        """Usable cores minus those other processes kept busy since the last look."""
        with self._lock:
            before = self._last
            if before is None or time.monotonic() - before.wall > MAX_WINDOW_S:
                before = look()
                time.sleep(self.sample_s)
            now = look()
            if now.wall - before.wall < self.sample_s / 2:  # two runs back to back: widen the window
                time.sleep(self.sample_s / 2)
                now = look()
            self._last = now
        usable = usable_cores()
        others = busy_elsewhere(before, now)
        free = float(usable) if others is None else max(0.0, usable - others)
        self.last_choice = {"usable": usable, "busy_elsewhere": others, "free": free,
                            "window_s": round(now.wall - before.wall, 3)}
        return free

    def choose(self, cap: int | None = None) -> int:
        """Threads for a run starting now: the free cores, at most ``cap`` (default torch's current count)."""
        cap = torch.get_num_threads() if cap is None else int(cap)
        n = threads_for(self.free_cores(), cap)
        self.last_choice["threads"] = n
        return n


#: The process's chooser (the editors share it: they queue on one pipeline anyway).
CHOOSER = ThreadChooser()


def check_threads(threads) -> int | str | None:
    """``threads`` as given if valid: a positive int, ``"auto"`` or None; else ``ValueError`` naming it."""
    if threads is None or threads == "auto":
        return threads
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be 'auto', None (leave torch's setting) or a positive whole number, "
                         f"got {threads!r}")
    return threads


@contextmanager
def run_threads(threads: int | str | None, device=None):
    """Run a block with ``threads`` torch threads in the calling thread (``"auto"``: chosen by :data:`CHOOSER`;
    None: torch's setting as it is); the previous count comes back afterwards. On a GPU nothing changes."""
    if threads is None or (device is not None and torch.device(device).type != "cpu"):
        yield torch.get_num_threads()
        return
    before = torch.get_num_threads()
    n = CHOOSER.choose(before) if threads == "auto" else int(threads)
    if n != before:
        torch.set_num_threads(n)
    try:
        yield n
    finally:
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)
