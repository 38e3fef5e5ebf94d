"""Demo organisations and one user per role, so that `make run` can be tried at once.

The passwords are published (printed on start, in the docs) and are for the demo only: ``innocredit run
--no-demo`` creates no account and disables any demo account still on its published password
(:func:`disable_published_demo_accounts`); a deployment creates its own users.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine

from innocredit.services import platform as accounts
from innocredit.services.database import unit_of_work

COORDINATION_OFFICE = ("coord-hz", "coordination_office", "杭州市科技金融协调办公室",
                       "Hangzhou S&T Finance Coordination Office", "330100")
BANKS = (("bank-hz-01", "bank", "杭州科技银行", "Hangzhou Technology Bank", "330100"),
         ("bank-hz-02", "bank", "城市商业银行科技支行", "City Commercial Bank Tech Branch", "330100"))
GUARANTOR = ("guar-hz", "guarantor", "杭州科技融资担保有限公司", "Hangzhou Tech Financing Guarantee Co.", "330100")
PLATFORM = ("platform", "platform", "平台运营", "Platform operator", None)

# display names of each demo bank's officer, approver, second approver and modeller (fictional people)
DEMO_PEOPLE = (("王立新", "陈静", "刘洋", "赵敏"), ("孙伟", "周婷", "吴昊", "郑洁"))

DemoUser = tuple[str, str, str, str]  # username, password, role, organisation id


def _pick_enterprise(engine: Engine) -> tuple[str, str | None] | None:
    from innocredit.services.feeds import features_as_of

    try:
        df = features_as_of(engine)
    except Exception:  # noqa: BLE001 - no ingested store yet: the demo has no enterprise user
        return None
    return pick_enterprise(df)


def pick_enterprise(df: Any, region_prefix: str = "3301") -> tuple[str, str | None] | None:
    """A demo enterprise that exists in the data: in the demo banks' region (Hangzhou), clean record, the
    best innovation points among those that qualify; else the first such firm; else the first firm."""
    if df.height == 0:
        return None
    import polars as pl

    local = df.filter(pl.col("region_code").str.starts_with(region_prefix).fill_null(False)
                      & ~pl.col("serious_dishonesty").fill_null(False) & ~pl.col("abnormal_operations").fill_null(False)
                      & (pl.col("open_enforcement_cases").fill_null(0) == 0))
    pool = local if local.height else df
    from innocredit.evaluation.engine import evaluate
    from innocredit.evaluation.system import load_system

    ev = evaluate(load_system("innovation-points"), df).join(pool.select("uscc"), on="uscc", how="semi")
    best = ev.filter(pl.col("qualified").fill_null(False))
    best = best if best.height else ev
    if best.height:
        uscc = best.sort(["score", "uscc"], descending=[True, False], nulls_last=True)["uscc"][0]
        return uscc, df.filter(pl.col("uscc") == uscc)["name"][0]
    row = pool.sort("uscc").row(0, named=True)
    return row["uscc"], row.get("name")


def seed_demo_users(engine: Engine, enterprise_uscc: str | None = None,
                    enterprise_name: str | None = None) -> list[DemoUser]:
    """Create (idempotently) the demo organisations and a user per role; returns (username, password, role, org)."""
    if enterprise_uscc is None:
        picked = _pick_enterprise(engine)
        if picked:
            enterprise_uscc, enterprise_name = picked
    plan: list[tuple[str, str, str, str]] = [
        ("coordinator", "coordinator", COORDINATION_OFFICE[0], "张协调"),
        ("admin", "admin", PLATFORM[0], "平台管理员"),
        ("guarantor", "guarantor", GUARANTOR[0], "李担保"),
    ]
    for bank, people in zip(BANKS, DEMO_PEOPLE):
        b = "bank_a" if bank is BANKS[0] else "bank_b"
        plan += [(f"{b}_officer", "bank_officer", bank[0], people[0]),
                 (f"{b}_approver", "bank_approver", bank[0], people[1]),
                 (f"{b}_approver2", "bank_approver", bank[0], people[2]),
                 (f"{b}_modeller", "bank_modeller", bank[0], people[3])]
    out: list[DemoUser] = []
    with unit_of_work(engine) as session:
        for spec in (COORDINATION_OFFICE, *BANKS, GUARANTOR, PLATFORM):
            accounts.ensure_organisation(session, *spec)
        if enterprise_uscc:
            oid = f"ent-{enterprise_uscc}"
            name = enterprise_name or enterprise_uscc
            accounts.ensure_organisation(session, oid, "enterprise", name, name, enterprise_uscc[2:8], enterprise_uscc,
                                         enterprise_name=name)
            plan.append(("enterprise", "enterprise", oid, name))
        for username, role, org_id, display in plan:
            password = demo_password(username)
            if not accounts.user_exists(session, username):
                accounts.create_user(session, username, password, role, org_id, display)
            out.append((username, password, role, org_id))
    return out


DEMO_USERNAMES = ("coordinator", "admin", "guarantor", "enterprise",
                  *(f"{b}_{r}" for b in ("bank_a", "bank_b") for r in ("officer", "approver", "approver2", "modeller")))


def demo_password(username: str) -> str:
    return f"demo-{username}-2024"


def disable_published_demo_accounts(engine: Engine) -> list[str]:
    """Disable every active demo account whose password is still the published one (its sessions and tokens end);
    the usernames disabled. Outside the demo no account may be reachable with a published password."""
    with unit_of_work(engine) as session:
        return accounts.disable_users_with_password(session, DEMO_USERNAMES, demo_password)


def train_demo_risk_model(engine: Engine, features: Any, bank_id: str, root: str | None = None,
                          target: str = "default_12m") -> dict[str, Any] | None:
    """A bank modeller's first model for the demo: the risk area's scorecard on the technology feature set,
    trained on the labelled demo rows (stratified 70/30), its holdout validation recorded (in time, so it stays
    a candidate until validated out of time), registered to ``bank_id``. ``None`` when the data has no labels."""
    import numpy as np
    import polars as pl
    from sklearn.model_selection import train_test_split

    from innocredit.risk.artefact import save_model
    from innocredit.risk.compare import make_model
    from innocredit.risk.features import feature_sets, model_features
    from innocredit.risk.registry import _jsonable, build_card, model_id_for
    from innocredit.risk.validation import reference_profile, validate
    from innocredit.services import risk as risk_services

    if target not in features.columns:
        return None
    labelled = features.filter(pl.col(target).is_not_null())
    df = model_features(labelled)
    if target not in df.columns:
        df = df.with_columns(labelled[target])
    y = df[target].cast(pl.Int64).to_numpy()
    if df.height < 100 or y.min() == y.max():
        return None
    model = make_model("scorecard", feature_sets()["technology"])
    tr, te = train_test_split(np.arange(len(y)), stratify=y, random_state=42, test_size=0.3)
    model.fit(df[tr], y[tr])
    holdout = validate(model, df[te], target)
    model.model_id_ = model_id_for("scorecard", target, f"{bank_id}-tech-scorecard")
    card = build_card(model, df[tr], target, {"split": "stratified 70/30, seed 42", **holdout["performance"]},
                      reference_profile(model, df[tr]), source="demo data", bank_id=bank_id)
    path = save_model(model, card, root)
    report = _jsonable(holdout)
    with unit_of_work(engine) as session:
        row = risk_services.register_model(session, model.model_id_, model.model_version_, "scorecard", target,
                                           str(path / "model.joblib"), card, bank_id)
        risk_services.record_validation(session, model.model_id_, model.model_version_, False,
                                        {k: report[k] for k in ("performance", "calibration", "stability", "curves",
                                                                "segments") if k in report},
                                        "demo holdout (30%, in time)")
    return row
