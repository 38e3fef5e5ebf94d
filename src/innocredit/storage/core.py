"""Tables every area refers to: enterprises (by USCC) and organisations (banks, offices, ...)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, String, func, true
from sqlalchemy.orm import Mapped, mapped_column

from innocredit.storage.base import Base

ORGANISATION_KINDS = ("coordination_office", "bank", "guarantor", "enterprise", "platform")


class Enterprise(Base):
    __tablename__ = "enterprises"

    uscc: Mapped[str] = mapped_column(String(18), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    region_code: Mapped[str | None] = mapped_column(String(6))
    uscc: Mapped[str | None] = mapped_column(String(18))
    # a disabled organisation's users cannot log in and their sessions and tokens stop working
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
