"""Limit/offset pagination shared by every list endpoint."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

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


# ---- list pages: page, size, sort and filters held in the URL ------------------------------------------------

PAGE_SIZE = 50  # rows a list page shows by default
MAX_PAGE_SIZE = 100  # no table page renders more (tests/web/test_web_pages_lists.py checks it)
FILTERS = ("status", "product", "region", "industry", "grade", "overdue", "severity")


@dataclass(frozen=True)
class ListState:
    """What a list page shows: its page, page size, sort column and direction and filters, all read from (and
    written back to) the query string, so that a link or a reload shows the same rows."""

    page: int
    size: int
    sort: str
    desc: bool
    filters: tuple[tuple[str, str], ...]

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    def get(self, name: str) -> str:
        return dict(self.filters).get(name, "")

    def query(self, **changes: object) -> str:
        """The query string of this state with ``changes`` applied (a filter change goes back to page 1)."""
        from urllib.parse import urlencode

        params: dict[str, object] = {**dict(self.filters), "sort": self.sort, "dir": "desc" if self.desc else "asc",
                                     "page": self.page}
        if self.size != PAGE_SIZE:
            params["size"] = self.size
        if any(k in FILTERS for k in changes):
            params["page"] = 1
        params.update(changes)
        return urlencode({k: v for k, v in params.items() if v not in (None, "")})

    def sort_query(self, key: str) -> str:
        """The link of a column header: sort by it, or flip the direction when it is the sort column."""
        return self.query(sort=key, dir=("asc" if self.desc else "desc") if key == self.sort else "asc", page=1)

    def pages(self, total: int) -> int:
        return max(1, -(-total // self.size))


def _bad(field: str, value: str, why: str) -> Exception:
    from innocredit.web.problems import ProblemError

    return ProblemError(422, f"{field}: {value!r} {why}", "invalid")


def list_state(request: Any, sorts: Sequence[str], default_sort: str, default_desc: bool = False,
               choices: dict[str, Sequence[str]] | None = None) -> ListState:
    """Read a list page's state from the query string; a bad value is a 422 naming the parameter."""
    q = request.query_params
    try:
        page = int(q.get("page") or 1)
    except ValueError:
        raise _bad("page", q.get("page", ""), "is not a whole number") from None
    try:
        size = int(q.get("size") or PAGE_SIZE)
    except ValueError:
        raise _bad("size", q.get("size", ""), "is not a whole number") from None
    if page < 1 or page > 1_000_000:
        raise _bad("page", str(page), "must be between 1 and 1000000")
    if size < 1 or size > MAX_PAGE_SIZE:
        raise _bad("size", str(size), f"must be between 1 and {MAX_PAGE_SIZE}")
    sort = q.get("sort") or default_sort
    if sort not in sorts:
        raise _bad("sort", sort, f"is not one of {', '.join(sorts)}")
    direction = q.get("dir") or ("desc" if default_desc else "asc")
    if direction not in ("asc", "desc"):
        raise _bad("dir", direction, "is not asc or desc")
    filters: list[tuple[str, str]] = []
    for name in FILTERS:
        value = (q.get(name) or "").strip()
        if not value:
            continue
        if len(value) > 64:
            raise _bad(name, value[:20] + "…", "is longer than 64 characters")
        allowed = (choices or {}).get(name)
        if allowed is not None and value not in allowed:
            raise _bad(name, value, f"is not one of {', '.join(allowed)}")
        filters.append((name, value))
    return ListState(page, size, sort, direction == "desc", tuple(filters))


def firms_matching(features: Any, region: str = "", industry: str = "", grade: str = "",
                   graded: Any = None) -> set[str] | None:
    """The firms of a region (code prefix), an industry (GB/T 4754 code prefix or section letter) and a PD
    grade (from ``graded``, a frame with ``uscc`` and ``pd_grade``); ``None`` when no such filter is set (the
    query then keeps every firm)."""
    import polars as pl

    if not (region or industry or grade):
        return None
    df = features.select("uscc", "region_code", "industry_code")
    if region:
        df = df.filter(pl.col("region_code").str.starts_with(region).fill_null(False))
    if industry:
        df = df.filter(pl.col("industry_code").str.starts_with(industry.upper()).fill_null(False))
    keep = set(df["uscc"].to_list())
    if grade:
        if graded is None or "pd_grade" not in graded.columns:
            return set()
        keep &= set(graded.filter(pl.col("pd_grade") == grade)["uscc"].to_list())
    return keep
