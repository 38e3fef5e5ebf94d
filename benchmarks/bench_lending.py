"""Benchmark: match N enterprises against every shipped product (issue 5: 1,000,000 in under 20 s on 2 cores).

Ours: ``innocredit.lending.matching.match`` (all decision tables compiled to polars expressions, one pass).
Peer: the same decision tables evaluated row by row in plain Python on a 10,000-row sample, extrapolated
to N; and polars writing + reading the input table as Parquet (an I/O floor for the same data).
Peak memory of each side is measured in its own child process.

    .venv/bin/python benchmarks/bench_lending.py [--size N] [--quick]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import PEAK_SNIPPET, run_child, write_rows  # noqa: E402

GEN = r'''
import datetime as dt
import numpy as np
import polars as pl

def make(n, seed=7):
    rng = np.random.default_rng(seed)
    grades = np.array([f"G{i}" for i in range(1, 11)])
    schemes = np.array(["anhui_4321", "national_fund", "tech_special_2024", None], dtype=object)
    def maybe_null(a, p=0.03):
        m = rng.random(n) < p
        return pl.Series(a).set(pl.Series(m), None) if m.any() else pl.Series(a)
    return pl.DataFrame({
        "uscc": [f"9133{i:014d}" for i in range(n)],
        "as_of": [dt.date(2025, 6, 30)] * n,
        "registered_on": pl.Series(np.datetime64("2005-01-01") + rng.integers(0, 7000, n).astype("timedelta64[D]")).cast(pl.Date),
        "revenue": maybe_null(rng.lognormal(16, 1.2, n)),
        "rd_expense": maybe_null(rng.lognormal(14, 1.0, n)),
        "masters_phd_staff": rng.integers(0, 12, n),
        "talent_programme_members": rng.integers(0, 3, n),
        "order_backlog": maybe_null(rng.lognormal(15, 1.5, n) * (rng.random(n) < 0.6)),
        "ip_class1": rng.integers(0, 10, n),
        "serious_dishonesty": rng.random(n) < 0.01,
        "abnormal_operations": rng.random(n) < 0.03,
        "open_enforcement_cases": (rng.random(n) < 0.05).astype(np.int64),
        "tax_credit_rating": rng.choice(np.array(["A", "B", "M", "C", "D"]), n, p=[0.4, 0.3, 0.2, 0.07, 0.03]),
        "high_tech_certified": rng.random(n) < 0.3,
        "tech_sme_qualified": rng.random(n) < 0.5,
        "innovation_points": maybe_null(rng.uniform(30, 100, n)),
        "policy_credit_eligible": rng.random(n) < 0.4,
        "bank_new_quality_score": maybe_null(rng.uniform(30, 100, n)),
        "pd_grade": maybe_null(rng.choice(grades, n)),
        "ip_pledge_capacity": rng.lognormal(13, 1.5, n) * (rng.random(n) < 0.4),
        "pool_capacity": rng.lognormal(13, 1.0, n) * (rng.random(n) < 0.1),
        "guarantee_scheme": pl.Series(rng.choice(schemes, n, p=[0.1, 0.1, 0.1, 0.7]).tolist(), dtype=pl.String),
        "requested_amount": rng.choice(np.array([5e5, 1e6, 3e6, 5e6]), n),
        "requested_term_months": rng.choice(np.array([6, 12, 24, 36]), n),
    })
'''

OURS = GEN + r'''
import time
from innocredit.lending.matching import match
from innocredit.lending.schema import load_policy, load_products
products, policy = load_products(), load_policy()
df = make(__N__)
t0 = time.perf_counter()
out = match(df, products, policy)
print("SECONDS", time.perf_counter() - t0)
print("ROWS", out.height, "ELIGIBLE", int(out["eligible"].sum()))
'''

PEER = GEN + r'''
import time
from innocredit.lending.schema import load_policy, load_products
products, policy = load_products(), load_policy()
df = make(__N__)
rows = df.to_dicts()
OPS = {"ge": lambda a, b: a >= b, "gt": lambda a, b: a > b, "le": lambda a, b: a <= b, "lt": lambda a, b: a < b,
       "eq": lambda a, b: a == b, "ne": lambda a, b: a != b, "in": lambda a, b: str(a) in [str(x) for x in b],
       "not_in": lambda a, b: str(a) not in [str(x) for x in b], "is_true": lambda a, b: a is True,
       "is_false": lambda a, b: a is False}

def value(row, col):
    if col == "firm_age_years":
        return (row["as_of"] - row["registered_on"]).days / 365.25 if row["as_of"] and row["registered_on"] else None
    if col == "rd_intensity":
        r, e = row.get("revenue"), row.get("rd_expense")
        return None if r is None or e is None else (e / r if r > 0 else float("inf"))
    return row.get(col)

def evaluate(row, p):
    for rule in p.rules:
        results = []
        for c in rule.conditions:
            v = value(row, c.column)
            results.append(None if v is None else OPS[c.op](v, c.value))
        ok = any(results) if rule.mode == "any" else all(r is True for r in results)
        if not ok:
            return rule.id, None, None
    vals = [(value(row, t.column) if t.column else t.constant) for t in p.limit.terms]
    if any(v is None for v in vals):
        return "limit_inputs", None, None
    vals = [v * t.factor if t.column else v for v, t in zip(vals, p.limit.terms)]
    base = {"min": min, "max": max, "sum": sum}[p.limit.combine](vals)
    for m in p.limit.multipliers:
        v = value(row, m.column)
        if v is None:
            return "limit_inputs", None, None
        f = dict(m.mapping).get(str(v), m.default) if m.mapping else next((f for lo, f in m.bands if v >= lo), m.default)
        base *= f
    limit = min(base, p.limit.max, policy.max_single_loan)
    g = row.get("pd_grade")
    if g is None:
        return "pricing_grade", None, None
    rate = policy.lpr_1y + policy.grade_pd[g] * p.lgd + policy.capital_cost + policy.operating_cost
    return None, limit, max(rate, policy.funding_floor)

t0 = time.perf_counter()
out = [(row["uscc"], p.id, *evaluate(row, p)) for row in rows for p in products]
print("SECONDS", time.perf_counter() - t0)
'''

IO = GEN + r'''
import os, tempfile, time
df = make(__N__)
path = os.path.join(tempfile.mkdtemp(), "features.parquet")
t0 = time.perf_counter()
df.write_parquet(path)
back = pl.read_parquet(path)
print("SECONDS", time.perf_counter() - t0)
'''


def _seconds(stdout: str) -> float:
    return next(float(line.split()[1]) for line in stdout.splitlines() if line.startswith("SECONDS"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--size", type=int, default=1_000_000)
    ap.add_argument("--quick", action="store_true", help="100,000 rows, for a smoke run")
    args = ap.parse_args()
    n = 100_000 if args.quick else args.size
    sample = min(10_000, n)
    _, ours_peak, out = run_child(OURS.replace('__N__', str(n)) + PEAK_SNIPPET)
    ours_s = _seconds(out)
    info = next(line for line in out.splitlines() if line.startswith("ROWS"))
    _, peer_peak, pout = run_child(PEER.replace('__N__', str(sample)) + PEAK_SNIPPET)
    peer_s = _seconds(pout) * n / sample
    _, io_peak, iout = run_child(IO.replace('__N__', str(n)) + PEAK_SNIPPET)
    io_s = _seconds(iout)
    target = "1,000,000 enterprises x all products < 20 s on 2 cores"
    met = ours_s < 20.0 * n / 1_000_000
    rows = [
        {"work": "match all products", "size": n, "ours_s": round(ours_s, 3),
         "peer": f"per-row Python decision tables ({sample:,} rows, extrapolated)", "peer_s": round(peer_s, 3),
         "ratio": round(ours_s / peer_s, 4), "ours_peak_mb": round(ours_peak, 1), "peer_peak_mb": round(peer_peak, 1),
         "target": target, "met": met},
        {"work": "match all products", "size": n, "ours_s": round(ours_s, 3),
         "peer": "polars write+read Parquet of the input", "peer_s": round(io_s, 3),
         "ratio": round(ours_s / io_s, 3), "ours_peak_mb": round(ours_peak, 1), "peer_peak_mb": round(io_peak, 1),
         "target": target, "met": met},
    ]
    print(info)
    print(f"{'work':<22}{'size':>10}{'ours_s':>9}{'peer_s':>10}{'ratio':>9}  peer")
    for r in rows:
        print(f"{r['work']:<22}{r['size']:>10}{r['ours_s']:>9}{r['peer_s']:>10}{r['ratio']:>9}  {r['peer']}")
    write_rows("lending", rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
