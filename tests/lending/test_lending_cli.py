"""`innocredit match` and `innocredit loans ...` end to end."""

import json

from typer.testing import CliRunner

from innocredit.cli import app
from innocredit.profile.uscc import make_uscc

runner = CliRunner()
A = make_uscc("91330106MA2AAAAA0")
B = make_uscc("91330106MA2BBBBB0")
HEADER = ("uscc,as_of,registered_on,revenue,rd_expense,serious_dishonesty,abnormal_operations,"
          "open_enforcement_cases,tax_credit_rating,order_backlog,pd_grade,bank_new_quality_score,"
          "innovation_points,policy_credit_eligible\n")


def _csv(tmp_path, rows):
    p = tmp_path / "features.csv"
    p.write_text(HEADER + "".join(rows), encoding="utf-8")
    return p


def test_match_json_and_single_enterprise(tmp_path):
    p = _csv(tmp_path, [f"{A},2025-06-30,2022-03-01,20000000,3000000,false,false,0,A,4000000,G2,88,82,true\n",
                        f"{B},2025-06-30,2010-01-01,1000000,10000,false,false,0,A,0,G3,50,40,false\n"])
    res = runner.invoke(app, ["match", "--input", str(p), "--format", "json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["enterprises"] == 2 and out["rows"] == 16
    by = {(m["uscc"], m["product_id"]): m for m in out["matches"]}
    assert by[(A, "order_financing")]["eligible"] is True and by[(A, "order_financing")]["limit"] == 2_800_000
    assert by[(B, "order_financing")]["failed_rule"] == "has_order_backlog"
    one = runner.invoke(app, ["match", "--input", str(p), "--uscc", A, "--format", "json"])
    ranked = json.loads(one.stdout)["products"]
    assert ranked[0]["rank"] == 1 and ranked[0]["eligible"] is True
    out_file = tmp_path / "m.parquet"
    res = runner.invoke(app, ["match", "--input", str(p), "--output", str(out_file), "--format", "json"])
    assert res.exit_code == 0 and out_file.exists()


def test_match_bad_input_names_line_and_column(tmp_path):
    p = _csv(tmp_path, [f"{A},2025-06-30,2022-03-01,20000000,3000000,false,false,0,A,4000000,G11,88,82,true\n"])
    res = runner.invoke(app, ["match", "--input", str(p)])
    assert res.exit_code == 2
    assert "features.csv:2" in res.stderr and "pd_grade" in res.stderr
    res = runner.invoke(app, ["match", "--input", str(tmp_path / "nope.csv")])
    assert res.exit_code == 2 and "no such file" in res.stderr


def test_loans_cli_flow(tmp_path):
    db = ["--db", f"sqlite:///{tmp_path / 'l.db'}", "--format", "json"]
    r = runner.invoke(app, ["loans", "apply", "--bank", "bank_a", "--uscc", A, "--product", "talent_loan",
                            "--amount", "600000", "--term", "12", "--actor", "officer", "--on", "2025-03-03", *db])
    assert r.exit_code == 0, r.output
    app_id = json.loads(r.stdout)["id"]
    assert runner.invoke(app, ["loans", "review", app_id, "--bank", "bank_a", "--reviewer", "rev", *db]).exit_code == 0
    bad = runner.invoke(app, ["loans", "approve", app_id, "--bank", "bank_a", "--approver", "rev", *db])
    assert bad.exit_code == 2 and "cannot also approve" in " ".join(bad.stderr.split())
    ok = runner.invoke(app, ["loans", "approve", app_id, "--bank", "bank_a", "--approver", "boss", *db])
    assert json.loads(ok.stdout)["status"] == "approved"
    c = runner.invoke(app, ["loans", "contract", app_id, "--bank", "bank_a", "--actor", "officer", "--rate", "0.035",
                            *db])
    loan_id = json.loads(c.stdout)["id"]
    d = runner.invoke(app, ["loans", "disburse", loan_id, "--bank", "bank_a", "--actor", "officer",
                            "--on", "2025-03-10", *db])
    assert json.loads(d.stdout)["status"] == "active"
    s = runner.invoke(app, ["loans", "schedule", loan_id, "--bank", "bank_a", *db])
    rows = json.loads(s.stdout)
    assert len(rows) == 12
    rp = runner.invoke(app, ["loans", "repay", loan_id, "--bank", "bank_a", "--amount", rows[0]["payment"],
                             "--actor", "officer", *db])
    assert rp.exit_code == 0
    assert runner.invoke(app, ["loans", "audit", *db]).exit_code == 0
    other = runner.invoke(app, ["loans", "disburse", loan_id, "--bank", "bank_b", "--actor", "x", *db])
    assert other.exit_code == 2 and "no loan" in " ".join(other.stderr.split())


def test_schedule_without_db():
    r = runner.invoke(app, ["loans", "schedule", "--principal", "1000000", "--rate", "0.036", "--term", "12",
                            "--start", "2025-01-15", "--format", "json"])
    rows = json.loads(r.stdout)
    assert rows[0]["payment"] == "84967.26" and rows[0]["due_date"] == "2025-02-15"
    bad = runner.invoke(app, ["loans", "schedule", "--principal", "1000", "--rate", "0.03", "--term", "12",
                              "--method", "balloon"])
    assert bad.exit_code == 2 and "unknown method" in bad.stderr


def test_match_enriched_end_to_end(tmp_path):
    """Synthetic feature table -> evaluation scores + PD grade from a saved scorecard -> offers."""
    import polars as pl

    from innocredit.risk import Scorecard, save_model
    from innocredit.risk.features import feature_sets, model_features
    from innocredit.risk.policy import feature_trends
    from innocredit.synthetic import feature_table

    table = feature_table(1500, 11)
    train = model_features(table.filter(pl.col("default_12m").is_not_null()))
    card = Scorecard(features=feature_sets()["technology"], trends=feature_trends()).fit(
        train, train["default_12m"].to_numpy())
    card.model_id_ = "lending_test_card"
    path = save_model(card, {}, root=tmp_path / "models")
    feats = tmp_path / "f.csv"
    table.head(300).write_csv(feats)
    res = runner.invoke(app, ["match", "--input", str(feats), "--enrich", "--risk-model", str(path),
                              "--format", "json"])
    assert res.exit_code == 0, res.output
    matches = json.loads(res.stdout)["matches"]
    assert not [m for m in matches if m["failed_reason_en"] in ("missing pd_grade", "missing innovation_points")]
    assert any(m["eligible"] for m in matches)
    bad = runner.invoke(app, ["match", "--input", str(feats), "--risk-model", str(tmp_path / "nope")])
    assert bad.exit_code == 2 and "cannot load risk model" in " ".join(bad.stderr.split())


def test_loan_verbs_refuse_an_unreachable_database_clearly(tmp_path):
    """A database that cannot be opened is a usage error naming the URL and the reason, not a traceback."""
    bad = f"sqlite:///{tmp_path / 'no-such-dir' / 'x.db'}"
    res = runner.invoke(app, ["loans", "list", "--bank", "bank-hz-01", "--db", bad])
    assert res.exit_code == 2, res.output
    assert "cannot open database" in res.output and "no-such-dir" in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)


def test_match_enrich_as_the_web_does_without_a_store(tmp_path, monkeypatch):
    """No database here: PD grades from the demo scorecard (with a warning), IP capacity from --patents, no pool
    on record, guarantee scheme from the schemes' scopes; a third of the firms at least get a product."""
    import polars as pl

    import innocredit.ip.sample as sample
    from innocredit.synthetic import feature_table

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("INNOCREDIT_DATABASE_URL", raising=False)
    table = feature_table(600, 3)
    feats = tmp_path / "f.parquet"
    table.write_parquet(feats)
    patents = sample.synthetic_patents(900, usccs=table["uscc"].head(150).to_list())
    pfile = tmp_path / "ip.parquet"
    patents.write_parquet(pfile)
    res = runner.invoke(app, ["match", "--input", str(feats), "--enrich", "--patents", str(pfile),
                              "--format", "json", "--output", str(tmp_path / "m.parquet")])
    assert res.exit_code == 0, res.output
    body = json.loads(res.stdout)
    assert body["enterprises"] == 600 and body["enterprises_with_eligible_product"] >= 200
    err = " ".join(res.stderr.split())
    assert "demo scorecard" in err and "not validated" in err
    assert not (tmp_path / "innocredit.db").exists()  # match never creates a database
    m = pl.read_parquet(tmp_path / "m.parquet")
    reasons = set(m["failed_reason_en"].drop_nulls().to_list())
    for col in ("pd_grade", "ip_pledge_capacity", "pool_capacity", "guarantee_scheme"):
        assert f"missing {col}" not in reasons, col
    # firms without patents fail the patent rule, not a missing column
    no_ip = m.filter((pl.col("product_id") == "ip_pledge_loan")
                     & ~pl.col("uscc").is_in(table["uscc"].head(150).to_list()) & ~pl.col("eligible"))
    assert no_ip.height and not no_ip.filter(pl.col("failed_reason_en").str.starts_with("missing")).height
    assert (m.filter(pl.col("product_id") == "patent_pool_loan")["failed_reason_en"]
            .is_in(["has a pledge share in a patent pool"]).sum() > 0)
    bank = runner.invoke(app, ["match", "--input", str(feats), "--enrich", "--bank", "bank-hz-01"])
    assert bank.exit_code == 2 and "no database" in " ".join(bank.stderr.split())


def test_match_enrich_uses_the_banks_model_from_the_store(tmp_path, monkeypatch):
    """--bank: the PD grade comes from the bank's model in the registry (its champion, else its latest candidate),
    as on the web; no demo-model warning."""
    import polars as pl

    from innocredit.services.database import make_engine, migrate
    from innocredit.synthetic import feature_table
    from innocredit.web.demo import train_demo_risk_model

    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'store.db'}"
    engine = make_engine(url)
    migrate(engine)
    table = feature_table(600, 3)
    row = train_demo_risk_model(engine, table, "bank-hz-01", root=str(tmp_path / "models"))
    engine.dispose()
    assert row is not None
    feats = tmp_path / "f.parquet"
    table.write_parquet(feats)
    out = tmp_path / "m.parquet"
    res = runner.invoke(app, ["match", "--input", str(feats), "--enrich", "--bank", "bank-hz-01", "--db", url,
                              "--output", str(out), "--format", "json"])
    assert res.exit_code == 0, res.output
    err = " ".join(res.stderr.split())
    assert f"PD grade: bank-hz-01 champion {row['id']}@{row['version']}" in err and "demo scorecard" not in err
    m = pl.read_parquet(out)
    assert "missing pd_grade" not in set(m["failed_reason_en"].drop_nulls().to_list())
    none = runner.invoke(app, ["match", "--input", str(feats), "--enrich", "--bank", "bank-none", "--db", url])
    assert none.exit_code == 0
    assert "bank bank-none has no usable champion model" in " ".join(none.stderr.split())
