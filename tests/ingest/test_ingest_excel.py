"""Excel input through the one reader: the same cases as CSV and as a workbook (Excel dates, booleans, numbers,
Chinese headers and a Chinese sheet name) give identical results; problems name file, sheet, row and column."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter
from typer.testing import CliRunner

from innocredit.cli import app
from innocredit.ingest.problems import TableError
from innocredit.ingest.tables import read_feature_table, read_table

runner = CliRunner()
EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "tech_sme_cases.csv"
ZH_HEADERS = {"uscc": "统一社会信用代码", "revenue": "营业收入", "employees": "职工总数"}


def excel_like(csv: Path, out: Path, sheet: str = "企业名单", bilingual: bool = False) -> Path:
    """Write the CSV's rows the way Excel holds them: dates as date cells, true/false as boolean cells, numbers
    (region codes too) as number cells, a few headers in Chinese."""
    df = pl.read_csv(csv, infer_schema_length=None)
    with xlsxwriter.Workbook(str(out)) as wb:
        ws = wb.add_worksheet(sheet)
        date_fmt = wb.add_format({"num_format": "yyyy/m/d"})
        for j, name in enumerate(df.columns):
            zh = ZH_HEADERS.get(name)
            ws.write_string(0, j, f"{zh} ({name})" if bilingual and zh else zh or name)
        for i, row in enumerate(df.iter_rows(), start=1):
            for j, v in enumerate(row):
                name = df.columns[j]
                if v is None:
                    continue
                if name in ("as_of", "registered_on"):
                    ws.write_datetime(i, j, dt.datetime.fromisoformat(str(v)), date_fmt)
                elif isinstance(v, bool):
                    ws.write_boolean(i, j, v)
                elif name == "region_code":
                    ws.write_number(i, j, int(v))
                elif isinstance(v, int | float):
                    ws.write_number(i, j, v)
                else:
                    ws.write_string(i, j, str(v))
    return out


def test_csv_and_excel_give_the_same_table_and_the_same_results(tmp_path):
    xlsx = excel_like(EXAMPLES, tmp_path / "cases.xlsx")
    raw = read_table(xlsx)
    # Excel's own types arrive: dates, booleans and numbers, not text
    assert raw.frame.schema["as_of"] in (pl.Datetime("ms"), pl.Datetime("us"), pl.Date)
    assert raw.frame.schema["high_tech_certified"] == pl.Boolean
    assert raw.frame.schema["region_code"] in (pl.Int64, pl.Float64)
    assert raw.label == f"{xlsx}[企业名单]"
    from_csv, from_xlsx = read_feature_table(EXAMPLES), read_feature_table(xlsx)
    assert from_csv.problems == [] and from_xlsx.problems == []
    spec = [c for c in from_csv.data.columns if not c.startswith("expected_")]
    assert from_xlsx.data.select(spec).equals(from_csv.data.select(spec))
    assert from_xlsx.data["region_code"][0] == "330106"
    outs = []
    for src in (EXAMPLES, xlsx):
        res = runner.invoke(app, ["evaluate", "--system", "tech-sme", "--input", str(src), "--format", "json"])
        assert res.exit_code == 0, res.output
        outs.append([json.loads(line) for line in res.stdout.splitlines()])
    assert outs[0] == outs[1]
    assert [r["score"] for r in outs[1]][:2] == [74, 86]  # the expected scores written in the CSV


def test_bilingual_headers_and_a_named_sheet(tmp_path):
    xlsx = excel_like(EXAMPLES, tmp_path / "cases.xlsx", sheet="第二页", bilingual=True)
    t = read_feature_table(xlsx, sheet="第二页")
    assert t.problems == [] and t.data.height == 8 and t.data["revenue"][0] == 40_000_000.0
    with pytest.raises(TableError, match=r"no sheet 'Sheet9'; the workbook has '第二页'"):
        read_table(xlsx, sheet="Sheet9")
    res = runner.invoke(app, ["evaluate", "--system", "tech-sme", "--input", str(xlsx), "--sheet", "nope"])
    assert res.exit_code == 2 and "no sheet 'nope'" in res.output


def test_excel_problems_name_file_sheet_row_and_column(tmp_path):
    out = tmp_path / "bad.xlsx"
    with xlsxwriter.Workbook(str(out)) as wb:
        ws = wb.add_worksheet("企业")
        ws.write_row(0, 0, ["统一社会信用代码", "as_of", "营业收入", "high_tech_certified", "region_code"])
        good = "91330106100000016Y"
        ws.write_row(1, 0, [good, "2025-12-31", 1000, True, 330106])
        ws.write_row(2, 0, ["91330106100000024R", "2025-12-31", "lots", "maybe", 3301])
        ws.write_row(3, 0, ["91330106100000024R", "31/12/2025", -5, 1, 330106])
    t = read_feature_table(out)
    got = [(p.line, p.column, p.value, p.reason) for p in t.problems]
    assert got == [
        (3, "high_tech_certified", "maybe", "not a boolean (true/false)"),
        (3, "region_code", "3301", "region code '3301' is not 6 digits"),
        (3, "revenue", "lots", "not a number"),
        (4, "as_of", "31/12/2025", "not a date in ISO format YYYY-MM-DD"),
        (4, "revenue", "-5", "must not be negative"),
    ]
    assert str(t.problems[0]).startswith(f"{out}[企业]:3: column 'high_tech_certified'")
    assert t.data["uscc"].to_list() == [good]
    res = runner.invoke(app, ["evaluate", "--system", "tech-sme", "--input", str(out)])
    assert res.exit_code == 2 and "[企业]:3: column 'revenue': not a number (value 'lots')" in res.output
    assert "Traceback" not in res.output


def test_text_with_spaces_and_a_chinese_true(tmp_path):
    p = tmp_path / "cases.csv"
    p.write_text("统一社会信用代码,as_of,高新技术企业,employees\n"
                 " 91330106100000016Y ,2025-12-31,是, 12 \n"
                 "91330106100000024R,2025-12-31,否,   \n", encoding="utf-8")
    t = read_feature_table(p)
    assert t.problems == []
    assert t.data["uscc"].to_list() == ["91330106100000016Y", "91330106100000024R"]
    assert t.data["high_tech_certified"].to_list() == [True, False]
    assert t.data["employees"].to_list() == [12, None]


def test_write_table_xlsx_round_trip_and_formula_guard(tmp_path):
    from innocredit.ingest.tables import write_table

    df = pl.DataFrame({"uscc": ["91330106100000016Y"], "name": ["=HYPERLINK(\"http://x\")"], "as_of": [dt.date(2025, 12, 31)],
                       "revenue": [-12.5], "note": ["+1 call"], "text_number": ["-3"]})
    write_table(df, tmp_path / "out.xlsx")
    write_table(df, tmp_path / "out.csv")
    back = pl.read_excel(tmp_path / "out.xlsx")
    assert back["name"][0] == "'=HYPERLINK(\"http://x\")" and back["note"][0] == "'+1 call"
    assert back["revenue"][0] == -12.5  # numbers are not text and are not touched
    assert back["text_number"][0] == "-3"  # nor is text that is only a signed number
    assert "'=HYPERLINK" in (tmp_path / "out.csv").read_text(encoding="utf-8")
    raw = read_table(tmp_path / "out.xlsx").frame
    assert raw["as_of"].cast(pl.Date)[0] == dt.date(2025, 12, 31)  # a date cell, not text
    t = read_feature_table(tmp_path / "out.xlsx")
    assert [(p.line, p.column, p.value) for p in t.problems] == [(2, "revenue", "-12.5")]
