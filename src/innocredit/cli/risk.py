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

from innocredit.cli._common import dumps, echo_json, fail, open_database, print_problems
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
    return open_database(db)


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


def _declared_protected(dictionary: Path | None, protected: list[str]) -> list[str]:
    """--protected columns plus the ``protected:`` list of a data dictionary (YAML or JSON)."""
    out = list(protected or [])
    if dictionary is not None:
        import yaml

        if not dictionary.exists():
            fail(f"{dictionary}: no such file")
        try:
            doc = yaml.safe_load(dictionary.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            fail(f"{dictionary}: not valid YAML or JSON: {exc}")
        items = doc.get("protected") if isinstance(doc, dict) else None
        if items is None:
            fail(f"{dictionary}: no 'protected:' list")
        if not isinstance(items, list) or not all(isinstance(c, str) for c in items):
            fail(f"{dictionary}: at protected: must be a list of column names")
        out += [c for c in items if c not in out]
    return out


@risk_app.command("train")
def train(data: Path = typer.Option(..., "--data", help="training table (CSV, JSON Lines, Parquet)"),
          target: str = typer.Option("default_12m", "--target"),
          kind: str = typer.Option("scorecard", "--kind", help="scorecard or gbm"),
          out: str = typer.Option(None, "--out", help="artefact root directory (default ./models)"),
          name: str = typer.Option(None, "--name", help="model id (default <kind>-<target>)"),
          bank: str = typer.Option(None, "--bank", help="owner organisation id"),
          bad_value: str = typer.Option(None, "--bad-value", help="target value meaning default, if not 1"),
          validation: Path = typer.Option(None, "--validation",
                                          help="validate the final model on this table (same columns)"),
          folds: int = typer.Option(5, "--folds", help="stratified k-fold cross-validation (the default method)"),
          time_column: str = typer.Option(None, "--time-column", help="date (or year) column for --oot-from"),
          oot_from: str = typer.Option(None, "--oot-from",
                                       help="out-of-time split: rows from this date (or number) on validate"),
          holdout: float = typer.Option(None, "--holdout",
                                        help="hold out this share; the model fitted on the rest is kept"),
          protected: list[str] = typer.Option(None, "--protected",
                                              help="protected column (repeatable): fairness checks only"),
          dictionary: Path = typer.Option(None, "--dictionary",
                                          help="data dictionary (YAML/JSON) with a 'protected:' list"),
          allow: list[str] = typer.Option(None, "--allow", help="use a column the protected rules caught (repeatable)"),
          reason: str = typer.Option(None, "--reason", help="why the --allow columns are not protected attributes"),
          cutoff_pd: float = typer.Option(None, "--cutoff-pd",
                                          help="PD cut-off for the fairness checks (default: the mean PD)"),
          register: bool = typer.Option(True, "--register/--no-register", help="record the model in the store"),
          db: str = DbOpt, fmt: str = FormatOpt) -> None:
    """Train a model on every row given, validate it (k-fold by default, or --validation FILE, or
    --time-column/--oot-from, or --holdout), write a versioned artefact with its model card, register it."""
    from innocredit.risk.artefact import save_model
    from innocredit.risk.compare import make_model
    from innocredit.risk.fairness import detect_protected, fairness_report, refuse_protected_in
    from innocredit.risk.policy import ProtectedAttributeError
    from innocredit.risk.registry import build_card, model_id_for
    from innocredit.risk.training import train_validated
    from innocredit.risk.validation import reference_profile

    if kind not in ("scorecard", "gbm"):
        fail(f"--kind must be scorecard or gbm, not {kind!r}")
    chosen = [m for m, on in (("--validation", validation is not None), ("--holdout", holdout is not None),
                              ("--oot-from", oot_from is not None or time_column is not None)) if on]
    if len(chosen) > 1:
        fail(f"choose one validation method, not {' and '.join(chosen)}")
    if (oot_from is None) != (time_column is None):
        fail("--time-column and --oot-from go together")
    allow = list(allow or [])
    if allow and not (reason or "").strip():
        fail("--allow needs --reason TEXT (the model card records it)")
    df, is_ft = load_frame(data, target, bad_value)
    df, y = _target(df, target, data)
    declared = _declared_protected(dictionary, list(protected or []))
    unknown = [c for c in [*declared, *allow] if c not in df.columns]
    if unknown:
        fail(f"{data}: no column {', '.join(repr(c) for c in unknown)} (named by --protected/--dictionary/--allow)")
    if is_ft:
        from innocredit.risk.features import feature_sets
        features = feature_sets()["technology"]
    else:
        features = [c for c in df.columns if c not in (target, "uscc", time_column)]
    features = [f for f in features if f not in declared]
    try:
        refuse_protected_in(df, features, allowed=allow)
    except ProtectedAttributeError as exc:
        fail(f"{data}: {exc}")
    method = "file" if validation is not None else "holdout" if holdout is not None else \
        "oot" if oot_from is not None else "cv"
    vdata = None
    if validation is not None:
        vdf, _ = load_frame(validation, target, bad_value)
        vdf, vy = _target(vdf, target, validation)
        missing = [f for f in features if f not in vdf.columns]
        if missing:
            fail(f"{validation}: missing model features: {', '.join(missing)}")
        vdata = (vdf, vy)
    try:
        model, summary, fit_idx = train_validated(
            lambda: make_model(kind, features, allow or None), df, y, method=method, folds=folds,
            holdout=holdout if holdout is not None else 0.3, validation_data=vdata, time_column=time_column,
            oot_from=oot_from)
    except (ProtectedAttributeError, ValueError) as exc:
        fail(f"{data}: {exc}")
    model.model_id_ = model_id_for(kind, target, name)
    fit_rows = df[fit_idx]
    fairness = None
    if declared:
        on = vdata[0] if vdata is not None and all(c in vdata[0].columns for c in declared) else fit_rows
        on_y = vdata[1] if on is not fit_rows and vdata is not None else y[fit_idx]
        fairness = fairness_report(model, on, on.select(declared), on_y, cutoff_pd)
        fairness["data"] = "validation file" if on is not fit_rows else "training rows"
    rules = detect_protected(df, allow) if allow else {}
    governance = {"declared_protected": declared,
                  "allowed_protected": [{"column": c, "rule": rules.get(c, "none"), "reason": reason} for c in allow]}
    card = build_card(model, fit_rows, target, summary["performance"], reference_profile(model, fit_rows),
                      source=str(data), bank_id=bank, validation=summary, fairness=fairness, governance=governance)
    path = save_model(model, card, out)
    result: dict[str, Any] = {"model_id": model.model_id_, "model_version": model.model_version_, "kind": kind,
                              "artefact": str(path), "n_fit": len(fit_idx), "validation_method": summary["method"],
                              "validation": summary["performance"], "n_features": len(model.raw_features())}
    if fairness is not None:
        result["adverse_impact_ratio"] = {c: a["adverse_impact_ratio"] for c, a in fairness["attributes"].items()}
    if register:
        from innocredit.services import risk as risk_service

        card = _card(str(path), None)
        with risk_service.session(_repo(db)) as s:
            risk_service.register_model(s, model.model_id_, model.model_version_, kind, target,
                                        str(path / "model.joblib"), card, bank)
        result["status"] = "candidate"
    _emit(result, fmt)


@risk_app.command("score")
def score(model: str = typer.Option(..., "--model", help="model id (id, id@N) or artefact path"),
          input: Path = typer.Option(..., "--input", help="table to score"),
          out: Path = typer.Option(None, "--out", help="write scores here (.csv, .xlsx, .parquet, .jsonl)"),
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
        elif suffix in (".csv", ".xlsx"):
            from innocredit.ingest.tables import write_table

            write_table(scores.with_columns(pl.col("reason_codes").list.join(";")), out, sheet="scores")
        else:
            fail(f"{out}: unknown output format; use .csv, .xlsx, .jsonl or .parquet")
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
                 protected: list[str] = typer.Option(None, "--protected",
                                                     help="protected column for the fairness checks (repeatable; "
                                                          "default: those declared at training)"),
                 cutoff_pd: float = typer.Option(None, "--cutoff-pd", help="PD cut-off for the fairness checks"),
                 models_dir: str = ModelsOpt, db: str = DbOpt, fmt: str = FormatOpt) -> None:
    """Validation report: AUC, Gini, KS, Brier, calibration by grade, PSI/CSI against development, segments,
    and the fairness checks on protected columns (declared at training or with --protected)."""
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
    declared = list(protected or []) or list(((card.get("fairness") or {}).get("attributes") or {}).keys())
    present = [c for c in declared if c in df.columns]
    if protected and len(present) < len(protected):
        fail(f"{data}: no column {', '.join(c for c in protected if c not in df.columns)} (named by --protected)")
    if present:
        from innocredit.risk.fairness import fairness_report

        report["fairness"] = fairness_report(m, df, df.select(present), _y, cutoff_pd)
    auto = is_out_of_time(card, df)
    report["oot"] = bool(oot) if oot is not None else bool(auto)
    report["model"] = {"id": card["model_id"], "version": card["model_version"], "kind": card["kind"]}
    report = _jsonable(report)
    if html is not None:
        html.write_text(report_html(report), encoding="utf-8")
    if record:
        from innocredit.services import risk as risk_service

        metrics = {k: report[k] for k in ("performance", "calibration", "stability", "fairness") if k in report}
        try:
            with risk_service.session(_repo(db)) as s:
                report["validation_run"] = risk_service.record_validation(
                    s, card["model_id"], card["model_version"], report["oot"], metrics, str(data))
        except risk_service.RegistryError as exc:
            fail(str(exc))
    _emit(report if fmt == "json" else {k: report[k] for k in ("model", "oot", "performance")}, fmt)


@risk_app.command("monitor")
def monitor(model: str = typer.Option(..., "--model"),
            input: Path = typer.Option(None, "--input", help="new data to monitor (CSV, JSON Lines, Parquet)"),
            data: Path = typer.Option(None, "--data", help="same as --input"),
            target: str = typer.Option(None, "--target", help="outcome column, for the default rate by grade"),
            html: Path = typer.Option(None, "--html", help="write the HTML report here"),
            out: Path = typer.Option(None, "--out", help="write the JSON result here"),
            models_dir: str = ModelsOpt, fmt: str = FormatOpt) -> None:
    """PSI by score band and CSI by feature against the training reference (0.10 watch, 0.25 alert), and the
    default rate by grade when outcomes exist; as JSON and HTML. Any sample size; unseen categories are fine."""
    from innocredit.risk.registry import _jsonable
    from innocredit.risk.report import monitor_html
    from innocredit.risk.validation import monitor as run_monitor

    path = input or data
    if path is None:
        fail("give --input FILE")
    m = _load(model, models_dir)
    card = _card(model, models_dir)
    df, _ = load_frame(path, None)
    missing = [f for f in m.raw_features() if f not in df.columns]
    if missing:
        fail(f"{path}: missing model features: {', '.join(missing)}")
    if target is not None and target not in df.columns:
        fail(f"{path}: no target column {target!r}")
    if target is not None:
        try:
            df = df.with_columns(pl.col(target).cast(pl.Float64))
        except Exception:
            fail(f"{path}: column {target}: values must be 0/1")
    result = _jsonable(run_monitor(m, card["reference"], df, target))
    result["model"] = {"id": card["model_id"], "version": card["model_version"]}
    if html is not None:
        html.write_text(monitor_html(result), encoding="utf-8")
    if out is not None:
        out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    _emit(result, fmt)


@risk_app.command("compare")
def compare_cmd(data: Path = typer.Option(None, "--data", help="feature table with the target"),
                demo: int = typer.Option(0, "--demo", help="use N synthetic enterprises instead of --data"),
                seed: int = typer.Option(7, "--seed"),
                target: str = typer.Option("default_12m", "--target"),
                kind: str = typer.Option("scorecard", "--kind"),
                max_default_rate: float = typer.Option(0.03, "--max-default-rate"),
                n_boot: int = typer.Option(500, "--bootstrap", help="bootstrap resamples for the intervals"),
                fmt: str = FormatOpt) -> None:
    """看报表 vs 看技术: AUC and approval rate at the same portfolio default rate, with bootstrap 95% intervals
    of both differences and whether they are significant."""
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
        result = compare(frame, target, kind, max_default_rate, n_boot=n_boot)
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
    d = result["difference"]
    typer.echo(f"  {d['auc']['statement']}")
    typer.echo(f"  {d['approval_rate']['statement']}")
    if demo:
        typer.echo("  (demo data: this shows the mechanism on a synthetic latent default model, not evidence)")


@risk_app.command("promote")
def promote(model: str = typer.Option(..., "--model", help="model id"),
            version: int = typer.Option(..., "--version"), bank: str = typer.Option(None, "--bank"),
            by: str = typer.Option(None, "--by", help="who promotes (default: $USER)"),
            override_by: str = typer.Option(None, "--override-by",
                                            help="second person overriding an adverse impact ratio below 0.8"),
            reason: str = typer.Option(None, "--reason", help="why the override is justified"),
            db: str = DbOpt, fmt: str = FormatOpt) -> None:
    """Make a model champion (needs an out-of-time validation run; an adverse impact ratio below 0.8 needs a
    second person's override with a reason, recorded in the registry and the audit log)."""
    import os

    from innocredit.services import risk as risk_service

    try:
        with risk_service.session(_repo(db)) as s:
            row = risk_service.promote(s, model, version, bank, actor=by or os.environ.get("USER") or "cli",
                                       override_by=override_by, override_reason=reason)
    except risk_service.RegistryError as exc:
        fail(str(exc))
    out = {k: row[k] for k in ("id", "version", "kind", "status", "bank_id")}
    if (row["card"].get("governance") or {}).get("fairness_override"):
        out["fairness_override"] = row["card"]["governance"]["fairness_override"]
    _emit(out, fmt)


@risk_app.command("list")
def list_cmd(bank: str = typer.Option(None, "--bank", help="only this bank's models"),
             status: str = typer.Option(None, "--status"), db: str = DbOpt, fmt: str = FormatOpt) -> None:
    """Registered models and their status."""
    from innocredit.services import risk as risk_service

    with risk_service.session(_repo(db)) as s:
        rows = risk_service.list_models(s, bank, status)
    _emit([{k: r[k] for k in ("id", "version", "kind", "status", "bank_id", "created_at")} for r in rows], fmt)


def register(app: typer.Typer) -> None:
    app.add_typer(risk_app, name="risk")
