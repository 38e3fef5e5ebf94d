"""Pages of the coordination office: application lists -> screening -> recommendation list -> push -> follow up;
the dashboard's coverage, outcomes and days-to-credit charts; a bank's inbox of recommended firms."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

import polars as pl
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from innocredit.coordination.flow import Answer, default_flow_policy
from innocredit.coordination.routing import default_bank_policy
from innocredit.services import coordination as service
from innocredit.web import charts
from innocredit.web.auth import Principal, require_roles
from innocredit.web.deps import SESSION
from innocredit.web.domain import domain_call
from innocredit.web.i18n import label, request_lang, translator
from innocredit.web.pages.dashboard import DASHBOARD_HOOKS
from innocredit.web.pagination import firms_matching, list_state
from innocredit.web.problems import ProblemError
from innocredit.web.render import check_csrf, code_label, render

router = APIRouter(include_in_schema=False)
OFFICE = ("coordinator", "admin")


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


@router.get("/lists")
def lists(request: Request, principal: Principal = Depends(require_roles(*OFFICE)),
          session: Session = SESSION) -> Response:
    st = list_state(request, tuple(service.LIST_SORTS), "created", default_desc=True)
    rows, total = service.application_list_page(session, region=st.get("region") or None, sort=st.sort,
                                                descending=st.desc, limit=st.size, offset=st.offset)
    return render(request, "lists.html", lists=rows, st=st, total=total)


@router.post("/lists", dependencies=[Depends(check_csrf)])
def create_list(name: str = Form(..., max_length=200), region_code: str = Form("", max_length=6),
                principal: Principal = Depends(require_roles(*OFFICE)), session: Session = SESSION) -> Response:
    with domain_call():
        out = service.create_application_list(session, name=name, region_code=region_code or None,
                                              created_by=principal.username)
    return _redirect(f"/lists/{out['id']}")


@router.get("/lists/{list_id}")
def list_page(list_id: int, request: Request, principal: Principal = Depends(require_roles(*OFFICE)),
              session: Session = SESSION) -> Response:
    with domain_call():
        ov = service.list_overview(session, list_id)
    names = request.app.state.data.names()
    banks = {b["id"]: b for b in default_bank_policy().banks}
    return render(request, "list.html", ov=ov, names=names, banks=banks)


def _parse_items(text: str, fixed_premises: bool) -> list[dict[str, Any]]:
    items = []
    for n, line in enumerate(text.splitlines(), start=1):
        parts = [p.strip() for p in line.replace("，", ",").split(",")]
        if not parts or not parts[0]:
            continue
        try:
            amount = Decimal(parts[1]) if len(parts) > 1 and parts[1] else None
        except InvalidOperation as exc:
            raise ProblemError(422, f"line {n}: amount {parts[1]!r} is not a number", "invalid") from exc
        if amount is None:
            raise ProblemError(422, f"line {n}: the amount is missing", "invalid")
        items.append({"uscc": parts[0].upper(), "requested_amount": amount,
                      "requested_term_months": int(parts[2]) if len(parts) > 2 and parts[2].isdigit() else None,
                      "loan_purpose": parts[3] if len(parts) > 3 and parts[3] else None,
                      "fixed_premises": True if fixed_premises else None, "source": "visit"})
    if not items:
        raise ProblemError(422, "no firm given", "invalid")
    return items


@router.post("/lists/{list_id}/items", dependencies=[Depends(check_csrf)])
def add_items(list_id: int, items: str = Form(..., max_length=200_000), fixed_premises: bool = Form(False),
              principal: Principal = Depends(require_roles(*OFFICE)), session: Session = SESSION) -> Response:
    with domain_call():
        service.add_application_items(session, list_id, _parse_items(items, fixed_premises))
    return _redirect(f"/lists/{list_id}")


@router.post("/lists/{list_id}/screen", dependencies=[Depends(check_csrf)])
def screen(list_id: int, request: Request, principal: Principal = Depends(require_roles(*OFFICE)),
           session: Session = SESSION) -> Response:
    with domain_call():
        service.screen_application_list(session, list_id, features=request.app.state.data.screening_features())
    return _redirect(f"/lists/{list_id}")


@router.post("/lists/{list_id}/recommend", dependencies=[Depends(check_csrf)])
def recommend(list_id: int, principal: Principal = Depends(require_roles(*OFFICE)),
              session: Session = SESSION) -> Response:
    with domain_call():
        service.create_recommendation_list(session, application_list_id=list_id, created_by=principal.username)
    return _redirect(f"/lists/{list_id}")


@router.post("/recommendations/{reco_id}/push", dependencies=[Depends(check_csrf)])
async def push(reco_id: int, request: Request, principal: Principal = Depends(require_roles(*OFFICE))) -> Response:
    form = await request.form()
    banks = [str(b) for b in form.getlist("banks")] or None
    from innocredit.web.deps import session_scope

    regions = request.app.state.data.column_map("region_code")
    with session_scope(request) as session, domain_call():
        reco = service.get_recommendation_list(session, reco_id)
        service.push_to_banks(session, reco_id, region_codes=regions, banks=banks)
        list_id = reco.application_list_id
    return _redirect(f"/lists/{list_id}")


# ---- bank inbox -------------------------------------------------------------------------------------------------

PUSH_STATES = ("pushed", "accepted", "declined", "credit_granted", "disbursed")


@router.get("/inbox")
def inbox(request: Request, principal: Principal = Depends(require_roles("bank_officer", "bank_approver")),
          session: Session = SESSION) -> Response:
    """The officer's worklist of recommended firms: filtered, sorted and paged in the query, with what the
    officer decides on beside each firm, and bulk accept / decline."""
    from innocredit.web.pages.bank import _choices, _graded, filter_fields, worklist

    lang = request_lang(request)
    choices = _choices(lang, ())
    choices["status"] = [(s, translator(lang)("push." + s)) for s in PUSH_STATES]
    st = list_state(request, tuple(service.PUSH_SORTS), "due", choices={
        k: [v for v, _ in choices[k]] for k in ("status", "grade", "overdue")})
    data = request.app.state.data
    graded = _graded(request, session, principal) if st.get("grade") else None
    usccs = firms_matching(data.features(), st.get("region"), st.get("industry"), st.get("grade"), graded)
    rows, total = service.push_page(session, principal.bank_id or "-", status=st.get("status") or None,
                                    usccs=usccs, overdue=bool(st.get("overdue")), sort=st.sort,
                                    descending=st.desc, limit=st.size, offset=st.offset)
    asked = service.requested_terms(session, [r["uscc"] for r in rows])
    for r in rows:
        if r["uscc"] in asked:
            r["requested"] = asked[r["uscc"]]
    rows = worklist(request, session, principal, rows, lang, "answer_due_on")
    for r in rows:  # the answer deadline counts down only while the push waits for one
        if r["status"] != "pushed":
            r["days_left"] = None
    reasons = default_flow_policy().decline_reasons
    return render(request, "inbox.html", pushes=rows, names=data.names(), reasons=reasons, st=st, total=total,
                  fields=filter_fields(lang, choices, ("status", "region", "industry", "grade", "overdue")))


def _back(value: str | None) -> str:
    """The inbox with the officer's filters kept (a query string only; anything else goes to the inbox)."""
    from urllib.parse import parse_qsl, urlencode

    if not value:
        return "/inbox"
    return "/inbox?" + urlencode(parse_qsl(value.lstrip("?"))[:20])


@router.post("/inbox/answer", dependencies=[Depends(check_csrf)])
async def answer_many(request: Request, principal: Principal = Depends(require_roles("bank_officer"))) -> Response:
    """Bulk answer: accept or decline (with one reason code) every ticked push."""
    from innocredit.web.deps import session_scope

    form = await request.form()
    kind = str(form.get("kind") or "")
    if kind not in ("accepted", "declined"):
        raise ProblemError(422, f"kind: {kind!r} is not accepted or declined", "invalid")
    code = str(form.get("decline_code") or "") or None
    if kind == "declined" and code not in default_flow_policy().decline_reasons:
        raise ProblemError(422, f"decline_code: {code!r} is not a reason code of the flow policy", "invalid")
    ids: list[int] = []
    for value in form.getlist("push_id")[:200]:
        if not str(value).isdigit():
            raise ProblemError(422, f"push_id: {str(value)[:20]!r} is not a push number", "invalid")
        ids.append(int(str(value)))
    if not ids:
        raise ProblemError(422, "push_id: tick at least one firm", "invalid")
    with session_scope(request) as session, domain_call():
        for push_id in ids:
            service.record_answer(session, bank_id=principal.bank_id or "-", push_id=push_id,
                                  answer=Answer(kind=kind, decline_code=code if kind == "declined" else None))
    return _redirect(_back(str(form.get("back") or "")))


@router.post("/inbox/{push_id}/answer", dependencies=[Depends(check_csrf)])
def answer_push(push_id: int, kind: str = Form(..., pattern="^(accepted|declined)$"),
                decline_code: str | None = Form(None, max_length=8), back: str | None = Form(None, max_length=2000),
                principal: Principal = Depends(require_roles("bank_officer")),
                session: Session = SESSION) -> Response:
    with domain_call():
        service.record_answer(session, bank_id=principal.bank_id or "-", push_id=push_id,
                              answer=Answer(kind=kind, decline_code=decline_code if kind == "declined" else None))
    return _redirect(_back(back))


# ---- dashboard: coverage, outcomes, days to credit ---------------------------------------------------------------


def coverage_choice(request: Request) -> str:
    """The coverage definition the dashboard shows: ``?coverage=`` (one of metrics.yaml's definitions) or the
    policy's default; an unknown value is a 422 naming the parameter and the choices."""
    choices = service.coverage_choices()
    choice = request.query_params.get("coverage") or None
    if choice is not None and choice not in choices:
        raise ProblemError(422, f"coverage: {choice[:40]!r} is not one of {', '.join(choices)}", "invalid")
    return choice or choices[0]


def _name(definition: dict[str, Any], lang: str) -> str:
    return str(definition["name_zh"] if lang == "zh" else definition["name_en"])


def coverage_kpi(definition: dict[str, Any], rate: float | None, lang: str) -> tuple[str, str]:
    """The coverage KPI: label naming the definition and its target (metrics.yaml), value in percent."""
    t = translator(lang)
    target = definition.get("target")
    text = f"{t('cov.kpi')}（{_name(definition, lang)}）" if lang == "zh" else \
        f"{t('cov.kpi')} ({_name(definition, lang)})"
    if target:
        text += f" / {t('dash.target')} {target['value']:.0%}"
    return text, (f"{rate * 100:.1f}%" if rate is not None else "—")


def coverage_panel(request: Request, definition: dict[str, Any], lang: str) -> dict[str, Any]:
    """What the page says about the definition in use: its name, id, source, assumptions and target, and the
    links switching to each definition (the page language kept)."""
    from urllib.parse import urlencode

    keep = {"lang": request.query_params["lang"]} if request.query_params.get("lang") else {}
    choices = [{"id": c, "name": _name(service.coverage_definition(c), lang), "active": c == definition["id"],
                "url": "/dashboard?" + urlencode({"coverage": c, **keep})} for c in service.coverage_choices()]
    target = definition.get("target")
    return {"id": definition["id"], "name": _name(definition, lang), "source": definition["source"],
            "assumptions": definition.get("assumptions") or [], "choices": choices,
            "target": None if not target else {**target, "percent": f"{target['value']:.0%}"}}


def _metrics_charts(request: Request, session: Session, lang: str) -> tuple[list, list, dict]:
    """The seed's story: coverage against its target, median days from push to credit against the service
    level, the unsecured share, first loans and the relending-eligible amount, each as a monthly trend; then
    coverage by district and industry (each bar links to the firms behind it) and the list outcomes. Coverage
    (KPI, trend, by district, by industry) follows the definition chosen with ``?coverage=``, which the page names
    with its source; its target is the definition's ``target`` in metrics.yaml."""
    t = translator(lang)
    choice = coverage_choice(request)
    definition = service.coverage_definition(choice)
    panels = {"coverage": coverage_panel(request, definition, lang)}
    target = definition.get("target")
    suffix = f"（{_name(definition, lang)}）" if lang == "zh" else f" ({_name(definition, lang)})"
    feats = request.app.state.data.screening_features()
    sla = request.app.state.lending_policy().sla_working_days
    out: list[tuple[str, Any]] = []
    kpis: list[tuple[str, Any]] = []
    try:
        story = service.monthly_story(session, enterprises=feats, coverage=choice)
        as_of = dt.date.fromisoformat(story[-1]["as_of"]) if story else dt.date.today()
        by_region = service.metrics(session, as_of=as_of, by="region", enterprises=feats, coverage=choice)["groups"]
        by_industry = service.metrics(session, as_of=as_of, by="industry", enterprises=feats,
                                      coverage=choice)["groups"]
    except Exception:  # metrics are a view; a broken input must not take the dashboard down
        return out, kpis, panels
    last = story[-1] if story else {}
    kpis.append(coverage_kpi(definition, last.get("coverage_rate"), lang))
    days = [r["days_push_to_credit_median"] for r in story if r["days_push_to_credit_median"] is not None]
    kpis.append((t("dash.days_median") + f" / SLA {sla}", f"{days[-1]:.1f}" if days else "—"))
    months = [r["month"][2:] for r in story]

    def trend(key: str, scale: float = 1.0) -> list[tuple[str, float | None]]:
        return [(m, None if r[key] is None else float(r[key]) * scale) for m, r in zip(months, story)]

    title = t("dash.trend_coverage") + suffix
    out.append((title, charts.line_chart(trend("coverage_rate", 100), title, "%",
                                         target=float(target["value"]) * 100 if target else None,
                                         target_label=t("dash.target"))))
    out.append((t("dash.trend_days"), charts.line_chart(trend("days_push_to_credit_median"), t("dash.trend_days"),
                                                        target=float(sla), target_label="SLA")))
    out.append((t("dash.trend_unsecured"), charts.line_chart(trend("unsecured_share", 100),
                                                             t("dash.trend_unsecured"), "%", max_value=100)))
    out.append((t("dash.trend_first"), charts.line_chart(trend("first_loans"), t("dash.trend_first"))))
    out.append((t("dash.trend_relending"), charts.line_chart(trend("relending_eligible_amount", 1e-4),
                                                             t("dash.trend_relending"), t("dash.wan"))))

    def cov_items(groups: list[dict], kind: str, param: str) -> list[tuple[str, float, str]]:
        rows = sorted(((x["group"], (x.get("coverage_rate") or 0.0) * 100) for x in groups), key=lambda r: -r[1])
        name = (lambda g: label("region", g, lang)) if kind == "region" else (lambda g: code_label(g, kind, lang))
        return [(name(g), v, f"/enterprises?{param}={g}") for g, v in rows[:12] if g]

    title = t("dash.coverage_region") + suffix
    out.append((title, charts.link_hbar_chart(cov_items(by_region, "region", "region"), title, "%", max_value=100)))
    title = t("dash.coverage_industry") + suffix
    out.append((title, charts.link_hbar_chart(cov_items(by_industry, "section", "industry"), title, "%",
                                              max_value=100)))
    pushes = service.pushes_frame(session)
    outcome = [(t("push." + s), float(pushes.filter(pl.col("status") == s).height) if pushes.height else 0.0)
               for s in ("pushed", "accepted", "declined", "credit_granted", "disbursed")]
    out.append((t("dash.outcomes"), charts.hbar_chart(outcome, t("dash.outcomes"), heading=False)))
    hist: list[tuple[str, float]] = []
    if pushes.height and "credit_at" in pushes.columns:
        d = pushes.filter(pl.col("credit_at").is_not_null()).select(
            ((pl.col("credit_at") - pl.col("pushed_at")).dt.total_hours() / 24).alias("d"))
        for lo, hi in ((0, 3), (3, 5), (5, 10), (10, 30), (30, 10_000)):
            hist.append((f"{lo}-{hi}" if hi < 10_000 else f"{lo}+",
                         float(d.filter((pl.col("d") >= lo) & (pl.col("d") < hi)).height)))
    out.append((t("dash.days_to_credit"), charts.bar_chart(hist, "")))
    return out, kpis, panels


DASHBOARD_HOOKS.append(_metrics_charts)


def _comparison_chart(request: Request, session: Session, lang: str) -> tuple[list, list]:
    """看报表 vs 看技术: the AUC of each feature set and the difference with its 95% bootstrap interval, saying
    whether it is significant (on the demo: the mechanism, not evidence)."""
    t = translator(lang)
    result = request.app.state.data.comparison()
    if result is None:
        return [], []
    sets = result["sets"]
    d = result["difference"]["auc"]
    items = [(t("dash.compare_" + name), float(sets[name]["auc"]) * 100) for name in ("balance_sheet", "technology")]
    verdict = t("dash.significant") if d["significant"] else t("dash.not_significant")
    text = (f"{d['difference']:+.3f} [{d['ci_low']:+.3f}, {d['ci_high']:+.3f}] · {verdict}")
    chart = charts.hbar_chart(items, t("dash.compare"), "AUC×100", max_value=100, heading=False)
    return [(f"{t('dash.compare')} — {t('dash.compare_diff')} {text}", chart)], [(t("dash.compare_diff"), text)]


DASHBOARD_HOOKS.append(_comparison_chart)
