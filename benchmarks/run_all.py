"""`make bench`: run every benchmark of the project, one after another, and print one table.

Each ``benchmarks/bench_*.py`` writes ``benchmarks/out/<area>.json``: rows with our figure,
the peer's figure measured in the same run, the ratio and peak memory. This script runs
them, gathers the rows, prints the table with the machine it ran on and writes
``benchmarks/results.json``. ``--only NAME`` runs a subset; ``--quick`` passes ``--quick``
to every benchmark that has it (smaller sizes, for a smoke run). ``--markdown`` prints the table of the
last ``results.json`` as Markdown (what ``docs/performance.md`` shows) without running anything.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
ORDER = ["demo_data", "ingest", "evaluation", "excel", "risk", "ip", "lending", "coordination", "spark", "api_load"]


def machine() -> dict[str, object]:
    return {
        "cores": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def scripts(only: list[str] | None) -> list[Path]:
    found = {p.stem.removeprefix("bench_"): p for p in HERE.glob("bench_*.py")}
    names = [n for n in ORDER if n in found] + sorted(n for n in found if n not in ORDER)
    return [found[n] for n in names if not only or n in only]


def fmt(v: object, digits: int = 3) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.{digits}g}" if abs(v) < 1000 else f"{v:,.0f}"
    return str(v)


def markdown(result: dict) -> str:
    """The rows of a results.json as a Markdown table, with the machine and the total time."""
    m = result["machine"]
    lines = [f"Machine: {m['cores']} cores, {m['memory_gb']} GB, Python {m['python']}; `make bench` took "
             f"{result['seconds']:.0f} s.", "",
             "| area | work | size | ours (s) | peer | peer (s) | ours / peer | ours peak MB | peer peak MB | target | met |",
             "|---|---|---:|---:|---|---:|---:|---:|---:|---|---|"]

    def cell(v: object) -> str:
        if v is None:
            return "–"
        if isinstance(v, bool):
            return "yes" if v else "**no**"
        if isinstance(v, int):
            return f"{v:,}"
        if isinstance(v, float):
            return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3g}"
        return str(v).replace("|", "/")

    for r in result["rows"]:
        lines.append("| " + " | ".join(cell(r.get(k)) for k in (
            "area", "work", "size", "ours_s", "peer", "peer_s", "ratio", "ours_peak_mb", "peer_peak_mb", "target",
            "met")) + " |")
    if result.get("failures"):
        lines.append("")
        lines.append("Failed: " + ", ".join(result["failures"]))
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--markdown", action="store_true", help="print the last results.json as Markdown and stop")
    args = ap.parse_args()
    if args.markdown:
        print(markdown(json.loads((HERE / "results.json").read_text())))
        return 0
    OUT.mkdir(exist_ok=True)
    rows: list[dict[str, object]] = []
    failures: list[str] = []
    started = time.time()
    for script in scripts(args.only):
        area = script.stem.removeprefix("bench_")
        out_file = OUT / f"{area}.json"
        out_file.unlink(missing_ok=True)
        print(f"== {script.name}", flush=True)
        cmd = [sys.executable, str(script)] + (["--quick"] if args.quick else [])
        proc = subprocess.run(cmd, cwd=HERE.parent)
        if proc.returncode != 0 or not out_file.exists():
            failures.append(f"{script.name} (exit {proc.returncode})")
            continue
        for row in json.loads(out_file.read_text()):
            rows.append({"area": area, **row})
    info = machine()
    for r in rows:  # every row states the machine it was measured on
        r["machine"] = f"{info['cores']} cores, {info['memory_gb']} GB"
    header = ["area", "work", "size", "ours_s", "peer", "peer_s", "ratio", "ours_peak_mb", "peer_peak_mb", "target", "met"]
    print(f"\nmachine: {info['cores']} cores, {info['memory_gb']} GB, Python {info['python']}")
    widths = [max(len(h), *(len(fmt(r.get(h))) for r in rows)) if rows else len(h) for h in header]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    for r in rows:
        print("  ".join(fmt(r.get(h)).ljust(w) for h, w in zip(header, widths)))
    result = {"machine": info, "seconds": round(time.time() - started, 1), "rows": rows, "failures": failures}
    (HERE / "results.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    if failures:
        print("failed: " + ", ".join(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
