"""Read and validate tables (CSV, JSON Lines, Parquet) against a typed schema.

Every value is first read as text, then checked and converted column by column
with vectorized polars expressions. A bad value becomes a ``RowProblem`` naming
file, line, column, value and reason; its row is dropped and every good row is kept.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from innocredit.ingest.problems import RowProblem, TableError
from innocredit.profile import features
from innocredit.profile.industry import industry_code_error, industry_code_valid_expr
from innocredit.profile.uscc import uscc_error, uscc_valid_expr

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".parquet": "parquet", ".pq": "parquet"}
TRUE_WORDS = ("true", "1", "yes", "y", "t")
FALSE_WORDS = ("false", "0", "no", "n", "f")


@dataclass(frozen=True)
class FieldSpec:
    """One typed column of a table schema."""

    name: str
    dtype: type[pl.DataType] | pl.DataType
    required: bool = False
    non_negative: bool = False
    choices: tuple[str, ...] | None = None
    # a vectorized validity check (True = valid) and a per-value explanation of failures
    valid: Callable[[str], pl.Expr] | None = None
    explain: Callable[[object], str | None] | None = None


@dataclass
class ValidatedTable:
    data: pl.DataFrame
    problems: list[RowProblem] = field(default_factory=list)
    rows_read: int = 0

    @property
    def rows_rejected(self) -> int:
        return self.rows_read - self.data.height


def table_format(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise TableError(f"{path}: unknown file format {path.suffix!r}; use .csv, .jsonl or .parquet")
    return fmt


def read_text_table(path: str | Path) -> tuple[pl.DataFrame, int, str]:
    """Read a file with every column as text. Returns (frame, line of first row, format)."""
    path = Path(path)
    if not path.exists():
        raise TableError(f"{path}: no such file")
    fmt = table_format(path)
    try:
        if fmt == "csv":
            df = pl.read_csv(path, infer_schema=False)
            return df, 2, fmt
        if fmt == "parquet":
            df = pl.read_parquet(path)
            return df.select(_to_text(c, df.schema[c]) for c in df.columns), 1, fmt
        return _read_jsonl_text(path), 1, fmt
    except TableError:
        raise
    except Exception as exc:  # polars raises many types for unreadable files
        raise TableError(f"{path}: cannot read as {fmt}: {exc}") from exc


def _to_text(name: str, dtype: pl.DataType) -> pl.Expr:
    if dtype == pl.Boolean:
        return pl.col(name).cast(pl.String).str.to_lowercase()
    if dtype.is_float():
        # integral floats print without ".0" noise only when they are integral
        return pl.col(name).cast(pl.String)
    return pl.col(name).cast(pl.String)


def _read_jsonl_text(path: Path) -> pl.DataFrame:
    rows: list[dict[str, str | None]] = []
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                rows.append({})
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise TableError(f"{path}:{lineno}: not valid JSON: {exc.msg}") from exc
            if not isinstance(obj, dict):
                raise TableError(f"{path}:{lineno}: a JSON Lines row must be an object")
            rows.append({k: _json_text(v) for k, v in obj.items()})
    cols: dict[str, None] = {}
    for r in rows:
        cols.update(dict.fromkeys(r))
    return pl.DataFrame({c: [r.get(c) for r in rows] for c in cols}, schema={c: pl.String for c in cols})


def _json_text(v: object) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return repr(v)
    return str(v)


def _parse(name: str, dtype: type[pl.DataType] | pl.DataType) -> pl.Expr:
    c = pl.col(name).str.strip_chars()
    if dtype == pl.String:
        return c
    if dtype == pl.Date:
        return c.str.strptime(pl.Date, "%Y-%m-%d", strict=False)
    if dtype == pl.Boolean:
        low = c.str.to_lowercase()
        return pl.when(low.is_in(TRUE_WORDS)).then(True).when(low.is_in(FALSE_WORDS)).then(False).otherwise(None)
    as_float = c.cast(pl.Float64, strict=False)
    if dtype in (pl.Float64, pl.Float32):
        return as_float.cast(dtype)
    # integers: accept "12" and "12.0", refuse "12.5"
    return pl.when(as_float == as_float.floor()).then(as_float).otherwise(None).cast(dtype, strict=False)


def _type_reason(dtype: type[pl.DataType] | pl.DataType) -> str:
    if dtype == pl.Date:
        return "not a date in ISO format YYYY-MM-DD"
    if dtype == pl.Boolean:
        return "not a boolean (true/false)"
    if dtype in (pl.Float64, pl.Float32):
        return "not a number"
    return "not a whole number"


def validate_table(
    raw: pl.DataFrame,
    specs: Sequence[FieldSpec],
    file: str,
    first_line: int,
    key: Sequence[str] = (),
    keep_extra: bool = True,
) -> ValidatedTable:
    """Check and convert ``raw`` (all-text columns) against ``specs``; see module doc."""
    missing_required = [s.name for s in specs if s.required and s.name not in raw.columns]
    if missing_required:
        raise TableError(f"{file}: missing required column(s): {', '.join(missing_required)}")
    n = raw.height
    # empty strings are unknown values
    text = raw.with_columns(
        pl.when(pl.col(c).str.strip_chars() == "").then(None).otherwise(pl.col(c)).alias(c) for c in raw.columns
    ).with_row_index("__row")
    present = [s for s in specs if s.name in text.columns]
    parsed = text.with_columns(_parse(s.name, s.dtype).alias(f"__v_{s.name}") for s in present)

    checks: list[tuple[FieldSpec, pl.Expr, str | None]] = []
    for s in present:
        raw_c, val = pl.col(s.name), pl.col(f"__v_{s.name}")
        checks.append((s, raw_c.is_not_null() & val.is_null(), _type_reason(s.dtype)))
        if s.required:
            checks.append((s, raw_c.is_null(), "required value is missing"))
        if s.non_negative:
            checks.append((s, val < 0, "must not be negative"))
        if s.choices:
            checks.append((s, val.is_not_null() & ~val.is_in(list(s.choices)), f"must be one of {', '.join(s.choices)}"))
        if s.valid is not None:
            checks.append((s, val.is_not_null() & ~s.valid(f"__v_{s.name}"), None))

    flags = parsed.select(
        pl.col("__row"),
        *[e.fill_null(False).alias(f"__bad{i}") for i, (_, e, _) in enumerate(checks)],
    )
    problems: list[RowProblem] = []
    bad_rows: set[int] = set()
    for i, (s, _, reason) in enumerate(checks):
        hits = flags.filter(pl.col(f"__bad{i}"))["__row"]
        if hits.len() == 0:
            continue
        values = text[s.name].gather(hits)
        for row, value in zip(hits.to_list(), values.to_list(), strict=True):
            why = reason or (s.explain(value) if s.explain else None) or "invalid value"
            problems.append(RowProblem(file, row + first_line, s.name, value, why))
            bad_rows.add(row)

    result = parsed.select(
        pl.col("__row"),
        *[pl.col(f"__v_{s.name}").cast(s.dtype).alias(s.name) for s in present],
        *([pl.col(c) for c in raw.columns if c not in {s.name for s in specs}] if keep_extra else []),
    )
    if bad_rows:
        result = result.filter(~pl.col("__row").is_in(sorted(bad_rows)))
    if key and all(k in result.columns for k in key):
        dup = result.filter(pl.struct(list(key)).is_duplicated() & ~pl.struct(list(key)).is_first_distinct())
        for row in dup["__row"].to_list():
            value = "/".join(str(text[k][row]) for k in key)
            problems.append(RowProblem(file, row + first_line, key[0], value,
                                       f"duplicated key ({', '.join(key)}) already given on an earlier line"))
        if dup.height:
            result = result.filter(~pl.col("__row").is_in(dup["__row"]))
    problems.sort(key=lambda p: (p.line, p.column))
    return ValidatedTable(result.drop("__row"), problems, n)


def _feature_specs() -> list[FieldSpec]:
    specs = []
    for col in features.COLUMNS:
        extra: dict[str, object] = {}
        if col.name == "uscc":
            extra = {"valid": uscc_valid_expr, "explain": uscc_error, "required": True}
        elif col.name == "industry_code":
            extra = {"valid": industry_code_valid_expr, "explain": industry_code_error}
        elif col.name == "region_code":
            extra = {"valid": lambda c: pl.col(c).str.contains(r"^\d{6}$"),
                     "explain": lambda v: f"region code {v!r} is not 6 digits"}
        specs.append(FieldSpec(col.name, col.dtype, non_negative=col.non_negative, choices=col.choices, **extra))  # type: ignore[arg-type]
    return specs


FEATURE_SPECS = _feature_specs()


def read_feature_table(path: str | Path, key: Sequence[str] = ("uscc", "as_of")) -> ValidatedTable:
    """Read a feature table (``spec/features.md``) from CSV, JSONL or Parquet, validated.

    Absent spec columns come back as null (unknown); extra columns are kept as text.
    """
    raw, first_line, _ = read_text_table(path)
    table = validate_table(raw, FEATURE_SPECS, str(path), first_line, key=key)
    table.data = features.conform(table.data)
    return table


def write_table(df: pl.DataFrame, path: str | Path) -> None:
    """Write a frame as CSV, JSON Lines or Parquet, chosen by the file extension."""
    path = Path(path)
    fmt = table_format(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        df.write_csv(path)
    elif fmt == "parquet":
        df.write_parquet(path)
    else:
        df.write_ndjson(path)
