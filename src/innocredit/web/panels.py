"""What the profile, review and self-service pages show from each area, gathered in one place.

Each panel returns ``None`` when its area is not installed, and the templates leave it out. A bank sees a panel
only when the categories it holds for the firm cover what the panel reads (``web.access``): an evaluation the
categories its system reads, an area panel (risk, IP, offers) every category unless ``PANEL_NEEDS`` says less.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session

from innocredit.web import access, charts
from innocredit.web.auth import Principal
from innocredit.web.views import evaluation_result, group_shares

HEADLINE_SYSTEM = "innovation-points"


def evaluation_panel(request: Request, uscc: str, system_id: str | None, lang: str,
                     sight: access.Sight = access.FULL) -> dict[str, Any] | None:
    data = request.app.state.data
    systems = {sid: s for sid, s in data.systems().items() if sight.covers(access.needed_by_system(s))}
    if not systems:
        return None
    results = []
    for sid, system in systems.items():
        row = data.evaluation_row(sid, uscc)
        if row is not None:
            results.append((system, evaluation_result(row, system)))
    chosen_id = system_id if system_id in systems else (HEADLINE_SYSTEM if HEADLINE_SYSTEM in systems
                                                         else next(iter(systems)))
    chosen = systems[chosen_id]
    current = next((r for s, r in results if s.id == chosen_id), None)
    radar = None
    if current is not None:
        shares = group_shares(chosen, current, lang)
        if shares:
            radar = charts.radar_chart(shares, title=chosen.name.get(lang, chosen.id))
    try:
        explanation = data.explain(chosen_id, uscc, lang)
    except Exception:  # an explanation is a help, never a reason to fail the page
        explanation = None
    return {"results": results, "chosen": chosen, "current": current, "radar": radar, "explanation": explanation}


def profile_context(request: Request, session: Session, principal: Principal, uscc: str, row: dict[str, Any],
                    system_id: str | None, lang: str, sight: access.Sight | None = None) -> dict[str, Any]:
    if sight is None:
        sight = access.sight_or_public(session, principal, uscc)
    ctx: dict[str, Any] = {"evaluation": evaluation_panel(request, uscc, system_id, lang, sight),
                           "withheld": sight.withheld()}
    templates = []
    for name, (fn, template, roles) in EXTRA_PANELS.items():
        if principal.role not in roles or not sight.covers(PANEL_NEEDS.get(name, access.EVERYTHING)):
            continue
        value = fn(request, session, principal, uscc, lang)
        if value is not None:
            ctx[name] = value
            templates.append(template)
    ctx["extra_templates"] = templates
    return ctx


# area panels register here: name -> (fn(request, session, principal, uscc, lang) -> dict | None, template, roles)
EXTRA_PANELS: dict[str, tuple[Any, str, tuple[str, ...]]] = {}

# the categories an area panel reads, when fewer than all (a panel not listed needs every category)
PANEL_NEEDS: dict[str, frozenset[str]] = {}
