"""Qualification lifecycles: certificates with issue and expiry dates, "valid on the as-of date", early warnings.

The S&T department and MIIT send certificates (the ``certificates`` feed, ``ingest.feeds``): one row per
certificate with ``qualification``, ``certificate_no``, ``issued_on`` and, when printed, ``expires_on``. The
policy (``profile/qualifications.yaml``) says how long each qualification lasts when no expiry is printed
(高新技术企业 and the 专精特新 tiers 3 years from issue, 科技型中小企业 入库 to the end of its year) and which
feature a valid certificate sets. Evaluations, product rules and the relending definition read the features
built as of a date, so they see "valid on that date", never a stored flag.

Pure polars; no I/O beyond reading the packaged policy.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import polars as pl

from innocredit.core.policy import PolicyError, load_policy_file
from innocredit.profile.features import SPECIALIZED_LEVELS

__all__ = ["CERTIFICATE_STATUSES", "QUALIFICATIONS", "QualificationPolicy", "certificate_validity",
           "default_qualification_policy", "expiring", "load_qualification_policy", "qualification_columns",
           "valid_on", "with_valid_on"]

POLICY_FILE = Path(__file__).with_name("qualifications.yaml")
QUALIFICATIONS = ("high_tech", "tech_sme", "innovative_sme", "specialized", "little_giant",
                  "national_tech_sme_list", "rd_intensive_private_sme")
CERTIFICATE_STATUSES = ("valid", "revoked")
# the feature columns a certificate sets, with their expiry-date columns
FLAG_FEATURES = ("high_tech_certified", "tech_sme_registered")
EXPIRY_FEATURES = ("high_tech_cert_expires", "tech_sme_reg_expires", "specialized_cert_expires")

_NAME = {"type": "object", "required": ["zh", "en"], "additionalProperties": False,
         "properties": {"zh": {"type": "string", "minLength": 1}, "en": {"type": "string", "minLength": 1}}}
_TEXT = {"type": "string", "minLength": 1}
SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["id", "version", "early_warning", "qualifications"], "additionalProperties": False,
    "properties": {
        "id": {"const": "qualifications"}, "version": _TEXT,
        "early_warning": {
            "type": "object", "required": ["days", "severity", "name"], "additionalProperties": False,
            "properties": {"days": {"type": "integer", "minimum": 1, "maximum": 730},
                           "severity": {"enum": ["low", "medium", "high", "critical"]}, "name": _NAME,
                           "assumption": {"type": "boolean"}, "reasoning": _TEXT, "source": _TEXT}},
        "qualifications": {
            "type": "object", "additionalProperties": False,
            "required": list(QUALIFICATIONS),
            "patternProperties": {"^[a-z_]+$": {
                "type": "object", "required": ["name", "validity", "sets", "source"], "additionalProperties": False,
                "properties": {
                    "name": _NAME, "source": _TEXT, "assumption": {"type": "boolean"}, "reasoning": _TEXT,
                    "validity": {"oneOf": [
                        {"type": "object", "required": ["years"], "additionalProperties": False,
                         "properties": {"years": {"type": "integer", "minimum": 1, "maximum": 10}}},
                        {"type": "object", "required": ["until_year_end"], "additionalProperties": False,
                         "properties": {"until_year_end": {"const": True}}},
                        {"type": "object", "required": ["explicit"], "additionalProperties": False,
                         "properties": {"explicit": {"const": True}}}]},
                    "sets": {"oneOf": [
                        {"type": "object", "required": ["feature", "expires"], "additionalProperties": False,
                         "properties": {"feature": {"enum": [*FLAG_FEATURES, "specialized_level"]},
                                        "level": {"enum": list(SPECIALIZED_LEVELS[1:])},
                                        "expires": {"enum": list(EXPIRY_FEATURES)}}},
                        {"type": "object", "required": ["relending_list"], "additionalProperties": False,
                         "properties": {"relending_list": _TEXT}}]},
                },
                "allOf": [{"if": {"properties": {"sets": {"required": ["relending_list"]}}},
                           "then": {"properties": {"validity": {"required": ["explicit"]}}}}],
            }},
        },
    },
}


@dataclass(frozen=True)
class Qualification:
    id: str
    name_zh: str
    name_en: str
    years: int | None  # valid for this many years from the issue date
    until_year_end: bool  # valid to 31 December of the issue year
    feature: str | None  # the feature it sets (None for a relending list)
    level: str | None  # the specialized_level it sets
    expires_feature: str | None
    relending_list: str | None
    source: str
    assumption: bool


@dataclass(frozen=True)
class QualificationPolicy:
    version: str
    warning_days: int
    warning_severity: str
    warning_name: tuple[str, str]
    qualifications: dict[str, Qualification]

    def relending_lists(self) -> dict[str, str]:
        """qualification id -> the relending list kind it is (``lending.relending.LIST_KINDS``)."""
        return {q.id: q.relending_list for q in self.qualifications.values() if q.relending_list}


def load_qualification_policy(path: str | Path = POLICY_FILE) -> QualificationPolicy:
    d = load_policy_file(path, SCHEMA)
    quals: dict[str, Qualification] = {}
    for qid, q in d["qualifications"].items():
        if qid not in QUALIFICATIONS:
            raise PolicyError(str(path), f"$.qualifications.{qid}", f"unknown qualification; one of {QUALIFICATIONS}")
        sets, validity = q["sets"], q["validity"]
        if sets.get("feature") == "specialized_level" and "level" not in sets:
            raise PolicyError(str(path), f"$.qualifications.{qid}.sets", "specialized_level needs a level")
        quals[qid] = Qualification(
            id=qid, name_zh=q["name"]["zh"], name_en=q["name"]["en"], years=validity.get("years"),
            until_year_end=bool(validity.get("until_year_end")), feature=sets.get("feature"), level=sets.get("level"),
            expires_feature=sets.get("expires"), relending_list=sets.get("relending_list"), source=q["source"],
            assumption=bool(q.get("assumption")))
    w = d["early_warning"]
    return QualificationPolicy(str(d["version"]), int(w["days"]), w["severity"], (w["name"]["zh"], w["name"]["en"]),
                               quals)


@lru_cache(maxsize=1)
def default_qualification_policy() -> QualificationPolicy:
    return load_qualification_policy()


def _derived_until(policy: QualificationPolicy) -> pl.Expr:
    """The last valid day when the certificate prints none: for "N years from the day of issue", the same day N
    years on — the day of issue is not counted and a period in years ends on the corresponding day, or the month's
    last day when there is none (《中华人民共和国民法典》第二百零一条、第二百零二条): issued 2023-11-15 -> last valid
    day 2026-11-15; issued 2024-02-29 -> 2027-02-28. For a yearly registration: 31 December of the issue year."""
    issued = pl.col("issued_on")
    expr: pl.Expr = pl.lit(None, dtype=pl.Date)
    for q in policy.qualifications.values():
        if q.years is not None:
            until = issued.dt.offset_by(f"{q.years}y")
        elif q.until_year_end:
            until = pl.date(issued.dt.year(), 12, 31)
        else:
            continue
        expr = pl.when(pl.col("qualification") == q.id).then(until).otherwise(expr)
    return expr


def certificate_validity(certs: pl.DataFrame, policy: QualificationPolicy | None = None) -> pl.DataFrame:
    """Each certificate with ``valid_until`` (the printed ``expires_on``, else the policy's period) and
    ``revoked``. ``certs`` holds one row per certificate (the latest feed row of each)."""
    policy = policy or default_qualification_policy()
    status = pl.col("status") if "status" in certs.columns else pl.lit(None, dtype=pl.String)
    expires = pl.col("expires_on") if "expires_on" in certs.columns else pl.lit(None, dtype=pl.Date)
    return certs.with_columns(pl.coalesce(expires.cast(pl.Date), _derived_until(policy)).alias("valid_until"),
                              (status == "revoked").fill_null(False).alias("revoked"))


def with_valid_on(certs: pl.DataFrame, on: dt.date, policy: QualificationPolicy | None = None) -> pl.DataFrame:
    """:func:`certificate_validity` with ``valid``: issued on or before ``on``, not expired on it (an open end
    counts as valid) and not revoked."""
    c = certificate_validity(certs, policy)
    return c.with_columns(((pl.col("issued_on") <= on) & (pl.col("valid_until").is_null()
                                                           | (pl.col("valid_until") >= on)) & ~pl.col("revoked"))
                          .alias("valid"))


def valid_on(certs: pl.DataFrame, on: dt.date, policy: QualificationPolicy | None = None) -> pl.DataFrame:
    """The certificates valid on ``on`` (see :func:`with_valid_on`)."""
    return with_valid_on(certs, on, policy).filter(pl.col("valid")).drop("valid")


def qualification_columns(certs: pl.DataFrame, on: dt.date,
                          policy: QualificationPolicy | None = None) -> pl.DataFrame:
    """Per firm with any certificate row: the qualification features valid on ``on`` — ``high_tech_certified``,
    ``tech_sme_registered`` (false when none is valid), ``specialized_level`` (the highest valid tier, else
    ``none``) and the expiry dates of the valid ones (the latest when several overlap)."""
    policy = policy or default_qualification_policy()
    firms = certs.select(pl.col("uscc").cast(pl.String)).unique()
    valid = valid_on(certs, on, policy)
    out = firms
    for flag in FLAG_FEATURES:
        ids = [q.id for q in policy.qualifications.values() if q.feature == flag]
        exp = next(q.expires_feature or f"{flag}_expires" for q in policy.qualifications.values()
                   if q.feature == flag)
        got = valid.filter(pl.col("qualification").is_in(ids)).group_by("uscc").agg(
            pl.lit(True).alias(flag), pl.col("valid_until").max().alias(exp))
        out = out.join(got, on="uscc", how="left").with_columns(pl.col(flag).fill_null(False))
    rank = {lv: i for i, lv in enumerate(SPECIALIZED_LEVELS)}
    tiers = {q.id: q.level for q in policy.qualifications.values() if q.level}
    spec = (valid.filter(pl.col("qualification").is_in(list(tiers)))
            .with_columns(pl.col("qualification").replace_strict(tiers, return_dtype=pl.String).alias("level"))
            .with_columns(pl.col("level").replace_strict(rank, return_dtype=pl.Int64).alias("__rank"))
            .sort("__rank", "valid_until", nulls_last=False)
            .group_by("uscc").agg(pl.col("level").last().alias("specialized_level"),
                                  pl.col("valid_until").last().alias("specialized_cert_expires")))
    out = out.join(spec, on="uscc", how="left").with_columns(pl.col("specialized_level").fill_null("none"))
    return out.select("uscc", "high_tech_certified", "high_tech_cert_expires", "tech_sme_registered",
                      "tech_sme_reg_expires", "specialized_level", "specialized_cert_expires")


def expiring(certs: pl.DataFrame, on: dt.date, within_days: int | None = None,
             policy: QualificationPolicy | None = None) -> pl.DataFrame:
    """The certificates valid on ``on`` whose last valid day is at most ``within_days`` (default: the policy's
    early-warning horizon, 90) days away and that no later certificate of the same qualification renews.

    Columns: uscc, qualification, certificate_no, issued_on, valid_until, days_left (0 = last valid day is
    ``on``), name_zh, name_en. Soonest first."""
    policy = policy or default_qualification_policy()
    days = policy.warning_days if within_days is None else within_days
    if days < 0:
        raise ValueError("within_days: must not be negative")
    all_certs = certificate_validity(certs, policy).filter(~pl.col("revoked"))
    # the latest end of any unrevoked certificate of the same qualification (a renewal issued before expiry)
    reach = all_certs.group_by("uscc", "qualification").agg(
        pl.col("valid_until").max().alias("__reach"), pl.col("valid_until").is_null().any().alias("__open"))
    soon = valid_on(certs, on, policy).filter(pl.col("valid_until").is_not_null()).with_columns(
        (pl.col("valid_until") - pl.lit(on)).dt.total_days().alias("days_left")).filter(pl.col("days_left") <= days)
    soon = soon.join(reach, on=["uscc", "qualification"], how="left").filter(
        (pl.col("__reach") <= pl.col("valid_until")) & ~pl.col("__open"))
    names = pl.DataFrame({"qualification": list(policy.qualifications),
                          "name_zh": [q.name_zh for q in policy.qualifications.values()],
                          "name_en": [q.name_en for q in policy.qualifications.values()]})
    return (soon.join(names, on="qualification", how="left")
            .select("uscc", "qualification", "certificate_no", "issued_on", "valid_until",
                    pl.col("days_left").cast(pl.Int64), "name_zh", "name_en")
            .sort("days_left", "uscc", "qualification"))
