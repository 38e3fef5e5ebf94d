"""The link between the areas: a bank's lending actions on a pushed firm answer the coordination push.

apply/review -> ``accepted``; final approval -> ``credit_granted``; rejection -> ``declined`` (D03 unless the
push is past that); disbursement -> ``disbursed`` (which registers the loan for the office's metrics).
When the coordination area is not installed, or the firm was not pushed to this bank, nothing happens.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from innocredit.web.auth import Principal
from innocredit.web.data import optional_module

LOG = logging.getLogger("innocredit.web")
WANTED = {"apply": "accepted", "review": "accepted", "approve": "credit_granted", "contract": "credit_granted",
          "reject": "declined", "disburse": "disbursed"}
# how a push moves forward to each target (intermediate answers are recorded on the way)
PATHS = {"accepted": {"pushed": ["accepted"]},
         "credit_granted": {"pushed": ["accepted", "credit_granted"], "accepted": ["credit_granted"]},
         "disbursed": {"pushed": ["accepted", "credit_granted", "disbursed"],
                       "accepted": ["credit_granted", "disbursed"], "credit_granted": ["disbursed"]},
         "declined": {"pushed": ["declined"], "accepted": ["declined"]}}


def after_lending_action(session: Session, principal: Principal, action: str, obj: dict[str, Any]) -> None:
    target = WANTED.get(action)
    service = optional_module("innocredit.coordination.service")
    repo = optional_module("innocredit.storage.coordination")
    flow = optional_module("innocredit.coordination.flow")
    if target is None or service is None or repo is None or flow is None or not principal.bank_id:
        return
    if action == "approve" and obj.get("status") != "approved":
        return  # first of two approvals
    push = session.scalars(select(repo.CoordPush).where(repo.CoordPush.bank_id == principal.bank_id,
                                                        repo.CoordPush.uscc == obj.get("uscc"))
                           .order_by(repo.CoordPush.id.desc())).first()
    if push is None:
        return
    amount = obj.get("amount") or obj.get("principal")
    rate = obj.get("rate")
    if rate is None:
        lending = optional_module("innocredit.storage.lending")
        offer = session.scalars(select(lending.Offer).where(lending.Offer.application_id == obj.get("id"))).first() \
            if lending is not None else None
        rate = offer.rate if offer is not None else None
    if target == "credit_granted" and rate is None:
        return  # the rate is known at the contract; the credit answer is given then
    try:
        with session.begin_nested():
            _answer(session, service, flow, principal.bank_id, push, target, action, obj, amount, rate)
    except Exception:  # the lending action stands; the office sees the push unanswered and can follow up
        LOG.warning("could not answer push %s after %s", push.id, action, exc_info=True)


def _answer(session: Session, service: Any, flow: Any, bank_id: str, push: Any, target: str, action: str,
            obj: dict[str, Any], amount: Any, rate: Any) -> None:
    for kind in PATHS[target].get(push.status, []):
        answer = flow.Answer(kind=kind, decline_code="D03" if kind == "declined" else None,
                             amount=Decimal(str(amount)) if kind in ("credit_granted", "disbursed") and amount
                             else None,
                             rate=float(rate) if kind == "credit_granted" and rate is not None else None,
                             product=obj.get("product_id") if kind == "credit_granted" else None,
                             secured=False if kind == "credit_granted" else None,
                             note=f"lending {action}")
        service.record_answer(session, bank_id=bank_id, push_id=push.id, answer=answer,
                              loan_id=obj.get("id") if kind == "disbursed" else None)
