"""The coordinator's dashboard: the population by region and industry, qualification, and (when the
coordination area is installed) coverage, list outcomes and days to credit, as server-rendered charts."""

from __future__ import annotations

from typing import Any

import polars as pl
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from innocredit.web import charts
from innocredit.web.auth import Principal, require_roles
from innocredit.web.deps import SESSION
from innocredit.web.i18n import label, request_lang, translator
from innocredit.web.panels import HEADLINE_SYSTEM
from innocredit.web.render import code_label, render

router = APIRouter(include_in_schema=False)

# area hooks: fn(request, session, lang) -> list of (title, svg) charts and list of (label, value) KPIs, and
# optionally a third item: a dict of named panels for the template (the coordination area's ``coverage``: the
# coverage definition in use, its source, target and the links switching it)
DASHBOARD_HOOKS: list[Any] = []


def population_charts(request: Request, lang: str) -> tuple[list[tuple[str, Any]], list[tuple[str, Any]]]:
    t = translator(lang)
    data = request.app.state.data
    df = data.features()
    kpis: list[tuple[str, Any]] = [(t("dash.enterprises"), f"{df.height:,}")]
    out: list[tuple[str, Any]] = []
    if not df.height:
        return out, kpis
    by_region = (df.group_by(pl.col("region_code").fill_null("—")).len().sort("len", descending=True).head(12))
    out.append((t("dash.by_region"), charts.link_hbar_chart(
        [(label("region", r, lang), n, f"/enterprises?region={r}") for r, n in
         zip(by_region["region_code"], by_region["len"])], t("dash.by_region"))))
    sections = df.select(pl.col("industry_code").str.slice(0, 1).fill_null("—").alias("section"), "uscc")
    by_ind = sections.group_by("section").len().sort("len", descending=True).head(12)
    out.append((t("dash.by_industry"), charts.link_hbar_chart(
        [(code_label(s, "section", lang), n, f"/enterprises?industry={s}") for s, n in
         zip(by_ind["section"], by_ind["len"])], t("dash.by_industry"))))
    ev = data.evaluations(HEADLINE_SYSTEM) if data.system(HEADLINE_SYSTEM) else None
    if ev is not None and ev.height:
        q = ev.select("uscc", pl.col("qualified").fill_null(False)).join(sections, on="uscc")
        share = (q.group_by("section").agg(pl.col("qualified").mean().alias("share"), pl.len().alias("n"))
                 .filter(pl.col("n") >= 5).sort("share", descending=True).head(12))
        title = t("dash.qualified_by_industry")
        out.append((title, charts.hbar_chart([(code_label(s, "section", lang), v * 100)
                                              for s, v in zip(share["section"], share["share"])],
                                             title, "%", max_value=100, heading=False)))
        kpis.append((t("dash.qualified"), f"{int(q['qualified'].sum()):,}"))
    return out, kpis


@router.get("/dashboard")
def dashboard(request: Request, principal: Principal = Depends(require_roles("coordinator", "admin")),
              session: Session = SESSION) -> Response:
    lang = request_lang(request)
    chart_list, kpis = population_charts(request, lang)
    panels: dict[str, Any] = {}
    for hook in DASHBOARD_HOOKS:
        more_charts, more_kpis, *more_panels = hook(request, session, lang)
        chart_list = more_charts + chart_list
        kpis += more_kpis
        for extra in more_panels:
            panels.update(extra)
    return render(request, "dashboard.html", charts_list=chart_list, kpis=kpis, panels=panels)
