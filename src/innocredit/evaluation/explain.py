"""Explanation and path: each indicator's value, points and band, and the cheapest single changes that
would cross the qualification line, found by running the engine on modified copies of the enterprise."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import polars as pl

from innocredit.evaluation.context import prepare, resolver, value_expr
from innocredit.evaluation.engine import evaluate
from innocredit.evaluation.system import Alternative, Lever, System
from innocredit.evaluation.track import peers_filter, track_sentence, track_statistics
from innocredit.profile.features import BY_NAME

_WORDS = {
    "qualifies": {"zh": "达标", "en": "qualifies"},
    "points": {"zh": "分", "en": "points"},
    "missing": {"zh": "数据缺失", "en": "data missing"},
    "none": {"zh": "未达最低档", "en": "below the lowest band"},
    "undefined": {"zh": "无法计算（分母为0）", "en": "undefined (zero denominator)"},
}


def _w(key: str, lang: str) -> str:
    return _WORDS[key][lang]


def fmt_value(v: Any, fmt: str, lang: str = "en") -> str:
    if v is None:
        return "—"
    if isinstance(v, bool):
        return ("是" if v else "否") if lang == "zh" else ("yes" if v else "no")
    if fmt == "bool":
        return ("是" if v else "否") if lang == "zh" else ("yes" if v else "no")
    if fmt == "percent":
        return f"{v * 100:.2f}%".replace(".00%", "%")
    if fmt == "money":
        return f"¥{v:,.0f}"
    if fmt == "count":
        return f"{v:g}"
    return f"{v:.4g}"


def _band_text(alt: Alternative, idx: int | None, fmt: str, lang: str) -> str:
    sc = alt.scoring
    if sc.method == "cases":
        if idx is None:
            return _w("none", lang)
        c = sc.cases[idx]
        return c.label[lang] if c.label else c.when.text
    if sc.method == "bands":
        if idx is None:
            low = sc.bands[-1]
            return (f"< {fmt_value(float(low.fraction), fmt, lang)}" if not low.exclusive
                    else f"≤ {fmt_value(float(low.fraction), fmt, lang)}")
        b = sc.bands[idx]
        if b.label:
            return b.label[lang]
        lo = fmt_value(float(b.fraction), fmt, lang)
        text = f"> {lo}" if b.exclusive else f"≥ {lo}"
        if idx > 0:
            up = sc.bands[idx - 1]
            text += f", {'≤' if up.exclusive else '<'} {fmt_value(float(up.fraction), fmt, lang)}"
        return text
    if sc.method == "reference":
        ref = fmt_value(sc.reference, fmt, lang)
        return f"min(值/{ref}, 1) × 满分" if lang == "zh" else f"min(value / {ref}, 1) × max points"
    return "赛道百分位 × 满分" if lang == "zh" else "track percentile × max points"


def explain(system: System, features: pl.DataFrame, uscc: str, lang: str = "en",
            as_of: dt.date | None = None, paths: bool = True) -> dict[str, Any]:
    """A dict explaining the evaluation of one enterprise; ``lang`` is ``zh`` or ``en``."""
    if lang not in ("zh", "en"):
        raise ValueError("lang must be 'zh' or 'en'")
    row = features.filter(pl.col("uscc") == uscc)
    if row.height == 0:
        raise KeyError(f"enterprise {uscc} is not in the input")
    row = row.head(1)
    ts = track_statistics(system, features, as_of) if system.track_levels else None
    ts_row = ts.filter(pl.col("uscc") == uscc) if ts is not None else None
    res = evaluate(system, row, as_of, track_stats=ts_row, detail=True, total_percentile=False).row(0, named=True)
    if ts is not None:
        res["track_pct_total"] = _total_pct(system, features, ts, uscc, res["score"], as_of)
    indicators = []
    for ind in system.indicators:
        alt_i = res.get(f"alt_{ind.id}") if ind.best_of else 0
        alt = ind.alternatives[alt_i if alt_i is not None else 0]
        value = res.get(f"val_{ind.id}")
        pts = res[f"pt_{ind.id}"]
        band_idx = res.get(f"band_{ind.id}")
        if pts is None:
            band = _w("missing", lang)
        elif value is None and alt.value is not None and alt.scoring.method != "cases":
            band = _w("undefined", lang)
        else:
            band = _band_text(alt, band_idx, alt.format if ind.best_of else ind.format, lang)
        entry: dict[str, Any] = {
            "id": ind.id, "name": ind.name[lang], "group": ind.group, "value": value,
            "value_text": fmt_value(value, alt.format if ind.best_of else ind.format, lang),
            "points": pts, "max_points": ind.max_points, "band": band,
        }
        if system.has_ranges:
            entry["points_low"] = res.get(f"ptl_{ind.id}")
        if ind.best_of:
            entry["chosen"] = alt.name[lang]
        if f"tpct_{ind.id}" in res:
            entry["track_percentile"] = res[f"tpct_{ind.id}"]
            entry["track"] = track_sentence(res[f"tpct_{ind.id}"], res.get("track_n"), res.get("track_level"),
                                            res.get("track_cohort"), lang)
        indicators.append(entry)
    names = {r.id: r.name[lang] for r in (*system.conditions, *system.vetoes)}
    names |= {f"{g.id}_minimum": (f"{g.name[lang]}不低于{g.minimum:g}分" if lang == "zh"
                                  else f"{g.name[lang]} at least {g.minimum:g} points")
              for g in system.groups if g.minimum is not None}
    out: dict[str, Any] = {
        "uscc": uscc, "system": system.id, "system_version": system.version, "system_name": system.name[lang],
        "source": system.source[lang], "as_of": res["as_of"], "stage": res["stage"], "score": res["score"],
        "line": system.qualification_line, "qualified": res["qualified"], "route": res["route"],
        "direct_routes": [{"id": d, "name": next(r.name[lang] for r in system.direct_routes if r.id == d)}
                          for d in res["direct_routes"]],
        "indicators": indicators,
        "groups": [{"id": g.id, "name": g.name[lang], "points": res[f"grp_{g.id}"]} for g in system.groups],
        "bonus": res["bonus"], "deduction": res["deduction"],
        "failed_conditions": [{"id": f, "name": names.get(f, f)} for f in res["failed_conditions"]],
        "missing": res["missing"],
        "flags": {r.id: res[r.id] for r in system.flags},
    }
    if ts is not None:
        out["track"] = {"level": res["track_level"], "cohort": res["track_cohort"], "n": res["track_n"],
                        "percentile": res["track_pct_total"], "industry_growth": res["track_industry_growth"],
                        "text": track_sentence(res["track_pct_total"], res["track_n"], res["track_level"],
                                               res["track_cohort"], lang)}
    if system.has_ranges:
        out["reachable"] = _reachable(system, res, lang)
    if paths:
        runs = _single_lever_runs(system, features, row, res, ts, as_of)
        out["paths"] = find_paths(system, features, row, res, ts, lang, as_of, runs)
        out["combination"] = cheapest_combination(system, features, row, res, ts, lang, as_of, runs)
    else:
        out["paths"], out["combination"] = [], None
    return out


def _reachable(system: System, res: dict[str, Any], lang: str) -> dict[str, Any]:
    """The reachable range: computable points (lowest and highest of the policy ranges), the expert-judgement
    parts with their ranges for this enterprise, the lowest and highest reachable totals and the state."""
    parts = [{"id": j.id, "name": j.name[lang], "group": j.group, "min": res.get(f"jlo_{j.id}"),
              "max": res.get(f"jhi_{j.id}"), "note": j.note} for j in system.judgement]
    return {"state": res["state"], "computable_low": res["score_low"], "computable_high": res["score"],
            "total_low": res["total_low"], "total_high": res["total_high"], "line": system.qualification_line,
            "rule": system.qualification.text, "judgement": parts,
            "groups": [{"id": g.id, "name": g.name[lang], "low": res.get(f"glo_{g.id}"),
                        "high": res.get(f"ghi_{g.id}")} for g in system.groups]}


def _total_pct(system: System, features: pl.DataFrame, ts: pl.DataFrame, uscc: str, score: float,
               as_of: dt.date | None) -> float | None:
    me = ts.filter(pl.col("uscc") == uscc).row(0, named=True)
    peers_ids = ts.filter(peers_filter(system, me))["uscc"]
    if peers_ids.len() == 0:
        return 0.5
    peers = features.filter(pl.col("uscc").is_in(peers_ids.implode()))
    scores = evaluate(system, peers, as_of, track_stats=ts, total_percentile=False)["score"].drop_nulls()
    return float((scores < score).sum() / scores.len()) if scores.len() else 0.5


# --------------------------------------------------------------------------- paths

def _candidates(lever: Lever, current: float) -> np.ndarray:
    if lever.relative:
        if current > 0:
            return current * (1.0 + np.arange(1, 301) / 100.0) - current  # +1% .. +300%
        return np.geomspace(10_000, 50_000_000, 300)
    return lever.step * np.arange(1, lever.max_steps + 1)


def _changed_rows(row: pl.DataFrame, levers: list[Lever], deltas: np.ndarray) -> pl.DataFrame:
    """Copies of the enterprise's row, one per line of ``deltas`` (rows × levers): each lever's change is added to
    its field and to the fields that move with it. Unknown (null) fields stay unknown."""
    n = deltas.shape[0]
    cand = row.select(pl.all().repeat_by(n).explode())
    adds: dict[str, np.ndarray] = {}
    for j, lever in enumerate(levers):
        for f in (lever.field, *lever.also):
            if row[f][0] is None:
                continue
            adds[f] = adds.get(f, np.zeros(n)) + deltas[:, j]
    changes = []
    for f, add in adds.items():
        dtype = BY_NAME[f].dtype if f in BY_NAME else pl.Float64
        changes.append((pl.col(f).cast(pl.Float64) + pl.Series(add)).cast(dtype).alias(f))
    return cand.with_columns(*changes, pl.format("__c{}", pl.int_range(pl.len())).alias("uscc"))


def _evaluate_changes(system: System, features: pl.DataFrame, row: pl.DataFrame, base: dict[str, Any],
                      ts: pl.DataFrame | None, as_of: dt.date | None, levers: list[Lever],
                      deltas: np.ndarray) -> pl.DataFrame:
    cand = _changed_rows(row, levers, deltas)
    cts = _candidate_track(system, features, cand, ts, base, as_of) if ts is not None else None
    return evaluate(system, cand, as_of, track_stats=cts, total_percentile=False)


def _lever_cost(lever: Lever, deltas: np.ndarray) -> np.ndarray:
    """Cost of changes: a relative lever costs ``cost`` (default 1) per unit of its field (a yuan of R&D costs a
    yuan); a step lever costs ``cost`` (default 1) per step."""
    unit = lever.cost if lever.cost is not None else 1.0
    return deltas * unit if lever.relative else deltas / lever.step * unit


def _target_score(system: System, res: pl.DataFrame) -> pl.Series:
    """The total that the qualification line is read on: the lowest reachable total for systems with ranges."""
    return res["total_low"] if system.has_ranges else res["score"]


def find_paths(system: System, features: pl.DataFrame, row: pl.DataFrame, base: dict[str, Any],
               ts: pl.DataFrame | None, lang: str, as_of: dt.date | None,
               runs: list[tuple[Lever, float, np.ndarray, pl.DataFrame]] | None = None) -> list[dict[str, Any]]:
    """For each lever, the smallest change that qualifies (or, when already qualified or out of reach, that adds
    points), evaluated by the engine on copies of the enterprise's row."""
    out = []
    runs = runs if runs is not None else _single_lever_runs(system, features, row, base, ts, as_of)
    for lever, cur, deltas, res in runs:
        gain = res["score"] - base["score"]
        q = res["qualified"].to_numpy()
        target = np.nonzero(q)[0] if not base["qualified"] else np.array([], dtype=int)
        qualifies = target.size > 0
        if not qualifies:
            target = np.nonzero(gain.to_numpy() > 1e-9)[0]
        if target.size == 0:
            continue
        i = int(target[0])
        d = float(deltas[i])
        rel = d / cur if cur > 0 else None
        out.append({
            "field": lever.field, "change": d, "relative_change": rel, "points_gain": float(gain[i]),
            "new_score": float(res["score"][i]), "qualifies": bool(qualifies),
            "cost": float(_lever_cost(lever, np.array([d]))[0]),
            "text": _path_text(lever, d, rel, float(gain[i]), qualifies, lang),
        })
    out.sort(key=lambda p: (not p["qualifies"], p["relative_change"] if p["relative_change"] is not None else 1e9))
    return out


def _single_lever_runs(system: System, features: pl.DataFrame, row: pl.DataFrame, base: dict[str, Any],
                       ts: pl.DataFrame | None, as_of: dt.date | None) -> list[tuple[Lever, float, np.ndarray,
                                                                                    pl.DataFrame]]:
    """Each usable lever (its field known) with its candidate changes evaluated one lever at a time."""
    runs = []
    for lever in system.levers:
        cur = row[lever.field][0]
        if cur is None:
            continue
        deltas = _candidates(lever, float(cur))
        res = _evaluate_changes(system, features, row, base, ts, as_of, [lever], deltas.reshape(-1, 1))
        runs.append((lever, float(cur), deltas, res))
    return runs


_MAX_COMBINATIONS = 2_000_000
_VERIFY = 400


def cheapest_combination(system: System, features: pl.DataFrame, row: pl.DataFrame, base: dict[str, Any],
                         ts: pl.DataFrame | None, lang: str, as_of: dt.date | None,
                         runs: list[tuple[Lever, float, np.ndarray, pl.DataFrame]] | None = None
                         ) -> dict[str, Any] | None:
    """The cheapest combination of lever changes (by the levers' declared costs) that qualifies, or a statement
    that the levers given cannot reach the line. None when the enterprise already qualifies or has no levers.

    Search: each lever's candidate changes are evaluated alone; only the changes that add points over every
    cheaper change of the same lever are kept; all combinations of those are ranked by cost with their points
    estimated as the sum of the single-lever gains, and the cheapest candidates whose estimate reaches the line
    (and the combination of every lever at its maximum) are evaluated exactly by the engine, in one batch."""
    if base["qualified"] or not system.levers:
        return None
    runs = runs if runs is not None else _single_lever_runs(system, features, row, base, ts, as_of)
    runs = [r for r in runs if r[0].cost is not None]  # only levers with a declared cost take part
    if not runs:
        return None
    base_t = float(base["total_low"] if system.has_ranges else base["score"])
    levels, gains, costs, levers = [], [], [], []
    for lever, _cur, deltas, res in runs:
        g = _target_score(system, res).to_numpy() - base_t
        c = _lever_cost(lever, deltas)
        keep_d, keep_g, keep_c, best = [0.0], [0.0], [0.0], 1e-9
        for d, gi, ci in zip(deltas, g, c):
            if gi > best:  # adds points over every cheaper change of this lever
                keep_d.append(float(d))
                keep_g.append(float(gi))
                keep_c.append(float(ci))
                best = gi
        # the largest change too: it may qualify through a condition without adding points
        if float(deltas[-1]) != keep_d[-1]:
            keep_d.append(float(deltas[-1]))
            keep_g.append(float(g[-1]))
            keep_c.append(float(c[-1]))
        levers.append(lever)
        levels.append(np.array(keep_d))
        gains.append(np.array(keep_g))
        costs.append(np.array(keep_c))
    sizes = [len(x) for x in levels]
    total = int(np.prod(sizes))
    while total > _MAX_COMBINATIONS:  # thin the longest list (keep its ends)
        k = int(np.argmax(sizes))
        idx = np.unique(np.r_[0, np.arange(1, sizes[k] - 1, 2), sizes[k] - 1])
        levels[k], gains[k], costs[k] = levels[k][idx], gains[k][idx], costs[k][idx]
        sizes[k] = len(idx)
        total = int(np.prod(sizes))
    grid = np.stack(np.meshgrid(*[np.arange(n) for n in sizes], indexing="ij"), -1).reshape(-1, len(sizes))
    est: np.ndarray = np.sum([gains[j][grid[:, j]] for j in range(len(sizes))], axis=0) + base_t
    cost: np.ndarray = np.sum([costs[j][grid[:, j]] for j in range(len(sizes))], axis=0)
    line = system.qualification_line
    ok: np.ndarray = (est >= line - 1e-9) if line is not None else np.full(len(est), True)
    ok = ok & grid.any(axis=1)
    order = np.nonzero(ok)[0]
    order = order[np.argsort(cost[order], kind="stable")][:_VERIFY]
    top = np.array([n - 1 for n in sizes])
    pick = np.vstack([grid[order], top[None, :]]) if len(order) else top[None, :]
    deltas = np.column_stack([levels[j][pick[:, j]] for j in range(len(sizes))])
    res = _evaluate_changes(system, features, row, base, ts, as_of, levers, deltas)
    q = res["qualified"].to_numpy()
    cost_pick = np.array([sum(costs[j][pick[i, j]] for j in range(len(sizes))) for i in range(len(pick))])
    hits = np.nonzero(q)[0]
    unit = next((str(lv.cost_unit[lang]) for lv in levers if lv.cost_unit), "")
    if hits.size == 0:
        best_score = float(_target_score(system, res)[len(pick) - 1])
        text = (f"以给定的调整手段无法达到{line:g}分线（全部用到上限也只有{best_score:.4g}分）" if lang == "zh" else
                f"the line ({line:g}) cannot be reached with the levers given "
                f"(every lever at its maximum gives {best_score:.4g})") if line is not None else \
            ("以给定的调整手段无法达标" if lang == "zh" else "the levers given cannot qualify the enterprise")
        return {"reaches": False, "changes": [], "cost": None, "new_score": best_score, "text": text}
    i = int(hits[np.argmin(cost_pick[hits])])
    changes = []
    for j, lever in enumerate(levers):
        d = float(deltas[i, j])
        if d == 0:
            continue
        cur = float(row[lever.field][0])
        rel = d / cur if cur > 0 else None
        changes.append({"field": lever.field, "change": d, "relative_change": rel,
                        "cost": float(_lever_cost(lever, np.array([d]))[0]),
                        "text": _change_text(lever, d, rel, lang)})
    new_score = float(_target_score(system, res)[i])
    total_cost = float(cost_pick[i])
    money = f"{total_cost:,.0f}{' ' + unit if unit else ''}"
    text = (" + ".join(str(c["text"]) for c in changes)
            + (f" → {new_score:.4g}分，达标；成本 {money}" if lang == "zh"
               else f" → {new_score:.4g} points, qualifies; cost {money}"))
    return {"reaches": True, "changes": changes, "cost": total_cost, "cost_unit": unit, "new_score": new_score,
            "text": text}


def _change_text(lever: Lever, d: float, rel: float | None, lang: str) -> str:
    if lever.relative:
        amount = f"+{rel * 100:.0f}% (+¥{d:,.0f})" if rel is not None else f"+¥{d:,.0f}"
        return f"{lever.name[lang]} {amount}"
    return f"{'增加' if lang == 'zh' else ''}{d:g}{'' if lang == 'zh' else ' '}{lever.name[lang]}"


def _path_text(lever: Lever, d: float, rel: float | None, gain: float, qualifies: bool, lang: str) -> str:
    change = _change_text(lever, d, rel, lang)
    tail = f" → {_w('qualifies', lang)}" if qualifies else ""
    return f"{change} → +{gain:.4g} {_w('points', lang)}{tail}"


def _candidate_track(system: System, features: pl.DataFrame, cand: pl.DataFrame, ts: pl.DataFrame,
                     base: dict[str, Any], as_of: dt.date | None) -> pl.DataFrame:
    """Track statistics of candidate rows: peers' values stay as they are, the candidate's percentile is
    recomputed against them (the same definition as :func:`percentile_expr`)."""
    me = ts.filter(pl.col("uscc") == base["uscc"]).row(0, named=True)
    peers_ids = ts.filter(peers_filter(system, me))["uscc"]
    peers = features.filter(pl.col("uscc").is_in(peers_ids.implode()))
    get = resolver()
    exprs: dict[str, pl.Expr] = {}
    for ind in system.tracked:
        v = value_expr(ind.alternatives[0], get)
        if v is not None:
            exprs[ind.id] = v
    pv = prepare(system, peers, as_of).select([e.fill_nan(None).alias(k) for k, e in exprs.items()]).collect()
    cv = prepare(system, cand, as_of).select([e.fill_nan(None).alias(k) for k, e in exprs.items()]).collect()
    cols: dict[str, Any] = {"uscc": cand["uscc"]}
    for k in exprs:
        others = np.sort(pv[k].drop_nulls().to_numpy())
        vals = cv[k].to_numpy(allow_copy=True).astype(float)
        if others.size == 0:
            pct = np.where(np.isnan(vals), np.nan, 0.5)
        else:
            pct = np.searchsorted(others, vals, side="left") / others.size
            pct = np.where(np.isnan(vals), np.nan, pct)
        cols[f"tpct_{k}"] = pl.Series(pct).fill_nan(None)
    out = pl.DataFrame(cols)
    for c in ts.columns:
        if c != "uscc" and not c.startswith("tpct_"):
            out = out.with_columns(pl.lit(me.get(c), dtype=ts.schema[c]).alias(c))
    return out.select(ts.columns)


def explain_text(e: dict[str, Any], lang: str = "en") -> str:
    """The explanation as plain text for the terminal."""
    zh = lang == "zh"
    lines = [f"{e['system_name']} ({e['system']} v{e['system_version']}) — {e['uscc']}, {'数据日期' if zh else 'as of'} {e['as_of']}"]
    status = ("达标" if e["qualified"] else "未达标") if zh else ("qualified" if e["qualified"] else "not qualified")
    if e.get("reachable") and e["reachable"]["state"] == "possible":
        status = "可能达标（需专家评价或数据）" if zh else "possible (needs the expert review or data)"
    route = f" ({'途径' if zh else 'route'}: {e['route']})" if e["route"] else ""
    line = f" / {e['line']:g}" if e.get("line") is not None else ""
    lines.append(f"{'总分' if zh else 'score'}: {e['score']:.2f}{line} — {status}{route}")
    if e.get("stage"):
        lines.append(f"{'发展阶段' if zh else 'stage'}: {e['stage']}")
    for i in e["indicators"]:
        pts = "—" if i["points"] is None else f"{i['points']:.4g}"
        extra = f" [{i['chosen']}]" if i.get("chosen") else ""
        track = f"; {i['track']}" if i.get("track") else ""
        lines.append(f"  {i['name']}{extra}: {i['value_text']} → {pts}/{i['max_points']:g} ({i['band']}){track}")
    for g in e["groups"]:
        lines.append(f"  [{g['name']}] {g['points']:.4g}")
    if e["bonus"] or e["deduction"]:
        lines.append(f"  {'加分' if zh else 'bonus'} +{e['bonus']:g}, {'扣分' if zh else 'deduction'} -{e['deduction']:g}")
    for d in e["direct_routes"]:
        lines.append(f"{'直接认定' if zh else 'direct route'}: {d['name']}")
    for f in e["failed_conditions"]:
        lines.append(f"{'未满足' if zh else 'failed'}: {f['name']} ({f['id']})")
    if e["missing"]:
        lines.append(f"{'缺失字段' if zh else 'missing fields'}: {', '.join(e['missing'])}")
    if e.get("track"):
        lines.append(f"{'赛道' if zh else 'track'}: {e['track']['text']}")
    if e.get("reachable"):
        r = e["reachable"]
        state = {"qualified": ("达标", "qualified"), "possible": ("可能达标", "possible"),
                 "not_qualified": ("不达标", "not qualified")}[r["state"]][0 if zh else 1]
        lines.append(f"{'可计算部分' if zh else 'computable part'}: {r['computable_low']:.4g}–{r['computable_high']:.4g}")
        for j in r["judgement"]:
            lines.append(f"  {'需专家评价' if zh else 'expert judgement'}: {j['name']}: {j['min']:g}–{j['max']:g}")
        lines.append(f"{'可达总分' if zh else 'reachable total'}: {r['total_low']:.4g}–{r['total_high']:.4g} "
                     f"({'规则' if zh else 'rule'}: {r['rule']}) — {state}")
    if e["paths"]:
        lines.append("路径（单项最小改变）:" if zh else "paths (smallest single change):")
        lines += [f"  {p['text']}" for p in e["paths"]]
    if e.get("combination"):
        lines.append(("最低成本组合: " if zh else "cheapest combination: ") + e["combination"]["text"])
    return "\n".join(lines)
