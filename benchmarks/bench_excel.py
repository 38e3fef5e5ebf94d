"""Excel benchmark: the one reader (``innocredit.ingest.tables.read_feature_table``: read the first sheet, map the
headers, check every column in its own type, conform) on a workbook of 100,000 varied enterprises against
``polars.read_excel`` alone reading the same sheet, each in its own fresh process on 2 threads.

    .venv/bin/python benchmarks/bench_excel.py [--size N] [--quick]

The workbook is what an office sends: Chinese headers for some columns, dates as Excel dates, booleans as
boolean cells, region codes as numbers. Target (issue 16): at most 1.5x. Writes benchmarks/out/excel.json.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _util import PEAK_SNIPPET, run_child, write_rows  # noqa: E402

TARGET = 1.5
ZH = {"uscc": "统一社会信用代码", "name": "企业名称", "revenue": "营业收入", "employees": "职工总数"}


def _workbook(n: int, path: Path) -> None:
    import polars as pl

    from innocredit.synthetic import feature_table

    df = feature_table(n, 20251201).with_columns(pl.col("region_code").cast(pl.Int64))
    df = df.rename({k: v for k, v in ZH.items() if k in df.columns})
    df.write_excel(path, worksheet="企业名单", autofit=False, dtype_formats={pl.Date: "yyyy-mm-dd"})


def _timed(body: str) -> str:
    return ("import time\nt0 = time.perf_counter()\n" + body +
            "\nprint('WORK_S', time.perf_counter() - t0)\n" + PEAK_SNIPPET)


def _work(out: str) -> float:
    return float(next(x.split()[1] for x in out.splitlines() if x.startswith("WORK_S")))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--size", type=int, default=100_000)
    ap.add_argument("--quick", action="store_true", help="20,000 enterprises")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    n = 20_000 if args.quick else args.size
    os.environ["POLARS_MAX_THREADS"] = str(args.threads)
    with tempfile.TemporaryDirectory(prefix="bench_excel_") as tmp:
        book = Path(tmp) / "features.xlsx"
        _workbook(n, book)
        peer_wall, peer_mb, out = run_child(_timed(
            f"import polars as pl\ndf = pl.read_excel({str(book)!r}, engine='calamine', infer_schema_length=None)\n"
            "assert df.height > 0"))
        peer_s = _work(out)
        ours_wall, ours_mb, out = run_child(_timed(
            f"from innocredit.ingest.tables import read_feature_table\nt = read_feature_table({str(book)!r})\n"
            f"assert t.problems == [] and t.data.height == {n}, t.problems[:3]"))
        ours_s = _work(out)
    ratio = ours_s / peer_s
    rows = [{
        "work": "read a feature workbook (.xlsx, Chinese headers): read, map headers, check, conform",
        "size": n, "ours_s": round(ours_s, 3), "peer": "polars.read_excel (calamine) of the same sheet",
        "peer_s": round(peer_s, 3), "ratio": round(ratio, 2), "ours_peak_mb": round(ours_mb, 1),
        "peer_peak_mb": round(peer_mb, 1), "target": f"<= {TARGET:g}x", "met": bool(ratio <= TARGET),
    }, {
        "work": "  same, each process from start (imports included)",
        "size": n, "ours_s": round(ours_wall, 3), "peer": "polars process", "peer_s": round(peer_wall, 3),
        "ratio": round(ours_wall / peer_wall, 2), "ours_peak_mb": round(ours_mb, 1),
        "peer_peak_mb": round(peer_mb, 1), "target": "information", "met": True,
    }]
    for r in rows:
        print(f"{r['work'][:60]:<60} {r['size']:>8} {r['ours_s']:>8.2f} {r['peer_s']:>8.2f} {r['ratio']:>6.2f} "
              f"{r['target']:>12} {r['met']}")
    write_rows("excel", rows)


if __name__ == "__main__":
    main()
