"""Relending use cases: import an official list, decide and record each bank's refinanced loans, the ledger.

The PBoC tech-innovation relending refinances 60% of an eligible loan at 1.75% (``lending.relending``). A loan
is eligible when its borrower is on an official list on the disbursement date (``lending.relending`` is the one
definition; ``services.coordination.relending_eligible`` applies it when a loan enters the register) and its
product does not exclude relending. The lists come from the S&T department's and MIIT's ``certificates`` feed
(科技型中小企业 入库, 高新 certificates, 专精特新 tiers, national list entries, each valid on the loan date) or as a
table (``import_list``: columns ``uscc``, ``kind``, ``valid_from``, optional ``valid_to``); ``firm_listed`` reads
both on the disbursement date.

``refinance(session, bank_id, on)`` records every eligible disbursed loan of the bank not yet in the ledger,
while the national quota in force on the date has room (the platform's in-force refinanced amount counts
against it); ``ledger(session, bank_id, on)`` reports eligible loans, amount refinanced, cost saving and quota used.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import lru_cache
from typing import Any

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from innocredit.core.money import from_fen, to_fen
from innocredit.ingest.feeds import FEEDS
from innocredit.lending.relending import LIST_KINDS, relending_eligible
from innocredit.lending.relending import refinance as refinance_one
from innocredit.lending.schedules import add_months
from innocredit.lending.schema import Policy, Product, load_products
from innocredit.profile.building import QUALIFICATION_COLUMNS, latest, qualifications_as_of
from innocredit.profile.qualifications import default_qualification_policy, qualification_columns, valid_on
from innocredit.settings import default_lending_policy
from innocredit.storage import lending as loan_repo
from innocredit.storage import relending as repo
from innocredit.storage.feeds import FeedRepository

__all__ = ["RelendingInputError", "firm_listed", "import_list", "ledger", "product_allows_relending", "refinance"]

REQUIRED = ("uscc", "kind", "valid_from")


class RelendingInputError(ValueError):
    """Bad input; the message names the row and the column."""


def _date(value: Any, row: int, column: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise RelendingInputError(f"row {row}, column {column}: not a date (YYYY-MM-DD): {value!r}") from None


def import_list(session: Session, rows: pl.DataFrame, *, source: str) -> dict[str, int]:
    """Record the entries of an official list (re-importing the same entries adds nothing).

    Rows are numbered from 1 as in a file with a header (row 2 is the first data line of a CSV).
    """
    missing = [c for c in REQUIRED if c not in rows.columns]
    if missing:
        raise RelendingInputError(f"{source}: missing column(s) {', '.join(missing)}; "
                                  f"need {', '.join(REQUIRED)} and optionally valid_to")
    added = 0
    for i, r in enumerate(rows.iter_rows(named=True), start=2):
        uscc = str(r["uscc"] or "").strip()
        if len(uscc) != 18:
            raise RelendingInputError(f"{source}: row {i}, column uscc: not an 18-character credit code: {uscc!r}")
        kind = str(r["kind"] or "").strip()
        if kind not in LIST_KINDS:
            raise RelendingInputError(f"{source}: row {i}, column kind: {kind!r} is not one of {', '.join(LIST_KINDS)}")
        start = _date(r["valid_from"], i, "valid_from")
        end = None if r.get("valid_to") in (None, "") else _date(r["valid_to"], i, "valid_to")
        if end is not None and end < start:
            raise RelendingInputError(f"{source}: row {i}, column valid_to: {end} is before valid_from {start}")
        added += repo.add_list_entry(session, uscc=uscc, kind=kind, valid_from=start, valid_to=end, source=source)
    return {"rows": rows.height, "added": added}


def firm_listed(session: Session, uscc: str, on: dt.date, policy: Policy | None = None) -> dict[str, Any]:
    """The firm's official lists on ``on``, as the domain definition (``lending.relending``) reads them:

    * ``tech_sme_registered``, ``high_tech_certified``, ``specialized_level``: the S&T department's and MIIT's
      certificates valid on the date. A certificate's period is a fact about the past, so every certificate
      known now counts (one reported after a loan was made still shows whether the borrower held it that day).
      The ``certificates`` feed decides once it holds any row; before that, the S&T record as of the date, the
      高新 flag only while its certificate has not expired (``profile.building``);
    * ``relending_listed``: on a list whose kind is in the facility's scope on the date (e.g. the R&D-intensive
      private SMEs from January 2026), imported as a table (``import_list``) or sent as list entries of the
      certificates feed (``national_tech_sme_list``, ``rd_intensive_private_sme``)."""
    facility = (policy or default_lending_policy()).relending
    feeds = FeedRepository(session)
    certificates = FEEDS["certificates"]
    out: dict[str, Any] = {c: None for c in QUALIFICATION_COLUMNS}
    kinds = set(repo.lists_on(session, uscc, on))
    if feeds.has_rows(certificates):
        rows = feeds.read_as_of(certificates, None, uscc=uscc)
        current = latest(rows, certificates.key, None) if rows.height else rows
        q = qualification_columns(current, on) if current.height else pl.DataFrame()
        out.update({"high_tech_certified": False, "tech_sme_registered": False, "specialized_level": "none"})
        if current.height:
            lists = default_qualification_policy().relending_lists()
            kinds |= {lists[k] for k in valid_on(current, on)["qualification"].to_list() if k in lists}
    else:
        science = feeds.read_as_of(FEEDS["science_tech"], on, uscc=uscc)
        q = qualifications_as_of(science, None, on)
    q = q.filter(pl.col("uscc") == uscc) if q.height else q
    if q.height:
        out.update({k: v for k, v in q.row(0, named=True).items() if k != "uscc"})
    out["relending_listed"] = any(facility.list_in_scope(k, on) for k in kinds)
    return out


@lru_cache(maxsize=1)
def _catalogue() -> tuple[Product, ...]:
    return tuple(load_products())


def product_allows_relending(product_id_or_kind: str | None) -> bool:
    """A product of the catalogue (by id, or by kind for reported loans) excludes relending only when its
    ``pricing.relending_eligible`` is false; a product unknown to the catalogue does not exclude it."""
    if product_id_or_kind is None:
        return True
    products = _catalogue()
    by_id = {p.id: p for p in products}
    if product_id_or_kind in by_id:
        return by_id[product_id_or_kind].relending_eligible
    same_kind = [p for p in products if p.kind == product_id_or_kind]
    return any(p.relending_eligible for p in same_kind) if same_kind else True


def refinance(session: Session, bank_id: str, *, on: dt.date, policy: Policy | None = None) -> dict[str, Any]:
    """Refinance the bank's eligible loans disbursed on or before ``on`` and not yet in the ledger, oldest first,
    while the quota in force on ``on`` has room. Returns the new entries and the loans skipped for quota."""
    policy = policy or default_lending_policy()
    facility = policy.relending
    quota_fen = to_fen(facility.quota_on(on))
    used = repo.refinanced_in_force(session, on)
    done = repo.ledger_loan_ids(session)
    t = loan_repo.Loan
    loans = session.scalars(select(t).where(t.bank_id == bank_id, t.disbursed_on.is_not(None), t.disbursed_on <= on,
                                            t.status.in_(("active", "overdue"))).order_by(t.disbursed_on, t.id))
    added: list[dict[str, Any]] = []
    over_quota: list[str] = []
    for loan in loans:
        if loan.id in done or loan.disbursed_on is None:
            continue
        listed = firm_listed(session, loan.uscc, loan.disbursed_on, policy)
        eligible = bool(loan.relending_eligible) or relending_eligible(
            listed, product_relending=product_allows_relending(loan.product_id))
        if not eligible:
            continue
        r = refinance_one(from_fen(loan.principal_fen), loan.term_months, facility, policy.funding_floor)
        fen = to_fen(r.refinanced)
        if used + fen > quota_fen:
            over_quota.append(loan.id)
            continue
        used += fen
        entry = repo.add_entry(session, loan_id=loan.id, bank_id=bank_id, uscc=loan.uscc,
                               principal_fen=loan.principal_fen, refinanced_fen=fen, rate=str(facility.rate),
                               months=r.months, interest_fen=to_fen(r.relending_interest),
                               saving_fen=to_fen(r.cost_saving), refinanced_on=on,
                               matures_on=add_months(on, r.months))
        added.append(repo.entry_dict(entry))
    return {"bank_id": bank_id, "on": on.isoformat(), "added": added, "over_quota": over_quota}


def ledger(session: Session, bank_id: str, *, on: dt.date, policy: Policy | None = None) -> dict[str, Any]:
    """The bank's relending ledger: eligible loans, amount refinanced, relending interest, cost saving, and the
    national quota in force with the platform's in-force refinanced amount against it."""
    facility = (policy or default_lending_policy()).relending
    rows = repo.entries(session, bank_id)
    total = lambda k: sum((r[k] for r in rows), Decimal(0))  # noqa: E731
    quota = facility.quota_on(on)
    used = from_fen(repo.refinanced_in_force(session, on))
    return {
        "bank_id": bank_id, "on": on.isoformat(), "eligible_loans": len(rows), "principal": total("principal"),
        "refinanced": total("refinanced"), "relending_interest": total("relending_interest"),
        "cost_saving": total("cost_saving"), "quota": quota, "quota_used": used,
        "quota_used_share": (used / quota) if quota > 0 else None,
        "terms": {"share_of_principal": str(facility.share_of_principal), "rate": str(facility.rate),
                  "term_months": facility.term_months, "max_extensions": facility.max_extensions},
        "entries": rows,
    }
