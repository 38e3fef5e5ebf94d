"""Reading the evaluation input fast: a Parquet feature table whose columns already have the spec types is
checked with typed, vectorized expressions instead of the text round trip of ``read_feature_table``.
Any other file (CSV, JSON Lines, Parquet with text or odd types) goes through ``read_feature_table``.

The checks are the same as ``innocredit.ingest.tables`` (USCC check character, GB/T 4754 code, 6-digit
region code, non-negative amounts and counts, choices, duplicate ``uscc``+``as_of``); a bad value is a
``RowProblem`` with file, row and column.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from innocredit.ingest.problems import RowProblem, TableError
from innocredit.ingest.tables import ValidatedTable, read_feature_table
from innocredit.profile import features
from innocredit.profile.industry import SECTION_DIVISIONS, industry_code_error
from innocredit.profile.uscc import ALPHABET, WEIGHTS, uscc_error, uscc_valid_expr

_LOOKUP = np.full(256, -1, dtype=np.int64)
for _i, _ch in enumerate(ALPHABET):
    _LOOKUP[ord(_ch)] = _i


def uscc_valid_mask(codes: pl.Series) -> pl.Series:
    """True where the code is a valid USCC: the same rule as ``uscc_valid_expr``, computed on the Arrow bytes
    with numpy (18 bytes per code) — about 30x faster on a million codes. Falls back to the polars expression
    when some code is not 18 ASCII bytes long."""
    arr = codes.cast(pl.String).to_arrow()
    if hasattr(arr, "combine_chunks"):
        arr = arr.combine_chunks()
    n = len(arr)
    offsets_buf, data_buf = arr.buffers()[1], arr.buffers()[2]
    if n == 0 or offsets_buf is None or data_buf is None:
        return pl.select(uscc_valid_expr("u").alias("u")).to_series() if n == 0 else \
            pl.DataFrame({"u": codes}).select(uscc_valid_expr("u")).to_series()
    off_dtype = np.int64 if str(arr.type) in ("large_string", "large_utf8") else np.int32
    offsets = np.frombuffer(offsets_buf, dtype=off_dtype)[arr.offset:arr.offset + n + 1]
    if not (np.all(np.diff(offsets) == 18) and arr.null_count == 0):
        return pl.DataFrame({"u": codes}).select(uscc_valid_expr("u")).to_series()
    raw = np.frombuffer(data_buf, dtype=np.uint8)[offsets[0]:offsets[0] + 18 * n].reshape(n, 18)
    vals = _LOOKUP[raw]
    total = vals[:, :17] @ np.array(WEIGHTS, dtype=np.int64)
    expected = (31 - total % 31) % 31
    ok = (vals >= 0).all(axis=1) & (vals[:, 17] == expected)
    return pl.Series(ok)


def _compatible(actual: pl.DataType, spec: pl.DataType | type[pl.DataType]) -> bool:
    if actual == spec:
        return True
    if spec in (pl.Float64,) and (actual.is_float() or actual.is_integer()):
        return True
    return bool(spec in (pl.Int64, pl.Int8) and actual.is_integer())


def _industry_ok(col: str) -> pl.Expr:
    c = pl.col(col)
    sec = c.str.slice(0, 1)
    div = c.str.slice(1, 2).cast(pl.Int32, strict=False)
    lo = sec.replace_strict({k: v[0] for k, v in SECTION_DIVISIONS.items()}, default=None, return_dtype=pl.Int32)
    hi = sec.replace_strict({k: v[1] for k, v in SECTION_DIVISIONS.items()}, default=None, return_dtype=pl.Int32)
    return (c.str.contains(r"^[A-T]\d{2}\d{0,2}$") & (div >= lo) & (div <= hi)).fill_null(False)


def read_features(path: str | Path) -> ValidatedTable:
    """Read a feature table for evaluation (typed fast path for Parquet; see the module doc)."""
    path = Path(path)
    if path.suffix.lower() not in (".parquet", ".pq") or not path.exists():
        return read_feature_table(path)
    try:
        schema = pl.read_parquet_schema(path)
    except Exception as exc:
        raise TableError(f"{path}: cannot read as parquet: {exc}") from exc
    if "uscc" not in schema:
        raise TableError(f"{path}: missing required column(s): uscc")
    for name, dtype in schema.items():
        col = features.BY_NAME.get(name)
        if col is not None and not _compatible(dtype, col.dtype):
            return read_feature_table(path)
    try:
        df = pl.read_parquet(path)
    except Exception as exc:
        raise TableError(f"{path}: cannot read as parquet: {exc}") from exc
    df = df.with_columns(uscc_valid_mask(df["uscc"]).alias("__uscc_ok"))
    checks: list[tuple[str, pl.Expr, str | None]] = [("uscc", pl.col("uscc").is_null(), "required value is missing"),
                                                     ("uscc", pl.col("uscc").is_not_null() & ~pl.col("__uscc_ok"),
                                                      None)]
    for name in df.columns:
        col = features.BY_NAME.get(name)
        if col is None:
            continue
        if col.non_negative:
            checks.append((name, pl.col(name) < 0, "must not be negative"))
        if col.choices:
            checks.append((name, pl.col(name).is_not_null() & ~pl.col(name).is_in(list(col.choices)),
                           f"must be one of {', '.join(col.choices)}"))
        if name in ("industry_code", "region_code"):
            # few distinct codes: check the distinct values, then flag rows holding a bad one
            uniq = df.select(pl.col(name).unique().drop_nulls()).to_series()
            ok = (pl.DataFrame({name: uniq}).select(_industry_ok(name) if name == "industry_code"
                                                    else pl.col(name).str.contains(r"^\d{6}$")).to_series())
            bad_values = uniq.filter(~ok)
            reason = None if name == "industry_code" else "region code is not 6 digits"
            checks.append((name, pl.col(name).is_in(bad_values.implode()), reason))
    bad = df.select(pl.any_horizontal([e.fill_null(False) for _, e, _ in checks]).alias("bad"))["bad"]
    df = df.drop("__uscc_ok") if not bad.any() else df
    problems: list[RowProblem] = []
    if bad.any():
        flags = df.select(pl.lit(True).alias("bad"), *[e.fill_null(False).alias(f"__b{i}")
                                                       for i, (_, e, _) in enumerate(checks)]).with_columns(bad)
        df = df.drop("__uscc_ok")
        rows = flags.with_row_index("__row").filter(pl.col("bad"))
        for i, (name, _, reason) in enumerate(checks):
            for r in rows.filter(pl.col(f"__b{i}"))["__row"].to_list():
                value = df[name][r]
                why = reason or (uscc_error(value) if name == "uscc" else industry_code_error(value)) or "invalid value"
                problems.append(RowProblem(str(path), r + 1, name, None if value is None else str(value), why))
    data = df.with_row_index("__row").filter(~bad)
    key = [k for k in ("uscc", "as_of") if k in data.columns]
    # a 64-bit hash of the key finds "no duplicates" fast; the exact check runs only when the hash sees one
    hashed = pl.col("uscc").hash(1) + (pl.col("as_of").hash(2) if "as_of" in key else pl.lit(0, dtype=pl.UInt64))
    maybe = data.select(hashed.is_duplicated().any()).item()
    dup = data.filter(pl.struct(key).is_duplicated() & ~pl.struct(key).is_first_distinct()) if maybe else data.head(0)
    for r, u in zip(dup["__row"].to_list(), dup["uscc"].to_list()):
        problems.append(RowProblem(str(path), r + 1, "uscc", u, "duplicated key (uscc, as_of) already given earlier"))
    if dup.height:
        data = data.filter(~pl.col("__row").is_in(dup["__row"].implode()))
    data = data.drop("__row")
    problems.sort(key=lambda p: (p.line, p.column))
    return ValidatedTable(features.conform(data), problems, df.height)
