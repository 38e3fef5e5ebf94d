"""Templates: bilingual headers, notes, validation; template -> filled workbook -> ingest -> features."""

from __future__ import annotations

import datetime as dt
import zipfile

import polars as pl
import xlsxwriter
from ingest_feedkit import A, B
from typer.testing import CliRunner

from innocredit.cli import app
from innocredit.ingest.feeds import FEEDS
from innocredit.services.feeds import features_as_of, ingest_dir

runner = CliRunner()


def test_templates_cli_writes_one_workbook_per_feed_and_the_feature_table(tmp_path):
    res = runner.invoke(app, ["templates", str(tmp_path / "t"), "--format", "xlsx"])
    assert res.exit_code == 0, res.output
    names = sorted(p.name for p in (tmp_path / "t").iterdir())
    assert names == sorted([f"{f}.xlsx" for f in FEEDS] + ["features.xlsx"])
    reg = tmp_path / "t" / "registry.xlsx"
    header = pl.read_excel(reg, sheet_name="data").columns
    assert header[:3] == ["统一社会信用代码 (uscc)", "数据日期 (as_of)", "企业名称 (name)"]
    notes = pl.read_excel(reg, sheet_name="notes", has_header=False)
    rows = {r[0]: r for r in notes.iter_rows()}
    assert rows["status"][5] == "active, suspended, revoked, cancelled" and rows["uscc"][6] == "yes"
    assert rows["registered_capital"][4] == "CNY yuan" and rows["registered_capital"][5] == "≥ 0"
    sheet_xml = zipfile.ZipFile(reg).read("xl/worksheets/sheet1.xml").decode()
    assert '"active,suspended,revoked,cancelled"' in sheet_xml  # the status drop-down
    assert '"true,false"' in sheet_xml  # the boolean drop-downs
    res = runner.invoke(app, ["templates", str(tmp_path / "c"), "--format", "csv", "--only", "tax"])
    assert res.exit_code == 0
    assert (tmp_path / "c" / "tax.csv").read_text(encoding="utf-8-sig").startswith(
        "统一社会信用代码 (uscc),数据日期 (as_of),会计年度 (fiscal_year),营业收入 (revenue)")
    res = runner.invoke(app, ["templates", str(tmp_path / "x"), "--only", "nope"])
    assert res.exit_code == 2 and "unknown template(s) nope" in res.output


def _fill(template, out, rows: list[dict]) -> None:
    """Fill a template as a user does in Excel: its header row kept, dates as date cells, numbers as numbers,
    true/false picked from the drop-down (text)."""
    header = pl.read_excel(template, sheet_name="data").columns
    names = [h.split("(")[-1].rstrip(")") for h in header]
    with xlsxwriter.Workbook(str(out)) as wb:
        ws = wb.add_worksheet("data")
        fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
        ws.write_row(0, 0, header)
        for i, row in enumerate(rows, start=1):
            for j, name in enumerate(names):
                v = row.get(name)
                if v is None:
                    continue
                if isinstance(v, dt.date):
                    ws.write_datetime(i, j, dt.datetime(v.year, v.month, v.day), fmt)
                elif isinstance(v, bool):
                    ws.write_string(i, j, "true" if v else "false")
                elif isinstance(v, int | float):
                    ws.write_number(i, j, v)
                else:
                    ws.write_string(i, j, v)


def test_template_to_filled_workbook_to_ingest_to_features(tmp_path, sqlite_engine):
    runner.invoke(app, ["templates", str(tmp_path / "t")])
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    d = dt.date(2025, 6, 30)
    _fill(tmp_path / "t" / "registry.xlsx", feeds / "registry.xlsx", [
        {"uscc": A, "as_of": d, "name": "Alpha Tech", "registered_on": dt.date(2015, 3, 1), "industry_code": "I6513",
         "region_code": "330106", "status": "active", "registered_capital": 5_000_000, "abnormal_operations": False},
        {"uscc": B, "as_of": d, "name": "Beta Devices", "registered_on": dt.date(2019, 7, 15),
         "industry_code": "C3562", "region_code": "330108", "status": "active", "abnormal_operations": True},
    ])
    _fill(tmp_path / "t" / "tax.xlsx", feeds / "tax.xlsx", [
        {"uscc": A, "as_of": dt.date(2025, 5, 31), "fiscal_year": 2024, "revenue": 15e6, "rd_expense": 1.5e6,
         "net_assets": 6e6, "tax_credit_rating": "A"},
    ])
    _fill(tmp_path / "t" / "social_insurance.xlsx", feeds / "social_insurance.xlsx", [
        {"uscc": A, "as_of": d, "employees": 120}, {"uscc": B, "as_of": d, "employees": 30}])
    report = ingest_dir(sqlite_engine, feeds)
    assert report.ok, [str(p) for p in report.problems]
    assert report.total("rows_loaded") == 5
    f = features_as_of(sqlite_engine, d).sort("uscc")
    a = f.filter(pl.col("uscc") == A).row(0, named=True)
    assert a["name"] == "Alpha Tech" and a["registered_on"] == dt.date(2015, 3, 1) and a["region_code"] == "330106"
    assert a["revenue"] == 15e6 and a["rd_expense"] == 1.5e6 and a["employees"] == 120
    assert a["tax_credit_rating"] == "A" and a["abnormal_operations"] is False
    b = f.filter(pl.col("uscc") == B).row(0, named=True)
    assert b["abnormal_operations"] is True and b["employees"] == 30 and b["revenue"] is None
    # the same workbook again: idempotent
    again = ingest_dir(sqlite_engine, feeds)
    assert [x.status for x in again.files] == ["skipped"] * 3


def test_a_bad_cell_in_a_filled_feed_workbook_is_quarantined_with_sheet_and_row(tmp_path, sqlite_engine):
    runner.invoke(app, ["templates", str(tmp_path / "t"), "--only", "social_insurance"])
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    _fill(tmp_path / "t" / "social_insurance.xlsx", feeds / "social_insurance.xlsx", [
        {"uscc": A, "as_of": dt.date(2025, 6, 30), "employees": 120},
        {"uscc": B, "as_of": dt.date(2025, 6, 30), "employees": "thirty"}])
    report = ingest_dir(sqlite_engine, feeds)
    assert [str(p) for p in report.problems] == [
        f"{feeds / 'social_insurance.xlsx'}[data]:3: column 'employees': not a whole number (value 'thirty')"]
    assert report.total("rows_loaded") == 1
