"""Who may see which enterprise, and which of its data. Enforced in every query that returns enterprise data.

- coordinator, admin: every enterprise, every field;
- enterprise: only itself, every field;
- bank roles: the enterprises with a ground at this bank, and of each only the data categories that ground
  gives (``coordination/policies/field_categories.yaml`` maps every field of the feature table to one category):
  * a consent in force to this bank: the categories it names;
  * a push by the office, not declined or finished: the push grant's categories;
  * an open application at this bank (submitted, under review, approved, contracted) or its live loan: the
    open-application grant's categories. A withdrawn, rejected or settled application gives nothing;
  * every ground shows the public identity (name, code, industry, region, date of establishment).
- guarantor: the enterprises in applications it guarantees (through the lending routes only).

Derived results (evaluations, explanations, PD, offers, the IP portfolio's values) read many fields: a bank sees
one only when its categories cover every field the computation reads (:func:`Sight.covers`). Routes that do not
say what they read (:func:`ensure_visible` without ``needs``) read the whole profile.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from innocredit.coordination.consent import FieldCategories, default_field_categories
from innocredit.services import coordination, lending
from innocredit.web.auth import BANK_ROLES, Principal
from innocredit.web.problems import ProblemError

ALL = None  # marker: no restriction
EVERYTHING = "*"  # ``needs`` marker: the route reads every category

# Each area that grants a bank sight of an enterprise registers a function (session, bank_id) -> set of USCCs.
# Such a grant shows the public identity only.
BANK_GRANTS: list[Callable[[Session, str], set[str]]] = []


def field_categories() -> FieldCategories:
    return default_field_categories()


@dataclass(frozen=True)
class Sight:
    """What one account sees of one enterprise: ``categories`` (``None`` = every field)."""

    categories: frozenset[str] | None

    @property
    def full(self) -> bool:
        return self.categories is None

    def covers(self, needed: Iterable[str] | None) -> bool:
        """Does this sight include every category in ``needed``? ``None`` or ``EVERYTHING``: all categories."""
        if self.categories is None:
            return True
        fc = field_categories()
        wanted = fc.categories if needed is None or needed == EVERYTHING else frozenset(needed)
        return wanted <= (self.categories | fc.public)

    def filter(self, row: dict[str, Any]) -> dict[str, Any]:
        return field_categories().filter(row, self.categories)

    def withheld(self) -> list[str]:
        """The categories this sight does not include (sorted)."""
        if self.categories is None:
            return []
        fc = field_categories()
        return sorted(fc.categories - self.categories - fc.public)


FULL = Sight(None)


def _open_applicants(session: Session, bank_id: str) -> set[str]:
    """Firms with an open application at this bank, or a live loan from it."""
    grant = field_categories().open_application
    apps = lending.visible_applications(session, role="bank_officer", bank_id=bank_id)
    loans = lending.visible_loans(session, role="bank_officer", bank_id=bank_id)
    return ({a["uscc"] for a in apps if a["status"] in grant.states}
            | {x["uscc"] for x in loans if x["status"] in grant.loan_states})


def bank_sights(session: Session, bank_id: str) -> dict[str, Sight]:
    """Every firm this bank may see, with the categories it sees of each."""
    fc = field_categories()
    out: dict[str, set[str]] = {}
    for uscc, cats in coordination.consented_categories(session, bank_id).items():
        out.setdefault(uscc, set(fc.public)).update(cats)
    for uscc in coordination.pushed_usccs(session, bank_id, fc.push.states):
        out.setdefault(uscc, set(fc.public)).update(fc.push.categories)
    for uscc in _open_applicants(session, bank_id):
        out.setdefault(uscc, set(fc.public)).update(fc.open_application.categories)
    for grant in BANK_GRANTS:
        for uscc in grant(session, bank_id):
            out.setdefault(uscc, set(fc.public))
    return {u: Sight(frozenset(c)) for u, c in out.items()}


def bank_visible(session: Session, bank_id: str) -> set[str]:
    return set(bank_sights(session, bank_id))


def sights(session: Session, principal: Principal) -> dict[str, Sight] | None:
    """What this principal sees of each enterprise it may see (``None`` = everything of every firm)."""
    if principal.role in ("coordinator", "admin"):
        return ALL
    if principal.role == "enterprise":
        return {principal.uscc: FULL} if principal.uscc else {}
    if principal.role in BANK_ROLES and principal.bank_id:
        return bank_sights(session, principal.bank_id)
    return {}


def visible_usccs(session: Session, principal: Principal) -> set[str] | None:
    """The USCCs this principal may read (``None`` = all)."""
    found = sights(session, principal)
    return None if found is None else set(found)


def sight_of(session: Session, principal: Principal, uscc: str) -> Sight:
    """What this principal sees of ``uscc``; 404 when it may not see the firm at all."""
    found = sights(session, principal)
    if found is None:
        return FULL
    if uscc not in found:
        # 404, not 403: another bank's or enterprise's existence is not disclosed
        raise ProblemError(404, "enterprise not found", "not-found")
    return found[uscc]


def sight_or_public(session: Session, principal: Principal, uscc: str) -> Sight:
    """What this principal sees of ``uscc``, or only the public identity when it has no ground (a bank's page of
    its own withdrawn application, a guarantor's page of a guaranteed application)."""
    found = sights(session, principal)
    if found is None:
        return FULL
    return found.get(uscc) or Sight(field_categories().public)


def ensure_visible(session: Session, principal: Principal, uscc: str,
                   needs: Iterable[str] | str | None = EVERYTHING) -> Sight:
    """Refuse (404) unless the principal sees ``uscc`` and the categories ``needs`` names (default: every
    category, for routes whose answer is computed from the whole profile; ``None``: the firm at all)."""
    sight = sight_of(session, principal, uscc)
    if needs is not None and not sight.covers(needs):
        raise consent_required(sight, needs)
    return sight


def consent_required(sight: Sight, needs: Iterable[str] | str | None) -> ProblemError:
    """403 naming the categories this bank holds no consent (or other ground) for."""
    fc = field_categories()
    wanted = fc.categories if needs is None or needs == EVERYTHING else frozenset(needs)
    missing = sorted(wanted - (sight.categories or frozenset()) - fc.public)
    return ProblemError(403, "no consent in force for the data categories " + ", ".join(missing),
                        "consent-required")


def needed_by_system(system: Any) -> frozenset[str] | str:
    """The categories an indicator system reads (``EVERYTHING`` when a field is in no category)."""
    inputs = getattr(system, "feature_inputs", None)
    if inputs is None:
        return EVERYTHING
    needed = field_categories().needed(inputs() if callable(inputs) else inputs)
    return EVERYTHING if needed is None else needed
