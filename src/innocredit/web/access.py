"""Who may see which enterprise. Enforced in every query that returns enterprise data.

- coordinator, admin: every enterprise;
- enterprise: only itself;
- bank roles: the enterprises whose consent covers this bank, plus those pushed to it on a recommendation
  list or with an application at this bank (see :func:`bank_visible`), and nothing else;
- guarantor: the enterprises in applications it guarantees (through the lending routes only).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from innocredit.services import coordination, lending
from innocredit.web.auth import BANK_ROLES, Principal
from innocredit.web.problems import ProblemError

ALL = None  # marker: no restriction

# Each area that grants a bank sight of an enterprise registers a function (session, bank_id) -> set of USCCs.
BANK_GRANTS: list[Callable[[Session, str], set[str]]] = []


def _builtin_grants(session: Session, bank_id: str) -> set[str]:
    """Firms pushed to this bank by the office, firms with a consent to this bank in force, and firms with
    an application at this bank."""
    return coordination.bank_visible_usccs(session, bank_id) | lending.applicant_usccs(session, bank_id)


def bank_visible(session: Session, bank_id: str) -> set[str]:
    usccs = _builtin_grants(session, bank_id)
    for grant in BANK_GRANTS:
        usccs |= grant(session, bank_id)
    return usccs


def visible_usccs(session: Session, principal: Principal) -> set[str] | None:
    """The USCCs this principal may read (``None`` = all)."""
    if principal.role in ("coordinator", "admin"):
        return ALL
    if principal.role == "enterprise":
        return {principal.uscc} if principal.uscc else set()
    if principal.role in BANK_ROLES and principal.bank_id:
        return bank_visible(session, principal.bank_id)
    return set()


def ensure_visible(session: Session, principal: Principal, uscc: str) -> None:
    allowed = visible_usccs(session, principal)
    if allowed is not ALL and uscc not in allowed:
        # 404, not 403: another bank's or enterprise's existence is not disclosed
        raise ProblemError(404, "enterprise not found", "not-found")
