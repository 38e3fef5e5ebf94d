"""Templates for the department feeds and the feature table: one workbook each, as an office fills them in.

Each workbook has a ``data`` sheet whose header row is bilingual (``统一社会信用代码 (uscc)``: the reader takes the
name in brackets, see ``tables.header_column``) with data validation (lists for the choice and true/false columns,
dates, non-negative numbers), and a ``notes`` sheet with each column's meaning, type, unit, allowed values and
whether it is required. A CSV template is the header row alone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from innocredit.ingest.feeds import FEEDS, FieldSpec
from innocredit.ingest.tables import FEATURE_SPECS, chinese_name
from innocredit.profile import features

# meanings of the feed columns that are not feature-table columns (the feature table's own come from spec)
FEED_MEANINGS = {
    "status": "status of the registration, patent or loan",
    "registered_capital": "registered capital",
    "fiscal_year": "fiscal year the return covers",
    "rd_expense_domestic": "R&D expense spent in mainland China in the year",
    "rd_super_deduction": "R&D super deduction claimed",
    "high_tech_cert_expires": "expiry date of the high-tech enterprise certificate",
    "patent_id": "patent, registration or application number",
    "kind": "kind of IP right",
    "filing_date": "filing date",
    "grant_date": "grant or registration date",
    "claims": "number of claims",
    "independent_claims": "number of independent claims",
    "forward_citations": "times cited by later patents",
    "backward_citations": "citations to earlier patents",
    "family_size": "patent family size",
    "ipc_main": "main IPC class",
    "main_product": "used in the firm's main products",
    "high_value": "high-value patent (CNIPA definition)",
    "licences": "licences granted",
    "exclusive_licence": "an exclusive licence was granted",
    "transfers": "times transferred",
    "litigation_pending": "pending litigation over the right",
    "pledged": "currently pledged",
    "loan_id": "the bank's loan number",
    "bank_id": "the lending bank's code",
    "product_kind": "loan product kind",
    "amount": "loan amount",
    "rate": "annual interest rate",
    "disbursed_on": "disbursement date",
    "maturity_on": "maturity date",
    "secured": "secured by collateral or guarantee",
    "outstanding": "outstanding balance",
    "days_past_due": "days past due",
}
UNIT_OVERRIDES = {"rate": "fraction per year (0.035 = 3.5%)", "years_in_niche": "years",
                  "requested_term_months": "months", "fiscal_year": "year (e.g. 2024)", "days_past_due": "days",
                  "default_12m": "0 or 1"}


@dataclass(frozen=True)
class TemplateColumn:
    name: str
    chinese: str | None
    meaning: str
    kind: str  # text | date | boolean | number | whole number
    unit: str
    allowed: tuple[str, ...] | None
    required: bool
    non_negative: bool

    @property
    def header(self) -> str:
        return f"{self.chinese} ({self.name})" if self.chinese else self.name


def _kind(dtype: object) -> str:
    if dtype == pl.Date:
        return "date"
    if dtype == pl.Boolean:
        return "boolean"
    if dtype in (pl.Float64, pl.Float32):
        return "number"
    if dtype == pl.String:
        return "text"
    return "whole number"


def _unit(name: str, kind: str) -> str:
    if name in UNIT_OVERRIDES:
        return UNIT_OVERRIDES[name]
    return {"date": "YYYY-MM-DD", "boolean": "true / false", "number": "CNY yuan", "whole number": "count",
            "text": ""}[kind]


def template_columns(specs: tuple[FieldSpec, ...] | list[FieldSpec]) -> list[TemplateColumn]:
    out = []
    for s in specs:
        col = features.BY_NAME.get(s.name)
        meaning = FEED_MEANINGS.get(s.name) or (col.meaning if col else s.name)
        kind = _kind(s.dtype)
        allowed = s.choices or (("true", "false") if kind == "boolean" else None)
        out.append(TemplateColumn(s.name, chinese_name(s.name), meaning, kind, _unit(s.name, kind), allowed,
                                  s.required, s.non_negative))
    return out


def templates() -> dict[str, tuple[str, list[TemplateColumn]]]:
    """template id -> (title, columns): one per department feed and ``features`` for the feature table."""
    out = {fid: (feed.source, template_columns(feed.fields)) for fid, feed in FEEDS.items()}
    out["features"] = ("enterprise feature table (spec/features.md)", template_columns(FEATURE_SPECS))
    return out


def write_template(template_id: str, path: str | Path) -> Path:
    """Write one template as ``.xlsx`` (data sheet with validation + notes sheet) or ``.csv`` (header row)."""
    title, cols = templates()[template_id]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".csv":
        path.write_text(",".join(c.header for c in cols) + "\n", encoding="utf-8-sig")
        return path
    import xlsxwriter

    rows = 10_000  # validation reaches this many data rows
    with xlsxwriter.Workbook(str(path)) as wb:
        head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "text_wrap": True, "valign": "top"})
        req = wb.add_format({"bold": True, "bg_color": "#FCE4D6", "text_wrap": True, "valign": "top"})
        date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
        text_fmt = wb.add_format({"num_format": "@"})
        ws = wb.add_worksheet("data")
        ws.freeze_panes(1, 0)
        for j, c in enumerate(cols):
            ws.write_string(0, j, c.header, req if c.required else head)
            ws.set_column(j, j, max(14, min(40, len(c.header) + 4)),
                          date_fmt if c.kind == "date" else text_fmt if c.kind == "text" else None)
            rng = (1, j, rows, j)
            message = {"input_title": c.name[:32], "input_message": f"{c.meaning}; {c.unit}".strip("; ")[:255]}
            if c.allowed:
                ws.data_validation(*rng, {"validate": "list", "source": list(c.allowed), **message})
            elif c.kind == "date":
                ws.data_validation(*rng, {"validate": "date", "criteria": "between",
                                          "minimum": dt.date(1900, 1, 1),
                                          "maximum": dt.date(2100, 12, 31), **message})
            elif c.kind in ("number", "whole number"):
                ws.data_validation(*rng, {"validate": "integer" if c.kind == "whole number" else "decimal",
                                          "criteria": ">=" if c.non_negative else "between",
                                          **({"value": 0} if c.non_negative else
                                             {"minimum": -1e15, "maximum": 1e15}), **message})
        notes = wb.add_worksheet("notes")
        notes.write_string(0, 0, f"{template_id}: {title}", head)
        hdr = ["column", "中文名", "meaning", "type", "unit", "allowed values", "required"]
        notes.write_row(2, 0, hdr, head)
        for i, c in enumerate(cols, start=3):
            notes.write_row(i, 0, [c.name, c.chinese or "", c.meaning, c.kind, c.unit,
                                   ", ".join(c.allowed) if c.allowed else ("≥ 0" if c.non_negative else ""),
                                   "yes" if c.required else ""])
        notes.write_string(len(cols) + 4, 0, "Money in CNY yuan, ratios as fractions, dates as YYYY-MM-DD or Excel "
                                             "dates; an empty cell means unknown, never zero. / 金额单位为元，比例为小数，"
                                             "空白表示未知而非零。")
        notes.set_column(0, 1, 26)
        notes.set_column(2, 2, 60)
        notes.set_column(3, 6, 18)
    return path


def write_templates(directory: str | Path, fmt: str = "xlsx") -> list[Path]:
    """Every template into ``directory`` as ``<id>.<fmt>``: the feed templates are named as the feed files the
    ingest reads (``registry.xlsx`` ...), so a filled directory can be ingested as it is."""
    root = Path(directory)
    return [write_template(tid, root / f"{tid}.{fmt}") for tid in templates()]
