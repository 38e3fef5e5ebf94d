"""Limit/offset pagination shared by every list endpoint."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

T = TypeVar("T")
MAX_LIMIT = 500


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True)
class PageParams:
    limit: int
    offset: int

    def apply(self, rows: Sequence[T]) -> list[T]:
        return list(rows[self.offset:self.offset + self.limit])


async def page_params(limit: int = Query(50, ge=1, le=MAX_LIMIT, description="items per page"),
                offset: int = Query(0, ge=0, le=10_000_000, description="items to skip")) -> PageParams:
    return PageParams(limit=limit, offset=offset)


def paginate(rows: Sequence[T], params: PageParams, total: int | None = None) -> dict:
    """A page of already-filtered rows (``total`` when the rows were sliced by the query)."""
    if total is None:
        return {"items": params.apply(rows), "total": len(rows), "limit": params.limit, "offset": params.offset}
    return {"items": list(rows), "total": total, "limit": params.limit, "offset": params.offset}
