"""Shapes shared by the API and the pages: enterprise summaries and evaluation results from table rows."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import polars as pl
from pydantic import BaseModel

from innocredit.web.data import DataService

SUMMARY_FIELDS = ("uscc", "name", "industry_code", "region_code", "registered_on", "as_of", "employees", "revenue",
                  "rd_expense", "ip_class1", "high_tech_certified", "specialized_level")


class EnterpriseSummary(BaseModel):
    uscc: str
    name: str | None = None
    industry_code: str | None = None
    region_code: str | None = None
    registered_on: dt.date | None = None
    as_of: dt.date | None = None
    employees: int | None = None
    revenue: float | None = None
    rd_expense: float | None = None
    ip_class1: int | None = None
    high_tech_certified: bool | None = None
    specialized_level: str | None = None


class EvaluationResult(BaseModel):
    uscc: str
    system: str
    system_version: str
    as_of: dt.date | None = None
    score: float | None = None
    qualified: bool | None = None
    route: str | None = None
    stage: str | None = None
    groups: dict[str, float | None] = {}
    points: dict[str, float | None] = {}
    failed_conditions: list[str] = []
    missing: list[str] = []
    track_level: str | None = None
    track_n: int | None = None
    track_percentile: float | None = None
    flags: dict[str, bool | None] = {}


def clean(v: Any) -> Any:
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    return v


def summary(row: dict[str, Any]) -> EnterpriseSummary:
    return EnterpriseSummary(**{k: clean(row.get(k)) for k in SUMMARY_FIELDS})


def evaluation_result(row: dict[str, Any], system: Any) -> EvaluationResult:
    flags = {r.id: row.get(r.id) for r in getattr(system, "flags", ())}
    return EvaluationResult(
        uscc=row["uscc"], system=row["system"], system_version=str(row["system_version"]), as_of=row.get("as_of"),
        score=clean(row.get("score")), qualified=row.get("qualified"), route=row.get("route"), stage=row.get("stage"),
        groups={k[4:]: clean(v) for k, v in row.items() if k.startswith("grp_")},
        points={k[3:]: clean(v) for k, v in row.items() if k.startswith("pt_")},
        failed_conditions=list(row.get("failed_conditions") or []), missing=list(row.get("missing") or []),
        track_level=row.get("track_level"), track_n=row.get("track_n"),
        track_percentile=clean(row.get("track_pct_total")), flags=flags)


def filter_directory(df: pl.DataFrame, allowed: set[str] | None, q: str | None, region: str | None,
                     industry: str | None) -> pl.DataFrame:
    """The directory's filters as one polars expression (vectorized)."""
    cond = pl.lit(True)
    if allowed is not None:
        cond = cond & pl.col("uscc").is_in(sorted(allowed))
    if q:
        cond = cond & (pl.col("name").str.contains(q, literal=True).fill_null(False) | pl.col("uscc").str.starts_with(q))
    if region:
        cond = cond & pl.col("region_code").str.starts_with(region).fill_null(False)
    if industry:
        cond = cond & pl.col("industry_code").str.starts_with(industry).fill_null(False)
    return df.filter(cond)


def qualified_filter(data: DataService, df: pl.DataFrame, system_id: str | None, qualified: bool | None) -> pl.DataFrame:
    if not system_id or qualified is None:
        return df
    ev = data.evaluations(system_id)
    if ev is None:
        return df
    keep = ev.filter(pl.col("qualified").fill_null(False) == qualified).select("uscc")
    return df.join(keep, on="uscc", how="semi")


def group_shares(system: Any, result: EvaluationResult, lang: str) -> list[tuple[str, float]]:
    """Each group's share of its indicators' maximum points (before stage weights), for the radar chart."""
    out = []
    for g in getattr(system, "groups", ()):
        members = [i for i in system.indicators if i.group == g.id]
        top = sum(float(i.max_points) for i in members)
        if not top:
            continue
        got = sum(result.points.get(i.id) or 0.0 for i in members)
        out.append((g.name.get(lang) or g.id, max(0.0, min(1.0, got / top))))
    return out
