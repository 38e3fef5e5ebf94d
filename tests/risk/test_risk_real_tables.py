"""Through the CLI exactly as a user would, on every shipped real credit table: `risk train` on the training
part (protected attributes left out), `risk score` on the test part; our test AUC must be at least
optbinning's minus 0.003 (optbinning trained on the same part with its defaults)."""

import json
import warnings

import numpy as np
import polars as pl
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from typer.testing import CliRunner

from innocredit.cli import app

runner = CliRunner()


@pytest.mark.parametrize("name", ["german", "credit_data", "loans"])
def test_real_table_through_the_cli_at_least_optbinning(name, tables, tmp_path):
    spec = tables.REAL_TABLES[name]
    df = tables.read_table(name).drop(list(spec["protected"]))
    target = spec["target"]
    X, y = tables.real_table(name)
    tr, te = train_test_split(np.arange(len(y)), stratify=y, random_state=42, test_size=0.3)
    df[tr].write_csv(tmp_path / "train.csv")
    df[te].drop(target).write_csv(tmp_path / "test.csv")
    args = ["risk", "train", "--data", str(tmp_path / "train.csv"), "--target", target, "--out", str(tmp_path / "m"),
            "--no-register", "--name", name, "--format", "json"]
    if spec["bad"] is not None:
        args += ["--bad-value", spec["bad"]]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    res = json.loads(r.stdout)
    assert res["n_fit"] == len(tr) and res["validation_method"] == "cv"  # the final model saw every training row
    r = runner.invoke(app, ["risk", "score", "--model", name, "--models-dir", str(tmp_path / "m"), "--input",
                            str(tmp_path / "test.csv"), "--out", str(tmp_path / "scores.csv")])
    assert r.exit_code == 0, r.output
    ours = roc_auc_score(y[te], pl.read_csv(tmp_path / "scores.csv")["pd"].to_numpy())

    from optbinning import BinningProcess
    from optbinning import Scorecard as PeerScorecard

    pdf = X.to_pandas()
    cat = [c for c in X.columns if X[c].dtype == pl.String]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        peer = PeerScorecard(binning_process=BinningProcess(list(X.columns), categorical_variables=cat),
                             estimator=LogisticRegression()).fit(pdf.iloc[tr], y[tr])
        theirs = roc_auc_score(y[te], peer.predict_proba(pdf.iloc[te])[:, 1])
    print(f"{name}: ours {ours:.4f} optbinning {theirs:.4f}")
    assert ours >= theirs - 0.003, (name, ours, theirs)
