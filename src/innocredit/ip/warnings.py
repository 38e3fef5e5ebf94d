"""Early warnings on pledged patents: compare the active pledges with the latest IP-office feed.

- ``lapse``: a pledged patent lapsed (unpaid annual fees) — the collateral is gone (Patent Law art. 44);
- ``invalidation``: a pledged patent was declared invalid (art. 45-47);
- ``expiry``: the statutory term ended, or ends within ``expiry_warning_days``;
- ``transfer_attempt``: the feed shows more transfers than at registration, or the patent under another
  holder — a pledged patent may not be transferred without the pledgee's consent (Civil Code art. 444).
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from innocredit.ip.records import statutory_expiry

WARNING_SCHEMA = {"registration_no": pl.String, "patent_id": pl.String, "uscc": pl.String, "kind": pl.String,
                  "detail_zh": pl.String, "detail_en": pl.String}


def pledge_warnings(active: pl.DataFrame, patents: pl.DataFrame, as_of: dt.date,
                    expiry_warning_days: int = 180) -> pl.DataFrame:
    """One row per warning: registration_no, patent_id, uscc, kind, detail_zh, detail_en."""
    cols = ["patent_id", "uscc", "status", "kind", "filing_date", "transfers"]
    feed = patents.select([c for c in cols if c in patents.columns]).rename({"uscc": "holder", "kind": "ip_kind"})
    for c, t in (("transfers", pl.Int64), ("filing_date", pl.Date), ("ip_kind", pl.String)):
        if c not in feed.columns:
            feed = feed.with_columns(pl.lit(None, dtype=t).alias(c))
    j = active.join(feed, on="patent_id", how="inner")
    expiry = statutory_expiry("ip_kind", "filing_date")
    days_left = (expiry - pl.lit(as_of)).dt.total_days()
    rules = [
        ("lapse", pl.col("status") == "lapsed", "质押专利因未缴年费失效", "pledged patent lapsed for unpaid fees"),
        ("invalidation", pl.col("status") == "invalidated", "质押专利被宣告无效", "pledged patent was invalidated"),
        ("expiry", (pl.col("status") == "expired") | (days_left <= expiry_warning_days),
         "质押专利保护期届满或即将届满", "pledged patent's term has ended or ends soon"),
        ("transfer_attempt",
         (pl.col("transfers").fill_null(0) > pl.col("transfers_at_registration").fill_null(pl.col("transfers")))
         | (pl.col("holder") != pl.col("uscc")),
         "质押期间专利发生转让", "transfer of a pledged patent during the pledge"),
    ]
    parts = [j.filter(cond.fill_null(False)).select(
        "registration_no", "patent_id", "uscc", pl.lit(kind).alias("kind"),
        pl.lit(zh).alias("detail_zh"), pl.lit(en).alias("detail_en")) for kind, cond, zh, en in rules]
    return pl.concat([pl.DataFrame(schema=WARNING_SCHEMA), *parts]).sort("registration_no", "kind")
