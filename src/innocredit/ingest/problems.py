"""A rejected value: where it was and why. Every reader reports bad rows this way."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class RowProblem:
    file: str
    line: int  # 1-based line in a CSV/JSONL file (header is line 1 in CSV); row number in Parquet
    column: str
    value: str | None
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: column {self.column!r}: {self.reason} (value {self.value!r})"

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


class TableError(Exception):
    """A file that cannot be read at all (missing, unknown format, missing key columns)."""
