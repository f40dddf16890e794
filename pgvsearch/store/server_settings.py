"""The embedded server's memory settings, chosen from the machine once, at its first start.

PostgreSQL's defaults (128 MB of shared_buffers, 64 MB of maintenance_work_mem, 4 MB of
work_mem) suit a small machine's first hour, not a million chunks: the HNSW index of 1,000,000
384-d chunks is about 2 GB and is searched well only from memory, and building it wants the
graph in maintenance_work_mem. So when pgvsearch creates its embedded server it writes
``pgvsearch.conf`` in the data directory (included from ``postgresql.conf``) with:

=================================  ==========================================  =====================
setting                            rule                                        24 GiB, 2 cores
=================================  ==========================================  =====================
shared_buffers                     1/8 of memory, 128 MB to 8 GB               3 GB
effective_cache_size               1/2 of memory                               12 GB
maintenance_work_mem               1/16 of memory, 64 MB to 2 GB               1.5 GB
max_parallel_maintenance_workers   cores - 1, at most 4                        1
work_mem                           memory / 512, 4 MB to 64 MB                 48 MB
=================================  ==========================================  =====================

Memory is the machine's, or the container's limit when lower (cgroup ``memory.max``). The file
is written once; edit it (or ``ALTER SYSTEM``, which wins) and ``pgvsearch server stop`` to
change them. A server pgvsearch did not create, a user's own, is never reconfigured: ``status``
says what to change (:mod:`.sizing`).
"""

from __future__ import annotations

import os
from pathlib import Path

SETTINGS_FILE = "pgvsearch.conf"
MB = 1024 * 1024


def machine_memory() -> int:
    """Bytes of memory this process may use: physical memory, or a lower cgroup limit."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    for limit_file in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(limit_file).read_text().strip()
        except OSError:
            continue
        if text.isdigit() and 0 < int(text) < total:
            total = int(text)
    return total


def chosen_settings(memory: int, cores: int) -> dict[str, str]:
    """The settings for a machine with ``memory`` bytes and ``cores`` CPUs (see the module's table)."""

    def clamp(value: int, low: int, high: int) -> str:
        return f"{max(low, min(high, value)) // MB}MB"

    return {
        "shared_buffers": clamp(memory // 8, 128 * MB, 8192 * MB),
        "effective_cache_size": f"{max(memory // 2, 128 * MB) // MB}MB",
        "maintenance_work_mem": clamp(memory // 16, 64 * MB, 2048 * MB),
        "max_parallel_maintenance_workers": str(max(0, min(4, cores - 1))),
        "work_mem": clamp(memory // 512, 4 * MB, 64 * MB),
    }


def write_settings(pgdata: Path) -> dict[str, str] | None:
    """Write ``pgvsearch.conf`` for a data directory that has none and include it from
    ``postgresql.conf`` (before the server starts); the settings written, None if it had one."""
    target = pgdata / SETTINGS_FILE
    if target.exists() or not (pgdata / "postgresql.conf").exists():
        return None
    settings = chosen_settings(machine_memory(), os.cpu_count() or 1)
    lines = [f"# Chosen by pgvsearch from this machine's memory at the server's first start (docs/performance.md).\n"]
    lines += [f"{name} = '{value}'\n" for name, value in settings.items()]
    target.write_text("".join(lines), encoding="utf-8")
    with (pgdata / "postgresql.conf").open("a", encoding="utf-8") as conf:
        conf.write(f"\ninclude_if_exists = '{SETTINGS_FILE}'\n")
    owner = pgdata.stat()
    if os.geteuid() == 0:  # the server runs as the data directory's owner (pgserver)
        os.chown(target, owner.st_uid, owner.st_gid)
    return settings
