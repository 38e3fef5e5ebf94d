"""The one reader for every table: CSV, JSON Lines, Parquet and Excel, checked against a typed schema.

``read_table`` reads a file in its own types (Parquet and Excel columns keep theirs; CSV and JSON Lines are
text, as their files are). ``validate_table`` then checks and converts column by column, each in the type it
arrived in: a column that already has the spec type is only checked, a column of another type is cast (integers
to text for a region code, Excel datetimes to dates, 1/0 to booleans, integral floats to integers), and only
text is parsed. Typed input never goes through text.

A bad value becomes a ``RowProblem`` naming file (and sheet), line, column, value and reason; its row is dropped
and every good row is kept. Lines are the file's own: the CSV and Excel header is line 1, a JSON Lines row is its
line, a Parquet row is counted from 1. Headers may be the Chinese names of ``column_names.yaml`` (统一社会信用代码,
营业收入 ...) or the bilingual headers of the templates (``营业收入 (revenue)``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import polars as pl

from innocredit.ingest.problems import RowProblem, TableError
from innocredit.profile import features
from innocredit.profile.industry import industry_code_error, industry_code_valid_expr
from innocredit.profile.uscc import ALPHABET, WEIGHTS, uscc_error, uscc_valid_expr

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".parquet": "parquet",
           ".pq": "parquet", ".xlsx": "xlsx", ".xlsm": "xlsx"}
TRUE_WORDS = ("true", "1", "yes", "y", "t", "是", "真")
FALSE_WORDS = ("false", "0", "no", "n", "f", "否", "假")
NAMES_FILE = Path(__file__).with_name("column_names.yaml")
# a date cell in a column that also holds text reads as "2025-06-30 00:00:00": the reader keeps the date
_MIDNIGHT = r"^(\d{4}-\d{2}-\d{2})[ T]00:00:00(?:\.0+)?$"


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
    # a faster whole-column check used instead of ``valid`` when given (True = valid, same rule)
    valid_series: Callable[[pl.Series], pl.Series] | None = None
    # another column of the same row this value must not be less than (an expiry not before the day of issue)
    not_before: str | None = None


@dataclass
class ValidatedTable:
    data: pl.DataFrame
    problems: list[RowProblem] = field(default_factory=list)
    rows_read: int = 0

    @property
    def rows_rejected(self) -> int:
        return self.rows_read - self.data.height


@dataclass
class RawTable:
    """A file as read, before checks: the frame in its own types, the line of its first row, its format and the
    label that problems name (the path, with ``[sheet]`` for Excel)."""

    frame: pl.DataFrame
    first_line: int
    fmt: str
    label: str


def table_format(path: Path) -> str:
    fmt = FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        raise TableError(f"{path}: unknown file format {Path(path).suffix!r}; use .csv, .jsonl, .parquet or .xlsx")
    return fmt


# ------------------------------------------------------------------------------------------------ headers

@lru_cache(maxsize=1)
def column_names() -> dict[str, list[str]]:
    """The Chinese names of the spec columns: column -> [name, aliases ...] (``column_names.yaml``)."""
    import yaml

    data = yaml.safe_load(NAMES_FILE.read_text(encoding="utf-8"))
    return {str(k): [str(x) for x in v] for k, v in data.items()}


def chinese_name(column: str) -> str | None:
    names = column_names().get(column)
    return names[0] if names else None


@lru_cache(maxsize=1)
def _aliases() -> dict[str, str]:
    out: dict[str, str] = {}
    for col, names in column_names().items():
        for n in names:
            out[_norm(n)] = col
    return out


def _norm(header: str) -> str:
    return re.sub(r"\s+", "", header.replace("（", "(").replace("）", ")")).lower()


_BILINGUAL = re.compile(r"^.*[(（]\s*([a-z][a-z0-9_]*)\s*[)）]\s*$")


def header_column(header: str) -> str:
    """The spec column a header names: ``营业收入`` and ``营业收入 (revenue)`` -> ``revenue``; other headers are
    returned stripped."""
    h = str(header).strip()
    m = _BILINGUAL.match(h)
    if m:
        return m.group(1)
    return _aliases().get(_norm(h), h)


def normalise_headers(df: pl.DataFrame, label: str) -> pl.DataFrame:
    """Rename Chinese or bilingual headers to the spec names; two headers naming one column is an error."""
    mapping = {c: header_column(c) for c in df.columns}
    seen: dict[str, str] = {}
    for old, new in mapping.items():
        if new in seen:
            raise TableError(f"{label}: columns {seen[new]!r} and {old!r} both give {new!r}")
        seen[new] = old
    if all(k == v for k, v in mapping.items()):
        return df
    return df.rename(mapping)


# ------------------------------------------------------------------------------------------------ reading

def read_table(path: str | Path, sheet: str | None = None) -> RawTable:
    """Read a table file in its own types (see the module doc). ``sheet`` names an Excel sheet (default: the
    first one). A file that cannot be read at all is a ``TableError`` naming it."""
    path = Path(path)
    if not path.exists():
        raise TableError(f"{path}: no such file")
    fmt = table_format(path)
    label = str(path)
    try:
        if fmt == "csv":
            df, first = pl.read_csv(path, infer_schema=False), 2
        elif fmt == "parquet":
            df, first = pl.read_parquet(path), 1
        elif fmt == "xlsx":
            df, label = _read_excel(path, sheet)
            first = 2
        else:
            df, first = _read_jsonl_text(path), 1
    except TableError:
        raise
    except Exception as exc:  # the readers raise many types for unreadable files
        raise TableError(f"{path}: cannot read as {fmt}: {exc}") from exc
    return RawTable(normalise_headers(df, label), first, fmt, label)


def _read_excel(path: Path, sheet: str | None) -> tuple[pl.DataFrame, str]:
    import fastexcel

    reader = fastexcel.read_excel(str(path))
    names = list(reader.sheet_names)
    if not names:
        raise TableError(f"{path}: the workbook has no sheet")
    if sheet is None:
        sheet = names[0]
    elif sheet not in names:
        raise TableError(f"{path}: no sheet {sheet!r}; the workbook has {', '.join(map(repr, names))}")
    # fastexcel (calamine, Rust) is what polars.read_excel calls; called directly, the workbook is opened once.
    # Each column's type is inferred from all its cells, as polars.read_excel(infer_schema_length=None) does.
    df = pl.from_arrow(reader.load_sheet(sheet, schema_sample_rows=None).to_arrow())
    assert isinstance(df, pl.DataFrame)
    # an empty header cell gives "__UNNAMED__n": such a column with no value at all is dropped; so are empty rows
    # after the last row with a value (formatted but empty cells); rows keep their sheet row numbers
    empty = [c for c in df.columns if c.startswith("__UNNAMED__") and df[c].null_count() == df.height]
    df = df.drop(empty)
    if df.width and df.height:
        filled = df.select(pl.any_horizontal(pl.all().is_not_null()).arg_true().max()).item()
        df = df.head(0 if filled is None else filled + 1)
    df = df.with_columns(pl.col(c).str.replace(_MIDNIGHT, "$1") for c, t in df.schema.items() if t == pl.String)
    return df, f"{path}[{sheet}]"


def read_text_table(path: str | Path, sheet: str | None = None) -> tuple[pl.DataFrame, int, str]:
    """Read a file with every column as text. Returns (frame, line of first row, format). For callers that
    parse values themselves; ``read_table`` + ``validate_table`` keep typed columns typed."""
    raw = read_table(path, sheet)
    df = raw.frame
    return df.select(_to_text(c, df.schema[c]) for c in df.columns), raw.first_line, raw.fmt


def _to_text(name: str, dtype: pl.DataType) -> pl.Expr:
    c = pl.col(name)
    if dtype == pl.String:
        return c
    if dtype == pl.Boolean:
        return c.cast(pl.String).str.to_lowercase()
    if isinstance(dtype, pl.Datetime):
        return c.dt.strftime("%Y-%m-%d").alias(name)
    if dtype.is_float():
        return pl.when(c == c.floor()).then(c.cast(pl.Int64, strict=False).cast(pl.String)) \
            .otherwise(c.cast(pl.String)).alias(name)
    return c.cast(pl.String)


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


# ------------------------------------------------------------------------------------------------ checks

_LOOKUP = np.full(256, 255, dtype=np.uint8)
for _i, _ch in enumerate(ALPHABET):
    _LOOKUP[ord(_ch)] = _i


def uscc_valid_mask(codes: pl.Series) -> pl.Series:
    """True where the code is a valid USCC (the rule of ``uscc_valid_expr``), null where it is null: computed on
    the Arrow bytes with numpy, 18 bytes per code, many times faster than the expression on a million codes.
    Falls back to the expression when some code is null or not 18 bytes long."""
    codes = codes.cast(pl.String)
    n = codes.len()
    if n == 0 or codes.null_count():
        return pl.DataFrame({"u": codes}).select(uscc_valid_expr("u")).to_series()
    arr = codes.to_arrow()
    if hasattr(arr, "combine_chunks"):
        arr = arr.combine_chunks()
    bufs = arr.buffers()
    if len(bufs) < 3 or bufs[1] is None or bufs[2] is None:
        return pl.DataFrame({"u": codes}).select(uscc_valid_expr("u")).to_series()
    off_dtype = np.int64 if str(arr.type) in ("large_string", "large_utf8") else np.int32
    offsets = np.frombuffer(bufs[1], dtype=off_dtype)[arr.offset:arr.offset + n + 1]
    if offsets[-1] - offsets[0] != 18 * n or not np.all(np.diff(offsets) == 18):
        return pl.DataFrame({"u": codes}).select(uscc_valid_expr("u")).to_series()
    raw = np.frombuffer(bufs[2], dtype=np.uint8)[offsets[0]:offsets[0] + 18 * n].reshape(n, 18)
    vals = _LOOKUP[raw]
    ok = (vals < 31).all(axis=1)
    total = np.zeros(n, dtype=np.int32)
    for i, w in enumerate(WEIGHTS):
        total += vals[:, i].astype(np.int32) * w
    expected = (31 - total % 31) % 31
    return pl.Series("u", ok & (vals[:, 17] == expected))


def _is_int(d: pl.DataType | type[pl.DataType]) -> bool:
    return d in (pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt8, pl.UInt16, pl.UInt32, pl.UInt64)


def _is_float(d: pl.DataType | type[pl.DataType]) -> bool:
    return d in (pl.Float32, pl.Float64)


def _parse_text(c: pl.Expr, dtype: type[pl.DataType] | pl.DataType) -> pl.Expr:
    """Text (already trimmed, see ``_trimmed``) to ``dtype``; null where it is not a value of that type."""
    if dtype == pl.String:
        return c
    if dtype == pl.Date:
        return c.str.strptime(pl.Date, "%Y-%m-%d", strict=False)
    if dtype == pl.Boolean:
        low = c.str.to_lowercase()
        return pl.when(low.is_in(TRUE_WORDS)).then(True).when(low.is_in(FALSE_WORDS)).then(False).otherwise(None)
    as_float = c.cast(pl.Float64, strict=False)
    if _is_float(dtype):
        return as_float.cast(dtype)
    # integers: accept "12" and "12.0", refuse "12.5"
    return _integral(as_float, dtype)


def _trimmed(raw: pl.DataFrame) -> pl.DataFrame:
    """Text columns with leading and trailing white space removed and empty text as null (unknown). One regex
    pass finds the columns that have such space; only those are stripped."""
    texts = [c for c, t in raw.schema.items() if t == pl.String]
    if not texts:
        return raw
    edges = raw.select(pl.col(c).str.contains(r"^\s|\s$").any() for c in texts).row(0)
    strip = {c for c, e in zip(texts, edges) if e}
    exprs = []
    for c in texts:
        v = pl.col(c).str.strip_chars() if c in strip else pl.col(c)
        exprs.append(pl.when(v.str.len_bytes() == 0).then(None).otherwise(v).alias(c))
    return raw.with_columns(exprs)


def _integral(f: pl.Expr, dtype: type[pl.DataType] | pl.DataType) -> pl.Expr:
    return pl.when(f == f.floor()).then(f).otherwise(None).cast(dtype, strict=False)


def _convert(name: str, actual: pl.DataType, dtype: type[pl.DataType] | pl.DataType) -> pl.Expr | None:
    """The expression giving column ``name`` (of type ``actual``) in the spec type ``dtype``: None when it already
    has it (nothing to do); null where a value cannot be converted."""
    c = pl.col(name)
    if actual == dtype:
        return None
    if actual == pl.String:
        return _parse_text(c, dtype)
    if actual == pl.Null:
        return c.cast(dtype)
    if dtype == pl.String:
        if _is_float(actual):  # 330106.0 from a spreadsheet is the code 330106
            return pl.when(c == c.floor()).then(c.cast(pl.Int64, strict=False).cast(pl.String)) \
                .otherwise(c.cast(pl.String))
        if actual == pl.Boolean:
            return c.cast(pl.String).str.to_lowercase()
        return c.cast(pl.String)
    if dtype == pl.Date:
        if isinstance(actual, pl.Datetime):
            return c.dt.date()
        return pl.lit(None, dtype=pl.Date)
    if dtype == pl.Boolean:
        if actual.is_numeric():
            return pl.when(c == 1).then(True).when(c == 0).then(False).otherwise(None)
        return pl.lit(None, dtype=pl.Boolean)
    if _is_float(dtype):
        return c.cast(dtype, strict=False) if actual.is_numeric() else pl.lit(None, dtype=dtype)
    if _is_int(dtype):
        if _is_int(actual):
            return c.cast(dtype, strict=False)
        if actual.is_numeric():
            return _integral(c.cast(pl.Float64), dtype)
        return pl.lit(None, dtype=dtype)
    return _parse_text(c.cast(pl.String), dtype)


def _type_reason(dtype: type[pl.DataType] | pl.DataType) -> str:
    if dtype == pl.Date:
        return "not a date in ISO format YYYY-MM-DD"
    if dtype == pl.Boolean:
        return "not a boolean (true/false)"
    if _is_float(dtype):
        return "not a number"
    if dtype == pl.String:
        return "not text"
    return "not a whole number"


def validate_table(
    raw: pl.DataFrame,
    specs: Sequence[FieldSpec],
    file: str,
    first_line: int,
    key: Sequence[str] = (),
    keep_extra: bool = True,
) -> ValidatedTable:
    """Check and convert ``raw`` against ``specs``, each column in its own type; see the module doc."""
    missing_required = [s.name for s in specs if s.required and s.name not in raw.columns]
    if missing_required:
        raise TableError(f"{file}: missing required column(s): {', '.join(missing_required)}")
    n = raw.height
    text = _trimmed(raw)
    present = [s for s in specs if s.name in text.columns]
    conv = {s.name: _convert(s.name, text.schema[s.name], s.dtype) for s in present}
    parsed = text.with_columns(e.alias(f"__v_{name}") for name, e in conv.items() if e is not None)

    def val_name(s: FieldSpec) -> str:
        return s.name if conv[s.name] is None else f"__v_{s.name}"

    checks: list[tuple[FieldSpec, pl.Expr, str | None]] = []
    extra_cols: list[pl.Series] = []
    for s in present:
        raw_c, val = pl.col(s.name), pl.col(val_name(s))
        if conv[s.name] is not None:
            checks.append((s, raw_c.is_not_null() & val.is_null(), _type_reason(s.dtype)))
        if s.required:
            checks.append((s, raw_c.is_null(), "required value is missing"))
        if s.non_negative:
            checks.append((s, val < 0, "must not be negative"))
        if s.choices:
            checks.append((s, val.is_not_null() & ~val.is_in(list(s.choices)), f"must be one of {', '.join(s.choices)}"))
        if s.not_before is not None and s.not_before in conv:
            other = pl.col(s.not_before if conv[s.not_before] is None else f"__v_{s.not_before}")
            checks.append((s, val.is_not_null() & other.is_not_null() & (val < other),
                           f"must not be before {s.not_before}"))
        if s.valid_series is not None:
            ok = s.valid_series(parsed[val_name(s)]).alias(f"__ok_{s.name}")
            extra_cols.append(ok)
            checks.append((s, val.is_not_null() & ~pl.col(f"__ok_{s.name}").fill_null(True), None))
        elif s.valid is not None:
            # the check runs on the distinct values (codes repeat: industries, regions)
            uniq = parsed.select(val.unique().drop_nulls().alias(val_name(s)))
            bad_values = uniq.filter(~s.valid(val_name(s)).fill_null(False)).to_series()
            if bad_values.len():
                checks.append((s, val.is_in(bad_values.implode()), None))
    if extra_cols:
        parsed = parsed.with_columns(extra_cols)

    problems: list[RowProblem] = []
    bad = pl.Series("bad", [False] * n, dtype=pl.Boolean) if not checks else \
        parsed.select(pl.any_horizontal([e.fill_null(False) for _, e, _ in checks]).alias("bad")).to_series()
    bad_rows: np.ndarray = np.flatnonzero(bad.to_numpy()) if bad.any() else np.empty(0, dtype=np.int64)
    if bad_rows.size:
        sub = parsed[bad_rows.tolist()]
        flags = sub.select(*[e.fill_null(False).alias(f"__bad{i}") for i, (_, e, _) in enumerate(checks)])
        for i, (s, _, reason) in enumerate(checks):
            hit = flags[f"__bad{i}"]
            if not hit.any():
                continue
            idx = np.flatnonzero(hit.to_numpy())
            values = sub[s.name].gather(idx.tolist())
            for row, value in zip(bad_rows[idx].tolist(), values.to_list(), strict=True):
                shown = None if value is None else _shown(value)
                why = reason or (s.explain(shown) if s.explain else None) or "invalid value"
                problems.append(RowProblem(file, row + first_line, s.name, shown, why))

    spec_names = {s.name for s in specs}
    result = parsed.select(
        *[pl.col(val_name(s)).cast(s.dtype).alias(s.name) for s in present],
        *([pl.col(c) for c in raw.columns if c not in spec_names] if keep_extra else []),
    )
    if bad_rows.size:
        result = result.filter(~bad)
        kept_rows = np.flatnonzero(~bad.to_numpy())
    else:
        kept_rows = None
    if key and all(k in result.columns for k in key):
        hashed = pl.lit(0, dtype=pl.UInt64)
        for i, k in enumerate(key):
            hashed = hashed + pl.col(k).hash(i + 1)
        if result.select(hashed.is_duplicated().any()).item():
            struct = pl.struct(list(key))
            dup_mask = result.select((struct.is_duplicated() & ~struct.is_first_distinct()).alias("d")).to_series()
            dup_idx = np.flatnonzero(dup_mask.to_numpy())
            dup = result[dup_idx.tolist()]
            for j, i in enumerate(dup_idx.tolist()):
                row = int(kept_rows[i]) if kept_rows is not None else i
                value = "/".join(_shown(dup[k][j]) for k in key)
                problems.append(RowProblem(file, row + first_line, key[0], value,
                                           f"duplicated key ({', '.join(key)}) already given on an earlier line"))
            result = result.filter(~dup_mask)
    problems.sort(key=lambda p: (p.line, p.column))
    return ValidatedTable(result, problems, n)


def _shown(v: object) -> str:
    """A value as a problem shows it: text as given, an integral float without ``.0``, a date in ISO."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if hasattr(v, "isoformat"):
        return str(v.isoformat())
    return str(v)


def _feature_specs() -> list[FieldSpec]:
    specs = []
    for col in features.COLUMNS:
        extra: dict[str, object] = {}
        if col.name == "uscc":
            extra = {"valid": uscc_valid_expr, "explain": uscc_error, "required": True,
                     "valid_series": uscc_valid_mask}
        elif col.name == "industry_code":
            extra = {"valid": industry_code_valid_expr, "explain": industry_code_error}
        elif col.name == "region_code":
            extra = {"valid": lambda c: pl.col(c).str.contains(r"^\d{6}$"),
                     "explain": lambda v: f"region code {v!r} is not 6 digits"}
        specs.append(FieldSpec(col.name, col.dtype, non_negative=col.non_negative, choices=col.choices, **extra))  # type: ignore[arg-type]
    return specs


FEATURE_SPECS = _feature_specs()


def read_feature_table(path: str | Path, key: Sequence[str] = ("uscc", "as_of"),
                       sheet: str | None = None) -> ValidatedTable:
    """Read a feature table (``spec/features.md``) from CSV, JSON Lines, Parquet or Excel, validated.

    Absent spec columns come back as null (unknown); extra columns are kept in their own types.
    """
    raw = read_table(path, sheet)
    table = validate_table(raw.frame, FEATURE_SPECS, raw.label, raw.first_line, key=key)
    table.data = features.conform(table.data)
    return table


# ------------------------------------------------------------------------------------------------ writing

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def guard_formulas(df: pl.DataFrame) -> pl.DataFrame:
    """Text cells a spreadsheet would run as a formula (starting with = + - @, tab or carriage return) get a
    leading apostrophe (OWASP CSV injection); numbers, and text that is just a signed number ("-3"), are left as
    they are."""
    exprs = []
    for c, t in df.schema.items():
        if t == pl.String:
            col = pl.col(c)
            risky = col.str.contains(r"^[=+\-@\t\r]") & ~col.str.contains(r"^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?$")
            exprs.append(pl.when(risky).then(pl.lit("'") + col).otherwise(col).alias(c))
    return df.with_columns(exprs) if exprs else df


def _flat(df: pl.DataFrame) -> pl.DataFrame:
    """Lists joined with ';' and structs as JSON: what CSV and Excel cells can hold."""
    exprs = []
    for c, t in df.schema.items():
        if isinstance(t, pl.List):
            exprs.append(pl.col(c).cast(pl.List(pl.String)).list.join(";"))
        elif isinstance(t, pl.Struct):
            exprs.append(pl.col(c).struct.json_encode())
    return df.with_columns(exprs) if exprs else df


def write_table(df: pl.DataFrame, path: str | Path, sheet: str = "data") -> None:
    """Write a frame as CSV, JSON Lines, Parquet or Excel, chosen by the file extension. CSV and Excel text is
    guarded against formula injection (``guard_formulas``)."""
    path = Path(path)
    fmt = table_format(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        guard_formulas(_flat(df)).write_csv(path)
    elif fmt == "parquet":
        df.write_parquet(path)
    elif fmt == "xlsx":
        write_workbook({sheet: df}, path)
    else:
        df.write_ndjson(path)


def write_workbook(sheets: dict[str, pl.DataFrame], path: str | Path) -> None:
    """Write frames as the sheets of one ``.xlsx`` workbook (xlsxwriter): dates as Excel dates, a frozen
    header row, text guarded against formula injection."""
    import xlsxwriter

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with xlsxwriter.Workbook(str(path)) as wb:
        for name, df in sheets.items():
            guard_formulas(_flat(df)).write_excel(wb, worksheet=name[:31], autofit=df.height <= 10_000,
                                                  dtype_formats={pl.Date: "yyyy-mm-dd"},
                                                  table_style=None, freeze_panes=(1, 0))


# ------------------------------------------------------------------------------------------------ 申报清单

APPLICATION_ITEM_SPECS = [
    FieldSpec("uscc", pl.String, required=True, valid=uscc_valid_expr, explain=uscc_error,
              valid_series=uscc_valid_mask),
    FieldSpec("requested_amount", pl.Float64, required=True, non_negative=True),
    FieldSpec("requested_term_months", pl.Int64, non_negative=True),
    FieldSpec("loan_purpose", pl.String, choices=features.LOAN_PURPOSES),
    FieldSpec("fixed_premises", pl.Boolean),
    FieldSpec("visited_on", pl.Date),
    FieldSpec("preferred_bank_id", pl.String),
    FieldSpec("preferred_product", pl.String),
    FieldSpec("note", pl.String),
]


def read_application_items(path: str | Path, sheet: str | None = None) -> ValidatedTable:
    """An application list's items (申报清单: uscc, requested_amount, term, purpose, fixed premises, visit date,
    preferred bank and product, note) from any table file, Chinese headers accepted; a USCC given twice is a
    problem on its later row."""
    raw = read_table(path, sheet)
    return validate_table(raw.frame, APPLICATION_ITEM_SPECS, raw.label, raw.first_line, key=("uscc",),
                          keep_extra=False)
