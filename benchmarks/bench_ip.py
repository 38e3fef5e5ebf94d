"""IP valuation benchmark: quality (cohort normalisation), relief-from-royalty value and pledge capacity per
firm for N patents (default 1,000,000), vectorized polars, in a child process limited to 2 threads.

Peers, measured in the same run: polars reading and writing the same patent file (the I/O floor), and a
straightforward per-patent Python loop doing the same arithmetic on a 10k sample.

    .venv/bin/python benchmarks/bench_ip.py [--size N] [--quick]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import PEAK_SNIPPET, run_child, write_rows  # noqa: E402

AS_OF = dt.date(2026, 6, 30)
os.environ.setdefault("POLARS_MAX_THREADS", "2")


MAKE_DATA = """
import datetime as dt
from innocredit.ip.sample import make_usccs, synthetic_features, synthetic_patents
as_of = dt.date(2026, 6, 30)
usccs = make_usccs(max(1, {n} // 10))
synthetic_patents({n}, usccs=usccs, seed=42, as_of=as_of).write_parquet({patents!r})
synthetic_features(usccs, as_of=as_of).write_parquet({features!r})
"""


def make_data(n: int, folder: Path) -> tuple[Path, Path]:
    """Generate the files in a child process, so that this parent stays small: Linux carries a process's
    peak RSS over fork and exec, and a large parent would inflate every child's measured peak."""
    patents, features = folder / "patents.parquet", folder / "features.parquet"
    run_child(MAKE_DATA.format(n=n, patents=str(patents), features=str(features)))
    return patents, features


OURS = """
import datetime as dt, time, polars as pl
from innocredit.ip import value_patents, firm_capacity, load_pledge_policy, pledge_rates
t0 = time.perf_counter()
patents = pl.read_parquet({patents!r})
features = pl.read_parquet({features!r})
policy = load_pledge_policy("default")
valued = pledge_rates(value_patents(patents, features, dt.date(2026, 6, 30)), policy)
firms = firm_capacity(valued, policy)
print("WORK_S", time.perf_counter() - t0)
print("ROWS", valued.height, firms.height, round(float(firms["ip_pledge_capacity"].sum())))
"""

PEER_IO = """
import time, polars as pl
t0 = time.perf_counter()
df = pl.read_parquet({patents!r})
df.write_parquet({out!r})
print("WORK_S", time.perf_counter() - t0)
"""

PEER_LOOP = """
import datetime as dt, time, polars as pl
from innocredit.ip import load_tables, load_pledge_policy
from innocredit.ip.records import statutory_term_for
t = load_tables(); pol = load_pledge_policy("default")
rows = pl.read_parquet({patents!r}, n_rows={sample}).to_dicts()
feats = {{r["uscc"]: r for r in pl.read_parquet({features!r}).to_dicts()}}
as_of = dt.date(2026, 6, 30)
t0 = time.perf_counter()
# cohort maxima, one pass
mx = {{}}
for r in rows:
    k = (r["kind"], (r["ipc_main"] or "")[:3], r["filing_date"].year)
    m = mx.setdefault(k, [0, 0, 0, 0])
    lag = (r["grant_date"] - r["filing_date"]).days if r["grant_date"] else 0
    for i, v in enumerate((r["forward_citations"], r["family_size"], r["claims"], lag)):
        m[i] = max(m[i], v or 0)
w = t.quality["dimensions"]; v = t.valuation; roy = t.royalty
out = []
qsum = {{}}
for r in rows:
    k = (r["kind"], (r["ipc_main"] or "")[:3], r["filing_date"].year)
    m = mx[k]
    term = statutory_term_for(r["kind"], r["filing_date"])
    exp = r["filing_date"].replace(year=r["filing_date"].year + term) if not (r["filing_date"].month == 2 and r["filing_date"].day == 29) else r["filing_date"].replace(year=r["filing_date"].year + term, day=28)
    life = max(0.0, (exp - as_of).days / 365.25) if r["status"] in ("granted", "pending") else 0.0
    fwd = r["forward_citations"] / m[0] if m[0] else 0.0
    fam = r["family_size"] / m[1] if m[1] else 0.0
    cl = r["claims"] / m[2] if m[2] else 0.0
    legal = (t.quality["validity"][r["status"]] * .35 + life / term * .25 + (0.5 * cl + 0.5 * min(r["independent_claims"] / 3, 1)) * .25 + (0 if r["litigation_pending"] else 1) * .15)
    tech = fwd * .35 + cl * .25
    eco = (1.0 if r["main_product"] else 0.0) * .45 + min(r["licences"] / 3, 1) * .25 + fam * .3
    q = 100 * (.3 * legal + .35 * tech + .35 * eco)
    out.append([r, q, life])
    if r["main_product"] and r["status"] in ("granted", "pending"):
        qsum[r["uscc"]] = qsum.get(r["uscc"], 0.0) + q
cap = {{}}
for r, q, life in out:
    f = feats.get(r["uscc"], {{}})
    rev = (f.get("main_business_revenue") or 0.0) * q / qsum[r["uscc"]] if r["uscc"] in qsum and r["main_product"] else 0.0
    code = f.get("industry_code") or ""
    rr = roy.get("divisions", {{}}).get(code[:3]) or roy.get("sections", {{}}).get(code[:1]) or roy["default"]
    royalty = rr["low"] + (rr["high"] - rr["low"]) * q / 100
    r_ = v["discount_rate"][1] + v["risk_premium"][r["kind"]]
    n = min(life, v["economic_life_cap_years"][r["kind"]])
    val = 0.0
    for year in range(1, int(n) + 1):
        val += rev * royalty * 0.75 * (1 - v["decay"][1]) ** (year - 1) / (1 + r_) ** year
    rate = pol["rates"].get(r["kind"])
    if rate and r["status"] == "granted" and not r["pledged"]:
        cap[r["uscc"]] = cap.get(r["uscc"], 0.0) + val * (rate["min"] + (rate["max"] - rate["min"]) * q / 100)
print("WORK_S", time.perf_counter() - t0)
"""

OURS_SAMPLE = """
import datetime as dt, time, polars as pl
from innocredit.ip import value_patents, firm_capacity, load_pledge_policy, pledge_rates
patents = pl.read_parquet({patents!r}, n_rows={sample})
features = pl.read_parquet({features!r})
policy = load_pledge_policy("default")
value_patents(patents.head(100), features, dt.date(2026, 6, 30))  # warm up
t0 = time.perf_counter()
firms = firm_capacity(pledge_rates(value_patents(patents, features, dt.date(2026, 6, 30)), policy), policy)
print("WORK_S", time.perf_counter() - t0)
"""


def _work(out: str) -> float:
    for line in out.splitlines():
        if line.startswith("WORK_S"):
            return float(line.split()[1])
    raise RuntimeError(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--size", type=int, default=1_000_000)
    ap.add_argument("--quick", action="store_true", help="100k patents")
    args = ap.parse_args()
    n = 100_000 if args.quick else args.size
    sample = min(10_000, n)
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        patents, features = make_data(n, Path(tmp))
        print(f"generated {n:,} patents in {time.perf_counter() - t0:.1f} s")
        _, peak, out = run_child(textwrap.dedent(OURS.format(patents=str(patents), features=str(features)))
                                 + PEAK_SNIPPET)
        ours = _work(out)
        print(next(line for line in out.splitlines() if line.startswith("ROWS")))
        _, peer_peak, pout = run_child(PEER_IO.format(patents=str(patents), out=str(Path(tmp) / "copy.parquet"))
                                       + PEAK_SNIPPET)
        peer = _work(pout)
        rows.append({"work": "value + pledge capacity per firm (quality, cohort norm, relief from royalty)",
                     "size": n, "ours_s": round(ours, 3), "peer": "polars read+write of the same patent file",
                     "peer_s": round(peer, 3), "ratio": round(ours / peer, 2), "ours_peak_mb": round(peak, 1),
                     "peer_peak_mb": round(peer_peak, 1), "target": "< 30 s and < 4 GB on 2 cores (1M patents)",
                     "met": ours < 30 and peak < 4096})
        _, s_peak, sout = run_child(OURS_SAMPLE.format(patents=str(patents), features=str(features), sample=sample)
                                    + PEAK_SNIPPET)
        _, l_peak, lout = run_child(PEER_LOOP.format(patents=str(patents), features=str(features), sample=sample)
                                    + PEAK_SNIPPET)
        s, loop = _work(sout), _work(lout)
        rows.append({"work": "value + pledge capacity, sample", "size": sample, "ours_s": round(s, 4),
                     "peer": "per-patent Python loop, same arithmetic", "peer_s": round(loop, 4),
                     "ratio": round(s / loop, 3), "ours_peak_mb": round(s_peak, 1), "peer_peak_mb": round(l_peak, 1),
                     "target": "faster than the loop", "met": s < loop})
    print(f"{'work':<80} {'size':>9} {'ours s':>8} {'peer s':>8} {'ratio':>6} {'MB':>7} met")
    for r in rows:
        print(f"{r['work']:<80} {r['size']:>9,} {r['ours_s']:>8} {r['peer_s']:>8} {r['ratio']:>6} "
              f"{r['ours_peak_mb']:>7} {r['met']}")
    write_rows("ip", rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
