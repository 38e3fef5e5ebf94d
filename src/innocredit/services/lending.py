"""Lending use cases: apply, review, approve, reject, contract, disburse, repay, default, write off, close.

Each function takes the caller's ``Session`` (the unit of work; the caller commits) and the *acting bank's* id:
a bank sees and changes only its own applications and loans. The lifecycle rules (transition table, four-eyes,
SLA, delinquency) come from ``innocredit.lending.lifecycle``; every transition appends one audit entry.

The reactions in other areas happen here, in the same transaction as the action that causes them:

* an application for a firm the office pushed to this bank answers the push ``accepted``; the final approval (or
  the contract, when the rate is known only then) answers ``credit_granted``; the disbursement ``disbursed``; a
  rejection ``declined`` with its reason;
* an IP pledge loan's contract registers each pledged patent in the pledge registry (the bank is the pledgee);
  a patent pledged elsewhere refuses the contract, naming the patent and its pledgee; settlement releases the
  pledges and a write-off records their enforcement;
* a patent-pool loan records its allocation against the pool;
* a guaranteed loan needs the guarantor organisation's approval first: the bank requests a guarantee for an
  approved application (:func:`request_guarantee`), a guarantor user of that organisation approves it with the fee
  rate or declines it with a reason code (:func:`decide_guarantee`); the contract uses the approved request (same
  scheme, guarantor, at least the principal) and its fee rate, and records the guarantee against the organisation;
* a default allocates the loss and, for a guaranteed loan, records the 代偿 the guarantor owes by the scheme's
  timeline; the guarantor records its payment (:func:`compensate`), late or not.

Rows that change state are taken ``FOR UPDATE`` first (PostgreSQL), so two approvers acting at once are ordered.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from decimal import Decimal
from functools import lru_cache
from typing import Any

import polars as pl
from sqlalchemy.orm import Session

from innocredit.coordination.flow import default_flow_policy
from innocredit.core.money import Amount, money, to_fen
from innocredit.lending import lifecycle as lc
from innocredit.lending.audit import GENESIS, ChainCheck, Head, canonical_json, verify_chain, verify_rows
from innocredit.lending.risk_sharing import (
    allocate_loss,
    compensation_timeline,
    decline_reasons,
    fee_rate_problem,
    guarantee_fees,
    scope_breaches,
)
from innocredit.lending.schedules import build_schedule
from innocredit.lending.schema import Policy, Product, Scheme, load_products, load_schemes
from innocredit.profile.uscc import uscc_error
from innocredit.services import coordination as coord
from innocredit.services import ip as ip_services
from innocredit.services import organisations
from innocredit.settings import default_lending_policy
from innocredit.storage import lending as repo
from innocredit.storage.lending import NotFound

__all__ = ["NotFound", "check_terms", "apply", "submit", "review", "approve", "reject", "withdraw", "record_offer", "contract",
           "disburse", "repay", "update_delinquency", "default", "write_off", "close", "schedule", "repayments",
           "list_applications", "get_application", "list_loans", "get_loan", "guarantees", "loss_allocations",
           "audit_entries", "verify_audit_chain", "anchor_audit_chain", "sla_breaches", "record_reported_loans",
           "catalogue", "request_guarantee", "decide_guarantee", "guarantee_requests", "guarantee_request",
           "compensate", "compensations", "guarantee_decline_reasons"]

PLEDGE_KINDS = ("ip_pledge",)
POOL_KINDS = ("patent_pool",)


@lru_cache(maxsize=1)
def _catalogue() -> dict[str, Product]:
    return {p.id: p for p in load_products()}


def catalogue() -> list[Product]:
    """The product catalogue (read and schema-checked once per process)."""
    return list(_catalogue().values())


@lru_cache(maxsize=1)
def _schemes() -> dict[str, Scheme]:
    return load_schemes()


def _policy(policy: Policy | None) -> Policy:
    return policy or default_lending_policy()


def _today(on: dt.date | None) -> dt.date:
    return on or dt.date.today()


def _audit(session: Session, *, row: repo.Application | repo.Loan, action: str, from_state: str | None,
           to_state: str | None, actor: str, details: dict[str, Any] | None = None,
           at: dt.datetime | None = None) -> repo.AuditEntry:
    """Append the entry about ``row`` (an application or a loan) with the digest of its audited fields now."""
    return repo.append_audit(session, {
        "at": (at or dt.datetime.now(dt.UTC)).isoformat(timespec="microseconds"),
        "bank_id": row.bank_id, "subject_type": "application" if isinstance(row, repo.Application) else "loan",
        "subject_id": row.id, "action": action, "from_state": from_state, "to_state": to_state, "actor": actor,
        "details": canonical_json(details or {}), "row_digest": repo.audited_digest(row),
    })


def _move(session: Session, obj: repo.Application | repo.Loan, action: str, actor: str,
          details: dict[str, Any] | None = None) -> None:
    new = lc.transition(obj.status, action)
    old, obj.status = obj.status, new
    session.flush()
    _audit(session, row=obj, action=action, from_state=old, to_state=new, actor=actor, details=details)


def _now(on: dt.date | None) -> dt.datetime | None:
    """The moment a push answer is recorded: the action's day (at noon UTC) when one is given, else now."""
    return None if on is None else dt.datetime.combine(on, dt.time(12), tzinfo=dt.UTC)


# --------------------------------------------------------------------------- applications


def check_terms(product: Product, amount: Decimal, term_months: int, policy: Policy,
                offer: Mapping[str, Any] | None, amount_field: str = "amount") -> None:
    """The terms an application may ask for: within the product's term range, at most the policy's
    ``max_single_loan``, and, when the matched offer is given (``innocredit.lending.matching``: the bank's risk
    model grades the firm), for a product the firm is eligible for and at most the offer's limit and term."""
    if not product.min_months <= term_months <= product.max_months:
        raise ValueError(f"term_months: {term_months} months is outside {product.id}'s range "
                         f"{product.min_months}-{product.max_months}")
    cap = money(Decimal(str(policy.max_single_loan)))
    if amount > cap:
        raise ValueError(f"{amount_field}: {amount} is above the lending policy's max_single_loan of {cap}")
    if offer is None:
        return
    if not offer.get("eligible"):
        why = offer.get("failed_reason_en") or offer.get("failed_rule") or "a product rule is not met"
        raise ValueError(f"product_id: the firm is not eligible for {product.id} ({offer.get('failed_rule')}: {why})")
    limit = offer.get("limit")
    if limit is not None and amount > money(Decimal(str(round(float(limit), 2)))):
        raise ValueError(f"amount: {amount} is above the offer's limit of {money(Decimal(str(round(float(limit), 2))))}"
                         f" for {product.id}")
    offered_term = offer.get("term_months")
    if offered_term is not None and term_months > int(offered_term):
        raise ValueError(f"term_months: {term_months} months is longer than the offer's {int(offered_term)}")


def apply(session: Session, *, bank_id: str, uscc: str, product_id: str, amount: Amount,
          term_months: int, actor: str, complete: bool = True, purpose: str | None = None,
          on: dt.date | None = None, policy: Policy | None = None,
          calendar: lc.Calendar | None = None, offer: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Record an application. A complete one is submitted at once and its decision SLA starts; a firm the
    office pushed to this bank has its push answered ``accepted``. The terms are checked (:func:`check_terms`)
    against the product, the policy and, when given, the matched ``offer`` (the caller computes it: the web app
    holds the matched offers of the bank's risk model)."""
    err = uscc_error(uscc)
    if err:
        raise ValueError(f"uscc: {err}")
    product = _catalogue().get(product_id)
    if product is None:
        raise ValueError(f"product_id: unknown product {product_id!r}; known: {', '.join(sorted(_catalogue()))}")
    amt = money(amount)
    if not amt.is_finite() or amt <= 0:
        raise ValueError("amount: must be a positive number")
    check_terms(product, amt, term_months, _policy(policy), offer)
    today = _today(on)
    app = repo.Application(id=str(uuid.uuid4()), bank_id=bank_id, uscc=uscc, product_id=product.id,
                           product_version=product.version, amount_fen=to_fen(amt), term_months=term_months,
                           purpose=purpose, status="draft", complete=complete, created_by=actor, created_on=today)
    session.add(app)
    session.flush()
    _audit(session, row=app, action="create", from_state=None, to_state="draft", actor=actor,
           details={"uscc": uscc, "product_id": product.id, "amount": str(amt), "term_months": term_months,
                    "offer": None if offer is None else {"limit": offer.get("limit"), "rate": offer.get("rate"),
                                                         "term_months": offer.get("term_months"),
                                                         "pd_grade": offer.get("pd_grade")}})
    if complete:
        _submit(session, app, actor, today, _policy(policy), calendar)
    coord.answer_push_for_lending(session, bank_id=bank_id, uscc=uscc, target="accepted",
                                  note=f"lending application {app.id}", now=_now(on))
    return repo.application_dict(app)


def _submit(session: Session, app: repo.Application, actor: str, today: dt.date, policy: Policy,
            calendar: lc.Calendar | None) -> None:
    app.complete = True
    app.submitted_on = today
    app.sla_due_on = lc.sla_due(today, policy.sla_working_days, calendar)
    _move(session, app, "submit", actor, {"sla_due_on": app.sla_due_on.isoformat(),
                                          "sla_working_days": policy.sla_working_days})


def submit(session: Session, bank_id: str, application_id: str, actor: str, *, on: dt.date | None = None,
           policy: Policy | None = None, calendar: lc.Calendar | None = None) -> dict[str, Any]:
    """Submit a completed draft: the decision SLA starts now."""
    app = repo.get_application(session, bank_id, application_id, lock=True)
    _submit(session, app, actor, _today(on), _policy(policy), calendar)
    return repo.application_dict(app)


def review(session: Session, bank_id: str, application_id: str, reviewer: str) -> dict[str, Any]:
    """Start the credit review; the reviewer may not approve the same application (four-eyes)."""
    app = repo.get_application(session, bank_id, application_id, lock=True)
    app.reviewer = reviewer
    _move(session, app, "start_review", reviewer)
    return repo.application_dict(app)


def _decide(app: repo.Application, today: dt.date, policy: Policy, calendar: lc.Calendar | None) -> None:
    app.decided_on = today
    if app.submitted_on is not None:
        app.sla_breached = lc.sla_breached(app.submitted_on, policy.sla_working_days, today, today, calendar)


def approve(session: Session, bank_id: str, application_id: str, approver: str, *, note: str | None = None,
            on: dt.date | None = None, policy: Policy | None = None,
            calendar: lc.Calendar | None = None) -> dict[str, Any]:
    """Approve (four-eyes). Above the second-approver threshold the first approval is recorded and the
    application stays under review until a different second approver approves. The row is locked, so
    simultaneous approvals are taken one after the other and each sees the one before."""
    app = repo.get_application(session, bank_id, application_id, lock=True)
    pol = _policy(policy)
    lc.transition(app.status, "approve")  # refuse early when not under review
    decision = lc.check_approval(approver=approver, reviewer=app.reviewer,
                                 prior_approvers=[a for a in (app.approver1, app.approver2) if a],
                                 amount=repo.yuan(app.amount_fen) or Decimal(0),
                                 second_approver_threshold=pol.second_approver_threshold)
    if app.approver1 is None:
        app.approver1 = approver
    else:
        app.approver2 = approver
    if not decision.final:
        session.flush()
        _audit(session, row=app, action="first_approval", from_state=app.status, to_state=app.status, actor=approver,
               details={"approvals_needed": decision.approvals_needed, "note": note})
        return repo.application_dict(app)
    app.decision_note = note
    _decide(app, _today(on), pol, calendar)
    _move(session, app, "approve", approver, {"approvals_needed": decision.approvals_needed,
                                              "sla_breached": app.sla_breached, "note": note})
    offer = repo.latest_offer(session, app.id)
    if offer is not None:  # the rate is known: the credit answer is given now, else at the contract
        coord.answer_push_for_lending(session, bank_id=bank_id, uscc=app.uscc, target="credit_granted",
                                      amount=repo.yuan(app.amount_fen), rate=Decimal(offer.rate),
                                      product=app.product_id, secured=_secured(app.product_id),
                                      note=f"lending approval {app.id}", now=_now(on))
    return repo.application_dict(app)


def reject(session: Session, bank_id: str, application_id: str, actor: str, reason: str, *,
           reason_code: str | None = None, on: dt.date | None = None, policy: Policy | None = None,
           calendar: lc.Calendar | None = None) -> dict[str, Any]:
    """Reject an application under review; a pushed firm's push is answered ``declined`` with the reason
    (``reason_code`` from the flow policy's decline reasons, default D03 "credit assessment not passed")."""
    if reason_code is not None and reason_code not in default_flow_policy().decline_reasons:
        raise ValueError(f"reason_code: {reason_code!r} is not one of "
                         f"{', '.join(default_flow_policy().decline_reasons)}")
    app = repo.get_application(session, bank_id, application_id, lock=True)
    lc.transition(app.status, "reject")
    app.decision_note = reason
    _decide(app, _today(on), _policy(policy), calendar)
    _move(session, app, "reject", actor, {"reason": reason, "reason_code": reason_code,
                                          "sla_breached": app.sla_breached})
    coord.answer_push_for_lending(session, bank_id=bank_id, uscc=app.uscc, target="declined",
                                  decline_code=reason_code or "D03", note=reason, now=_now(on))
    return repo.application_dict(app)


def withdraw(session: Session, bank_id: str, application_id: str, actor: str) -> dict[str, Any]:
    app = repo.get_application(session, bank_id, application_id, lock=True)
    _move(session, app, "withdraw", actor)
    return repo.application_dict(app)


def record_offer(session: Session, bank_id: str, application_id: str, *, limit: Amount,
                 term_months: int, rate: Decimal | str, pd_grade: str | None = None,
                 on: dt.date | None = None) -> dict[str, Any]:
    """Keep the offer (from ``innocredit.lending.matching``) that an application was made against."""
    app = repo.get_application(session, bank_id, application_id)
    offer = repo.Offer(id=str(uuid.uuid4()), application_id=app.id, product_id=app.product_id,
                       limit_fen=to_fen(money(limit)), term_months=term_months, rate=str(Decimal(str(rate))),
                       pd_grade=pd_grade, created_on=_today(on))
    session.add(offer)
    session.flush()
    return {"id": offer.id, "application_id": app.id, "product_id": offer.product_id,
            "limit": repo.yuan(offer.limit_fen), "term_months": offer.term_months, "rate": Decimal(offer.rate),
            "pd_grade": pd_grade}


def list_applications(session: Session, bank_id: str, status: str | None = None) -> list[dict[str, Any]]:
    return [repo.application_dict(a) for a in repo.applications(session, bank_id=bank_id, status=status)]


def get_application(session: Session, bank_id: str, application_id: str) -> dict[str, Any]:
    return repo.application_dict(repo.get_application(session, bank_id, application_id))


def sla_breaches(session: Session, bank_id: str, today: dt.date | None = None) -> list[dict[str, Any]]:
    """Applications whose decision came late, or that are still undecided after their due day."""
    day = _today(today)
    out = []
    for a in repo.applications(session, bank_id=bank_id):
        if a.sla_due_on is None:
            continue
        late = a.sla_breached if a.decided_on else (a.status in ("submitted", "under_review") and day > a.sla_due_on)
        if late:
            out.append(repo.application_dict(a))
    return out


# --------------------------------------------------------------------------- loans


def _product(product_id: str) -> Product | None:
    return _catalogue().get(product_id)


def _secured(product_id: str) -> bool:
    """A loan is secured when its product takes collateral or a guarantee (IP pledge, pool, guarantee)."""
    p = _product(product_id)
    return bool(p is not None and p.enhancement not in ("none", "credit"))


def contract(session: Session, bank_id: str, application_id: str, actor: str, *, rate: Decimal | str,
             principal: Amount | None = None, term_months: int | None = None,
             method: str = "equal_instalment", day_count: str = "30/360", grace_months: int = 0,
             guarantee_scheme: str | None = None, pool_scheme: str | None = None, first_loan: bool | None = None,
             unsecured: bool | None = None, guarantor_org_id: str | None = None,
             pledged_patents: list[str] | None = None, patent_pool_id: str | None = None,
             on: dt.date | None = None, policy: Policy | None = None) -> dict[str, Any]:
    """Sign the contract of an approved application: the loan (status ``contracted``), its guarantee rows
    (fee per party, the guarantor party tied to ``guarantor_org_id``), the pledges of an IP pledge loan and the
    allocation of a patent-pool loan, all in this transaction (a refused pledge leaves nothing written).

    Terms beyond what was approved (a larger principal, a longer term, a rate below the offer's or the
    approvers' rate) are not signed: the application goes back to the approvers (``under_review``, approvals
    cleared, the new terms recorded) and the application is returned with ``returned_to_approvers: True``."""
    app = repo.get_application(session, bank_id, application_id, lock=True)
    lc.transition(app.status, "contract")
    rate = _rate(rate)
    pol = _policy(policy)
    product_ = _product(app.product_id)
    requested = money(principal) if principal is not None else (repo.yuan(app.amount_fen) or Decimal(0))
    if not requested.is_finite() or requested <= 0:
        raise ValueError("principal: must be a positive number")
    term_ = term_months or app.term_months
    if product_ is not None:
        check_terms(product_, requested, term_, pol, None, amount_field="principal")
    beyond = _beyond_approval(session, app, requested, term_, rate)
    if beyond:
        return _return_to_approvers(session, app, actor, requested, term_, rate, beyond)
    product = _product(app.product_id)
    kind = product.kind if product is not None else None
    schemes = _schemes()
    for sid, skind, field in ((guarantee_scheme, "guarantee", "guarantee_scheme"),
                              (pool_scheme, "compensation_pool", "pool_scheme")):
        if sid is not None and (sid not in schemes or schemes[sid].kind != skind):
            raise ValueError(f"{field}: unknown {skind} scheme {sid!r}")
    guarantor = _guarantor_org(session, guarantee_scheme, guarantor_org_id, app.id)
    approval = _approved_request(session, app, guarantee_scheme, guarantor, requested, term_)
    if kind in POOL_KINDS and not patent_pool_id:
        raise ValueError("patent_pool_id: a patent-pool loan names the pool it draws on")
    amount, term = requested, term_
    day = _today(on)
    build_schedule(amount, rate, term, method, day, grace_months=grace_months,
                   day_count=day_count)  # validates the terms before anything is written
    loan = repo.Loan(id=str(uuid.uuid4()), application_id=app.id, bank_id=bank_id, uscc=app.uscc,
                     product_id=app.product_id, principal_fen=to_fen(amount), rate=str(rate),
                     term_months=term, method=method, day_count=day_count, grace_months=grace_months,
                     status="contracted", guarantee_scheme=guarantee_scheme, pool_scheme=pool_scheme,
                     first_loan=bool(first_loan), unsecured=(not _secured(app.product_id) and not guarantee_scheme)
                     if unsecured is None else unsecured, contracted_on=day, disbursed_on=None,
                     outstanding_fen=0, days_past_due=0, dpd_bucket="current", origin="platform",
                     guarantor_org_id=guarantor, patent_pool_id=patent_pool_id, missed_instalments=0)
    session.add(loan)
    session.flush()
    _move(session, app, "contract", actor, {"loan_id": loan.id})
    pledges: list[dict[str, Any]] = []
    if kind in PLEDGE_KINDS:
        patents = pledged_patents if pledged_patents else _patents_to_pledge(session, app.uscc)
        pledges = ip_services.pledge_loan_patents(session, loan_id=loan.id, uscc=app.uscc, bank_id=bank_id,
                                                  patent_ids=patents, on=day, secured_amount=amount)
    elif pledged_patents:
        raise ValueError(f"pledged_patents: product {app.product_id} is not an IP pledge loan")
    if kind in POOL_KINDS and patent_pool_id:
        ip_services.allocate_pool(session, pool_id=patent_pool_id, loan_id=loan.id, bank_id=bank_id, uscc=app.uscc,
                                  amount=amount, on=day)
    _audit(session, row=loan, action="contract", from_state=None, to_state="contracted", actor=actor,
           details={"principal": str(amount), "rate": loan.rate, "term_months": term, "method": method,
                    "guarantee_scheme": guarantee_scheme, "guarantor_org_id": guarantor, "pool_scheme": pool_scheme,
                    "guarantee_request_id": approval.id if approval is not None else None,
                    "guarantee_fee_rate": approval.fee_rate if approval is not None else None,
                    "patent_pool_id": patent_pool_id,
                    "pledges": [p.get("registration_no") for p in pledges]})
    if guarantee_scheme and approval is not None:
        scheme = schemes[guarantee_scheme]
        guaranteed = min(repo.yuan(approval.guaranteed_fen) or amount, amount)
        fees = {f.party_id: f.amount for f in guarantee_fees(scheme, amount, term, guaranteed_amount=guaranteed,
                                                             fee_rate=Decimal(approval.fee_rate or "0"))}
        approval.loan_id = loan.id
        for p in scheme.parties:
            session.add(repo.Guarantee(id=str(uuid.uuid4()), loan_id=loan.id, scheme_id=scheme.id, party_id=p.id,
                                       role=p.role, share=str(p.share), fee_fen=to_fen(fees.get(p.id, Decimal(0))),
                                       org_id=_party_org(p.role, bank_id, guarantor)))
        session.flush()
    coord.answer_push_for_lending(session, bank_id=bank_id, uscc=app.uscc, target="credit_granted", amount=amount,
                                  rate=Decimal(loan.rate), product=app.product_id, secured=not loan.unsecured,
                                  note=f"lending contract {loan.id}", now=_now(on))
    return {**repo.loan_dict(loan), "pledges": pledges}


def _rate(rate: Decimal | str) -> Decimal:
    """A contract rate: a finite fraction strictly between 0 and 1 (the API's and the page's check)."""
    try:
        value = Decimal(str(rate).strip())
    except ArithmeticError:
        raise ValueError(f"rate: {str(rate)[:40]!r} is not a number") from None
    if not value.is_finite() or not Decimal(0) < value < Decimal(1):
        raise ValueError(f"rate: must be a fraction between 0 and 1, e.g. 0.035 (got {str(rate)[:40]})")
    return value


def _beyond_approval(session: Session, app: repo.Application, principal: Decimal, term: int,
                     rate: Decimal) -> list[str]:
    """The contract terms that go beyond the approval: principal above the approved amount, term above the approved
    term, rate below the lowest rate approved (the approvers' rate after a return, else the offer's rate)."""
    out = []
    if to_fen(principal) > app.amount_fen:
        out.append(f"principal {principal} above the approved {repo.yuan(app.amount_fen)}")
    if term > app.term_months:
        out.append(f"term_months {term} above the approved {app.term_months}")
    floor = _approved_floor(session, app)
    if floor is not None and rate < floor:
        out.append(f"rate {rate} below the approved {floor}")
    return out


def _return_to_approvers(session: Session, app: repo.Application, actor: str, principal: Decimal, term: int,
                         rate: Decimal, beyond: list[str]) -> dict[str, Any]:
    """Terms changed after approval: the application goes back to the approvers with the new terms."""
    previous = {"amount": str(repo.yuan(app.amount_fen)), "term_months": app.term_months,
                "approver1": app.approver1, "approver2": app.approver2, "approved_rate": app.approved_rate}
    app.amount_fen, app.term_months = to_fen(principal), term
    app.approver1 = app.approver2 = None
    app.decided_on, app.sla_breached = None, None
    floor = _approved_floor(session, app)
    if floor is None or rate < floor:
        app.approved_rate = str(rate)
    _move(session, app, "change_terms", actor, {"beyond": beyond, "previous": previous,
                                                "requested": {"principal": str(principal), "term_months": term,
                                                              "rate": str(rate)}})
    return {**repo.application_dict(app), "returned_to_approvers": True, "beyond": beyond}


def _approved_floor(session: Session, app: repo.Application) -> Decimal | None:
    """The lowest rate approved: the approvers' rate after a return, else the offer's rate, else none."""
    offer = repo.latest_offer(session, app.id)
    if app.approved_rate is not None:
        return Decimal(app.approved_rate)
    return Decimal(offer.rate) if offer is not None else None


def _party_org(role: str, bank_id: str, guarantor: str | None) -> str | None:
    """The organisation behind a scheme party: the lending bank, the guarantor organisation; other parties
    (re-guarantors, funds, governments) are outside the platform's organisations."""
    return {"lender": bank_id, "guarantor": guarantor}.get(role)


def _guarantor_org(session: Session, scheme: str | None, org_id: str | None,
                   application_id: str | None = None) -> str | None:
    if scheme is None:
        if org_id is not None:
            raise ValueError("guarantor_org_id: given without a guarantee_scheme")
        return None
    if org_id is None and application_id is not None:  # the guarantor that approved this application's request
        approved = [r for r in repo.guarantee_requests(session, application_id=application_id, status="approved")
                    if r.scheme_id == scheme and r.loan_id is None]
        if len(approved) == 1:
            return approved[0].guarantor_org_id
    if org_id is None:
        found = organisations.ids_of_kind(session, "guarantor")
        if len(found) != 1:
            raise ValueError("guarantor_org_id: a guaranteed loan names its guarantor organisation "
                             f"({len(found)} guarantor organisations are registered)")
        return found[0]
    if organisations.kind_of(session, org_id) != "guarantor":
        raise ValueError(f"guarantor_org_id: {org_id!r} is not a registered guarantor organisation")
    return org_id


def _patents_to_pledge(session: Session, uscc: str) -> list[str]:
    """The firm's valid patents on record (IP office feed) that carry no active pledge."""
    from innocredit.services import feeds

    patents = feeds.firm_patents(session, uscc)
    if patents.is_empty():
        raise ValueError("pledged_patents: the firm has no patents on record to pledge; name them")
    valid = patents.filter(pl.col("status").is_in(["granted", "valid"]).fill_null(True)) \
        if "status" in patents.columns else patents
    taken = {p["patent_id"] for p in ip_services.list_pledges(session, uscc=uscc, status="active")}
    ids = [p for p in valid["patent_id"].to_list() if p not in taken]
    if not ids:
        raise ValueError("pledged_patents: every patent of the firm on record is already pledged or not valid")
    return ids


def disburse(session: Session, bank_id: str, loan_id: str, actor: str, *, on: dt.date | None = None) -> dict[str, Any]:
    """Pay out the loan: status ``active``, schedule built from the disbursement date, the push answered
    ``disbursed``; the register now counts it for the office's metrics."""
    loan = repo.get_loan(session, bank_id, loan_id, lock=True)
    lc.transition(loan.status, "disburse")
    day = _today(on)
    rows = build_schedule(repo.yuan(loan.principal_fen) or Decimal(0), Decimal(loan.rate), loan.term_months,
                          loan.method, day, grace_months=loan.grace_months, day_count=loan.day_count)
    for r in rows:
        session.add(repo.ScheduleRow(loan_id=loan.id, number=r.number, due_date=r.due_date, days=r.days,
                                     opening_fen=to_fen(r.opening_balance), principal_fen=to_fen(r.principal),
                                     interest_fen=to_fen(r.interest), payment_fen=to_fen(r.payment),
                                     closing_fen=to_fen(r.closing_balance), paid_principal_fen=0,
                                     paid_interest_fen=0))
    loan.disbursed_on = day
    loan.maturity_on = rows[-1].due_date if rows else None
    loan.outstanding_fen = loan.principal_fen
    if not loan.first_loan:
        loan.first_loan = not repo.earlier_loan_exists(session, loan.uscc, day, exclude=loan.id)
    push = coord.answer_push_for_lending(session, bank_id=bank_id, uscc=loan.uscc, target="disbursed",
                                         amount=repo.yuan(loan.principal_fen), rate=Decimal(loan.rate),
                                         product=loan.product_id, secured=not loan.unsecured,
                                         note=f"lending disbursement {loan.id}", now=_now(on))
    if push is not None:
        loan.push_id = push["push_id"]
    loan.relending_eligible = coord.relending_eligible(session, uscc=loan.uscc, push_id=loan.push_id,
                                                       product_kind=_kind(loan.product_id), on=day)
    _move(session, loan, "disburse", actor, {"on": day.isoformat(), "instalments": len(rows)})
    return repo.loan_dict(loan)


def _kind(product_id: str) -> str | None:
    p = _product(product_id)
    return p.kind if p is not None else product_id


def _oldest_unpaid_due(rows: list[repo.ScheduleRow]) -> dt.date | None:
    for r in rows:
        if r.paid_principal_fen < r.principal_fen or r.paid_interest_fen < r.interest_fen:
            return r.due_date
    return None


def repay(session: Session, bank_id: str, loan_id: str, amount: Amount, actor: str, *,
          on: dt.date | None = None) -> dict[str, Any]:
    """Apply a repayment to the instalments in order, interest before principal. Paying off the balance
    moves the loan to ``repaid``; clearing all past-due amounts cures an overdue loan."""
    loan = repo.get_loan(session, bank_id, loan_id, lock=True)
    if loan.status not in ("active", "overdue"):
        raise lc.LifecycleError("not_repayable", f"cannot repay a loan in state {loan.status}",
                                f"{lc.STATE_NAMES.get(loan.status, loan.status)}状态的贷款不能还款")
    left = to_fen(money(amount))
    if left <= 0:
        raise ValueError("amount: the repayment must be positive")
    rows = repo.schedule_rows(session, loan.id)
    owed = sum(r.principal_fen - r.paid_principal_fen + r.interest_fen - r.paid_interest_fen for r in rows)
    if left > owed:
        raise ValueError(f"amount: repayment {repo.yuan(left)} exceeds the {repo.yuan(owed)} still owed "
                         "under the schedule")
    paid_p = paid_i = 0
    for r in rows:
        if left == 0:
            break
        i = min(left, r.interest_fen - r.paid_interest_fen)
        r.paid_interest_fen += i
        left -= i
        p = min(left, r.principal_fen - r.paid_principal_fen)
        r.paid_principal_fen += p
        left -= p
        paid_p, paid_i = paid_p + p, paid_i + i
    day = _today(on)
    session.add(repo.Repayment(id=str(uuid.uuid4()), loan_id=loan.id, paid_on=day, amount_fen=paid_p + paid_i,
                               principal_fen=paid_p, interest_fen=paid_i, actor=actor))
    loan.outstanding_fen -= paid_p
    session.flush()
    details = {"amount": str(repo.yuan(paid_p + paid_i)), "principal": str(repo.yuan(paid_p)),
               "interest": str(repo.yuan(paid_i)), "on": day.isoformat()}
    _audit(session, row=loan, action="repayment", from_state=loan.status, to_state=loan.status, actor=actor,
           details=details)
    if loan.outstanding_fen == 0 and _oldest_unpaid_due(rows) is None:
        loan.days_past_due, loan.dpd_bucket = 0, "current"
        _move(session, loan, "repay_in_full", actor)
        _settle_collateral(session, loan, day)
    elif loan.status == "overdue":
        dpd = lc.days_past_due(_oldest_unpaid_due(rows), day)
        if dpd == 0:
            loan.days_past_due, loan.dpd_bucket = 0, "current"
            _move(session, loan, "cure", actor)
    return repo.loan_dict(loan)


def _settle_collateral(session: Session, loan: repo.Loan, day: dt.date) -> None:
    """A settled loan releases its pledges and its pool allocation."""
    ip_services.release_loan_pledges(session, loan_id=loan.id, on=day)
    if loan.patent_pool_id:
        ip_services.release_pool_allocation(session, loan_id=loan.id, on=day)


def update_delinquency(session: Session, bank_id: str, as_of: dt.date, actor: str = "system") -> list[dict[str, Any]]:
    """Days past due and bucket of every active or overdue loan of the bank; newly late loans go overdue."""
    out = []
    for loan in repo.loans(session, bank_id=bank_id, origin="platform"):
        if loan.status not in ("active", "overdue"):
            continue
        rows = repo.schedule_rows(session, loan.id)
        dpd = lc.days_past_due(_oldest_unpaid_due(rows), as_of)
        loan.days_past_due, loan.dpd_bucket = dpd, lc.dpd_bucket(dpd)
        loan.missed_instalments = sum(1 for r in rows if r.due_date < as_of and
                                      (r.paid_principal_fen < r.principal_fen or r.paid_interest_fen < r.interest_fen))
        if dpd > 0 and loan.status == "active":
            _move(session, loan, "fall_overdue", actor, {"days_past_due": dpd, "as_of": as_of.isoformat()})
        out.append(repo.loan_dict(loan))
    session.flush()
    return out


def default(session: Session, bank_id: str, loan_id: str, actor: str, *, on: dt.date | None = None) -> dict[str, Any]:
    """Declare an overdue loan defaulted and split the outstanding principal among the risk sharers (the
    guarantor's part booked against the guarantor organisation)."""
    loan = repo.get_loan(session, bank_id, loan_id, lock=True)
    lc.transition(loan.status, "default")
    schemes = _schemes()
    scheme = schemes.get(loan.guarantee_scheme) if loan.guarantee_scheme else None
    pool = schemes.get(loan.pool_scheme) if loan.pool_scheme else None
    loss = repo.yuan(loan.outstanding_fen) or Decimal(0)
    parts = allocate_loss(scheme, loss, pool=pool, first_loan=loan.first_loan, unsecured=loan.unsecured)
    day = _today(on)
    for p in parts:
        session.add(repo.LossAllocation(id=str(uuid.uuid4()), loan_id=loan.id, party_id=p.party_id, role=p.role,
                                        amount_fen=to_fen(p.amount), allocated_on=day,
                                        org_id=_party_org(p.role, loan.bank_id, loan.guarantor_org_id)))
    comp = _compensation_due(session, loan, scheme, loss, day)
    _move(session, loan, "default", actor,
          {"loss": str(loss), "allocation": {p.party_id: str(p.amount) for p in parts},
           "compensation": None if comp is None else {"due": str(repo.yuan(comp.due_fen)),
                                                      "due_on": comp.due_on.isoformat()}})
    return {**repo.loan_dict(loan), "loss": loss, "allocation": [p.as_dict() for p in parts],
            "compensation": None if comp is None else repo.compensation_dict(comp)}


def write_off(session: Session, bank_id: str, loan_id: str, actor: str, *,
              on: dt.date | None = None) -> dict[str, Any]:
    """Write a defaulted loan off: the bank enforces its pledges (the registry records the enforcement)."""
    loan = repo.get_loan(session, bank_id, loan_id, lock=True)
    _move(session, loan, "write_off", actor)
    day = _today(on)
    ip_services.enforce_loan_pledges(session, loan_id=loan.id, on=day)
    if loan.patent_pool_id:
        ip_services.release_pool_allocation(session, loan_id=loan.id, on=day)
    return repo.loan_dict(loan)


def close(session: Session, bank_id: str, loan_id: str, actor: str, *, on: dt.date | None = None) -> dict[str, Any]:
    """Close a settled (or written-off, or defaulted) loan; any pledge still active is released."""
    loan = repo.get_loan(session, bank_id, loan_id, lock=True)
    _move(session, loan, "close", actor)
    _settle_collateral(session, loan, _today(on))
    return repo.loan_dict(loan)


def schedule(session: Session, bank_id: str | None, loan_id: str) -> list[dict[str, Any]]:
    loan = repo.get_loan(session, bank_id, loan_id)
    return [{"number": r.number, "due_date": r.due_date, "days": r.days, "opening_balance": repo.yuan(r.opening_fen),
             "principal": repo.yuan(r.principal_fen), "interest": repo.yuan(r.interest_fen),
             "payment": repo.yuan(r.payment_fen), "closing_balance": repo.yuan(r.closing_fen),
             "paid_principal": repo.yuan(r.paid_principal_fen), "paid_interest": repo.yuan(r.paid_interest_fen)}
            for r in repo.schedule_rows(session, loan.id)]


def repayments(session: Session, loan_id: str) -> list[dict[str, Any]]:
    return [{"id": r.id, "paid_on": r.paid_on, "amount": repo.yuan(r.amount_fen),
             "principal": repo.yuan(r.principal_fen), "interest": repo.yuan(r.interest_fen)}
            for r in repo.repayments(session, loan_id)]


def list_loans(session: Session, bank_id: str, status: str | None = None) -> list[dict[str, Any]]:
    return [repo.loan_dict(x) for x in repo.loans(session, bank_id=bank_id, status=status)]


def get_loan(session: Session, bank_id: str, loan_id: str) -> dict[str, Any]:
    return repo.loan_dict(repo.get_loan(session, bank_id, loan_id))


def loan_details(session: Session, bank_id: str, loan_id: str) -> dict[str, Any]:
    """A loan of the bank with its pledges, guarantees and loss allocations."""
    loan = repo.loan_dict(repo.get_loan(session, bank_id, loan_id))
    return {**loan, "pledges": ip_services.loan_pledges(session, loan_id=loan_id),
            "guarantees": guarantees(session, bank_id, loan_id), "losses": loss_allocations(session, bank_id, loan_id),
            "compensations": compensations(session, loan_id)}


def guarantees(session: Session, bank_id: str | None, loan_id: str) -> list[dict[str, Any]]:
    loan = repo.get_loan(session, bank_id, loan_id)
    return [{"scheme_id": g.scheme_id, "party_id": g.party_id, "role": g.role, "share": Decimal(g.share),
             "fee": repo.yuan(g.fee_fen), "org_id": g.org_id} for g in repo.guarantees(session, loan.id)]


def loss_allocations(session: Session, bank_id: str | None, loan_id: str) -> list[dict[str, Any]]:
    loan = repo.get_loan(session, bank_id, loan_id)
    return [{"party_id": r.party_id, "role": r.role, "amount": repo.yuan(r.amount_fen), "on": r.allocated_on,
             "org_id": r.org_id} for r in repo.loss_allocations(session, loan.id)]


# --------------------------------------------------------------------------- the guarantor's decision and 代偿

GUARANTEE_STATES = ("open", "approved", "declined")


@lru_cache(maxsize=1)
def _decline_reasons() -> dict[str, Any]:
    return decline_reasons()


def guarantee_decline_reasons() -> list[dict[str, str]]:
    """The reason codes a guarantor declines with (``lending/guarantee_decline_reasons.yaml``), named zh and en."""
    return [{"code": r.code, "name_zh": r.name_zh, "name_en": r.name_en} for r in _decline_reasons().values()]


def _guarantee_scheme(scheme_id: str, field: str = "scheme_id") -> Scheme:
    scheme = _schemes().get(scheme_id)
    if scheme is None or scheme.kind != "guarantee":
        known = ", ".join(sorted(k for k, v in _schemes().items() if v.kind == "guarantee"))
        raise ValueError(f"{field}: unknown guarantee scheme {str(scheme_id)[:64]!r}; known: {known}")
    return scheme


def _fee_rate(value: Decimal | str | None, scheme: Scheme) -> Decimal:
    """The fee rate a guarantor approves: a number (text such as 'NaN', '1e30' or 'abc' is refused, naming
    ``fee_rate``) of at least 0 and at most the scheme's cap."""
    if value is None or not str(value).strip():
        raise ValueError("fee_rate: required to approve (an annual fraction, e.g. 0.008)")
    try:
        rate = Decimal(str(value).strip())
    except ArithmeticError:
        raise ValueError(f"fee_rate: {str(value)[:40]!r} is not a number") from None
    if not rate.is_finite():
        raise ValueError(f"fee_rate: {str(value)[:40]!r} is not a finite number")
    problem = fee_rate_problem(scheme, rate)
    if problem:
        raise ValueError(problem)
    return rate


def _cap_breaches(session: Session, scheme: Scheme, uscc: str, amount: Decimal) -> list[str]:
    before = repo.yuan(repo.guaranteed_balance(session, uscc, scheme.id)) or Decimal(0)
    return scope_breaches(scheme, amount, before)


def request_guarantee(session: Session, bank_id: str, application_id: str, actor: str, *, scheme_id: str,
                      guarantor_org_id: str, guaranteed_amount: Amount | None = None,
                      on: dt.date | None = None) -> dict[str, Any]:
    """The bank asks a guarantor organisation to guarantee an approved application under ``scheme_id``: the loan
    amount and term are the approved ones, the guaranteed amount at most the amount (default: all of it). One open
    request per application (409 while one is open or an approval is unused); the scheme's caps on the firm's
    in-force guaranteed balance are checked now and again at the decision. Audited on the application."""
    app = repo.get_application(session, bank_id, application_id, lock=True)
    if app.status != "approved":
        raise lc.LifecycleError("guarantee_not_approved",
                                f"a guarantee is requested for an approved application (this one is {app.status})",
                                f"只能为已批准的申请申请担保（当前状态：{lc.STATE_NAMES.get(app.status, app.status)}）")
    scheme = _guarantee_scheme(scheme_id)
    if organisations.kind_of(session, guarantor_org_id) != "guarantor":
        raise ValueError(f"guarantor_org_id: {str(guarantor_org_id)[:64]!r} is not a registered guarantor organisation")
    amount = repo.yuan(app.amount_fen) or Decimal(0)
    try:
        guaranteed = amount if guaranteed_amount is None else money(guaranteed_amount)
    except (ArithmeticError, ValueError) as exc:
        raise ValueError(f"guaranteed_amount: {exc}") from None
    if not guaranteed.is_finite() or not Decimal(0) < guaranteed <= amount:
        raise ValueError(f"guaranteed_amount: must be positive and at most the approved amount {amount}")
    breaches = _cap_breaches(session, scheme, app.uscc, amount)
    if breaches:
        raise ValueError(f"guaranteed_amount: outside the scheme's caps: {'; '.join(breaches)}")
    for r in repo.guarantee_requests(session, application_id=app.id):
        if r.status == "open" or (r.status == "approved" and r.loan_id is None):
            raise lc.LifecycleError("guarantee_request_open",
                                    f"application {app.id} already has a guarantee request {r.status} "
                                    f"({r.id}, guarantor {r.guarantor_org_id})",
                                    f"该申请已有{'待决定' if r.status == 'open' else '已批准'}的担保申请（{r.id}）")
    req = repo.GuaranteeRequest(id=str(uuid.uuid4()), application_id=app.id, bank_id=bank_id, uscc=app.uscc,
                                scheme_id=scheme.id, guarantor_org_id=guarantor_org_id, amount_fen=app.amount_fen,
                                guaranteed_fen=to_fen(guaranteed), term_months=app.term_months, status="open",
                                requested_by=actor, requested_on=_today(on))
    session.add(req)
    session.flush()
    _audit(session, row=app, action="guarantee_request", from_state=app.status, to_state=app.status, actor=actor,
           details={"request_id": req.id, "scheme_id": scheme.id, "guarantor_org_id": guarantor_org_id,
                    "amount": str(amount), "guaranteed_amount": str(guaranteed), "term_months": app.term_months})
    return repo.guarantee_request_dict(req)


def decide_guarantee(session: Session, guarantor_org_id: str, request_id: str, actor: str, *, decision: str,
                     fee_rate: Decimal | str | None = None, reason_code: str | None = None, note: str | None = None,
                     on: dt.date | None = None) -> dict[str, Any]:
    """A guarantor user of the requested organisation decides: ``approve`` with the annual fee rate (at most the
    scheme's cap, e.g. 1% for policy guarantees; the scheme's caps on the firm's balance still met) or ``decline``
    with a reason code. Another organisation's request is not found; the decision is final (409 on a second one).
    The request row is taken FOR UPDATE, so two users deciding at once give exactly one decision. Audited on the
    application, in this transaction."""
    if decision not in ("approve", "decline"):
        raise ValueError(f"decision: must be approve or decline, not {str(decision)[:20]!r}")
    req = repo.get_guarantee_request(session, request_id, guarantor_org_id=guarantor_org_id, lock=True)
    if req.status != "open":
        raise lc.LifecycleError("guarantee_decided", f"guarantee request {req.id} is already {req.status} "
                                f"(by {req.decided_by} on {req.decided_on}); a decision is final",
                                f"担保申请已有决定（{'已批准' if req.status == 'approved' else '已拒绝'}），不能再次决定")
    scheme = _guarantee_scheme(req.scheme_id)
    app = repo.get_application(session, None, req.application_id)
    details: dict[str, Any] = {"request_id": req.id, "scheme_id": req.scheme_id, "guarantor_org_id": guarantor_org_id,
                               "decision": decision, "note": note}
    if decision == "approve":
        rate = _fee_rate(fee_rate, scheme)
        if app.status != "approved":
            raise lc.LifecycleError("guarantee_application_state",
                                    f"the application is {app.status}, no longer approved",
                                    f"申请当前为{lc.STATE_NAMES.get(app.status, app.status)}，已不是已批准状态")
        breaches = _cap_breaches(session, scheme, req.uscc, repo.yuan(req.amount_fen) or Decimal(0))
        if breaches:
            raise lc.LifecycleError("guarantee_scheme_cap", "outside the scheme's caps: " + "; ".join(breaches),
                                    "超出担保计划的限额：" + "；".join(breaches))
        req.status, req.fee_rate = "approved", str(rate)
        details["fee_rate"] = str(rate)
    else:
        reasons = _decline_reasons()
        if reason_code not in reasons:
            raise ValueError(f"reason_code: {str(reason_code)[:20]!r} is not one of {', '.join(reasons)}")
        req.status, req.reason_code = "declined", reason_code
        details["reason_code"] = reason_code
    req.note = note
    req.decided_by, req.decided_on = actor, _today(on)
    session.flush()
    _audit(session, row=app, action=f"guarantee_{decision}", from_state=app.status, to_state=app.status,
           actor=actor, details=details)
    return repo.guarantee_request_dict(req)


def _approved_request(session: Session, app: repo.Application, scheme: str | None, guarantor: str | None,
                      principal: Decimal, term: int) -> repo.GuaranteeRequest | None:
    """The approved, unused guarantee request a guaranteed contract rests on: same scheme, same guarantor, at least
    the principal and the term. ``None`` without a scheme; 409 naming why when there is none."""
    if scheme is None:
        return None
    rows = repo.guarantee_requests(session, application_id=app.id)
    for r in rows:
        if (r.status == "approved" and r.loan_id is None and r.scheme_id == scheme and r.guarantor_org_id == guarantor
                and r.amount_fen >= to_fen(principal) and r.term_months >= term):
            return r
    seen = "; ".join(f"{r.id}: {r.status}, {r.scheme_id}, {r.guarantor_org_id}, {repo.yuan(r.amount_fen)}"
                     for r in rows) or "none"
    raise lc.LifecycleError("guarantee_not_approved",
                            f"guarantee: no approved guarantee request of guarantor {guarantor} under {scheme} for "
                            f"at least {principal} over {term} months (requests: {seen}); request one and wait for "
                            "the guarantor's approval",
                            f"缺少担保机构 {guarantor} 在 {scheme} 下批准的、金额不低于 {principal} 的担保申请")


def guarantee_requests(session: Session, *, role: str, bank_id: str | None = None, org_id: str | None = None,
                       status: str | None = None, application_id: str | None = None) -> list[dict[str, Any]]:
    """The requests a caller may read: a guarantor its organisation's, a bank its own, the office and the admin all."""
    if role == "guarantor":
        rows = repo.guarantee_requests(session, guarantor_org_id=org_id or "-", status=status,
                                       application_id=application_id)
    elif role in ("bank_officer", "bank_approver", "bank_modeller"):
        rows = repo.guarantee_requests(session, bank_id=bank_id or "-", status=status, application_id=application_id)
    elif role in ("coordinator", "admin"):
        rows = repo.guarantee_requests(session, status=status, application_id=application_id)
    else:
        rows = []
    return [repo.guarantee_request_dict(r) for r in rows]


def guarantee_request(session: Session, request_id: str, *, role: str, bank_id: str | None = None,
                      org_id: str | None = None) -> dict[str, Any]:
    """One request if the caller may read it; ``NotFound`` otherwise (another's is not disclosed)."""
    if role == "guarantor":
        row = repo.get_guarantee_request(session, request_id, guarantor_org_id=org_id or "-")
    elif role in ("bank_officer", "bank_approver", "bank_modeller"):
        row = repo.get_guarantee_request(session, request_id, bank_id=bank_id or "-")
    elif role in ("coordinator", "admin"):
        row = repo.get_guarantee_request(session, request_id)
    else:
        raise NotFound(f"no guarantee request {request_id}")
    return repo.guarantee_request_dict(row)


def _first_unpaid_due(session: Session, loan: repo.Loan, day: dt.date) -> dt.date:
    due = _oldest_unpaid_due(repo.schedule_rows(session, loan.id))
    return due if due is not None else day - dt.timedelta(days=loan.days_past_due)


def _compensation_due(session: Session, loan: repo.Loan, scheme: Scheme | None, loss: Decimal,
                      day: dt.date) -> repo.Compensation | None:
    """At the default of a guaranteed loan: what the guarantor owes the bank (the claim: the loss less the bank's own
    share) and by when (the scheme's 代偿 timeline from the first unpaid due date, the claim not before the default)."""
    if scheme is None or scheme.kind != "guarantee" or scheme.timeline is None:
        return None
    steps = compensation_timeline(scheme, _first_unpaid_due(session, loan, day), loss, not_before=day)
    claim = next(x for x in steps if x.step == "claim")
    pays = next(x for x in steps if x.step == "guarantor_pays")
    own = next((p.amount for p in allocate_loss(scheme, loss) if p.role == "guarantor"), Decimal(0))
    comp = repo.Compensation(id=str(uuid.uuid4()), loan_id=loan.id, bank_id=loan.bank_id,
                             guarantor_org_id=loan.guarantor_org_id, scheme_id=scheme.id, loss_fen=to_fen(loss),
                             due_fen=to_fen(pays.amount), own_share_fen=to_fen(own), claim_on=claim.due_on,
                             due_on=pays.due_on, status="due")
    session.add(comp)
    session.flush()
    return comp


def compensate(session: Session, guarantor_org_id: str, loan_id: str, actor: str, *, amount: Amount,
               on: dt.date | None = None, note: str | None = None) -> dict[str, Any]:
    """代偿: the guarantor organisation records what it paid the bank on a defaulted loan it guarantees, and when.
    The amount must be the bank's claim under the scheme's timeline: the loss less the bank's own share. That is
    more than the guarantor's own share of the loss allocation; the re-guarantors, fund and government reimburse it
    the rest (their steps of the timeline). Paid after the due date: ``late``. Audited on the loan."""
    comp = repo.compensation_of_loan(session, loan_id, guarantor_org_id=guarantor_org_id or "-", lock=True)
    if comp is None:
        raise NotFound(f"no compensation due on loan {loan_id} from guarantor {guarantor_org_id}")
    if comp.status != "due":
        raise lc.LifecycleError("compensation_paid", f"the compensation of loan {loan_id} was already paid on "
                                f"{comp.paid_on}", f"该贷款的代偿已于 {comp.paid_on} 支付")
    try:
        paid = money(amount)
    except (ArithmeticError, ValueError) as exc:
        raise ValueError(f"amount: {exc}") from None
    if not paid.is_finite() or paid <= 0:
        raise ValueError("amount: must be a positive number")
    due, own = repo.yuan(comp.due_fen) or Decimal(0), repo.yuan(comp.own_share_fen) or Decimal(0)
    if paid != due:
        raise ValueError(f"amount: {paid} is not the {due} the guarantor owes the bank under {comp.scheme_id}'s 代偿 "
                         f"timeline (the loss {repo.yuan(comp.loss_fen)} less the bank's own share); the guarantor's "
                         f"own share is {own}, the other {due - own} is reimbursed to it by the other parties")
    loan = repo.get_loan(session, None, loan_id, lock=True)
    day = _today(on)
    comp.status, comp.paid_fen, comp.paid_on, comp.late = "paid", to_fen(paid), day, day > comp.due_on
    comp.paid_by, comp.note = actor, note
    session.flush()
    _audit(session, row=loan, action="compensate", from_state=loan.status, to_state=loan.status, actor=actor,
           details={"guarantor_org_id": guarantor_org_id, "amount": str(paid), "on": day.isoformat(),
                    "due_on": comp.due_on.isoformat(), "late": comp.late, "note": note})
    return repo.compensation_dict(comp)


def guarantee_scheme_names() -> dict[str, dict[str, Any]]:
    """Each guarantee scheme's names, its default fee rate and its fee cap (for the guarantor's forms)."""
    return {k: {"zh": v.name_zh, "en": v.name_en, "fee_rate": v.guarantee_fee_rate,
                "max_rate": v.guarantee_fee_max_rate} for k, v in _schemes().items() if v.kind == "guarantee"}


def guarantor_compensations(session: Session, org_id: str) -> list[dict[str, Any]]:
    """The 代偿 the guarantor organisation owes or paid, oldest due date first."""
    return [repo.compensation_dict(c) for c in repo.compensations_of_guarantor(session, org_id or "-")]


def compensations(session: Session, loan_id: str) -> list[dict[str, Any]]:
    """The 代偿 of a loan (none, or the one due or paid); the caller checked the loan is visible."""
    comp = repo.compensation_of_loan(session, loan_id)
    return [] if comp is None else [repo.compensation_dict(comp)]


# --------------------------------------------------------------------------- loans reported by banks


def record_reported_loans(session: Session, loans: pl.DataFrame, *, origin: str = "bank_feed") -> int:
    """Put loans a bank reports from outside the platform into the register, keyed by (bank, the bank's own
    loan id): a reported loan already there is updated, a new one inserted (bulk statements, no per-row
    queries). Columns: loan_id, uscc, bank_id, amount, disbursed_on, and optionally rate, secured, product,
    maturity_on, outstanding, status, first_loan, relending_eligible, missed_instalments, days_past_due,
    push_id, origin. Without ``first_loan`` a loan is the firm's first when no loan in the register or in
    ``loans`` was disbursed to the firm before it."""
    if origin not in repo.ORIGINS or origin == "platform":
        raise ValueError(f"origin: {origin!r} is not a reported-loan origin")
    if loans.is_empty():
        return 0
    df = _reported_frame(session, loans, origin)
    existing = repo.external_keys(session)
    rows = df.to_dicts()
    inserts, updates = [], []
    for r in rows:
        r["principal_fen"] = to_fen(money(r.pop("amount")))
        out = r.pop("outstanding")
        r["outstanding_fen"] = to_fen(money(out)) if out is not None else r["principal_fen"]
        r["rate"] = str(Decimal(str(r["rate"]))) if r["rate"] is not None else "0"
        r["dpd_bucket"] = lc.dpd_bucket(r["days_past_due"])
        known = existing.get((r["bank_id"], r["external_id"]))
        if known is None:
            inserts.append({**r, "id": str(uuid.uuid4()), "application_id": None, "method": "reported",
                            "day_count": "30/360", "grace_months": 0, "contracted_on": r["disbursed_on"],
                            "guarantee_scheme": None, "pool_scheme": None})
        else:
            updates.append({**r, "id": known})
    repo.bulk_insert_loans(session, inserts)
    repo.bulk_update_loans(session, updates)
    return len(rows)


def _reported_frame(session: Session, loans: pl.DataFrame, origin: str) -> pl.DataFrame:
    def col(name: str, dtype: Any, default: Any = None) -> pl.Expr:
        return (pl.col(name) if name in loans.columns else pl.lit(default)).cast(dtype).alias(name)

    df = loans.select(
        pl.col("loan_id").cast(pl.String).alias("external_id"), pl.col("uscc").cast(pl.String),
        pl.col("bank_id").cast(pl.String), col("amount", pl.Float64), col("rate", pl.Float64),
        col("product", pl.String, "reported").fill_null("reported").alias("product_id"),
        pl.col("disbursed_on").cast(pl.Date), col("maturity_on", pl.Date), col("outstanding", pl.Float64),
        col("status", pl.String, "active").fill_null("active"),
        (~col("secured", pl.Boolean, False).fill_null(False)).alias("unsecured"),
        col("relending_eligible", pl.Boolean), col("missed_instalments", pl.Int64, 0).fill_null(0),
        col("days_past_due", pl.Int64, 0).fill_null(0), col("push_id", pl.Int64),
        col("origin", pl.String, origin).fill_null(origin), col("first_loan", pl.Boolean),
    ).unique(["bank_id", "external_id"], keep="last", maintain_order=True)
    months = ((pl.col("maturity_on") - pl.col("disbursed_on")).dt.total_days() / 30.4375).round(0)
    earlier = repo.first_disbursement_by_firm(session, df["uscc"].unique().to_list())
    first = (pl.col("disbursed_on") == pl.col("disbursed_on").min().over("uscc")) & (
        pl.col("_register_first").is_null() | (pl.col("_register_first") >= pl.col("disbursed_on")))
    return (df.join(earlier, on="uscc", how="left")
            .with_columns(months.fill_null(12).clip(1).cast(pl.Int64).alias("term_months"),
                          pl.coalesce("first_loan", first).fill_null(False).alias("first_loan"))
            .drop("_register_first"))


# --------------------------------------------------------------------------- audit (read-only)


def audit_entries(session: Session, bank_id: str | None = None, subject_id: str | None = None, *,
                  raw: bool = False) -> list[dict[str, Any]]:
    """Audit entries in order (a bank's own only when ``bank_id`` is given); details decoded from JSON unless
    ``raw`` (the canonical JSON text the hash covers)."""
    rows = repo.audit_rows(session, bank_id=bank_id, subject_id=subject_id)
    return [repo.entry_dict(e) if raw else repo.decoded(e) for e in rows]


def verify_audit_chain(session: Session, key: str | None = None) -> ChainCheck:
    """Recompute the whole chain with the audit key (``INNOCREDIT_AUDIT_KEY`` unless ``key`` is given): an edited,
    deleted, inserted or foreign-keyed entry is reported by its seq, deleted last entries by the head's anchor, and
    an application or loan row edited behind the log's back by its id (``bad_rows``)."""
    dev = False
    if key is None:
        key, dev = repo.audit_key()
    check = verify_chain((repo.entry_dict(e) for e in repo.audit_rows(session)), key=key,
                         head=repo.audit_head(session) or Head(0, GENESIS, None))  # a deleted head is no escape
    rows = repo.audited_rows(session)
    bad = verify_rows(repo.last_row_digests(session), rows)
    warnings = []
    if dev:
        warnings.append("INNOCREDIT_AUDIT_KEY is not set: the chain is keyed with the published development key, "
                        "which proves nothing against someone who can write the database")
    ok = check.ok and not bad
    reason = check.reason if not check.ok else (f"{len(bad)} row(s) differ from the log" if bad else None)
    return ChainCheck(ok, check.entries, check.first_bad_seq, reason, check.keyed_entries, check.anchored,
                      len(rows), tuple(bad), tuple(warnings))


def anchor_audit_chain(session: Session, key: str | None = None) -> ChainCheck:
    """Anchor the tail of a chain written before the audit key existed (lending_0003): the hash chain and the rows
    are verified first; only an intact chain is anchored. An anchored chain is left as it is."""
    key = key or repo.audit_key()[0]
    head = repo.audit_head(session)
    entries = [repo.entry_dict(e) for e in repo.audit_rows(session)]
    check = verify_chain(entries, key=key)
    bad = verify_rows(repo.last_row_digests(session), repo.audited_rows(session))
    last = (entries[-1]["seq"], entries[-1]["hash"]) if entries else (0, GENESIS)
    if head is not None and (head.seq, head.hash) != last:
        bad.append(f"the chain's head names entry {head.seq} but the last entry is {last[0]}")
    if not check.ok or bad:
        raise ValueError(f"audit: the chain does not verify, it is not anchored: {check.reason or bad[0]}")
    if head is not None and head.mac is None:
        repo.anchor_head(session, key)
    return verify_audit_chain(session, key)


# --------------------------------------------------------------------------- reads scoped to the caller


def offer_of_application(session: Session, application_id: str) -> dict[str, Any] | None:
    o = repo.latest_offer(session, application_id)
    return None if o is None else {"id": o.id, "product_id": o.product_id, "limit": repo.yuan(o.limit_fen),
                                   "term_months": o.term_months, "rate": o.rate, "pd_grade": o.pd_grade}


def loan_of_application(session: Session, application_id: str) -> dict[str, Any] | None:
    x = repo.loan_of_application(session, application_id)
    return None if x is None else repo.loan_dict(x)


def applicant_usccs(session: Session, bank_id: str) -> set[str]:
    """Firms with an application at this bank (the bank may see them)."""
    return {a.uscc for a in repo.applications(session, bank_id=bank_id)}


def visible_applications(session: Session, *, role: str, bank_id: str | None = None, uscc: str | None = None,
                         org_id: str | None = None, status: str | None = None) -> list[dict[str, Any]]:
    """The applications a caller may read: a bank its own, an enterprise its own, a guarantor those whose loan
    its organisation guarantees or that it was asked to guarantee, the office and the admin all."""
    if role in ("bank_officer", "bank_approver", "bank_modeller"):
        rows = repo.applications(session, bank_id=bank_id or "-", status=status)
    elif role == "enterprise":
        rows = repo.applications(session, uscc=uscc or "-", status=status)
    elif role == "guarantor":  # the applications its organisation guarantees or was asked to guarantee
        ids = {x.application_id for x in repo.loans(session, ids=repo.guaranteed_loan_ids(session, org_id or "-"))}
        ids |= {r.application_id for r in repo.guarantee_requests(session, guarantor_org_id=org_id or "-")}
        rows = repo.applications(session, ids=ids, status=status)
    elif role in ("coordinator", "admin"):
        rows = repo.applications(session, status=status)
    else:
        rows = []
    return [repo.application_dict(a) for a in rows]


def visible_loans(session: Session, *, role: str, bank_id: str | None = None, uscc: str | None = None,
                  org_id: str | None = None, status: str | None = None) -> list[dict[str, Any]]:
    """The loans a caller may read (the same rule as :func:`visible_applications`)."""
    if role in ("bank_officer", "bank_approver", "bank_modeller"):
        rows = repo.loans(session, bank_id=bank_id or "-", status=status)
    elif role == "enterprise":
        rows = repo.loans(session, uscc=uscc or "-", status=status)
    elif role == "guarantor":
        rows = repo.loans(session, ids=repo.guaranteed_loan_ids(session, org_id or "-"), status=status)
    elif role in ("coordinator", "admin"):
        rows = repo.loans(session, status=status)
    else:
        rows = []
    return [repo.loan_dict(x) for x in rows]


def visible_loan(session: Session, loan_id: str, *, role: str, bank_id: str | None = None, uscc: str | None = None,
                 org_id: str | None = None) -> dict[str, Any]:
    """One loan if the caller may read it; ``NotFound`` otherwise (another bank's loan is not disclosed)."""
    try:
        x = repo.get_loan(session, None, loan_id)
    except NotFound:
        raise NotFound(f"no loan {loan_id}") from None
    ok = (role in ("coordinator", "admin")
          or (role in ("bank_officer", "bank_approver", "bank_modeller") and x.bank_id == bank_id)
          or (role == "enterprise" and x.uscc == uscc)
          or (role == "guarantor" and x.id in repo.guaranteed_loan_ids(session, org_id or "-")))
    if not ok:
        raise NotFound(f"no loan {loan_id}")
    return repo.loan_dict(x)


# --------------------------------------------------------------------------- pages: filtered, sorted, paged reads

APPLICATION_SORTS = {"created": "created_on", "amount": "amount_fen", "due": "sla_due_on", "status": "status",
                     "term": "term_months", "product": "product_id"}
LOAN_SORTS = {"contracted": "contracted_on", "outstanding": "outstanding_fen", "dpd": "days_past_due",
              "status": "status", "product": "product_id", "principal": "principal_fen"}
OPEN_APPLICATION_STATES = ("draft", "submitted", "under_review", "approved")


def _scope(stmt: Any, model: Any, session: Session, role: str, bank_id: str | None, uscc: str | None,
           org_id: str | None) -> Any:
    """Restrict a select to what the caller may read (the rule of :func:`visible_applications`)."""
    if role in ("bank_officer", "bank_approver", "bank_modeller"):
        return stmt.where(model.bank_id == (bank_id or "-"))
    if role == "enterprise":
        return stmt.where(model.uscc == (uscc or "-"))
    if role == "guarantor":
        from sqlalchemy import select

        loan_ids = repo.guaranteed_loan_ids(session, org_id or "-")
        if model is repo.Application:
            return stmt.where(model.id.in_(select(repo.Loan.application_id).where(repo.Loan.id.in_(loan_ids)))
                              | model.id.in_(repo.requested_application_ids(session, org_id or "-")))
        return stmt.where(model.id.in_(loan_ids))
    if role in ("coordinator", "admin"):
        return stmt
    return stmt.where(model.id == "")  # nobody else reads applications or loans


def application_page(session: Session, *, role: str, bank_id: str | None = None, uscc: str | None = None,
                     org_id: str | None = None, status: str | None = None, product: str | None = None,
                     usccs: set[str] | None = None, grade: str | None = None, overdue: bool = False,
                     today: dt.date | None = None, sort: str = "due", descending: bool = False, limit: int = 50,
                     offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """One page of the applications the caller may read, filtered, sorted and sliced in the query; with the
    total that match. ``usccs`` keeps the firms of a region or industry (the caller resolves them); ``grade`` the
    applications whose latest offer has that PD grade; ``overdue`` those still awaiting a decision past their
    SLA date. Each row carries its latest offer (product, limit, rate, PD grade) or ``None``."""
    from sqlalchemy import func, select

    A = repo.Application
    stmt = _scope(select(A), A, session, role, bank_id, uscc, org_id)
    if status:
        stmt = stmt.where(A.status == status)
    if product:
        stmt = stmt.where(A.product_id == product)
    if usccs is not None:
        stmt = stmt.where(A.uscc.in_(sorted(usccs)))
    if grade:
        stmt = stmt.where(A.id.in_(select(repo.Offer.application_id).where(repo.Offer.pd_grade == grade)))
    if overdue:
        stmt = stmt.where(A.status.in_(("submitted", "under_review")), A.sla_due_on < _today(today))
    total = int(session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one())
    col = getattr(A, APPLICATION_SORTS.get(sort, "sla_due_on"))
    order = col.desc() if descending else col.asc()
    rows = list(session.scalars(stmt.order_by(col.is_(None), order, A.id).limit(limit).offset(offset)))
    out = [repo.application_dict(a) for a in rows]
    offers: dict[str, dict[str, Any]] = {}
    if rows:
        for o in session.scalars(select(repo.Offer).where(repo.Offer.application_id.in_([a.id for a in rows]))
                                 .order_by(repo.Offer.created_on, repo.Offer.id)):
            offers[o.application_id] = {"product_id": o.product_id, "limit": repo.yuan(o.limit_fen),
                                        "term_months": o.term_months, "rate": o.rate, "pd_grade": o.pd_grade}
    for a in out:
        a["offer"] = offers.get(a["id"])
    return out, total


def loan_page(session: Session, *, role: str, bank_id: str | None = None, uscc: str | None = None,
              org_id: str | None = None, status: str | None = None, product: str | None = None,
              usccs: set[str] | None = None, overdue: bool = False, sort: str = "contracted",
              descending: bool = True, limit: int = 50, offset: int = 0) -> tuple[list[dict[str, Any]], int, Decimal]:
    """One page of the loans the caller may read (the one register), filtered, sorted and sliced in the query;
    with the number that match and their outstanding total. ``overdue`` keeps loans with days past due."""
    from sqlalchemy import func, select

    L = repo.Loan
    stmt = _scope(select(L), L, session, role, bank_id, uscc, org_id)
    if status:
        stmt = stmt.where(L.status == status)
    if product:
        stmt = stmt.where(L.product_id == product)
    if usccs is not None:
        stmt = stmt.where(L.uscc.in_(sorted(usccs)))
    if overdue:
        stmt = stmt.where(L.days_past_due > 0)
    sub = stmt.subquery()
    total, fen = session.execute(select(func.count(), func.coalesce(func.sum(sub.c.outstanding_fen), 0))).one()
    col = getattr(L, LOAN_SORTS.get(sort, "contracted_on"))
    order = col.desc() if descending else col.asc()
    rows = session.scalars(stmt.order_by(col.is_(None), order, L.id).limit(limit).offset(offset))
    return [repo.loan_dict(x) for x in rows], int(total), repo.yuan(int(fen)) or Decimal(0)
