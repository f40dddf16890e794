"""What benchmarks/scale.py records of the machine and the server: the hardware and settings,
peak memory of the client and of the private server's processes, and a backend's CPU time."""

from __future__ import annotations

import os
import platform
import resource
import threading
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql


def machine_info() -> dict[str, Any]:
    cpu_model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
                break
    except OSError:
        pass
    try:
        nproc = len(os.sched_getaffinity(0))
    except AttributeError:
        nproc = os.cpu_count() or 1
    return {
        "nproc": nproc,
        "ram_gib": ram_gib,
        "cpu_model": cpu_model or platform.processor(),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def server_info(conn: psycopg.Connection[Any]) -> dict[str, Any]:
    info: dict[str, Any] = {}
    row = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()
    info["pgvector"] = row[0] if row else None
    for name in ("server_version", "shared_buffers", "work_mem", "effective_cache_size",
                 "max_parallel_workers_per_gather", "jit", "random_page_cost"):
        info[name] = conn.execute(sql.SQL("SHOW {}").format(sql.Identifier(name))).fetchone()[0]  # type: ignore[index]
    return info


def memory_kib(pid: int) -> tuple[int, int] | None:
    """(VmHWM, Pss) of a process in KiB: its peak resident set, and its current proportional
    set size (shared pages divided among the processes that map them)."""
    try:
        hwm = next(int(line.split()[1]) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                   if line.startswith("VmHWM:"))
    except (OSError, ValueError, IndexError, StopIteration):
        return None
    pss = 0
    try:
        pss = next(int(line.split()[1]) for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
                   if line.startswith("Pss:"))
    except (OSError, ValueError, IndexError, StopIteration):
        pass
    return hwm, pss


class ServerMemory:
    """Peak memory of the private server, sampled every half second while the benchmark runs:
    at each sample the postmaster and all its live children (backends, parallel workers,
    autovacuum, ...), listed by psutil when installed, else from pg_stat_activity.

    ``server_peak_rss_mb`` is the largest sum, over one sample's processes, of their VmHWM
    (each process's own peak RSS; shared buffers are counted once per process that touched
    them, so this is an upper bound). ``server_peak_pss_mb`` is the largest sum of their Pss
    (shared pages divided among the processes: the memory the server held at that moment).
    Summing VmHWM over every process ever seen would count each short-lived parallel worker's
    shared buffers again (1,041 processes in a 100k run)."""

    def __init__(self, postmaster_pid: int, conninfo: str) -> None:
        self.postmaster_pid = postmaster_pid
        self.conninfo = conninfo
        self._lock = threading.Lock()
        self.reset()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _pids(self) -> list[int]:
        try:
            import psutil

            return [self.postmaster_pid] + [p.pid for p in psutil.Process(self.postmaster_pid).children(recursive=True)]
        except ImportError:
            with psycopg.connect(self.conninfo, autocommit=True) as conn:
                return [self.postmaster_pid] + [r[0] for r in conn.execute("SELECT pid FROM pg_stat_activity").fetchall()]
        except Exception:
            return [self.postmaster_pid]

    def sample(self) -> None:
        sizes = [m for m in map(memory_kib, self._pids()) if m is not None]
        with self._lock:
            self.peak_hwm_sum = max(self.peak_hwm_sum, sum(h for h, _ in sizes))
            self.peak_pss_sum = max(self.peak_pss_sum, sum(p for _, p in sizes))
            self.peak_process = max([self.peak_process] + [h for h, _ in sizes])
            self.peak_processes = max(self.peak_processes, len(sizes))

    def _loop(self) -> None:
        while not self._stop.wait(0.5):
            self.sample()

    def __enter__(self) -> "ServerMemory":
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()

    def reset(self) -> None:
        with self._lock:
            self.peak_hwm_sum = self.peak_pss_sum = self.peak_process = self.peak_processes = 0

    def report(self) -> dict[str, Any]:
        with self._lock:
            return {"server_peak_rss_mb": round(self.peak_hwm_sum / 1024, 1),
                    "server_peak_pss_mb": round(self.peak_pss_sum / 1024, 1),
                    "server_peak_rss_max_process_mb": round(self.peak_process / 1024, 1),
                    "server_processes_max": self.peak_processes}


def client_peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # KiB on Linux


def backend_cpu_seconds(conn: psycopg.Connection[Any]) -> float | None:
    """CPU time (user + system) of the server process behind ``conn``, from /proc.

    Unlike wall time it hardly changes when other processes compete for the CPUs; parallel
    workers are not included.
    """
    try:
        fields = Path(f"/proc/{conn.info.backend_pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


SPEED_CHECK = "SELECT count(*) FROM (SELECT g % 100000 AS k, sum(g::float8 * 0.5) FROM generate_series(1, 1000000) AS g GROUP BY 1) AS s"
"""A fixed piece of server work like the keyword branch's (a hash aggregate of a million rows
into 100,000 groups), timed before and after the queries: this shared VM's speed varies about
2-3x over a day, and the same collection's figures with it (docs/performance.md)."""


def speed_check(conn: psycopg.Connection[Any], repeats: int = 5) -> float:
    """Median milliseconds of SPEED_CHECK, after one untimed run."""
    import statistics
    import time

    conn.execute(SPEED_CHECK).fetchone()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        conn.execute(SPEED_CHECK).fetchone()
        times.append(time.perf_counter() - started)
    return round(statistics.median(times) * 1000, 1)
