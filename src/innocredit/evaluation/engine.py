"""The evaluation engine: any indicator system over a feature table in one vectorized polars plan.

Output, one row per enterprise: ``uscc, system, system_version, as_of, stage, score, qualified,
route, direct_routes, pt_<indicator>..., grp_<group>..., bonus, deduction, failed_conditions,
missing, missing_indicators`` plus one boolean per system flag (e.g. ``policy_credit_eligible``)
and, for systems with a track, ``track_level, track_cohort, track_n, tpct_<indicator>...,
track_pct_total, track_industry_growth``. ``detail=True`` adds ``val_<indicator>`` (the value)
and ``band_<indicator>`` (the index of the band or case that scored, null for none).

Missing inputs (null = unknown) never count as zero: the indicator's points are null, the
indicator is listed in ``missing_indicators`` and the fields in ``missing``; the score is the
sum of the points that *are* known (a lower bound), and an enterprise cannot qualify on a
condition whose inputs are unknown.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import polars as pl

from innocredit.evaluation.context import (
    STAGE,
    check_inputs,
    compile_formula,
    inputs_missing,
    prepare,
    resolver,
    value_expr,
)
from innocredit.evaluation.formula import compile_node, exact_ratio_compare
from innocredit.evaluation.system import Alternative, Group, Indicator, System
from innocredit.evaluation.track import level_keys, level_percentile, track_statistics

Get = Callable[[str], pl.Expr]


def _stage_expr(system: System, get: Get) -> pl.Expr:
    out = pl.lit(system.default_stage, dtype=pl.String)
    for r in reversed(system.stages):
        out = pl.when(compile_formula(r.when, get).fill_null(False)).then(pl.lit(r.id)).otherwise(out)
    return out


def _band_conditions(alt: Alternative, get: Get) -> list[pl.Expr]:
    sc = alt.scoring
    if sc.method == "cases":
        return [compile_formula(c.when, get).fill_null(False) for c in sc.cases]
    assert alt.value is not None
    ratio = alt.value.ratio
    conds = []
    if ratio is not None:
        num = compile_node(ratio[0], get, get("as_of"), alt.value.text)
        den = compile_node(ratio[1], get, get("as_of"), alt.value.text)
        off = ratio[2]
        for b in sc.bands:
            conds.append(exact_ratio_compare(num, den, ">" if b.exclusive else ">=", b.fraction - off).fill_null(False))
    else:
        v = pl.col(f"val_{alt.id}")
        for b in sc.bands:
            lo = float(b.fraction)
            conds.append(((v > lo) if b.exclusive else (v >= lo)).fill_null(False))
    return conds


def _alt_points(ind: Indicator, alt: Alternative, get: Get) -> tuple[pl.Expr, pl.Expr | None, pl.Expr]:
    """(points, band index, lowest points of the band's range) of one alternative, before the missing-input
    check. Without a range the lowest points are the points."""
    sc = alt.scoring
    v = pl.col(f"val_{alt.id}")
    if sc.method in ("bands", "cases"):
        conds = _band_conditions(alt, get)
        items = sc.bands if sc.method == "bands" else sc.cases
        pts: pl.Expr = pl.lit(sc.otherwise)
        low: pl.Expr = pl.lit(sc.otherwise)
        idx: pl.Expr = pl.lit(None, dtype=pl.Int32)
        for i in reversed(range(len(conds))):
            it = items[i]
            pts = pl.when(conds[i]).then(pl.lit(it.points)).otherwise(pts)
            low = pl.when(conds[i]).then(pl.lit(it.low if it.low is not None else it.points)).otherwise(low)
            idx = pl.when(conds[i]).then(pl.lit(i, dtype=pl.Int32)).otherwise(idx)
        return pts.cast(pl.Float64), idx, low.cast(pl.Float64)
    if sc.method == "reference":
        assert sc.reference is not None
        pts = ((v / sc.reference).clip(0.0, 1.0) * ind.max_points).fill_null(0.0)
        return pts, None, pts
    pts = (pl.col(f"tpct_{ind.id}") * ind.max_points).fill_null(0.0)
    return pts, None, pts


def _weight_expr(weight: float | dict[str, float]) -> pl.Expr:
    if not isinstance(weight, dict):
        return pl.lit(float(weight))
    out: pl.Expr = pl.lit(None, dtype=pl.Float64)
    for stage, w in weight.items():
        out = pl.when(pl.col(STAGE) == stage).then(pl.lit(float(w))).otherwise(out)
    return out


_BITS = 62


class _FlagLists:
    """Lists of ids (failed conditions, missing fields, ...) built fast: the plan computes one integer bit mask
    per list (62 ids per mask column), and after collecting, each distinct mask (few) is turned into its list
    and joined back, instead of building a list of strings for every row."""

    def __init__(self) -> None:
        self.lists: dict[str, list[tuple[str, tuple[str, ...]]]] = {}

    def add(self, name: str, pairs: list[tuple[str, pl.Expr]]) -> list[pl.Expr]:
        exprs = []
        chunks = [pairs[i:i + _BITS] for i in range(0, len(pairs), _BITS)] or [[]]
        self.lists[name] = []
        for c, chunk in enumerate(chunks):
            col = f"__mask_{name}_{c}"
            mask = pl.sum_horizontal([pl.when(e.fill_null(False)).then(pl.lit(1 << b, dtype=pl.Int64))
                                      .otherwise(pl.lit(0, dtype=pl.Int64)) for b, (_, e) in enumerate(chunk)]) \
                if chunk else pl.lit(0, dtype=pl.Int64)
            exprs.append(mask.cast(pl.Int64).alias(col))
            self.lists[name].append((col, tuple(i for i, _ in chunk)))
        return exprs

    def expand(self, df: pl.DataFrame, order: list[str]) -> pl.DataFrame:
        for name, cols in self.lists.items():
            parts = []
            for col, ids in cols:
                masks = df[col].unique().to_list()
                table = pl.DataFrame({col: masks, f"__l_{col}": [[ids[b] for b in range(len(ids)) if m >> b & 1]
                                                                 for m in masks]},
                                     schema={col: pl.Int64, f"__l_{col}": pl.List(pl.String)})
                df = df.join(table, on=col, how="left", maintain_order="left")
                parts.append(pl.col(f"__l_{col}"))
            df = df.with_columns((pl.concat_list(parts) if len(parts) > 1 else parts[0]).alias(name))
        return df.select(order)


def evaluate(system: System, features: pl.DataFrame | pl.LazyFrame, as_of: dt.date | None = None,
             track_stats: pl.DataFrame | None = None, detail: bool = False,
             total_percentile: bool = True) -> pl.DataFrame:
    """Evaluate every enterprise in ``features`` with ``system``; see the module docstring for the output.

    ``track_stats``: the result of :func:`track_statistics` computed beforehand (e.g. on Spark over the
    whole population); when absent and the system has a track it is computed here from ``features``.
    ``total_percentile``: also rank the total score within the cohort (a cross-row step; turn it off when
    scoring a partition that does not hold whole cohorts).
    """
    if isinstance(features, pl.DataFrame):
        check_inputs(system, features)
    lf, lists, order = _plan(system, features, as_of, track_stats, detail, total_percentile)
    return lists.expand(lf.collect(), order)


def _plan(system: System, features: pl.DataFrame | pl.LazyFrame, as_of: dt.date | None,
          track_stats: pl.DataFrame | None, detail: bool, total_percentile: bool) -> tuple[pl.LazyFrame, _FlagLists,
                                                                                          list[str]]:
    lists = _FlagLists()
    lf = prepare(system, features, as_of)
    get = resolver()
    if system.uses_stages:
        lf = lf.with_columns(_stage_expr(system, get).alias(STAGE))
    else:
        lf = lf.with_columns(pl.lit(None, dtype=pl.String).alias(STAGE))
    track_cols: list[str] = []
    if system.track_levels:
        ts = track_stats if track_stats is not None else track_statistics(system, features, as_of)
        if ts["uscc"].is_duplicated().any():
            raise ValueError("a system with a track needs one row per enterprise (uscc); evaluate one as-of date "
                             "at a time")
        track_cols = [c for c in ts.columns if c != "uscc"]
        lf = lf.join(ts.lazy(), on="uscc", how="left", maintain_order="left")

    # values
    vals = []
    for alt in (a for ind in system.indicators for a in ind.alternatives):
        v = value_expr(alt, get)
        if v is not None:
            vals.append(v.fill_nan(None).alias(f"val_{alt.id}"))
    lf = lf.with_columns(vals)

    # points per indicator
    ranges = system.has_ranges
    pt_exprs, band_exprs, ind_val_exprs, low_exprs = [], [], [], []
    for ind in system.indicators:
        alt_pts, alt_idx, alt_low = [], [], []
        for alt in ind.alternatives:
            pts, idx, low = _alt_points(ind, alt, get)
            miss = inputs_missing(alt.value.names if alt.value else frozenset(), system)
            case_miss = inputs_missing(frozenset().union(*[c.when.names for c in alt.scoring.cases]), system) \
                if alt.scoring.cases else None
            m = miss if case_miss is None else (case_miss if miss is None else miss | case_miss)
            if m is not None:
                pts = pl.when(m).then(None).otherwise(pts)
                low = pl.when(m).then(None).otherwise(low)
            alt_pts.append(pts)
            alt_idx.append(idx)
            alt_low.append(low)
        if ind.best_of:
            pt = pl.max_horizontal(alt_pts)
            if detail:
                # the alternative that gave the points (first on ties), its value and band
                best = pl.lit(None, dtype=pl.Int32)
                for j in reversed(range(len(alt_pts))):
                    best = pl.when(alt_pts[j].is_not_null() & (alt_pts[j] == pt)).then(pl.lit(j)).otherwise(best)
                band = pl.lit(None, dtype=pl.Int32)
                val = pl.lit(None, dtype=pl.Float64)
                for j, alt in enumerate(ind.alternatives):
                    band = pl.when(best == j).then(alt_idx[j]).otherwise(band)
                    val = pl.when(best == j).then(pl.col(f"val_{alt.id}")).otherwise(val)
                band_exprs += [band.alias(f"band_{ind.id}"), best.alias(f"alt_{ind.id}")]
                ind_val_exprs.append(val.alias(f"val_{ind.id}"))
        else:
            pt = alt_pts[0]
            if detail and alt_idx[0] is not None:
                band_exprs.append(alt_idx[0].alias(f"band_{ind.id}"))
        pt_exprs.append(pt.cast(pl.Float64).alias(f"pt_{ind.id}"))
        if ranges:
            lo = pl.max_horizontal(alt_low) if ind.best_of else alt_low[0]
            low_exprs.append(lo.cast(pl.Float64).alias(f"ptl_{ind.id}"))
    lf = lf.with_columns(*pt_exprs, *low_exprs, *(band_exprs if detail else []))
    if detail and ind_val_exprs:
        lf = lf.with_columns(ind_val_exprs)

    # groups
    def group_expr(g: Group, parts: list[pl.Expr], top: float) -> pl.Expr:
        raw = pl.sum_horizontal(parts) if parts else pl.lit(0.0)
        if g.cap is not None:
            raw = raw.clip(upper_bound=float(g.cap))
        if g.weight is not None:
            raw = raw / (min(top, g.cap) if g.cap is not None else top or 1.0) * _weight_expr(g.weight)
        return raw.cast(pl.Float64)

    grp_exprs, range_exprs = [], []
    for g in system.groups:
        members = [i for i in system.indicators if i.group == g.id]
        parts = [p for p in system.judgement if p.group == g.id]
        top = sum(i.max_points for i in members) + sum(p.max_points for p in parts) or 1.0
        grp_exprs.append(group_expr(g, [pl.col(f"pt_{i.id}").fill_null(0.0) for i in members], top)
                         .alias(f"grp_{g.id}"))
        if ranges:
            # reachable range: unknown points count 0 at the low end and full marks at the high end
            grp_exprs.append(group_expr(g, [pl.col(f"ptl_{i.id}").fill_null(0.0) for i in members], top)
                             .alias(f"grl_{g.id}"))
            range_exprs += [
                group_expr(g, [pl.col(f"ptl_{i.id}").fill_null(0.0) for i in members]
                           + [pl.col(f"jlo_{p.id}") for p in parts], top).alias(f"glo_{g.id}"),
                group_expr(g, [pl.col(f"pt_{i.id}").fill_null(i.max_points) for i in members]
                           + [pl.col(f"jhi_{p.id}") for p in parts], top).alias(f"ghi_{g.id}"),
            ]
    if ranges:
        jexprs = []
        for part in system.judgement:
            applies = compile_formula(part.when, get) if part.when is not None else pl.lit(True)
            lo = pl.when(applies.fill_null(False)).then(pl.lit(part.min_points)).otherwise(pl.lit(0.0))
            hi = pl.when(applies.fill_null(True)).then(pl.lit(part.max_points)).otherwise(pl.lit(0.0))
            if part.input is not None:  # the expert's points, when recorded, close the range
                given = pl.col(part.input).cast(pl.Float64).clip(part.min_points, part.max_points)
                lo = pl.when(given.is_not_null()).then(given).otherwise(lo)
                hi = pl.when(given.is_not_null()).then(given).otherwise(hi)
            jexprs += [lo.cast(pl.Float64).alias(f"jlo_{part.id}"), hi.cast(pl.Float64).alias(f"jhi_{part.id}")]
        if jexprs:
            lf = lf.with_columns(jexprs)
    lf = lf.with_columns(grp_exprs)
    if range_exprs:
        lf = lf.with_columns(range_exprs)

    def rule_sum(rules: tuple) -> pl.Expr:  # type: ignore[type-arg]
        if not rules:
            return pl.lit(0.0)
        return pl.sum_horizontal([pl.when(compile_formula(r.when, get).fill_null(False)).then(pl.lit(r.points))
                                  .otherwise(pl.lit(0.0)) for r in rules])

    bonus = rule_sum(system.bonuses)
    if system.bonus_cap is not None:
        bonus = bonus.clip(upper_bound=float(system.bonus_cap))
    lf = lf.with_columns(bonus.cast(pl.Float64).alias("bonus"), rule_sum(system.deductions).cast(pl.Float64)
                         .alias("deduction"))
    def total(prefix: str) -> pl.Expr:
        return (pl.sum_horizontal([pl.col(f"{prefix}_{g.id}") for g in system.groups]) + pl.col("bonus")
                - pl.col("deduction")).clip(0.0, system.max_score)

    lf = lf.with_columns(total("grp").alias("score"))
    if ranges:
        lf = lf.with_columns(total("grl").alias("score_low"), total("glo").alias("total_low"),
                             total("ghi").alias("total_high"))

    # conditions, vetoes, routes
    computed = {"score": pl.col("score"), "bonus": pl.col("bonus"), "deduction": pl.col("deduction"),
                **{f"pt_{i.id}": pl.col(f"pt_{i.id}") for i in system.indicators},
                **{f"grp_{g.id}": pl.col(f"grp_{g.id}") for g in system.groups},
                **{f"val_{i.id}": pl.col(f"val_{i.alternatives[0].id}") for i in system.indicators
                   if i.alternatives[0].value is not None}}
    # conditions in the order of the file; a null (unknown) condition neither fails nor holds
    cond = [(r.id, compile_formula(r.when, get)) for r in system.conditions]
    veto = [(r.id, compile_formula(r.when, get)) for r in system.vetoes]
    direct = [(r.id, compile_formula(r.when, get).fill_null(False)) for r in system.direct_routes]
    # a group minimum fails when even the group's highest reachable points are below it
    minima = [(f"{g.id}_minimum", pl.col(f"{'ghi' if ranges else 'grp'}_{g.id}") < g.minimum)
              for g in system.groups if g.minimum is not None]
    failed = lists.add("failed_conditions", [(i, e == False) for i, e in cond]  # noqa: E712
                       + [(i, e.fill_null(False)) for i, e in veto] + minima)
    basic_ok = pl.all_horizontal([e.fill_null(False) for _, e in cond]) if cond else pl.lit(True)
    vetoed = pl.any_horizontal([e.fill_null(False) for _, e in veto]) if veto else pl.lit(False)
    mins_ok = pl.all_horizontal([~e for _, e in minima]) if minima else pl.lit(True)
    if ranges:
        # qualified only when even the lowest reachable total passes; "possible" when the highest does
        def at(prefix: str, total_col: str) -> pl.Expr:
            names = {**computed, "score": pl.col(total_col), **{f"grp_{g.id}": pl.col(f"{prefix}_{g.id}")
                                                                 for g in system.groups}}
            ok = compile_formula(system.qualification, resolver(names)).fill_null(False)
            for g in system.groups:
                if g.minimum is not None:
                    ok = ok & (pl.col(f"{prefix}_{g.id}") >= g.minimum)
            return ok
        score_ok = at("glo", "total_low")
        reach_ok = at("ghi", "total_high")
    else:
        score_ok = compile_formula(system.qualification, resolver(computed)).fill_null(False) & mins_ok
        reach_ok = score_ok
    no_fail = pl.all_horizontal([e.fill_null(True) for _, e in cond]) if cond else pl.lit(True)
    direct_any = pl.any_horizontal([e for _, e in direct]) if direct else pl.lit(False)
    lf = lf.with_columns(
        *failed,
        (basic_ok & ~vetoed).alias("__eligible"),
        score_ok.alias("__score_ok"),
        reach_ok.alias("__reach_ok"),
        (no_fail & ~vetoed).alias("__no_fail"),
        direct_any.alias("__direct"),
        *lists.add("direct_routes", direct),
    )
    qualified = pl.col("__eligible") & (pl.col("__score_ok") | pl.col("__direct"))
    route = (pl.when(qualified & pl.col("__score_ok")).then(pl.lit("score"))
             .when(qualified).then(pl.lit("direct")).otherwise(pl.lit(None, dtype=pl.String)))
    lf = lf.with_columns(qualified.alias("qualified"), route.alias("route"))
    possible = ~pl.col("qualified") & pl.col("__no_fail") & (pl.col("__reach_ok") | pl.col("__direct"))
    lf = lf.with_columns(possible.alias("__possible"))
    if ranges:
        lf = lf.with_columns(pl.when(pl.col("qualified")).then(pl.lit("qualified"))
                             .when(pl.col("__possible")).then(pl.lit("possible"))
                             .otherwise(pl.lit("not_qualified")).alias("state"))
        computed |= {"score_low": pl.col("score_low"), "total_low": pl.col("total_low"),
                     "total_high": pl.col("total_high")}
    flag_get = resolver({**computed, "qualified": pl.col("qualified"), "possible": pl.col("__possible"),
                         "eligible": pl.col("__eligible")})
    if system.flags:
        lf = lf.with_columns(compile_formula(r.when, flag_get).fill_null(False).alias(r.id) for r in system.flags)

    # missing inputs
    fields = sorted(system.feature_inputs | ({"registered_on"} if _uses_age(system) else set()))
    lf = lf.with_columns(
        *lists.add("missing", [(f, pl.col(f).is_null()) for f in fields]),
        *lists.add("missing_indicators", [(i.id, pl.col(f"pt_{i.id}").is_null()) for i in system.indicators]
                   + [(r.id, e.is_null()) for r, (_, e) in zip(system.conditions, cond)]),
    )
    if system.track_levels and total_percentile:
        levels = list(range(len(system.track_levels)))
        lf = lf.with_columns(level_keys(system, levels)).with_columns(
            level_percentile("score", system).alias("track_pct_total"))
    out: list[str | pl.Expr] = [
        "uscc", pl.lit(system.id).alias("system"), pl.lit(system.version).alias("system_version"),
        pl.col("__as_of").alias("as_of"), pl.col(STAGE).alias("stage"), "score", "qualified", "route",
        *(["state", "score_low", "total_low", "total_high"] if ranges else []),
        "direct_routes",
        *(f"pt_{i.id}" for i in system.indicators), *(f"grp_{g.id}" for g in system.groups), "bonus", "deduction",
        "failed_conditions", "missing", "missing_indicators", *(r.id for r in system.flags), *track_cols,
        *(["track_pct_total"] if system.track_levels and total_percentile else []),
    ]
    if detail:
        val_cols = [f"val_{i.id}" if i.best_of else f"val_{i.alternatives[0].id}" for i in system.indicators]
        out += [pl.col(c).alias(f"val_{i.id}") for c, i in zip(val_cols, system.indicators)
                if c in lf.collect_schema().names()]
        out += [c for c in lf.collect_schema().names() if c.startswith(("band_", "alt_", "ptl_", "jlo_", "jhi_",
                                                                         "glo_", "ghi_"))]
        out += [f"val_{a.id}" for i in system.indicators if i.best_of for a in i.alternatives
                if f"val_{a.id}" in lf.collect_schema().names()]
    names = [o if isinstance(o, str) else o.meta.output_name() for o in out]
    masks = [c for cols in lists.lists.values() for c, _ in cols]
    keep = [o for o, n in zip(out, names) if n not in lists.lists]
    return lf.select(*keep, *masks), lists, names


def _uses_age(system: System) -> bool:
    rules = (*system.conditions, *system.vetoes, *system.direct_routes, *system.bonuses, *system.deductions,
             *system.stages)
    return any("age_years" in r.when.names for r in rules) or any("age_years" in i.inputs for i in system.indicators)
