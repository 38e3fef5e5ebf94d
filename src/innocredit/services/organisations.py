"""Organisations as the other use cases need them: which exist, and of which kind (bank, guarantor …)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from innocredit.storage.core import Organisation


def kind_of(session: Session, org_id: str) -> str | None:
    """The kind of a registered organisation, ``None`` when there is no such organisation."""
    org = session.get(Organisation, org_id)
    return None if org is None else org.kind


def ids_of_kind(session: Session, kind: str) -> list[str]:
    return list(session.execute(select(Organisation.id).where(Organisation.kind == kind)
                                .order_by(Organisation.id)).scalars())
