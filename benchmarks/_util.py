"""Small helpers shared by the benchmark scripts: timing, peak memory of a child process, output rows."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"


def timed(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    value = fn(*args, **kwargs)
    return value, time.perf_counter() - t0


def run_child(code: str) -> tuple[float, float, str]:
    """Run ``code`` in a fresh interpreter; return (seconds, peak RSS in MB, stdout).

    Peak memory is the child's own maximum resident set size, so each side of a
    comparison is measured alone.
    """
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=os.environ.copy())
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-4000:])
    return elapsed, peak_from_stdout(proc.stdout), proc.stdout


# VmHWM (the process's own high-water mark) starts fresh after exec, unlike ru_maxrss,
# which Linux carries over fork and exec from a large parent.
PEAK_SNIPPET = (
    "\nprint('PEAK_MB', [int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM')][0] / 1024)\n"
)


def peak_from_stdout(out: str) -> float:
    for line in out.splitlines():
        if line.startswith("PEAK_MB"):
            return float(line.split()[1])
    return float("nan")


def self_peak_mb() -> float:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_rows(area: str, rows: list[dict[str, object]]) -> None:
    OUT.mkdir(exist_ok=True)
    (OUT / f"{area}.json").write_text(json.dumps(rows, indent=2))
    for r in rows:
        print(json.dumps(r))
