"""Risk benchmark: our binning + scorecard against optbinning (and toad, and scorecardpy where it finishes), in one run.

1. The real credit tables shipped under tests/data/credit (German credit, credit_data, Lending Club loans;
   protected attributes left out on both sides) and the synthetic categorical stress table (50- and 200-level
   categoricals): test AUC of ours and optbinning's on the fixed 70/30 stratified split (seed 42), fit times.
2. A synthetic table (default 1,000,000 rows, 20 features: 18 numeric of which three have 2% missing, two
   10-level categorical; 11% bad): fit time, test AUC, time to score the test part, one-record scoring,
   peak memory. Each side runs alone in its own subprocess (peak RSS of that process).

    .venv/bin/python benchmarks/bench_risk.py [--size N] [--quick] [--no-peer]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
# measure the code of this checkout, whatever the venv's editable install points at (children get the same path)
SRC = str(Path(__file__).resolve().parent.parent / "src")
sys.path.insert(0, SRC)

from _util import PEAK_SNIPPET, run_child, self_peak_mb, write_rows  # noqa: E402

GEN = r'''
import numpy as np
def make(n, seed=42):
    rng = np.random.default_rng(seed)
    X = {}
    z = np.zeros(n)
    for j in range(18):
        kind = j % 3
        if kind == 0:
            x = rng.normal(size=n)
        elif kind == 1:
            x = rng.lognormal(mean=0.0, sigma=1.0, size=n)
        else:
            x = rng.poisson(3.0, size=n).astype(float)
        w = [0.55, -0.45, 0.35, 0.3, -0.25, 0.2, 0.15, -0.12, 0.1, 0.08, 0.06, 0.05, 0.04, 0.03, 0.02, 0.0, 0.0, 0.0][j]
        if j == 4:
            z += w * np.minimum(np.log(x), 2.0) * 2
        elif j == 3:
            z += w * (x - 1.0) ** 2 / 2  # non-monotonic
        else:
            z += w * (x - x.mean()) / x.std()
        if j in (2, 7, 11):
            x[rng.random(n) < 0.02] = np.nan
        X[f"num_{j:02d}"] = x
    for c in range(2):
        lv = rng.integers(0, 10, size=n)
        z += np.linspace(-0.4, 0.4, 10)[rng.permutation(10)][lv]
        X[f"cat_{c}"] = np.array([f"L{v}" for v in range(10)], dtype=object)[lv]
    z += rng.normal(scale=0.5, size=n)
    # intercept chosen for about 11% bad
    lo, hi = -10.0, 10.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if (1 / (1 + np.exp(-(z + mid)))).mean() < 0.11:
            lo = mid
        else:
            hi = mid
    y = (rng.random(n) < 1 / (1 + np.exp(-(z + mid)))).astype(int)
    return X, y
'''

OURS = GEN + r'''
import time, json, numpy as np, polars as pl
from sklearn.metrics import roc_auc_score
from innocredit.risk import Scorecard, score_table
X, y = make(__N__)
df = pl.DataFrame(X).with_row_index("uscc").with_columns(pl.col("uscc").cast(pl.String))
n = len(y); rng = np.random.default_rng(0); perm = rng.permutation(n); cut = int(n * 0.7)
tr, te = np.sort(perm[:cut]), np.sort(perm[cut:])
feats = [c for c in df.columns if c != "uscc"]
dtr, dte = df[tr], df[te]
t0 = time.perf_counter(); sc = Scorecard(features=feats, min_iv=0.0, max_corr=1.0, n_jobs=2).fit(dtr, y[tr]); fit_s = time.perf_counter() - t0
points_s = score_s = float("inf")
for _ in range(3):  # best of three, as for the peer
    t0 = time.perf_counter(); pts = sc.score_points(dte); points_s = min(points_s, time.perf_counter() - t0)
    t0 = time.perf_counter(); s = score_table(sc, dte); score_s = min(score_s, time.perf_counter() - t0)
auc = roc_auc_score(y[te], s["pd"].to_numpy())
one = dte.head(1); score_table(sc, one)
t0 = time.perf_counter()
for _ in range(200): score_table(sc, one)
one_s = (time.perf_counter() - t0) / 200
print("RESULT", json.dumps({"fit_s": fit_s, "points_s": points_s, "score_s": score_s, "auc": auc, "one_s": one_s}))
'''

PEER = GEN + r'''
import time, json, numpy as np, pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.linear_model import LogisticRegression
from optbinning import BinningProcess, Scorecard
X, y = make(__N__)
df = pd.DataFrame(X)
n = len(y); rng = np.random.default_rng(0); perm = rng.permutation(n); cut = int(n * 0.7)
tr, te = np.sort(perm[:cut]), np.sort(perm[cut:])
cat = [c for c in df.columns if c.startswith("cat_")]
dtr, dte = df.iloc[tr], df.iloc[te]
t0 = time.perf_counter()
sc = Scorecard(binning_process=BinningProcess(list(df.columns), categorical_variables=cat),
               estimator=LogisticRegression()).fit(dtr, y[tr])
fit_s = time.perf_counter() - t0
score_s = float("inf")
for _ in range(3):  # best of three, as for ours: points of the same 300k rows
    t0 = time.perf_counter(); pts = sc.score(dte); score_s = min(score_s, time.perf_counter() - t0)
auc = roc_auc_score(y[te], sc.predict_proba(dte)[:, 1])
one = dte.head(1); sc.score(one)
t0 = time.perf_counter()
for _ in range(50): sc.score(one)
one_s = (time.perf_counter() - t0) / 50
print("RESULT", json.dumps({"fit_s": fit_s, "score_s": score_s, "auc": auc, "one_s": one_s}))
'''

TOAD = GEN + r'''
import time, json, numpy as np, pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.linear_model import LogisticRegression
import toad
from toad.scorecard import ScoreCard
X, y = make(__N__)
df = pd.DataFrame(X)
n = len(y); rng = np.random.default_rng(0); perm = rng.permutation(n); cut = int(n * 0.7)
tr, te = np.sort(perm[:cut]), np.sort(perm[cut:])
num = [c for c in df.columns if c.startswith("num_")]
df[num] = df[num].fillna(-999.0)  # toad 0.1.7 fails on NaN (np.digitize with NaN splits): missing as a code
dtr, dte = df.iloc[tr].copy(), df.iloc[te].copy()
t0 = time.perf_counter()
dtr["target"] = y[tr]
comb = toad.transform.Combiner(); comb.fit(dtr, y="target", method="chi", min_samples=0.05)
binned = comb.transform(dtr.drop(columns="target"))
woe = toad.transform.WOETransformer(); w = woe.fit_transform(binned, y[tr])
card = ScoreCard(combiner=comb, transer=woe); card.fit(w, y[tr])
fit_s = time.perf_counter() - t0
t0 = time.perf_counter(); pts = card.predict(dte); score_s = time.perf_counter() - t0
auc = roc_auc_score(y[te], -np.asarray(pts))
print("RESULT", json.dumps({"fit_s": fit_s, "score_s": score_s, "auc": auc, "one_s": None}))
'''


def _result(code: str) -> tuple[dict, float]:
    code = f"import sys; sys.path.insert(0, {SRC!r})\n" + code
    # peak = the child's own VmHWM (ru_maxrss would carry over the parent's high-water mark through fork/exec)
    _, peak, out = run_child(code + PEAK_SNIPPET)
    line = next(ln for ln in out.splitlines() if ln.startswith("RESULT"))
    return json.loads(line[len("RESULT "):]), peak


def _credit_tables():  # type: ignore[no-untyped-def]
    """``tests/risk/credit_tables.py``: the shipped real tables (tests/data/credit) and the stress table."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "risk"))
    import credit_tables

    return credit_tables


def real_table_rows() -> list[dict]:
    """One row per shipped real credit table and one for the categorical stress table: test AUC of ours and of
    optbinning (defaults, LogisticRegression) on the same stratified 70/30 split (seed 42), fit time of both."""
    import time
    import warnings

    import numpy as np
    import polars as pl
    from optbinning import BinningProcess
    from optbinning import Scorecard as OBScorecard
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import train_test_split

    from innocredit.risk import Scorecard

    ct = _credit_tables()
    tables = [(name, *ct.real_table(name)) for name in ct.REAL_TABLES]
    tables.append(("stress (50/200-level categoricals, seed 1)", *ct.stress_table(8000, 1)))
    rows = []
    german = None
    for name, X, y in tables:
        tr, te = train_test_split(np.arange(len(y)), stratify=y, random_state=42, test_size=0.3)
        t0 = time.perf_counter()
        ours = Scorecard().fit(X[tr], y[tr])
        ours_s = time.perf_counter() - t0
        auc_ours = roc_auc_score(y[te], ours.predict_proba(X[te])[:, 1])
        Xp = X.to_pandas()
        cat = [c for c in X.columns if X[c].dtype == pl.String]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t0 = time.perf_counter()
            ob = OBScorecard(binning_process=BinningProcess(list(X.columns), categorical_variables=cat),
                             estimator=LogisticRegression()).fit(Xp.iloc[tr], y[tr])
            peer_s = time.perf_counter() - t0
            auc_ob = roc_auc_score(y[te], ob.predict_proba(Xp.iloc[te])[:, 1])
        print(f"{name}: test AUC ours {auc_ours:.4f}  optbinning {auc_ob:.4f}  diff {auc_ours - auc_ob:+.4f}  "
              f"fit ours {ours_s:.3f} s  optbinning {peer_s:.3f} s")
        rows.append({"work": f"{name} scorecard fit (test AUC ours {auc_ours:.4f} vs optbinning {auc_ob:.4f})",
                     "size": int(len(y)), "ours_s": ours_s, "peer": "optbinning", "peer_s": peer_s,
                     "ratio": ours_s / peer_s, "ours_peak_mb": self_peak_mb(), "peer_peak_mb": None,
                     "target": "AUC >= optbinning - 0.003", "met": bool(auc_ours >= auc_ob - 0.003)})
        if name == "german":
            german = (Xp, y, tr, te, ours_s, auc_ours)
    assert german is not None
    return rows + [scorecardpy_row(*german)]


def scorecardpy_row(Xp, y, tr, te, ours_s: float, auc_ours: float) -> dict:  # type: ignore[no-untyped-def]
    """scorecardpy's own woebin + woebin_ply + logistic regression on the same split, where it finishes (its binning
    breaks on pandas 3: then the row says so, with the error)."""
    import time

    import scorecardpy as sc
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    train = Xp.iloc[tr].assign(y=y[tr])
    t0 = time.perf_counter()
    try:
        bins = sc.woebin(train, y="y", print_step=0)
        woe_train = sc.woebin_ply(train, bins, print_step=0)
        lr = LogisticRegression(max_iter=1000).fit(woe_train.drop(columns="y"), woe_train["y"])
        peer_s = time.perf_counter() - t0
        woe_test = sc.woebin_ply(Xp.iloc[te].assign(y=y[te]), bins, print_step=0)
        auc = roc_auc_score(y[te], lr.predict_proba(woe_test.drop(columns="y")[lr.feature_names_in_])[:, 1])
    except Exception as exc:  # noqa: BLE001  (a peer that breaks is reported, not fatal)
        reason = f"{type(exc).__name__}: {' '.join(str(exc).split())[:70]}" if str(exc).strip() else type(exc).__name__
        print(f"scorecardpy: did not finish ({reason})")
        return {"work": f"german credit scorecard fit vs scorecardpy: scorecardpy did not finish ({reason})",
                "size": int(len(y)), "ours_s": ours_s, "peer": "scorecardpy", "peer_s": None, "ratio": None,
                "ours_peak_mb": self_peak_mb(), "peer_peak_mb": None, "target": "reported where it finishes",
                "met": True}
    print(f"scorecardpy: test AUC {auc:.4f} in {peer_s:.3f} s")
    return {"work": f"german credit scorecard fit (test AUC ours {auc_ours:.4f} vs scorecardpy {auc:.4f})",
            "size": int(len(y)), "ours_s": ours_s, "peer": "scorecardpy", "peer_s": peer_s, "ratio": ours_s / peer_s,
            "ours_peak_mb": self_peak_mb(), "peer_peak_mb": None, "target": "reported where it finishes", "met": True}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=1_000_000)
    ap.add_argument("--quick", action="store_true", help="100,000 rows")
    ap.add_argument("--no-peer", action="store_true", help="only our side (development)")
    ap.add_argument("--toad-size", type=int, default=50_000,
                    help="rows for the toad comparison (its chi-merge binning took over 12 minutes on 1M rows here)")
    args = ap.parse_args()
    n = 100_000 if args.quick else args.size
    rows = real_table_rows()
    ours, ours_peak = _result(OURS .replace("__N__", str(n)))
    print(f"ours: {json.dumps(ours)} peak {ours_peak:.0f} MB")
    peer, peer_peak = (None, None) if args.no_peer else _result(PEER .replace("__N__", str(n)))
    if peer:
        print(f"optbinning: {json.dumps(peer)} peak {peer_peak:.0f} MB")

    def ratio(a: float | None, b: float | None) -> float | None:  # ours / peer, as in every benchmark
        return None if a is None or b is None or b == 0 else a / b

    auc_note = f" (test AUC ours {ours['auc']:.4f}" + (f" vs optbinning {peer['auc']:.4f})" if peer else ")")
    rows += [
        {"work": "scorecard fit, 20 features" + auc_note, "size": n, "ours_s": ours["fit_s"], "peer": "optbinning",
         "peer_s": peer and peer["fit_s"], "ratio": ratio(ours["fit_s"], peer and peer["fit_s"]),
         "ours_peak_mb": ours_peak, "peer_peak_mb": peer_peak,
         "target": ">= 5x faster, abs(AUC diff) <= 0.005, peak memory <= peer",
         "met": bool(peer and ours["fit_s"] * 5 <= peer["fit_s"] and abs(ours["auc"] - peer["auc"]) <= 0.005
                     and ours_peak <= peer_peak)},
        {"work": "score points of the 30% test part (Scorecard.score_points vs optbinning score)",
         "size": int(n * 0.3), "ours_s": ours["points_s"], "peer": "optbinning", "peer_s": peer and peer["score_s"],
         "ratio": ratio(ours["points_s"], peer and peer["score_s"]), "ours_peak_mb": ours_peak,
         "peer_peak_mb": peer_peak, "target": ">= 10x faster",
         "met": bool(peer and ours["points_s"] * 10 <= peer["score_s"])},
        {"work": "full score_table of the test part (points, PD, grade, 4 reason codes) vs optbinning score",
         "size": int(n * 0.3), "ours_s": ours["score_s"], "peer": "optbinning", "peer_s": peer and peer["score_s"],
         "ratio": ratio(ours["score_s"], peer and peer["score_s"]), "ours_peak_mb": ours_peak,
         "peer_peak_mb": peer_peak, "target": "reported (does more than the peer)", "met": True},
        {"work": "score one record", "size": 1, "ours_s": ours["one_s"], "peer": "optbinning",
         "peer_s": peer and peer["one_s"], "ratio": ratio(ours["one_s"], peer and peer["one_s"]),
         "ours_peak_mb": ours_peak, "peer_peak_mb": peer_peak, "target": "< 1 ms", "met": ours["one_s"] < 1e-3},
    ]
    n_toad = min(n, args.toad_size)
    if not args.no_peer and n_toad > 0:
        try:
            toad_r, toad_peak = _result(TOAD.replace("__N__", str(n_toad)))
            print(f"toad: {json.dumps(toad_r)} peak {toad_peak:.0f} MB")
            ours_t, ours_t_peak = (ours, ours_peak) if n_toad == n else _result(OURS.replace("__N__", str(n_toad)))
            rows.append({"work": f"scorecard fit vs toad (AUC ours {ours_t['auc']:.4f} vs toad {toad_r['auc']:.4f})",
                         "size": n_toad, "ours_s": ours_t["fit_s"], "peer": "toad", "peer_s": toad_r["fit_s"],
                         "ratio": ratio(ours_t["fit_s"], toad_r["fit_s"]), "ours_peak_mb": ours_t_peak,
                         "peer_peak_mb": toad_peak, "target": "reported", "met": True})
        except Exception as exc:  # toad missing or broken on this stack
            print(f"toad: not measured ({str(exc).strip().splitlines()[-1][:200]})")
    print(f"{'work':<80} {'size':>9} {'ours_s':>9} {'peer_s':>9} {'ours/peer':>9} {'ours_MB':>8} {'peer_MB':>8} met")
    for r in rows:
        f = lambda v: "-" if v is None else f"{v:.4g}"  # noqa: E731
        print(f"{r['work'][:80]:<80} {r['size']:>9} {f(r['ours_s']):>9} {f(r['peer_s']):>9} {f(r['ratio']):>9} "
              f"{f(r['ours_peak_mb']):>8} {f(r['peer_peak_mb']):>8} {r['met']}")
    write_rows("risk", rows)


if __name__ == "__main__":
    main()
