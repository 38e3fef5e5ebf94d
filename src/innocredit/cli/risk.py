"""``innocredit risk``: train, score, validate, monitor, compare, promote and list PD models.

Any table with a binary target works: a feature table (``spec/features.md``, recognised by ``uscc`` and
balance-sheet columns) gets the derived model features of ``innocredit.risk.features``; any other table is
used as it is (every column but the target and ``uscc`` is a candidate feature).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import typer

from innocredit.cli._common import dumps, echo_json, fail, print_problems
from innocredit.ingest.problems import TableError

risk_app = typer.Typer(help="Probability-of-default models: scorecard, LightGBM challenger, validation, registry.",
                       no_args_is_help=True)

FEATURE_TABLE_MARKERS = ("total_assets", "liabilities", "revenue")
FormatOpt = typer.Option("table", "--format", help="table or json")
DbOpt = typer.Option(None, "--db", help="database URL (default: INNOCREDIT_DATABASE_URL or ./innocredit.db)")
ModelsOpt = typer.Option(None, "--models-dir", help="artefact root (default: INNOCREDIT_MODEL_DIR or ./models)")


def _read_any(path: Path) -> pl.DataFrame:
    if not path.exists():
        fail(f"{path}: no such file")
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            return pl.read_csv(path, infer_schema_length=10000)
        if suffix in (".parquet", ".pq"):
            return pl.read_parquet(path)
        if suffix in (".jsonl", ".ndjson", ".json"):
            return pl.read_ndjson(path)
    except Exception as exc:
        fail(f"{path}: cannot read: {exc}")
    fail(f"{path}: unknown file format {path.suffix!r}; use .csv, .jsonl or .parquet")


def _is_feature_table(df: pl.DataFrame) -> bool:
    return "uscc" in df.columns and all(c in df.columns for c in FEATURE_TABLE_MARKERS)


def load_frame(path: Path, target: str | None, bad_value: str | None = None) -> tuple[pl.DataFrame, bool]:
    """Read ``path``; a feature table is validated and turned into model features. Returns (frame, is_feature_table)."""
    raw = _read_any(path)
    if _is_feature_table(raw):
        from innocredit.ingest.tables import read_feature_table
        from innocredit.risk.features import model_features

        try:
            table = read_feature_table(path)
        except TableError as exc:
            fail(str(exc))
        if table.problems:
            n = print_problems(table.problems)
            fail(f"{path}: {n} problem(s) in the feature table; fix them and run again")
        df = model_features(table.data)
        if target and target in table.data.columns and target not in df.columns:
            df = df.with_columns(table.data[target])
        return df, True
    if target and target in raw.columns and bad_value is not None:
        raw = raw.with_columns((pl.col(target).cast(pl.String) == bad_value).cast(pl.Int8).alias(target))
    return raw, False


def _target(df: pl.DataFrame, target: str, path: Path) -> tuple[pl.DataFrame, np.ndarray]:
    if target not in df.columns:
        fail(f"{path}: no target column {target!r}")
    df = df.filter(pl.col(target).is_not_null())
    try:
        y = df[target].cast(pl.Float64).to_numpy()
    except Exception:
        fail(f"{path}: column {target}: values must be 0/1 (use --bad-value to name the bad class)")
    bad = np.nonzero(~np.isin(y, (0.0, 1.0)))[0]
    if bad.size:
        fail(f"{path}: line {int(bad[0]) + 2}: column {target}: value {y[bad[0]]!r} is not 0 or 1")
    if len(np.unique(y)) < 2:
        fail(f"{path}: column {target}: needs both 0 and 1")
    return df, y


def _repo(db: str | None) -> Any:
    from innocredit.storage.base import make_engine
    from innocredit.storage.migrate import upgrade

    engine = make_engine(db)
    upgrade(engine)
    return engine


def _load(model: str, models_dir: str | None) -> Any:
    from innocredit.risk.artefact import load_model

    try:
        return load_model(model, models_dir)
    except FileNotFoundError as exc:
        fail(str(exc))


def _card(model: str, models_dir: str | None) -> dict[str, Any]:
    from innocredit.risk.artefact import load_card

    return load_card(model, models_dir)


def _emit(obj: Any, fmt: str) -> None:
    if fmt == "json":
        echo_json(obj)
    else:
        typer.echo(json.dumps(json.loads(dumps(obj)), ensure_ascii=False, indent=2))


@risk_app.command("train")
def train(data: Path = typer.Option(..., "--data", help="training table (CSV, JSON Lines, Parquet)"),
          target: str = typer.Option("default_12m", "--target"),
          kind: str = typer.Option("scorecard", "--kind", help="scorecard or gbm"),
          out: str = typer.Option(None, "--out", help="artefact root directory (default ./models)"),
          name: str = typer.Option(None, "--name", help="model id (default <kind>-<target>)"),
          bank: str = typer.Option(None, "--bank", help="owner organisation id"),
          bad_value: str = typer.Option(None, "--bad-value", help="target value meaning default, if not 1"),
          register: bool = typer.Option(True, "--register/--no-register", help="record the model in the store"),
          db: str = DbOpt, fmt: str = FormatOpt) -> None:
    """Train a model, write a versioned artefact with its model card, and register it as candidate."""
    from sklearn.model_selection import train_test_split

    from innocredit.risk.artefact import save_model
    from innocredit.risk.compare import make_model
    from innocredit.risk.policy import ProtectedAttributeError
    from innocredit.risk.registry import build_card, model_id_for
    from innocredit.risk.validation import reference_profile, validate

    if kind not in ("scorecard", "gbm"):
        fail(f"--kind must be scorecard or gbm, not {kind!r}")
    df, is_ft = load_frame(data, target, bad_value)
    df, y = _target(df, target, data)
    if is_ft:
        from innocredit.risk.features import feature_sets
        features = feature_sets()["technology"]
    else:
        features = [c for c in df.columns if c not in (target, "uscc")]
    model = make_model(kind, features)  # trends from policies/model_features.yaml for the features it names
    idx = np.arange(len(y))
    tr, te = train_test_split(idx, stratify=y, random_state=42, test_size=0.3)
    try:
        model.fit(df[tr], y[tr])
    except (ProtectedAttributeError, ValueError) as exc:
        fail(f"{data}: {exc}")
    holdout = validate(model, df[te], target)
    model.model_id_ = model_id_for(kind, target, name)
    card = build_card(model, df[tr], target, {"split": "stratified 70/30, seed 42", **holdout["performance"]},
                      reference_profile(model, df[tr]), source=str(data), bank_id=bank)
    path = save_model(model, card, out)
    result = {"model_id": model.model_id_, "model_version": model.model_version_, "kind": kind,
              "artefact": str(path), "holdout": holdout["performance"], "n_features": len(model.raw_features())}
    if register:
        from innocredit.storage.base import unit_of_work
        from innocredit.storage.risk import RiskModelRepository

        card = _card(str(path), None)
        with unit_of_work(_repo(db)) as s:
            RiskModelRepository(s).register(model.model_id_, model.model_version_, kind, target,
                                            str(path / "model.joblib"), card, bank)
        result["status"] = "candidate"
    _emit(result, fmt)


@risk_app.command("score")
def score(model: str = typer.Option(..., "--model", help="model id (id, id@N) or artefact path"),
          input: Path = typer.Option(..., "--input", help="table to score"),
          out: Path = typer.Option(None, "--out", help="write scores here (.csv, .parquet, .jsonl)"),
          models_dir: str = ModelsOpt, fmt: str = FormatOpt) -> None:
    """Score a table: score points, PD, grade and reason codes, with model id and version on every row."""
    from innocredit.risk.scoring import score_table

    m = _load(model, models_dir)
    df, _ = load_frame(input, None)
    try:
        scores = score_table(m, df)
    except ValueError as exc:
        fail(f"{input}: {exc}")
    if out is not None:
        suffix = out.suffix.lower()
        if suffix in (".parquet", ".pq"):
            scores.write_parquet(out)
        elif suffix in (".jsonl", ".ndjson", ".json"):
            scores.write_ndjson(out)
        elif suffix == ".csv":
            scores.with_columns(pl.col("reason_codes").list.join(";")).write_csv(out)
        else:
            fail(f"{out}: unknown output format; use .csv, .jsonl or .parquet")
        _emit({"rows": scores.height, "out": str(out)}, fmt)
        return
    if fmt == "json":
        echo_json(scores.to_dicts())
    else:
        typer.echo(str(scores))


@risk_app.command("validate")
def validate_cmd(model: str = typer.Option(..., "--model"), data: Path = typer.Option(..., "--data"),
                 target: str = typer.Option("default_12m", "--target"),
                 bad_value: str = typer.Option(None, "--bad-value"),
                 oot: bool = typer.Option(None, "--oot/--in-time",
                                          help="whether the data is out of time (default: from the as_of dates)"),
                 html: Path = typer.Option(None, "--html", help="write the HTML report here"),
                 record: bool = typer.Option(True, "--record/--no-record", help="record the run in the store"),
                 models_dir: str = ModelsOpt, db: str = DbOpt, fmt: str = FormatOpt) -> None:
    """Validation report: AUC, Gini, KS, Brier, calibration by grade, PSI/CSI against development, segments."""
    from innocredit.risk.registry import _jsonable, is_out_of_time
    from innocredit.risk.report import report_html
    from innocredit.risk.validation import validate

    m = _load(model, models_dir)
    card = _card(model, models_dir)
    df, _ = load_frame(data, target, bad_value)
    df, _y = _target(df, target, data)
    try:
        report = validate(m, df, target, dev=card.get("reference"))
    except ValueError as exc:
        fail(f"{data}: {exc}")
    auto = is_out_of_time(card, df)
    report["oot"] = bool(oot) if oot is not None else bool(auto)
    report["model"] = {"id": card["model_id"], "version": card["model_version"], "kind": card["kind"]}
    report = _jsonable(report)
    if html is not None:
        html.write_text(report_html(report), encoding="utf-8")
    if record:
        from innocredit.storage.base import unit_of_work
        from innocredit.storage.risk import RegistryError, RiskModelRepository

        metrics = {k: report[k] for k in ("performance", "calibration", "stability") if k in report}
        try:
            with unit_of_work(_repo(db)) as s:
                report["validation_run"] = RiskModelRepository(s).record_validation(
                    card["model_id"], card["model_version"], report["oot"], metrics, str(data))
        except RegistryError as exc:
            fail(str(exc))
    _emit(report if fmt == "json" else {k: report[k] for k in ("model", "oot", "performance")}, fmt)


@risk_app.command("monitor")
def monitor(model: str = typer.Option(..., "--model"), data: Path = typer.Option(..., "--data"),
            models_dir: str = ModelsOpt, fmt: str = FormatOpt) -> None:
    """PSI of the score and CSI of each feature against the development population (0.10 watch, 0.25 alert)."""
    from innocredit.risk.registry import _jsonable
    from innocredit.risk.validation import stability

    m = _load(model, models_dir)
    card = _card(model, models_dir)
    df, _ = load_frame(data, None)
    missing = [f for f in m.raw_features() if f not in df.columns]
    if missing:
        fail(f"{data}: missing model features: {', '.join(missing)}")
    result = _jsonable(stability(m, card["reference"], df))
    result["model"] = {"id": card["model_id"], "version": card["model_version"]}
    _emit(result, fmt)


@risk_app.command("compare")
def compare_cmd(data: Path = typer.Option(None, "--data", help="feature table with the target"),
                demo: int = typer.Option(0, "--demo", help="use N synthetic enterprises instead of --data"),
                seed: int = typer.Option(7, "--seed"),
                target: str = typer.Option("default_12m", "--target"),
                kind: str = typer.Option("scorecard", "--kind"),
                max_default_rate: float = typer.Option(0.03, "--max-default-rate"),
                fmt: str = FormatOpt) -> None:
    """看报表 vs 看技术: AUC and approval rate at the same portfolio default rate."""
    from innocredit.risk.compare import compare

    if data is None and not demo:
        fail("give --data FILE or --demo N")
    if data is not None:
        from innocredit.ingest.tables import read_feature_table

        try:
            table = read_feature_table(data)
        except TableError as exc:
            fail(str(exc))
        if table.problems:
            n = print_problems(table.problems)
            fail(f"{data}: {n} problem(s) in the feature table")
        frame = table.data
    else:
        from innocredit.synthetic import feature_table

        frame = feature_table(demo, seed)
    try:
        result = compare(frame, target, kind, max_default_rate)
    except ValueError as exc:
        fail(str(exc))
    if fmt == "json":
        echo_json(result)
        return
    typer.echo(f"{kind}, test n={result['n_test']}, default rate {result['default_rate']:.2%}, "
               f"approval at portfolio default rate <= {max_default_rate:.1%}")
    for r in result["sets"].values():
        typer.echo(f"  {r['label']:<40} features {r['n_features']:>3}  AUC {r['auc']:.4f}  "
                   f"approval {r['approval_rate']:.1%} (default rate {r['approved_default_rate']:.2%})")


@risk_app.command("promote")
def promote(model: str = typer.Option(..., "--model", help="model id"),
            version: int = typer.Option(..., "--version"), bank: str = typer.Option(None, "--bank"),
            db: str = DbOpt, fmt: str = FormatOpt) -> None:
    """Make a model champion (needs an out-of-time validation run)."""
    from innocredit.storage.base import unit_of_work
    from innocredit.storage.risk import RegistryError, RiskModelRepository

    try:
        with unit_of_work(_repo(db)) as s:
            row = RiskModelRepository(s).promote(model, version, bank)
    except RegistryError as exc:
        fail(str(exc))
    _emit({k: row[k] for k in ("id", "version", "kind", "status", "bank_id")}, fmt)


@risk_app.command("list")
def list_cmd(bank: str = typer.Option(None, "--bank", help="only this bank's models"),
             status: str = typer.Option(None, "--status"), db: str = DbOpt, fmt: str = FormatOpt) -> None:
    """Registered models and their status."""
    from innocredit.storage.base import unit_of_work
    from innocredit.storage.risk import RiskModelRepository

    with unit_of_work(_repo(db)) as s:
        rows = RiskModelRepository(s).list_models(bank, status)
    _emit([{k: r[k] for k in ("id", "version", "kind", "status", "bank_id", "created_at")} for r in rows], fmt)


def register(app: typer.Typer) -> None:
    app.add_typer(risk_app, name="risk")
