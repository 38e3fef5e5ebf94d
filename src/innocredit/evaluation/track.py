"""The track (看赛道): each enterprise's percentile among peers of the same industry and city.

Cohorts are tried from the narrowest level the system lists (by default GB/T 4754
division + city) to the widest; an enterprise is placed in the first level whose cohort
has at least ``min_size`` enterprises (the last level is used whatever its size).

The percentile of a value is the share of the *other* enterprises in the cohort with a
known value whose value is strictly lower: ``(rank_min - 1) / (n - 1)``. An enterprise
alone in its cohort gets 0.5. Unknown values are left out of the ranking.

This is the only cross-row step of an evaluation. :func:`cohort_sizes` (a group-by) and
:func:`track_statistics` (window functions over complete cohorts) can run on Spark before
per-row scoring; :func:`innocredit.evaluation.evaluate` takes the result as ``track_stats``.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from innocredit.evaluation.context import prepare, resolver, value_expr
from innocredit.evaluation.system import System

KEY_EXPRS = {
    "division": pl.col("industry_code").str.slice(0, 3),
    "section": pl.col("industry_code").str.slice(0, 1),
    "city": pl.col("region_code").str.slice(0, 4),
    "province": pl.col("region_code").str.slice(0, 2),
}


def _with_keys(lf: pl.LazyFrame, system: System) -> pl.LazyFrame:
    used = sorted({k for lv in system.track_levels for k in lv.keys})
    return lf.with_columns(KEY_EXPRS[k].alias(f"__k_{k}") for k in used)


def cohort_sizes(system: System, features: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """Enterprises per cohort at every track level: columns level, key_<k>..., n. Small; a global group-by."""
    lf = _with_keys(features.lazy(), system)
    parts = []
    for lv in system.track_levels:
        keys = [f"__k_{k}" for k in lv.keys]
        g = (lf.group_by(keys).agg(pl.len().alias("n")) if keys else lf.select(pl.len().alias("n")))
        parts.append(g.with_columns(pl.lit(lv.id).alias("level")).collect())
    return pl.concat(parts, how="diagonal_relaxed")


def track_statistics(system: System, features: pl.DataFrame | pl.LazyFrame, as_of: dt.date | None = None,
                     sizes: pl.DataFrame | None = None) -> pl.DataFrame:
    """Per enterprise: its cohort (level, key, size), the percentile of each tracked indicator
    value (``tpct_<indicator>``) and the cohort's revenue growth (``track_industry_growth``)."""
    if not system.track_levels:
        raise ValueError(f"system {system.id} has no track section")
    inputs = {"uscc", "industry_code", "region_code", "revenue", "revenue_prev", "registered_on", "__as_of"}
    for ind in system.tracked:
        inputs |= set(ind.inputs)
    base = prepare(system, features, as_of)
    base = base.select([c for c in base.collect_schema().names() if c in inputs])
    lf = _with_keys(base, system)
    sizes = sizes if sizes is not None else cohort_sizes(system, lf)
    n_cols = []
    for i, lv in enumerate(system.track_levels):
        keys = [f"__k_{k}" for k in lv.keys]
        s = sizes.filter(pl.col("level") == lv.id).select(*keys, pl.col("n").alias(f"__n{i}"))
        if keys:
            # a null key (unknown industry or region) makes that level unusable for the row
            lf = lf.join(s.lazy().filter(pl.all_horizontal(pl.col(k).is_not_null() for k in keys)), on=keys,
                         how="left", nulls_equal=False, maintain_order="left")
        else:
            lf = lf.with_columns(pl.lit(s[f"__n{i}"][0] if s.height else 0).alias(f"__n{i}"))
        n_cols.append(f"__n{i}")
    last = len(system.track_levels) - 1
    level = pl.lit(last)
    for i in reversed(range(last)):
        level = pl.when(pl.col(n_cols[i]) >= system.track_min_size).then(pl.lit(i)).otherwise(level)
    lf = lf.with_columns(level.alias("__lvl"))
    level_id = pl.lit(system.track_levels[last].id)
    cohort = pl.concat_str([pl.lit(system.track_levels[last].id), *[pl.col(f"__k_{k}").fill_null("?")
                                                                   for k in system.track_levels[last].keys]],
                           separator="|")
    size = pl.col(n_cols[last])
    for i in reversed(range(last)):
        lv = system.track_levels[i]
        hit = pl.col("__lvl") == i
        level_id = pl.when(hit).then(pl.lit(lv.id)).otherwise(level_id)
        cohort = pl.when(hit).then(pl.concat_str([pl.lit(lv.id), *[pl.col(f"__k_{k}") for k in lv.keys]],
                                                 separator="|")).otherwise(cohort)
        size = pl.when(hit).then(pl.col(n_cols[i])).otherwise(size)
    lf = lf.with_columns(level_id.alias("track_level"), cohort.alias("track_cohort"), size.alias("track_n"))
    used_keys = sorted({k for lv in system.track_levels for k in lv.keys})
    lf = lf.rename({f"__k_{k}": f"track_{k}" for k in used_keys})
    get = resolver()
    vals = []
    for ind in system.tracked:
        v = value_expr(ind.alternatives[0], get)
        if v is not None:
            vals.append(v.fill_nan(None).alias(f"__v_{ind.id}"))
    both = pl.col("revenue").is_not_null() & pl.col("revenue_prev").is_not_null()
    df = lf.with_columns(*vals, pl.when(both).then(pl.col("revenue")).alias("__rev"),
                         pl.when(both).then(pl.col("revenue_prev")).alias("__rev_prev")).collect()
    used = sorted(df["__lvl"].unique().drop_nulls().to_list())
    df = df.with_columns(level_keys(system, used))
    pcts = [level_percentile(f"__v_{ind.id}", system, used).alias(f"tpct_{ind.id}")
            for ind in system.tracked if ind.alternatives[0].value is not None]
    rev, rev_prev = level_window(pl.col("__rev").sum(), system, used), level_window(pl.col("__rev_prev").sum(), system, used)
    growth = pl.when(rev_prev > 0).then(rev / rev_prev - 1.0).alias("track_industry_growth")
    return df.select("uscc", "track_level", "track_cohort", "track_n", *[f"track_{k}" for k in used_keys], *pcts, growth)


def _level_index(system: System) -> pl.Expr:
    """The index of the row's track level, from the ``track_level`` column."""
    return pl.col("track_level").replace_strict({lv.id: i for i, lv in enumerate(system.track_levels)},
                                                default=None, return_dtype=pl.Int32)


def level_keys(system: System, used: list[int]) -> list[pl.Expr]:
    """One string key column ``__g<i>`` per used level (windows over one column are faster than over several)."""
    out = []
    for i in used:
        keys = [pl.col(f"track_{k}").fill_null("?") for k in system.track_levels[i].keys]
        # a 64-bit hash of the keys: windows over one integer column are much faster than over strings
        out.append((pl.concat_str(keys, separator="|").hash(7) if keys else pl.lit(0, dtype=pl.UInt64))
                   .alias(f"__g{i}"))
    return out


def level_window(agg: pl.Expr, system: System, used: list[int] | None = None) -> pl.Expr:
    """``agg`` over each row's own cohort: all enterprises sharing the keys of the row's chosen level,
    whatever level those enterprises were placed at themselves. Needs the ``__g<i>`` columns of
    :func:`level_keys` for the levels in ``used`` (default: all levels)."""
    lvl = pl.col("__lvl") if used is not None else _level_index(system)
    levels = used if used is not None else list(range(len(system.track_levels)))
    out: pl.Expr = pl.lit(None, dtype=pl.Float64)
    for i in reversed(levels):
        out = pl.when(lvl == i).then(agg.over(f"__g{i}")).otherwise(out)
    return out


def level_percentile(col: str, system: System, used: list[int] | None = None) -> pl.Expr:
    """:func:`percentile_expr` within each row's cohort (see :func:`level_window`)."""
    c = pl.col(col)
    n = level_window(c.count(), system, used)
    less = level_window(c.rank("min"), system, used) - 1
    return pl.when(c.is_null()).then(None).when(n <= 1).then(0.5).otherwise(less / (n - 1)).cast(pl.Float64)


def peers_filter(system: System, ts_row: dict) -> pl.Expr:  # type: ignore[type-arg]
    """Rows of a track-statistics frame in the same cohort as ``ts_row`` (the enterprise excluded)."""
    lv = next(x for x in system.track_levels if x.id == ts_row["track_level"])
    cond = pl.col("uscc") != ts_row["uscc"]
    for k in lv.keys:
        cond = cond & (pl.col(f"track_{k}") == ts_row[f"track_{k}"])
    return cond


def percentile_expr(col: str, over: str) -> pl.Expr:
    """Share of the other known values in the cohort that are strictly lower (0..1; 0.5 when alone)."""
    c = pl.col(col)
    n = c.count().over(over)
    less = c.rank("min").over(over) - 1
    return pl.when(c.is_null()).then(None).when(n <= 1).then(0.5).otherwise(less / (n - 1)).cast(pl.Float64)


# ------------------------------------------------------------------ display

DIVISIONS = {
    "I63": ("电信、广播电视和卫星传输服务", "telecommunications and broadcasting"),
    "I64": ("互联网和相关服务", "internet services"),
    "I65": ("软件和信息技术服务业", "software and IT services"),
    "M73": ("研究和试验发展", "research and development"),
    "M74": ("专业技术服务业", "professional technical services"),
    "M75": ("科技推广和应用服务业", "technology promotion services"),
    "C26": ("化学原料和化学制品制造业", "chemicals"),
    "C27": ("医药制造业", "pharmaceuticals"),
    "C29": ("橡胶和塑料制品业", "rubber and plastics"),
    "C30": ("非金属矿物制品业", "non-metallic mineral products"),
    "C33": ("金属制品业", "metal products"),
    "C34": ("通用设备制造业", "general-purpose machinery"),
    "C35": ("专用设备制造业", "special-purpose machinery"),
    "C36": ("汽车制造业", "automobiles"),
    "C38": ("电气机械和器材制造业", "electrical machinery"),
    "C39": ("计算机、通信和其他电子设备制造业", "computers and electronics"),
    "C40": ("仪器仪表制造业", "instruments"),
}
CITIES = {
    "1101": ("北京", "Beijing"), "3101": ("上海", "Shanghai"), "1201": ("天津", "Tianjin"),
    "5001": ("重庆", "Chongqing"), "3301": ("杭州", "Hangzhou"), "3302": ("宁波", "Ningbo"),
    "3201": ("南京", "Nanjing"), "3205": ("苏州", "Suzhou"), "4401": ("广州", "Guangzhou"),
    "4403": ("深圳", "Shenzhen"), "4201": ("武汉", "Wuhan"), "5101": ("成都", "Chengdu"),
    "6101": ("西安", "Xi'an"), "3702": ("青岛", "Qingdao"), "3501": ("福州", "Fuzhou"),
    "3401": ("合肥", "Hefei"), "4301": ("长沙", "Changsha"), "3701": ("济南", "Jinan"),
}


def cohort_words(level: str | None, cohort: str | None, lang: str = "en") -> tuple[str, str]:
    """(industry words, place words) for a cohort key such as ``city|I65|3301``."""
    zh = lang == "zh"
    parts = (cohort or "").split("|")
    ind, place = ("企业" if zh else "firms"), ("全国" if zh else "nationally")
    for p in parts[1:]:
        if len(p) == 3 and p[0].isalpha():
            name = DIVISIONS.get(p)
            ind = (f"{name[0]}企业" if zh else f"{name[1]} firms") if name else (f"{p}行业企业" if zh else f"{p} firms")
        elif len(p) == 1 and p.isalpha():
            ind = f"{p}门类企业" if zh else f"section {p} firms"
        elif len(p) == 4 and p.isdigit():
            c = CITIES.get(p)
            place = (c[0] if zh else f"in {c[1]}") if c else (f"{p}00地区" if zh else f"in region {p}00")
        elif len(p) == 2 and p.isdigit():
            place = f"{p}0000省" if zh else f"in province {p}0000"
    return ind, place


def track_sentence(pct: float | None, n: int | None, level: str | None, cohort: str | None, lang: str = "en") -> str:
    """'better than 82% of 214 software and IT services firms in Hangzhou'."""
    if pct is None or n is None:
        return "无法定位赛道（数据缺失）" if lang == "zh" else "no track position (data missing)"
    ind, place = cohort_words(level, cohort, lang)
    if lang == "zh":
        return f"优于{place}{n}家{ind}中的{round(pct * 100)}%"
    return f"better than {round(pct * 100)}% of {n} {ind} {place}"
