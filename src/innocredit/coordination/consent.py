"""Consent rules (企业授权): which bank may read which categories of an enterprise's data, and when.

An enterprise grants a named bank a set of data categories for a period [valid_from, valid_until);
a revocation takes effect at its timestamp. A read is allowed only when every requested category is
covered by a consent in force at the moment of the read; otherwise it is refused, naming what is missing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from innocredit.coordination.policy import ID, TEXT, read_policy

CONSENT_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["id", "version", "categories", "max_days"], "additionalProperties": False,
    "properties": {
        "id": {"type": "string"}, "version": {"type": "string"},
        "max_days": {"type": "integer", "minimum": 1},
        "categories": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["id", "name", "feeds"], "additionalProperties": False,
            "properties": {"id": ID, "name": TEXT, "feeds": {"type": "array", "items": {"type": "string"}}}}},
    },
}


class ConsentRefused(PermissionError):
    """A bank tried to read data it has no consent for. ``missing`` names the uncovered categories."""

    def __init__(self, bank_id: str, uscc: str, missing: Sequence[str], reason: str) -> None:
        self.bank_id = bank_id
        self.uscc = uscc
        self.missing = tuple(missing)
        self.reason = reason
        super().__init__(f"bank {bank_id} has no consent from {uscc} for {', '.join(missing)}: {reason}")


class ConsentError(ValueError):
    """A consent that cannot be granted as asked (unknown category, bad period)."""


@dataclass(frozen=True)
class ConsentPolicy:
    version: str
    max_days: int
    categories: dict[str, dict[str, Any]]

    def feeds(self, category: str) -> list[str]:
        return list(self.categories[category]["feeds"])

    def check_categories(self, categories: Iterable[str]) -> tuple[str, ...]:
        cats = tuple(dict.fromkeys(categories))
        if not cats:
            raise ConsentError("no data category named; choose from " + ", ".join(self.categories))
        unknown = [c for c in cats if c not in self.categories]
        if unknown:
            raise ConsentError(f"unknown data categories {', '.join(unknown)}; choose from "
                               + ", ".join(self.categories))
        return cats


def load_consent_policy(source: str | Path = "consent.yaml") -> ConsentPolicy:
    data = read_policy(source, CONSENT_SCHEMA)
    return ConsentPolicy(str(data["version"]), int(data["max_days"]), {c["id"]: c for c in data["categories"]})


@lru_cache(maxsize=1)
def default_consent_policy() -> ConsentPolicy:
    return load_consent_policy()


@dataclass(frozen=True)
class Consent:
    id: int
    uscc: str
    bank_id: str
    categories: tuple[str, ...]
    valid_from: dt.datetime
    valid_until: dt.datetime
    revoked_at: dt.datetime | None = None

    def in_force(self, now: dt.datetime) -> bool:
        now = as_utc(now)
        if self.revoked_at is not None and as_utc(self.revoked_at) <= now:
            return False
        return as_utc(self.valid_from) <= now < as_utc(self.valid_until)

    def state(self, now: dt.datetime) -> str:
        if self.revoked_at is not None and as_utc(self.revoked_at) <= as_utc(now):
            return "revoked"
        if as_utc(now) < as_utc(self.valid_from):
            return "not_yet_valid"
        if as_utc(now) >= as_utc(self.valid_until):
            return "expired"
        return "in_force"


@dataclass(frozen=True)
class AccessDecision:
    allowed: bool
    categories: tuple[str, ...]
    consent_ids: dict[str, int] = field(default_factory=dict)  # category -> consent that covers it
    missing: tuple[str, ...] = ()
    reason: str = ""


def as_utc(t: dt.datetime) -> dt.datetime:
    """Naive timestamps are taken as UTC (SQLite returns naive values)."""
    return t.replace(tzinfo=dt.UTC) if t.tzinfo is None else t.astimezone(dt.UTC)


def validate_grant(policy: ConsentPolicy, categories: Iterable[str], valid_from: dt.datetime,
                   valid_until: dt.datetime) -> tuple[str, ...]:
    cats = policy.check_categories(categories)
    if as_utc(valid_until) <= as_utc(valid_from):
        raise ConsentError(f"consent period ends ({valid_until.isoformat()}) before it starts "
                           f"({valid_from.isoformat()})")
    if (as_utc(valid_until) - as_utc(valid_from)).days > policy.max_days:
        raise ConsentError(f"consent period longer than the policy maximum of {policy.max_days} days")
    return cats


def decide(consents: Sequence[Consent], bank_id: str, uscc: str, categories: Iterable[str],
           now: dt.datetime) -> AccessDecision:
    """Is ``bank_id`` allowed to read ``categories`` of ``uscc`` at ``now``? Every category must be covered."""
    cats = tuple(dict.fromkeys(categories))
    mine = [c for c in consents if c.bank_id == bank_id and c.uscc == uscc]
    covering: dict[str, int] = {}
    for c in sorted(mine, key=lambda c: c.id):
        if c.in_force(now):
            for cat in c.categories:
                covering.setdefault(cat, c.id)
    missing = tuple(c for c in cats if c not in covering)
    if not missing:
        return AccessDecision(True, cats, {c: covering[c] for c in cats})
    states = sorted({c.state(now) for c in mine if set(missing) & set(c.categories)})
    if not mine:
        reason = "no consent granted to this bank"
    elif states:
        reason = "consent " + "/".join(states)
    else:
        reason = "categories not in any consent"
    return AccessDecision(False, cats, {c: covering[c] for c in cats if c in covering}, missing, reason)


# ---------------------------------------------------------------- which category each field belongs to

_GRANT: dict[str, Any] = {
    "type": "object", "required": ["states", "categories"], "additionalProperties": False,
    "properties": {"states": {"type": "array", "items": ID}, "loan_states": {"type": "array", "items": ID},
                   "categories": {"type": "array", "items": ID},
                   "assumption": {"type": "boolean"}, "reason": {"type": "string", "minLength": 1}},
}
FIELD_CATEGORIES_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["id", "version", "public", "categories", "grants"], "additionalProperties": False,
    "properties": {
        "id": {"type": "string"}, "version": {"type": "string"},
        "public": {"type": "array", "items": ID},
        "feeds": {"type": "object", "additionalProperties": ID},
        "categories": {"type": "object", "minProperties": 1, "propertyNames": ID,
                       "additionalProperties": {"type": "array", "items": {"type": "string", "minLength": 1}}},
        "grants": {"type": "object", "required": ["push", "open_application"], "additionalProperties": False,
                   "properties": {"push": _GRANT, "open_application": _GRANT}},
    },
}


@dataclass(frozen=True)
class Grant:
    """A ground other than consent on which a bank sees a firm: its states and the categories it gives."""

    states: frozenset[str]
    categories: frozenset[str]
    loan_states: frozenset[str] = frozenset()


@dataclass(frozen=True)
class FieldCategories:
    """Each feature-table field's one data category, the public categories, and the non-consent grants."""

    version: str
    field_category: dict[str, str]
    public: frozenset[str]
    push: Grant
    open_application: Grant
    feeds: dict[str, str] = field(default_factory=dict)  # feed id -> category, for feeds consent.yaml omits

    @property
    def categories(self) -> frozenset[str]:
        return frozenset(self.field_category.values())

    def category(self, field_name: str) -> str | None:
        return self.field_category.get(field_name)

    def needed(self, fields: Iterable[str]) -> frozenset[str] | None:
        """The categories a computation over ``fields`` reads; ``None`` when a field is in no category (such a
        computation is shown only to who sees everything)."""
        out = set()
        for f in fields:
            cat = self.field_category.get(f)
            if cat is None:
                return None
            out.add(cat)
        return frozenset(out)

    def filter(self, row: dict[str, Any], allowed: Iterable[str] | None) -> dict[str, Any]:
        """The fields of ``row`` whose category is in ``allowed`` (``None``: every field). A field in no
        category is withheld from a restricted reader."""
        if allowed is None:
            return dict(row)
        keep = set(allowed) | self.public
        return {k: v for k, v in row.items() if self.field_category.get(k) in keep}


def load_field_categories(source: str | Path = "field_categories.yaml",
                          consent: ConsentPolicy | None = None) -> FieldCategories:
    """Load the field table; every consent category must own a field, and each field appear once."""
    data = read_policy(source, FIELD_CATEGORIES_SCHEMA)
    name = str(source)
    owner: dict[str, str] = {}
    for cat, fields in data["categories"].items():
        for f in fields:
            if f in owner:
                raise ConsentError(f"{name}: field {f!r} is in two categories ({owner[f]}, {cat})")
            owner[f] = cat
    known = set(data["categories"])
    consent = consent or default_consent_policy()
    missing = [c for c in consent.categories if c not in known]
    if missing:
        raise ConsentError(f"{name}: consent categories without fields: {', '.join(missing)}")
    grants = {}
    for key, g in data["grants"].items():
        unknown = [c for c in g["categories"] if c not in known]
        if unknown:
            raise ConsentError(f"{name}: grants.{key}.categories: unknown {', '.join(unknown)}")
        grants[key] = Grant(frozenset(g["states"]), frozenset(g["categories"]), frozenset(g.get("loan_states", ())))
    unknown_public = [c for c in data["public"] if c not in known]
    if unknown_public:
        raise ConsentError(f"{name}: public: unknown {', '.join(unknown_public)}")
    feeds = dict(data.get("feeds") or {})
    for feed, cat in feeds.items():
        if cat not in known:
            raise ConsentError(f"{name}: feeds.{feed}: unknown category {cat}")
    for cid, c in consent.categories.items():
        feeds.update({f: cid for f in c["feeds"]})
    return FieldCategories(str(data["version"]), owner, frozenset(data["public"]), grants["push"],
                           grants["open_application"], feeds)


@lru_cache(maxsize=1)
def default_field_categories() -> FieldCategories:
    return load_field_categories()
