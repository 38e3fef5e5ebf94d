"""``innocredit batch``: evaluation, IP valuation, risk scoring and product matching over whole tables, on
polars (one machine) or Apache Spark (``--engine spark``; master from ``INNOCREDIT_SPARK_MASTER`` or
``spark-submit``, default ``local[*]``).

Input and output are Parquet. ``--input`` is a file or a directory of Parquet files; on Spark it may be any
URI Spark reads (``hdfs://``, ``s3a://``, ``file://``) and the output is a Parquet directory written by
Spark itself, so nothing passes through the driver. See ``docs/spark.md``.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

import polars as pl
import typer

from innocredit.cli._common import echo_json, fail

batch_app = typer.Typer(help="Batch runs over whole Parquet tables on polars or Apache Spark.", no_args_is_help=True)

EngineOpt = typer.Option("polars", "--engine", help="polars (one machine) or spark")
OutputOpt = typer.Option(..., "--output", help="Parquet file (polars) or directory (spark) to write")
PartitionsOpt = typer.Option(None, "--partitions", help="Spark partitions for the cohort shuffle (default: "
                             "spark.sql.shuffle.partitions)")
FormatOpt = typer.Option("table", "--format", help="table or json")

REQUIRED = {
    "evaluate": ("uscc",),
    "ip-value": ("uscc", "patent_id", "kind", "status", "filing_date"),
    "ip-features": ("uscc",),
    "score": ("uscc",),
    "match": ("uscc",),
}


def _remote(path: str) -> bool:
    return "://" in path


def _check_engine(engine: str) -> None:
    if engine not in ("polars", "spark"):
        fail(f"--engine: unknown engine {engine!r}; use polars or spark")


def _date(text: str | None, option: str) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        fail(f"{option}: {text!r} is not a date (YYYY-MM-DD)")


def _check_columns(columns: list[str], path: str, what: str) -> None:
    missing = [c for c in REQUIRED[what] if c not in columns]
    if missing:
        fail(f"{path}: missing column(s) {', '.join(missing)}")


def _read_polars(path: str, what: str) -> pl.DataFrame:
    p = Path(path)
    if _remote(path):
        fail(f"{path}: the polars engine reads local files; use --engine spark for {path.split('://')[0]}:// paths")
    if not p.exists():
        fail(f"{path}: no such file or directory")
    files = sorted(p.rglob("*.parquet")) if p.is_dir() else [p]
    if not files:
        fail(f"{path}: no .parquet files in this directory")
    if p.is_file() and p.suffix.lower() not in (".parquet", ".pq"):
        fail(f"{path}: unknown file format {p.suffix!r}; batch input is Parquet (.parquet)")
    try:
        df = pl.read_parquet(files) if len(files) > 1 else pl.read_parquet(files[0])
    except Exception as exc:  # noqa: BLE001 - any reader error is a bad input file
        fail(f"{path}: cannot read Parquet: {exc}")
    _check_columns(df.columns, path, what)
    return df


def _read_spark(spark: Any, path: str, what: str) -> Any:
    if not _remote(path) and not Path(path).exists():
        fail(f"{path}: no such file or directory")
    try:
        sdf = spark.read.parquet(path)
    except Exception as exc:  # noqa: BLE001
        fail(f"{path}: Spark cannot read Parquet: {str(exc).splitlines()[0]}")
    _check_columns(sdf.columns, path, what)
    return sdf


def _session(engine: str) -> Any:
    if engine != "spark":
        return None
    from innocredit.batch.spark import spark_session

    return spark_session()


def _write(result: Any, engine: str, output: str, started: float, kind: str, fmt: str, spark: Any) -> None:
    if engine == "polars":
        out = Path(output)
        if out.suffix.lower() in (".xlsx", ".csv"):  # for people: Excel or CSV, text guarded against formulas
            from innocredit.ingest.tables import write_table

            flat = result.with_columns(pl.col(c).list.join(";") for c, t in result.schema.items()
                                       if isinstance(t, pl.List) and t.inner == pl.String)
            write_table(flat, out, sheet=kind)
            rows, written = result.height, str(out)
        else:
            if out.suffix.lower() not in (".parquet", ".pq"):
                out = out.with_suffix(".parquet") if not out.is_dir() else out / "part-0.parquet"
            out.parent.mkdir(parents=True, exist_ok=True)
            result.write_parquet(out)
            rows, written = result.height, str(out)
    else:
        result.write.mode("overwrite").parquet(output)
        rows, written = spark.read.parquet(output).count(), output
    summary = {"job": kind, "engine": engine, "rows": rows, "output": written,
               "seconds": round(time.perf_counter() - started, 2)}
    if fmt == "json":
        echo_json(summary)
    else:
        typer.echo(f"{kind}: {rows} rows written to {written} ({engine}, {summary['seconds']} s)")


def _run(kind: str, engine: str, data: Any, **params: Any) -> Any:
    from innocredit.batch.jobs import run_job
    from innocredit.cli._common import Steps

    rows = data.height if isinstance(data, pl.DataFrame) else None  # a Spark frame is not counted up front
    steps = Steps(rows, [f"{kind} on {engine}"], f"batch {kind}")
    try:
        result = run_job(kind, data, engine=engine, **params)  # type: ignore[arg-type]
        steps.next(f"{kind} on {engine}")
        return result
    except (ValueError, KeyError, pl.exceptions.PolarsError) as exc:
        fail(f"{kind}: {exc}")
    finally:
        steps.close()


@batch_app.command("evaluate")
def evaluate_cmd(system: str = typer.Option(..., "--system", help="indicator system id or YAML path"),
                 input: str = typer.Option(..., "--input", help="feature table: Parquet file or directory"),
                 output: str = OutputOpt, engine: str = EngineOpt,
                 as_of: str = typer.Option(None, "--as-of", help="evaluation date (default: each row's as_of)"),
                 detail: bool = typer.Option(False, "--detail", help="also values and bands per indicator"),
                 partitions: int = PartitionsOpt, fmt: str = FormatOpt) -> None:
    """Evaluate every enterprise with an indicator system (track percentiles exact on any engine)."""
    from innocredit.evaluation import load_system

    _check_engine(engine)
    started = time.perf_counter()
    try:
        sys_ = load_system(system)
    except Exception as exc:  # noqa: BLE001 - unknown id or invalid YAML: the loader's message says which
        fail(f"--system: {exc}")
    day = _date(as_of, "--as-of")
    spark = _session(engine)
    data = _read_polars(input, "evaluate") if spark is None else _read_spark(spark, input, "evaluate")
    result = _run("evaluate", engine, data, spark=spark, system=sys_, as_of=day, detail=detail,
                  partitions=partitions)
    _write(result, engine, output, started, "evaluate", fmt, spark)


@batch_app.command("ip-value")
def ip_value_cmd(patents: str = typer.Option(..., "--patents", help="IP-office feed: Parquet file or directory"),
                 features: str = typer.Option(None, "--features", help="feature table (revenue, industry)"),
                 output: str = OutputOpt, engine: str = EngineOpt,
                 as_of: str = typer.Option(None, "--as-of", help="valuation date (default today)"),
                 capacity: str = typer.Option(None, "--capacity", help="write per-firm pledge capacity under this "
                                              "bank's pledge policy instead of per-patent values"),
                 partitions: int = PartitionsOpt, fmt: str = FormatOpt) -> None:
    """Value every patent (quality normalised within global cohorts), or each firm's pledge capacity."""
    _check_engine(engine)
    started = time.perf_counter()
    day = _date(as_of, "--as-of") or dt.date.today()
    policy: Any = None
    if capacity is not None:
        from innocredit.ip import PolicyError, load_pledge_policy

        try:
            policy = load_pledge_policy(capacity)
        except PolicyError as exc:
            fail(f"--capacity: {exc}")
    spark = _session(engine)
    read = _read_polars if spark is None else (lambda p, w: _read_spark(spark, p, w))
    data = read(patents, "ip-value")
    feats = read(features, "ip-features") if features is not None else None
    result = _run("ip-value", engine, data, spark=spark, features=feats, as_of=day, capacity_policy=policy,
                  partitions=partitions)
    _write(result, engine, output, started, "ip-value", fmt, spark)


@batch_app.command("score")
def score_cmd(model: str = typer.Option(..., "--model", help="model id (id, id@N) or artefact path"),
              input: str = typer.Option(..., "--input", help="feature table: Parquet file or directory"),
              output: str = OutputOpt, engine: str = EngineOpt,
              models_dir: str = typer.Option(None, "--models-dir", help="artefact root (default: "
                                             "INNOCREDIT_MODEL_DIR or ./models)"),
              fmt: str = FormatOpt) -> None:
    """Score PD, grade and reason codes for every row (rows are independent: no shuffle)."""
    from innocredit.risk import load_model

    _check_engine(engine)
    started = time.perf_counter()
    try:
        m = load_model(model, models_dir)
    except FileNotFoundError as exc:
        fail(f"--model: {exc}")
    spark = _session(engine)
    data = _read_polars(input, "score") if spark is None else _read_spark(spark, input, "score")
    result = _run("score", engine, data, spark=spark, model=m)
    _write(result, engine, output, started, "score", fmt, spark)


@batch_app.command("match")
def match_cmd(input: str = typer.Option(..., "--input", help="enriched feature table: Parquet file or directory"),
              output: str = OutputOpt, engine: str = EngineOpt,
              products: str = typer.Option(None, "--products", help="product catalogue directory (default: shipped)"),
              consent: str = typer.Option("if_present", "--consent", help="if_present or require"),
              fmt: str = FormatOpt) -> None:
    """Match every enterprise against the product catalogue (long table: uscc x product)."""
    from innocredit.lending import PolicyError, load_products

    _check_engine(engine)
    started = time.perf_counter()
    try:
        prods = load_products(products) if products else None
    except (PolicyError, OSError) as exc:
        fail(f"--products: {exc}")
    spark = _session(engine)
    data = _read_polars(input, "match") if spark is None else _read_spark(spark, input, "match")
    result = _run("match", engine, data, spark=spark, products=prods, consent=consent)
    _write(result, engine, output, started, "match", fmt, spark)


def register(app: typer.Typer) -> None:
    app.add_typer(batch_app, name="batch")
