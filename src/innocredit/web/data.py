"""The enterprise data the web serves: the feature table and what each area computes from it, cached.

Sources, in order: a feature-table file (``Settings.features_path``), else the ingested store
(``innocredit.services.feeds.features_as_of``), else an empty table.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from typing import Any

import polars as pl
from sqlalchemy.engine import Engine

from innocredit import ip
from innocredit import risk as risk_area
from innocredit.evaluation import engine as evaluation_engine
from innocredit.evaluation import track as track_mod
from innocredit.evaluation.explain import explain as explain_system
from innocredit.evaluation.system import list_systems
from innocredit.ingest.tables import read_feature_table
from innocredit.lending import matching
from innocredit.lending.schema import load_products
from innocredit.profile.features import conform
from innocredit.risk.compare import compare as compare_feature_sets
from innocredit.risk.features import model_feature_exprs
from innocredit.risk.reasons import reason_text
from innocredit.services import feeds
from innocredit.services.matching import enrich_for_matching, pools_on_record

FeatureLoader = Callable[[], pl.DataFrame]


def default_patents_loader(engine: Engine) -> FeatureLoader:
    return lambda: feeds.patents_as_of(engine)


def default_pools_loader(engine: Engine) -> Callable[[], list[dict[str, Any]]]:
    """The patent pools on record in the store (what matching's pool capacity reads)."""
    from innocredit.services.database import unit_of_work

    def load() -> list[dict[str, Any]]:
        with unit_of_work(engine) as session:
            return pools_on_record(session)

    return load


def default_loader(engine: Engine, features_path: str | None) -> FeatureLoader:
    def load() -> pl.DataFrame:
        if features_path:
            return read_feature_table(features_path).data
        df = feeds.features_as_of(engine)
        status = feeds.registry_status(engine)
        if status is not None and "registry_status" not in df.columns:
            df = df.join(status, on="uscc", how="left")
        return df

    return load


def with_model_features(df: pl.DataFrame) -> pl.DataFrame:
    """The feature table plus the risk area's derived model features (what a trained model reads)."""
    exprs = {k: e for k, e in model_feature_exprs().items() if k not in df.columns}
    return df.with_columns(e.alias(k) for k, e in exprs.items())


class DataService:
    """Caches the feature table and per-system evaluations; ``refresh()`` drops the caches."""

    def __init__(self, loader: FeatureLoader, ttl_seconds: float = 300.0,
                 patents_loader: FeatureLoader | None = None,
                 pools_loader: Callable[[], list[dict[str, Any]]] | None = None) -> None:
        self._loader = loader
        self._patents_loader = patents_loader
        self._pools_loader = pools_loader
        self._ttl = ttl_seconds
        self._lock = threading.RLock()
        self._features: pl.DataFrame | None = None
        self._index: dict[str, int] = {}
        self._loaded_at = 0.0
        self._evals: dict[str, Any] = {}
        self._systems: dict[str, Any] | None = None

    # ---- features ------------------------------------------------------------------------------------------
    def refresh(self) -> None:
        with self._lock:
            self._features = None
            self._evals.clear()

    def features(self) -> pl.DataFrame:
        with self._lock:
            if self._features is None or time.monotonic() - self._loaded_at > self._ttl:
                df = conform(self._loader())
                if df.height and "as_of" in df.columns:
                    df = df.sort("as_of").unique("uscc", keep="last", maintain_order=True)
                df = df.sort("uscc")
                self._features = df
                self._index = {u: i for i, u in enumerate(df["uscc"].to_list())}
                self._loaded_at = time.monotonic()
                self._evals.clear()
            return self._features

    def has(self, uscc: str) -> bool:
        self.features()
        return uscc in self._index

    def row(self, uscc: str) -> dict[str, Any] | None:
        df = self.features()
        i = self._index.get(uscc)
        return None if i is None else df.row(i, named=True)

    def frame(self, uscc: str) -> pl.DataFrame:
        df = self.features()
        i = self._index.get(uscc)
        return df.slice(i, 1) if i is not None else df.clear()

    def column_map(self, column: str) -> dict[str, Any]:
        """USCC -> one column's value (nulls and empty text left out), built once per data load: pages and
        pushes ask for it on every request."""
        df = self.features()
        key = "__map__" + column
        with self._lock:
            if key not in self._evals:
                mapping: dict[str, Any] = {}
                if column in df.columns:
                    mapping = {u: v for u, v in zip(df["uscc"].to_list(), df[column].to_list()) if v not in (None, "")}
                self._evals[key] = mapping
            return self._evals[key]

    def names(self) -> dict[str, str]:
        return self.column_map("name")

    # ---- evaluation ----------------------------------------------------------------------------------------
    def systems(self) -> dict[str, Any]:
        with self._lock:
            if self._systems is None:
                self._systems = {s.id: s for s in list_systems()}
            return self._systems

    def system(self, system_id: str) -> Any | None:
        return self.systems().get(system_id)

    def evaluations(self, system_id: str) -> pl.DataFrame | None:
        """The system's evaluation of every enterprise (computed once per data load)."""
        system = self.system(system_id)
        if system is None:
            return None
        feats = self.features()
        with self._lock:
            if system_id not in self._evals:
                self._evals[system_id] = evaluation_engine.evaluate(system, feats).sort("uscc")
            return self._evals[system_id]

    def evaluation_row(self, system_id: str, uscc: str) -> dict[str, Any] | None:
        ev = self.evaluations(system_id)
        if ev is None or not self.has(uscc):
            return None
        i = self._index[uscc]
        if i < ev.height and ev["uscc"][i] == uscc:
            return ev.row(i, named=True)
        hit = ev.filter(pl.col("uscc") == uscc)
        return hit.row(0, named=True) if hit.height else None

    def run_evaluation(self, system_id: str, uscc: str) -> dict[str, Any] | None:
        """Evaluate one enterprise with its current profile. A result is a pure function of (system version,
        feature row, peers), so the population's evaluation of the same data load is reused when present; a
        fresh computation (peers' track statistics from the cached population) happens otherwise."""
        system = self.system(system_id)
        if system is None or not self.has(uscc):
            return None
        with self._lock:
            cached_ev = system_id in self._evals
        if cached_ev:
            return self.evaluation_row(system_id, uscc)
        stats = None
        if getattr(system, "track_levels", ()):
            with self._lock:
                key = "__track__" + system_id
                if key not in self._evals:
                    self._evals[key] = track_mod.track_statistics(system, self.features(), None)
                stats = self._evals[key].filter(pl.col("uscc") == uscc)
        out = evaluation_engine.evaluate(system, self.frame(uscc), track_stats=stats, total_percentile=False)
        row = out.row(0, named=True)
        cached = self.evaluation_row(system_id, uscc)
        if cached is not None and "track_pct_total" in cached:
            row["track_pct_total"] = cached["track_pct_total"]
        return row

    def screening_features(self) -> pl.DataFrame:
        """The feature table with the innovation points (for the office's screening and ordering)."""
        feats = self.features()
        ev = self.evaluations("innovation-points") if self.system("innovation-points") else None
        if ev is not None and "innovation_points" not in feats.columns:
            feats = feats.join(ev.select("uscc", pl.col("score").alias("innovation_points")), on="uscc", how="left")
        return feats

    def pools(self) -> list[dict[str, Any]] | None:
        """The patent pools on record (agreement and patents), once per data load; None without a pools loader."""
        if self._pools_loader is None:
            return None
        with self._lock:
            if "__pools__" not in self._evals:
                try:
                    self._evals["__pools__"] = self._pools_loader()
                except Exception:  # no pool tables yet
                    self._evals["__pools__"] = None
            return self._evals["__pools__"]

    def enriched(self, model: Any | None = None, key: str = "") -> pl.DataFrame | None:
        """The feature table with what matching needs from the other areas, through the same service as
        ``innocredit match --enrich`` (``services.matching.enrich_for_matching``): evaluations, PD grade with the
        bank's model, IP and pool capacity from the patents and pools on record, the guarantee scheme. Computed
        once per data load and model. A bank without a model gets no PD grade here (offers are recorded with
        their grade, so the web never prices with the command line's demo model)."""
        feats = self.features()
        with self._lock:
            ck = "__enriched__" + key
            if ck not in self._evals:
                base = with_model_features(feats) if model is not None else feats
                patents = self.patents()
                has_patents = patents is not None and patents.height > 0
                pools = self.pools()
                self._evals[ck] = enrich_for_matching(
                    base, risk_model=model, demo_model=False, patents=patents if has_patents else None,
                    pools=pools).table  # no pools loader: pool capacity stays unknown, never a false 0
            return self._evals[ck]

    def offers(self, uscc: str, model: Any | None = None, key: str = "") -> list[dict[str, Any]] | None:
        """Every product for the enterprise, best first (eligible, then rate, then limit), with its names."""
        if not self.has(uscc):
            return None
        table = self.enriched(model, key)
        assert table is not None
        # rows are independent in matching: match the one enterprise (its enrichment saw the population)
        found = matching.match_one(table, uscc, self.products())
        grade = table.filter(pl.col("uscc") == uscc)["pd_grade"][0] if "pd_grade" in table.columns else None
        return [{**r, "pd_grade": grade, "name_zh": r["product_name_zh"], "name_en": r["product_name_en"]}
                for r in found]

    def comparison(self) -> dict[str, Any] | None:
        """看报表 vs 看技术 on the labelled rows of this data load (``risk.compare``: both feature sets on the same
        split, bootstrap intervals of the differences), once per data load; ``None`` without enough outcomes."""
        feats = self.features()
        with self._lock:
            if "__compare__" not in self._evals:
                result = None
                if "default_12m" in feats.columns:
                    y = feats["default_12m"].drop_nulls()
                    if y.len() >= 200 and 10 <= int(y.sum()) <= y.len() - 10:
                        result = compare_feature_sets(feats, n_boot=200)
                self._evals["__compare__"] = result
            return self._evals["__compare__"]

    def products(self) -> list[Any]:
        """The product catalogue, read and validated once per data load (not on every offers request)."""
        with self._lock:
            if "__products__" not in self._evals:
                self._evals["__products__"] = load_products()
            return self._evals["__products__"]

    def risk(self, uscc: str, model: Any, lang: str) -> dict[str, Any] | None:
        """PD, grade and reason codes (texts in ``lang``) of one enterprise under the given model."""
        if model is None or not self.has(uscc):
            return None
        row = risk_area.score_table(model, with_model_features(self.frame(uscc))).row(0, named=True)
        codes = list(row.get("reason_codes") or [])
        texts = [reason_text(c, lang) for c in codes]
        return {"pd": row.get("pd"), "pd_grade": row.get("pd_grade"), "score_points": row.get("score_points"),
                "reason_codes": codes, "reasons": [f"{c} · {t}" for c, t in zip(codes, texts)],
                "model": f"{row.get('model_id')} v{row.get('model_version')}"}

    # ---- IP ------------------------------------------------------------------------------------------------
    def patents(self) -> pl.DataFrame | None:
        if self._patents_loader is None:
            return None
        with self._lock:
            if "__patents__" not in self._evals:
                try:
                    self._evals["__patents__"] = self._patents_loader()
                except Exception:  # no IP office feed stored
                    self._evals["__patents__"] = None
            return self._evals["__patents__"]

    def _ip(self) -> tuple[pl.DataFrame, pl.DataFrame] | None:
        """(every patent valued with its pledge rate and capacity, capacity per firm), once per data load; taken
        together under the lock, so a reload in between cannot pair one load's patents with another's firms."""
        patents = self.patents()
        if patents is None or patents.height == 0:
            return None
        feats = self.features()
        with self._lock:
            if "__ip__" not in self._evals:
                last = feats["as_of"].max() if "as_of" in feats.columns and feats.height else None
                day = last if isinstance(last, dt.date) else dt.date.today()
                valued = ip.pledge_rates(ip.value_patents(patents, feats, day), "default")
                self._evals["__ip__"] = (valued, ip.firm_capacity(valued, "default"))
            return self._evals["__ip__"]

    def ip_valued(self) -> pl.DataFrame | None:
        """Every patent valued (relief from royalty) with its pledge rate and capacity, once per data load."""
        both = self._ip()
        return None if both is None else both[0]

    def ip_portfolio(self, uscc: str) -> dict[str, Any] | None:
        both = self._ip()
        if both is None:
            return None
        valued, firms = both
        mine = valued.filter(pl.col("uscc") == uscc)
        firm = firms.filter(pl.col("uscc") == uscc)
        cols = [c for c in ("patent_id", "kind", "status", "stars", "remaining_life_years", "value_low", "value_base",
                            "value_high", "pledge_rate", "pledge_capacity") if c in mine.columns]
        f = firm.row(0, named=True) if firm.height else {}
        return {"patents": mine.height, "value": f.get("ip_value_base"), "value_low": f.get("ip_value_low"),
                "value_high": f.get("ip_value_high"), "capacity": f.get("ip_pledge_capacity"),
                "columns": cols, "rows": mine.sort("value_base", descending=True).select(cols).to_dicts()}

    def explain(self, system_id: str, uscc: str, lang: str) -> dict[str, Any] | None:
        system = self.system(system_id)
        if system is None or not self.has(uscc):
            return None
        feats = self.features()
        key = f"__explain__{system_id}|{uscc}|{lang}"
        with self._lock:
            hit = self._evals.get(key)
        if hit is None:
            hit = explain_system(system, feats, uscc, lang)
            with self._lock:
                self._evals[key] = hit
        return hit
