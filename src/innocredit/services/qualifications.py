"""Qualification use cases: a firm's certificates valid on a date, the certificates about to lapse, and the early
warning on the loans of firms whose qualification lapses within the horizon (default 90 days).

The certificates come from the S&T department's and MIIT's ``certificates`` feed (``ingest.feeds``); the rules
(validity periods, the warning horizon) are ``profile/qualifications.yaml``; ``profile.qualifications`` computes.
The warnings are stored as early-warning alerts (rule ``qualification_expiring``) on each outstanding loan of the
firm, so the lending bank sees them with its other alerts; the coordination office sees every firm's.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import polars as pl
from sqlalchemy.orm import Session

from innocredit.coordination.alerts import OUTSTANDING_STATUSES
from innocredit.ingest.feeds import FEEDS
from innocredit.profile.building import latest
from innocredit.profile.qualifications import (
    QualificationPolicy,
    default_qualification_policy,
    expiring,
    with_valid_on,
)
from innocredit.storage import coordination as coord_repo
from innocredit.storage import lending as loan_repo
from innocredit.storage.feeds import FEED_TABLES, FeedRepository

__all__ = ["RULE_ID", "expiring_certificates", "firm_certificates", "outstanding_loans", "raise_expiry_alerts"]

RULE_ID = "qualification_expiring"
CERTIFICATES = FEEDS["certificates"]


def _current(session: Session, uscc: str | None = None) -> pl.DataFrame:
    """The latest row of every certificate known now. A certificate's period is a fact about the past, so its
    validity on any date reads what is known now (a revocation reported later counts too)."""
    rows = FeedRepository(session).read_as_of(CERTIFICATES, None, uscc=uscc)
    return latest(rows, CERTIFICATES.key, None) if rows.height else rows


def firm_certificates(session: Session, uscc: str, *, on: dt.date,
                      policy: QualificationPolicy | None = None) -> list[dict[str, Any]]:
    """The firm's certificates (all known now), each with its last valid day and whether it is valid on ``on``;
    newest issue first."""
    policy = policy or default_qualification_policy()
    rows = _current(session, uscc)
    if rows.is_empty():
        return []
    c = with_valid_on(rows, on, policy)
    out = []
    for r in c.sort("issued_on", descending=True).iter_rows(named=True):
        q = policy.qualifications[r["qualification"]]
        out.append({"qualification": r["qualification"], "name_zh": q.name_zh, "name_en": q.name_en,
                    "certificate_no": r["certificate_no"], "issued_on": r["issued_on"],
                    "valid_until": r["valid_until"], "valid": r["valid"], "status": r["status"] or "valid",
                    "issuer": r["issuer"], "source": q.source, "assumption": q.assumption,
                    "days_left": (r["valid_until"] - on).days if r["valid"] and r["valid_until"] else None})
    return out


def outstanding_loans(session: Session, bank_id: str | None = None) -> pl.DataFrame:
    """The outstanding loans of the register (loan_id, uscc, bank_id): the loans an expiry warning is stored on."""
    reg = loan_repo.register_frame(session, bank_id=bank_id)
    if reg.is_empty():
        return pl.DataFrame(schema={"loan_id": pl.String, "uscc": pl.String, "bank_id": pl.String})
    return reg.filter(pl.col("status").is_in(list(OUTSTANDING_STATUSES))).select(
        pl.col("loan_id").cast(pl.String), "uscc", "bank_id")


def expiring_certificates(session: Session, *, on: dt.date, within_days: int | None = None,
                          bank_id: str | None = None,
                          policy: QualificationPolicy | None = None) -> dict[str, Any]:
    """The certificates valid on ``on`` that lapse within ``within_days`` (default: the policy's horizon) and no
    later certificate renews, soonest first, each with the firm's name and the banks holding its outstanding
    loans. With ``bank_id``, only the firms with an outstanding loan at that bank (a bank sees its borrowers)."""
    policy = policy or default_qualification_policy()
    days = policy.warning_days if within_days is None else within_days
    rows = _current(session)
    found = expiring(rows, on, days, policy) if rows.height else pl.DataFrame()
    loans = outstanding_loans(session, bank_id)
    banks = loans.group_by("uscc").agg(pl.col("bank_id").unique().sort().alias("banks"))
    if found.height:
        found = found.join(banks, on="uscc", how="left")
        if bank_id is not None:
            found = found.filter(pl.col("banks").is_not_null())
    names = _names(session, found["uscc"].unique().to_list() if found.height else [])
    items = [{**r, "name": names.get(r["uscc"]), "banks": r.get("banks") or []}
             for r in (found.iter_rows(named=True) if found.height else [])]
    return {"on": on, "within_days": days, "count": len(items), "items": items,
            "rule": {"severity": policy.warning_severity, "name_zh": policy.warning_name[0],
                     "name_en": policy.warning_name[1]}}


def _names(session: Session, usccs: list[str]) -> dict[str, str]:
    if not usccs:
        return {}
    registry, repo = FEEDS["registry"], FeedRepository(session)
    column = FEED_TABLES["registry"].c.uscc
    parts = [repo.read(registry, [column.in_(usccs[i:i + 500])]) for i in range(0, len(usccs), 500)]
    reg = pl.concat([p for p in parts if p.height]) if any(p.height for p in parts) else None
    if reg is None:
        return {}
    reg = latest(reg, ("uscc",), None)
    return dict(zip(reg["uscc"].to_list(), reg["name"].to_list(), strict=True))


def raise_expiry_alerts(session: Session, *, on: dt.date, now: dt.datetime | None = None,
                        policy: QualificationPolicy | None = None) -> int:
    """Store an early-warning alert on every outstanding loan of a firm whose certificate lapses within the
    horizon (once per loan and certificate: raising again the same day or later adds nothing). Returns how many
    alerts are new."""
    policy = policy or default_qualification_policy()
    found = expiring_certificates(session, on=on, policy=policy)
    loans = outstanding_loans(session)
    rows = []
    for it in found["items"]:
        evidence = json.dumps({"qualification": it["qualification"], "certificate_no": it["certificate_no"],
                               "valid_until": it["valid_until"].isoformat()}, ensure_ascii=False, sort_keys=True)
        for loan in loans.filter(pl.col("uscc") == it["uscc"]).iter_rows(named=True):
            rows.append({"rule_id": RULE_ID, "severity": policy.warning_severity, "uscc": it["uscc"],
                         "loan_id": loan["loan_id"], "bank_id": loan["bank_id"], "evidence": evidence,
                         "name_zh": f"{policy.warning_name[0]}：{it['name_zh']}",
                         "name_en": f"{policy.warning_name[1]}: {it['name_en']}"})
    frame = pl.DataFrame(rows, schema={"rule_id": pl.String, "severity": pl.String, "uscc": pl.String,
                                       "loan_id": pl.String, "bank_id": pl.String, "evidence": pl.String,
                                       "name_zh": pl.String, "name_en": pl.String})
    when = now or dt.datetime.combine(on, dt.time(8, 0), tzinfo=dt.UTC)
    return coord_repo.add_alerts(session, frame, when, f"qualifications-{policy.version}")
