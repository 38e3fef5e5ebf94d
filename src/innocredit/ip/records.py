"""Patent records: CNIPA application numbers, statutory terms and the row checks of the IP feed.

Everything here is a pure polars expression or function: the reader (``innocredit.cli.ip.read_patents``)
first runs the typed schema of ``ingest.feeds.IP_OFFICE`` and then :func:`patent_problems`, and moves every
row with a problem to the quarantine report with its reason.

Sources (see ``docs/ip.md``):
- Application number: CNIPA, 《专利申请号标准》 (ZC 0006-2003): ``YYYY`` year, one type digit
  (1 invention, 2 utility model, 3 design, 8 PCT invention entering the national phase, 9 PCT utility model),
  a 7-digit serial, then ``.`` and a check character: sum of the 12 digits times the weights
  2,3,4,5,6,7,8,9,2,3,4,5, modulo 11, with 10 written ``X``.
- Terms: Patent Law of the PRC art. 42 (as amended 2020, in force 1 June 2021): invention 20 years,
  utility model 10 years, design 15 years from filing; designs filed before 1 June 2021 keep 10 years.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import polars as pl

PATENT_KINDS = ("invention", "utility_model", "design")
OTHER_IP_KINDS = ("software_copyright", "trademark", "ic_layout", "plant_variety", "new_drug")
IP_KINDS = PATENT_KINDS + OTHER_IP_KINDS
STATUSES = ("pending", "granted", "lapsed", "invalidated", "expired")
IN_FORCE = ("granted",)

APP_NO_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
APP_NO_PATTERN = r"^(CN)?\d{12}\.[0-9X]$"
TYPE_DIGITS = {"invention": ("1", "8"), "utility_model": ("2", "9"), "design": ("3",)}

# Patent Law art. 42; the 15-year design term applies to applications filed on or after 1 June 2021.
DESIGN_TERM_CHANGE = dt.date(2021, 6, 1)
TERM_YEARS = {"invention": 20, "utility_model": 10, "design": 15}
DESIGN_TERM_BEFORE_2021 = 10
# other IP kinds (for remaining life only): software copyright 50 years from first publication for legal
# persons (Regulations on Computer Software Protection art. 14), IC layout 10 years (Regulations on IC Layout
# Designs art. 12), trademark 10 years renewable (Trademark Law art. 39-40), plant variety 15/20 years
# (Regulations on New Plant Varieties art. 34; 15 used), new drug: no statutory term here (null).
OTHER_TERM_YEARS = {"software_copyright": 50, "trademark": 10, "ic_layout": 10, "plant_variety": 15}

IPC_PATTERN = r"^[A-H]\d{2}[A-Z](\s*\d{1,4}/\d{1,6})?$"


def check_character(digits12: str) -> str:
    """The CNIPA check character of the 12 digits of an application number."""
    total = sum(int(d) * w for d, w in zip(digits12, APP_NO_WEIGHTS))
    r = total % 11
    return "X" if r == 10 else str(r)


def make_application_number(year: int, type_digit: int, serial: int, prefix: bool = True) -> str:
    digits = f"{year:04d}{type_digit:d}{serial:07d}"
    return f"{'CN' if prefix else ''}{digits}.{check_character(digits)}"


def application_number_error(value: object, kind: str | None = None) -> str | None:
    """Why ``value`` is not a valid CNIPA application number for ``kind`` (None when it is)."""
    if not isinstance(value, str) or not re.match(APP_NO_PATTERN, value.strip()):
        return (f"application number {value!r} is not 'CN' + 12 digits + '.' + check character "
                "(申请号格式错误)")
    digits, check = value.strip().removeprefix("CN").split(".")
    if digits[4] not in "12389":
        return f"application number {value!r}: type digit {digits[4]} is not 1, 2, 3, 8 or 9 (专利类型码错误)"
    if kind in TYPE_DIGITS and digits[4] not in TYPE_DIGITS[kind]:
        return f"application number {value!r}: type digit {digits[4]} does not match kind {kind} (类型码与专利类型不符)"
    expected = check_character(digits)
    if check != expected:
        return f"application number {value!r}: check character should be {expected} (校验位错误)"
    return None


def _digits(col: str) -> pl.Expr:
    return pl.col(col).str.strip_chars().str.strip_prefix("CN")


def app_no_format_ok(col: str = "patent_id") -> pl.Expr:
    return pl.col(col).str.strip_chars().str.contains(APP_NO_PATTERN)


def app_no_check_ok(col: str = "patent_id") -> pl.Expr:
    """True when the check character matches (vectorized; null for malformed numbers)."""
    d = _digits(col)
    total = pl.sum_horizontal(
        d.str.slice(i, 1).cast(pl.Int32, strict=False) * w for i, w in enumerate(APP_NO_WEIGHTS)
    ) % 11
    expected = pl.when(total == 10).then(pl.lit("X")).otherwise(total.cast(pl.String))
    return d.str.slice(13, 1) == expected


def app_no_type_digit(col: str = "patent_id") -> pl.Expr:
    return _digits(col).str.slice(4, 1)


def app_no_year(col: str = "patent_id") -> pl.Expr:
    return _digits(col).str.slice(0, 4).cast(pl.Int32, strict=False)


def statutory_term_years(kind: pl.Expr | str = "kind", filing_date: pl.Expr | str = "filing_date") -> pl.Expr:
    """Term of protection in years from filing (Patent Law art. 42), null for kinds without one."""
    k = pl.col(kind) if isinstance(kind, str) else kind
    f = pl.col(filing_date) if isinstance(filing_date, str) else filing_date
    expr: Any = pl.when(k == "invention").then(pl.lit(TERM_YEARS["invention"]))
    expr = expr.when(k == "utility_model").then(pl.lit(TERM_YEARS["utility_model"]))
    expr = expr.when((k == "design") & (f >= pl.lit(DESIGN_TERM_CHANGE))).then(pl.lit(TERM_YEARS["design"]))
    expr = expr.when(k == "design").then(pl.lit(DESIGN_TERM_BEFORE_2021))
    for name, years in OTHER_TERM_YEARS.items():
        expr = expr.when(k == name).then(pl.lit(years))
    return expr.otherwise(pl.lit(None)).cast(pl.Int32)


def statutory_expiry(kind: pl.Expr | str = "kind", filing_date: pl.Expr | str = "filing_date") -> pl.Expr:
    """Last day of protection: the filing date plus the term (the term ends the day before the anniversary;
    we use the anniversary itself, a one-day difference that never matters to a valuation)."""
    f = pl.col(filing_date) if isinstance(filing_date, str) else filing_date
    years = statutory_term_years(kind, filing_date)
    return f.dt.offset_by(pl.format("{}y", years))


def statutory_term_for(kind: str, filing_date: dt.date) -> int | None:
    """Scalar twin of :func:`statutory_term_years` (for messages and tests)."""
    if kind == "design":
        return TERM_YEARS["design"] if filing_date >= DESIGN_TERM_CHANGE else DESIGN_TERM_BEFORE_2021
    return TERM_YEARS.get(kind, OTHER_TERM_YEARS.get(kind))


# ---------------------------------------------------------------- row checks

def _rules() -> list[tuple[str, pl.Expr, pl.Expr]]:
    """(column, failing condition, reason) for every patent-row check beyond the typed schema."""
    kind = pl.col("kind")
    is_patent = kind.is_in(list(PATENT_KINDS))
    fmt_ok = app_no_format_ok("patent_id")
    tdig = app_no_type_digit("patent_id")
    filing, grant, as_of = pl.col("filing_date"), pl.col("grant_date"), pl.col("as_of")
    status = pl.col("status")
    expiry = statutory_expiry("kind", "filing_date")
    bi = "{} / {}"

    def txt(zh: str, en: str) -> pl.Expr:
        return pl.lit(bi.format(en, zh))

    rules: list[tuple[str, pl.Expr, pl.Expr]] = [
        ("patent_id", is_patent & ~fmt_ok,
         txt("申请号格式应为 CN + 12 位数字 + '.' + 校验位", "application number is not CN + 12 digits + '.' + check")),
        ("patent_id", is_patent & fmt_ok & ~tdig.is_in(["1", "2", "3", "8", "9"]),
         txt("专利类型码应为 1、2、3、8 或 9", "type digit is not 1, 2, 3, 8 or 9")),
        ("patent_id", is_patent & fmt_ok & (
            ((kind == "invention") & ~tdig.is_in(["1", "8"]))
            | ((kind == "utility_model") & ~tdig.is_in(["2", "9"]))
            | ((kind == "design") & (tdig != "3"))),
         txt("类型码与专利类型不符", "type digit does not match the kind")),
        ("patent_id", is_patent & fmt_ok & ~app_no_check_ok("patent_id"),
         txt("申请号校验位错误", "check character of the application number is wrong")),
        ("patent_id", is_patent & fmt_ok & tdig.is_in(["1", "2", "3"]) & filing.is_not_null()
         & (app_no_year("patent_id") != filing.dt.year()),
         txt("申请号年份与申请日不符", "year in the application number differs from the filing year")),
        ("filing_date", is_patent & filing.is_null(), txt("专利缺少申请日", "filing date is missing for a patent")),
        ("filing_date", filing > as_of, txt("申请日晚于数据日期", "filing date is after the as-of date")),
        ("grant_date", grant < filing, txt("授权日早于申请日", "grant date is before the filing date")),
        ("grant_date", grant > as_of, txt("授权日晚于数据日期", "grant date is after the as-of date")),
        ("grant_date", is_patent & status.is_in(["granted", "lapsed", "expired", "invalidated"]) & grant.is_null(),
         txt("已授权专利缺少授权日", "grant date is missing for a granted patent")),
        ("grant_date", (status == "pending") & grant.is_not_null(),
         txt("审查中的申请不应有授权日", "a pending application has a grant date")),
        ("status", is_patent & (status == "expired") & (expiry > as_of),
         txt("保护期未届满却标为 expired", "marked expired before the end of the statutory term")),
        ("independent_claims", pl.col("independent_claims") > pl.col("claims"),
         txt("独立权利要求数多于权利要求总数", "more independent claims than claims")),
        ("independent_claims", (pl.col("claims") > 0) & (pl.col("independent_claims") == 0),
         txt("有权利要求但无独立权利要求", "claims without any independent claim")),
        ("claims", kind.is_in(["invention", "utility_model"]) & (status != "pending") & (pl.col("claims") == 0),
         txt("授权发明/实用新型的权利要求数为 0", "a granted invention or utility model with no claims")),
        ("family_size", pl.col("family_size") == 0,
         txt("同族国家数至少为 1（本国）", "family size counts countries and is at least 1 (China)")),
        ("ipc_main", is_patent & (kind != "design") & pl.col("ipc_main").is_not_null()
         & ~pl.col("ipc_main").str.strip_chars().str.contains(IPC_PATTERN),
         txt("IPC 主分类号格式错误（如 G06F 16/00）", "main IPC is not a symbol such as G06F 16/00")),
        ("exclusive_licence", pl.col("exclusive_licence") & (pl.col("licences").fill_null(0) == 0),
         txt("标为独占许可但许可次数为 0", "exclusive licence flagged with zero licences")),
    ]
    return rules


def patent_problems(df: pl.DataFrame, row_col: str = "__line") -> pl.DataFrame:
    """Rows of a typed patent frame that break a rule: (``row_col``, column, value, reason), one per problem.

    Columns absent from ``df`` are treated as unknown (null), so their rules never fire.
    """
    cols = set(df.columns)
    needed = {"kind", "status", "patent_id", "filing_date", "grant_date", "as_of", "claims", "independent_claims",
              "family_size", "ipc_main", "exclusive_licence", "licences"}
    dtypes = {"filing_date": pl.Date, "grant_date": pl.Date, "as_of": pl.Date, "claims": pl.Int64,
              "independent_claims": pl.Int64, "family_size": pl.Int64, "licences": pl.Int64,
              "exclusive_licence": pl.Boolean}
    frame = df.with_columns(pl.lit(None, dtype=dtypes.get(c, pl.String)).alias(c) for c in needed - cols)
    if row_col not in frame.columns:
        frame = frame.with_row_index(row_col)
    rules = _rules()
    flags = frame.select(
        pl.col(row_col),
        *[cond.fill_null(False).alias(f"__r{i}") for i, (_, cond, _) in enumerate(rules)],
        *[pl.col(c).cast(pl.String).alias(f"__v_{c}") for c in {r[0] for r in rules}],
    )
    parts = []
    for i, (column, _, reason) in enumerate(rules):
        hit = flags.filter(pl.col(f"__r{i}"))
        if hit.height:
            parts.append(hit.select(pl.col(row_col), pl.lit(column).alias("column"),
                                    pl.col(f"__v_{column}").alias("value"), reason.alias("reason")))
    schema: dict[str, Any] = {row_col: flags.schema[row_col], "column": pl.String, "value": pl.String, "reason": pl.String}
    if not parts:
        return pl.DataFrame(schema=schema)
    return pl.concat(parts).cast(schema).sort(row_col, "column")  # type: ignore[arg-type]


def clean_patents(df: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split a typed patent frame into (good rows, problems); see :func:`patent_problems`."""
    frame = df.with_row_index("__line") if "__line" not in df.columns else df
    problems = patent_problems(frame)
    good = frame.filter(~pl.col("__line").is_in(problems["__line"].implode()))
    if "__line" not in df.columns:
        good = good.drop("__line")
    return good, problems
