"""Coordination metrics for a district of N enterprises (default 1,000,000): ours (vectorized polars,
``innocredit.coordination.metrics.compute_metrics``) against a peer written with pandas groupby computing
the same metrics from the same inputs. Each side runs in its own process (time of the metrics call,
peak RSS of the process). Target: every grouping under 10 s at 1,000,000 enterprises.

    .venv/bin/python benchmarks/bench_coordination.py [--size N] [--quick]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _util import run_child, write_rows  # noqa: E402

AS_OF = dt.date(2026, 6, 30)
SINCE = dt.date(2025, 7, 1)
BANDS = (0.0, 60.0, 70.0, 80.0, 90.0, 100.0001)
BANKS = [f"bank-hz-0{i}" for i in range(1, 9)]
TARGET_S = 10.0


def inputs(n: int, seed: int = 1) -> dict[str, dict[str, np.ndarray]]:
    """Synthetic district: n firms, ~0.3 n loans, ~0.1 n pushes (numpy columns)."""
    rng = np.random.default_rng(seed)
    regions = np.array([f"3301{i:02d}" for i in range(2, 15)] + ["330212", "330302", "330402"])
    sections = np.array(list("CIMLFG"))
    ent = {
        "uscc": np.char.add("U", np.arange(n).astype(str)),
        "region_code": regions[rng.integers(0, len(regions), n)],
        "industry_code": np.char.add(sections[rng.integers(0, len(sections), n)], "3562"),
        "employees": rng.integers(1, 800, n).astype(float),
        "revenue": np.exp(14 + 2 * rng.standard_normal(n)),
        "registry_status": np.where(rng.random(n) < 0.95, "active", "cancelled"),
        "innovation_points": np.where(rng.random(n) < 0.9, np.clip(40 + 15 * rng.standard_normal(n), 0, 100),
                                      np.nan),
    }
    m = int(0.3 * n)
    firm = rng.integers(0, n, m)
    end = (AS_OF - dt.date(1970, 1, 1)).days
    amount = np.round(np.exp(np.log(1.5e6) + rng.standard_normal(m)), -3)
    loans = {
        "uscc": ent["uscc"][firm], "bank_id": np.array(BANKS)[rng.integers(0, 8, m)], "amount": amount,
        "rate": np.where(rng.random(m) < 0.97, 0.03 + 0.02 * rng.random(m), np.nan),
        "secured": rng.random(m) < 0.5,
        "disbursed_on": (end - rng.integers(0, 3 * 365, m)).astype("datetime64[D]"),
        "outstanding": np.where(rng.random(m) < 0.6, amount * rng.random(m), 0.0),
        "status": np.where(rng.random(m) < 0.7, "active", "repaid"),
        "first_loan": rng.random(m) < 0.3, "relending_eligible": rng.random(m) < 0.2,
    }
    k = int(0.1 * n)
    pf = rng.integers(0, n, k)
    pushed = (end - rng.integers(0, 400, k)) * 86_400_000_000 + 2 * 3_600_000_000
    d_credit = rng.integers(2, 40, k) * 86_400_000_000
    credit = np.where(rng.random(k) < 0.45, pushed + d_credit, -1)
    disb = np.where((credit > 0) & (rng.random(k) < 0.9), credit + rng.integers(1, 10, k) * 86_400_000_000, -1)
    declined = np.where((credit < 0) & (rng.random(k) < 0.7), pushed + 3 * 86_400_000_000, -1)
    pushes = {
        "uscc": ent["uscc"][pf], "bank_id": np.array(BANKS)[rng.integers(0, 8, k)],
        "pushed_at": pushed, "declined_at": declined, "credit_at": credit, "disbursed_at": disb,
        "credit_amount": np.where(credit > 0, np.round(np.exp(np.log(1e6) + rng.standard_normal(k)), -3), np.nan),
    }
    return {"enterprises": ent, "loans": loans, "pushes": pushes}


def polars_frames(n: int):  # type: ignore[no-untyped-def]
    import polars as pl

    d = inputs(n)
    ent = pl.DataFrame(d["enterprises"]).with_columns(pl.col("innovation_points").fill_nan(None))
    loans = pl.DataFrame(d["loans"]).with_columns(pl.col("rate").fill_nan(None))
    p = pl.DataFrame(d["pushes"])
    ts = [c for c in ("pushed_at", "declined_at", "credit_at", "disbursed_at")]
    pushes = p.with_columns(
        *(pl.when(pl.col(c) >= 0).then(pl.col(c)).otherwise(None).cast(pl.Datetime("us")).alias(c) for c in ts),
        pl.col("credit_amount").fill_nan(None))
    return ent, loans, pushes


def ours(n: int, by: str | None) -> tuple[float, dict]:
    import time

    from innocredit.coordination.metrics import compute_metrics

    ent, loans, pushes = polars_frames(n)
    t0 = time.perf_counter()
    out = compute_metrics(ent, loans, pushes, AS_OF, SINCE, by)
    elapsed = time.perf_counter() - t0
    return elapsed, {r["group"]: r for r in out.to_dicts()}


def pandas_metrics(ent, loans, pushes, by):  # type: ignore[no-untyped-def]
    """The same metrics with pandas groupby (the peer)."""
    import pandas as pd

    as_of = pd.Timestamp(AS_OF)
    since = pd.Timestamp(SINCE)
    small = (ent["registry_status"] == "active") & ~(ent["employees"] > 500) & ~(ent["revenue"] > 2e8)
    e = ent.assign(active_small=small)
    key_of = {"region": "region_code", "industry": "section", None: "all"}
    e["section"] = e["industry_code"].str[0]
    e["all"] = "all"
    out_standing = ((loans["disbursed_on"] <= as_of) & loans["status"].isin(["active", "overdue"])
                    & (loans["outstanding"].fillna(loans["amount"]) > 0))
    ln = loans.merge(e[["uscc", "region_code", "section", "all", "active_small"]], on="uscc", how="left")
    if by == "bank":
        key = "bank_id"
        cov_src = ln[out_standing.values & ln["active_small"].fillna(False).values][["uscc", "bank_id"]]\
            .drop_duplicates().merge(e[["uscc", "innovation_points"]], on="uscc", how="left")
        cov = cov_src.groupby(key).agg(firms_with_loan=("uscc", "size"), points_mean=("innovation_points", "mean"))
        cov["active_small_firms"] = int(small.sum())
        pts = cov_src
    else:
        key = key_of[by]
        has = set(ln.loc[out_standing.values, "uscc"])
        e["has_loan"] = e["uscc"].isin(has)
        e["with"] = e["active_small"] & e["has_loan"]
        cov = e.groupby(key).agg(active_small_firms=("active_small", "sum"), firms_with_loan=("with", "sum"))
        pts = e[e["active_small"]]
        cov["points_mean"] = pts.groupby(key)["innovation_points"].mean()
    bins = pd.cut(pts["innovation_points"], list(BANDS), right=False)
    cov = cov.join(pts.groupby([pts[key], bins], observed=False).size().unstack(fill_value=0)
                   .set_axis([f"b{i}" for i in range(len(BANDS) - 1)], axis=1))
    cov["coverage_rate"] = cov["firms_with_loan"] / cov["active_small_firms"]

    lp = ln[(ln["disbursed_on"] >= since) & (ln["disbursed_on"] <= as_of)].copy()
    lp["unsec_amt"] = lp["amount"].where(lp["secured"] == False, 0.0)  # noqa: E712
    lp["rxa"] = lp["rate"] * lp["amount"]
    lp["rated_amt"] = lp["amount"].where(lp["rate"].notna(), 0.0)
    lp["rel_amt"] = lp["amount"].where(lp["relending_eligible"], 0.0)
    la = lp.groupby(key).agg(loans_count=("amount", "size"), loans_amount=("amount", "sum"),
                             unsec=("unsec_amt", "sum"), first=("first_loan", "sum"), rxa=("rxa", "sum"),
                             rated=("rated_amt", "sum"), rel_n=("relending_eligible", "sum"), rel=("rel_amt", "sum"))
    la["unsecured_share_amount"] = la["unsec"] / la["loans_amount"]
    la["first_loan_share"] = la["first"] / la["loans_count"]
    la["average_rate"] = la["rxa"] / la["rated"]

    pu = pushes[(pushes["pushed_at"] >= since) & (pushes["pushed_at"] < as_of + pd.Timedelta(days=1))]
    pu = pu.merge(e[["uscc", "region_code", "section", "all"]], on="uscc", how="left")
    end = as_of + pd.Timedelta(days=1)
    credited = pu["credit_at"].notna() & (pu["credit_at"] < end)
    disbursed = pu["disbursed_at"].notna() & (pu["disbursed_at"] < end)
    pu = pu.assign(cred_uscc=pu["uscc"].where(credited), disb_uscc=pu["uscc"].where(disbursed),
                   declined=pu["declined_at"].notna() & (pu["declined_at"] < end),
                   amt=pu["credit_amount"].where(credited, 0.0),
                   to_credit=((pu["credit_at"] - pu["pushed_at"]).dt.total_seconds() / 86400).where(credited),
                   to_disb=((pu["disbursed_at"] - pu["pushed_at"]).dt.total_seconds() / 86400).where(disbursed))
    pa = pu.groupby(key).agg(pushes=("uscc", "size"), recommended_firms=("uscc", "nunique"),
                             recommended_firms_credited=("cred_uscc", "nunique"),
                             recommended_firms_disbursed=("disb_uscc", "nunique"),
                             pushes_declined=("declined", "sum"), recommended_credit_amount=("amt", "sum"),
                             days_push_to_credit_mean=("to_credit", "mean"),
                             days_push_to_credit_median=("to_credit", "median"),
                             days_push_to_disbursement_mean=("to_disb", "mean"))
    pa["recommended_credit_rate"] = pa["recommended_firms_credited"] / pa["recommended_firms"]
    return cov.join(la, how="outer").join(pa, how="outer")


def peer(n: int, by: str | None) -> tuple[float, dict]:
    import time

    import pandas as pd

    d = inputs(n)
    ent = pd.DataFrame(d["enterprises"])
    loans = pd.DataFrame(d["loans"])
    loans["disbursed_on"] = pd.to_datetime(loans["disbursed_on"])
    p = pd.DataFrame(d["pushes"])
    for c in ("pushed_at", "declined_at", "credit_at", "disbursed_at"):
        p[c] = pd.to_datetime(p[c].where(p[c] >= 0), unit="us")
    t0 = time.perf_counter()
    out = pandas_metrics(ent, loans, p, by)
    elapsed = time.perf_counter() - t0
    return elapsed, {str(k): r for k, r in out.to_dict(orient="index").items()}


CHILD = """
import sys, json
sys.path.insert(0, {here!r})
import bench_coordination as b
secs, res = b.{side}({n}, {by!r})
pick = {{g: {{k: r.get(k) for k in ("coverage_rate", "recommended_firms_credited", "loans_amount", "average_rate",
                                    "days_push_to_credit_mean")}} for g, r in res.items()}}
print("RESULT", json.dumps({{"secs": secs, "pick": pick}}, default=float))
"""


def run_side(side: str, n: int, by: str | None) -> tuple[float, float, dict]:
    from _util import PEAK_SNIPPET

    _, peak, out = run_child(CHILD.format(here=str(HERE), side=side, n=n, by=by) + PEAK_SNIPPET)
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    data = json.loads(line[len("RESULT "):])
    return float(data["secs"]), peak, data["pick"]


def agree(a: dict, b: dict) -> bool:
    """The peer computes the same numbers (sanity check of the comparison)."""
    for g, ra in a.items():
        rb = b.get(g)
        if rb is None:
            return False
        for k, va in ra.items():
            vb = rb.get(k)
            if va is None or vb is None or (isinstance(vb, float) and np.isnan(vb)):
                if not ((va is None or (isinstance(va, float) and np.isnan(va)))
                        and (vb is None or (isinstance(vb, float) and np.isnan(vb)))):
                    return False
                continue
            if not np.isclose(float(va), float(vb), rtol=1e-6, atol=1e-9):
                return False
    return True


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--size", type=int, default=1_000_000)
    ap.add_argument("--quick", action="store_true", help="small size for a smoke run")
    args = ap.parse_args()
    n = 20_000 if args.quick else args.size
    rows = []
    print(f"{'work':<34}{'size':>10}{'ours s':>9}{'pandas s':>10}{'ours/peer':>10}{'ours MB':>9}{'peer MB':>9}  same")
    for by in (None, "region", "industry", "bank"):
        o_s, o_mb, o_res = run_side("ours", n, by)
        p_s, p_mb, p_res = run_side("peer", n, by)
        same = agree(o_res, p_res)
        work = f"coordination metrics by {by or 'district'}"
        row = {"work": work, "size": n, "ours_s": round(o_s, 4), "peer": "pandas groupby (same metrics)",
               "peer_s": round(p_s, 4), "ratio": round(o_s / p_s, 3) if p_s else None,
               "ours_peak_mb": round(o_mb, 1), "peer_peak_mb": round(p_mb, 1),
               "target": f"< {TARGET_S:g} s at 1,000,000 enterprises", "met": o_s < TARGET_S and same}
        rows.append(row)
        print(f"{work:<34}{n:>10,}{o_s:>9.3f}{p_s:>10.3f}{o_s / p_s:>10.3f}{o_mb:>9.0f}{p_mb:>9.0f}  {same}")
    write_rows("coordination", rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
