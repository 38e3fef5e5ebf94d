"""Match enterprises against the whole product catalogue in one vectorized pass.

``match(features)`` returns the long table: one row per (uscc, product), eligible or not, with the
first rule that failed (id and zh/en reason), the offered limit (yuan), term (months), annual rate
(fraction) and the product's rank for that enterprise (1 = best: eligible first, then lower rate,
then higher limit, then catalogue order). It is a pure function of frames, so a batch engine can
call it per partition (rows are independent).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from innocredit.lending.eligibility import add_derived, condition_expr, consent_rules
from innocredit.lending.limits import limit_expr, term_expr
from innocredit.lending.pricing import rate_expr
from innocredit.lending.schema import Condition, Policy, Product, load_policy, load_products

OUTPUT_SCHEMA: dict[str, pl.DataType] = {
    "uscc": pl.String(), "product_id": pl.String(), "product_version": pl.String(), "eligible": pl.Boolean(),
    "failed_rule": pl.String(), "failed_reason_zh": pl.String(), "failed_reason_en": pl.String(),
    "limit": pl.Float64(), "term_months": pl.Int64(), "rate": pl.Float64(), "rank": pl.Int32(),
}
_LIMIT_MISSING = ("limit_inputs", "额度计算所需数据齐全", "inputs of the limit rule present")
_LIMIT_MIN = ("limit_below_minimum", "可贷额度不低于产品最低额度", "limit at least the product minimum")
_PRICING = ("pricing_grade", "有可定价的违约概率等级", "a priceable probability-of-default grade")
_NONE_S = pl.lit(None, dtype=pl.String)


class _Plan:
    """Columns computed once (conditions shared by several products are evaluated once)."""

    def __init__(self, present: set[str]) -> None:
        self.present = present
        self.stage_a: dict[str, pl.Expr] = {}  # inputs only
        self.stage_a2: dict[str, pl.Expr] = {}  # built on stage-A columns
        self._cond: dict[tuple[Any, ...], str] = {}

    def add(self, name: str, expr: pl.Expr, level: int = 0) -> str:
        (self.stage_a if level == 0 else self.stage_a2)[name] = expr.alias(name)
        return name

    def condition(self, cond: Condition) -> tuple[str, str]:
        key = (cond.column, cond.op, cond.value)
        if key not in self._cond:
            ok, _ = condition_expr(cond, self.present)
            self._cond[key] = self.add(f"__c{len(self._cond)}", ok)
        return self._cond[key], cond.column


def _product_columns(i: int, p: Product, policy: Policy, plan: _Plan, consent: str) -> tuple[list[pl.Expr], list]:
    """Stage-A columns go into ``plan``; returns the stage-B expressions and the stage texts."""
    present = plan.present
    stages: list[tuple[str, str, str, str, str | None]] = []  # id, zh, en, ok column, dynamic-missing column
    static_missing: dict[int, str] = {}
    for r in [*consent_rules(p, present, consent), *p.rules]:
        conds = [plan.condition(c) for c in r.conditions]
        k = len(stages)
        if len(conds) == 1:
            ok_col, dyn = conds[0][0], None
            static_missing[k] = conds[0][1]
        else:
            ok = pl.col(conds[0][0])
            for other, _ in conds[1:]:
                ok = (ok | pl.col(other)) if r.mode == "any" else (ok & pl.col(other))  # Kleene logic
            ok_col = plan.add(f"__o{i}_{k}", ok, 1)
            miss: Any = pl.when(pl.col(conds[0][0]).is_null()).then(pl.lit(conds[0][1]))
            for c_col, c_name in conds[1:]:
                miss = miss.when(pl.col(c_col).is_null()).then(pl.lit(c_name))
            dyn = plan.add(f"__m{i}_{k}", miss.otherwise(_NONE_S), 1)
        stages.append((r.id, r.text_zh, r.text_en, ok_col, dyn))
    limit, limit_missing = limit_expr(p.limit, policy, present)
    lim = plan.add(f"__l{i}", limit)
    lm = plan.add(f"__lm{i}", limit_missing)
    stages.append((*_LIMIT_MISSING, plan.add(f"__lo{i}", pl.when(pl.col(lm).is_not_null()).then(None)
                                               .otherwise(True).cast(pl.Boolean), 1), lm))
    stages.append((*_LIMIT_MIN, plan.add(f"__ln{i}", pl.col(lim).is_null() | (pl.col(lim) >= p.limit.min), 1), None))
    rate = plan.add(f"__r{i}", rate_expr(p, policy, present))
    static_missing[len(stages)] = "pd_grade"
    stages.append((*_PRICING, plan.add(f"__ro{i}", pl.when(pl.col(rate).is_null()).then(None)
                                       .otherwise(True).cast(pl.Boolean), 1), None))
    plan.add(f"__t{i}", term_expr(p.min_months, p.max_months, p.default_months, present))
    # code = 2k (rule k failed) or 2k+1 (rule k missing its input); null = eligible
    code: Any = None
    for k, (_, _, _, ok_col, _) in enumerate(stages):
        ok = pl.col(ok_col)
        code = (pl.when(ok.is_null()) if code is None else code.when(ok.is_null())).then(pl.lit(2 * k + 1))
        code = code.when(~ok).then(pl.lit(2 * k))
    exprs = [code.otherwise(None).cast(pl.Int16).alias(f"__x{i}")]
    return exprs, [(s[0], s[1], s[2], s[4], static_missing.get(k)) for k, s in enumerate(stages)]


def _lookups(i: int, stages: list, base: int) -> tuple[dict[int, str], dict[int, str], dict[int, str], pl.Expr]:
    """Text tables keyed by ``base + code`` and, for the few dynamic "missing" stages, an expression
    giving the missing column's name (null otherwise)."""
    x = pl.col(f"__x{i}")
    ids, zh, en = {}, {}, {}
    dyn_expr: Any = None
    for k, (rid, tzh, ten, dyn, static) in enumerate(stages):
        ids[base + 2 * k] = ids[base + 2 * k + 1] = rid
        zh[base + 2 * k], en[base + 2 * k] = tzh, ten
        if dyn is None:
            zh[base + 2 * k + 1], en[base + 2 * k + 1] = f"缺少 {static or rid}", f"missing {static or rid}"
        else:
            cond = x == 2 * k + 1
            dyn_expr = (pl.when(cond) if dyn_expr is None else dyn_expr.when(cond)).then(pl.col(dyn))
    dyn_out = _NONE_S if dyn_expr is None else dyn_expr.otherwise(_NONE_S)
    return ids, zh, en, dyn_out


def _rank_columns(n: int) -> list[pl.Expr]:
    """rank_i = 1 + number of products j that beat product i for the same enterprise."""
    exprs = []
    for i in range(n):
        ei, ri, li = pl.col(f"__e{i}"), pl.col(f"__r{i}"), pl.col(f"__l{i}")
        beats: list[pl.Expr] = []
        for j in range(n):
            if j == i:
                continue
            ej, rj, lj = pl.col(f"__e{j}"), pl.col(f"__r{j}"), pl.col(f"__l{j}")
            earlier = j < i
            both = ej & ei & ((rj < ri) | ((rj == ri) & ((lj > li) | ((lj == li) & earlier))))
            beat = (ej & ~ei) | both | ((~ej & ~ei) & earlier) if earlier else (ej & ~ei) | both
            beats.append(beat.fill_null(False).cast(pl.Int32))
        exprs.append((pl.sum_horizontal(beats) + 1 if beats else pl.lit(1)).cast(pl.Int32).alias(f"__k{i}"))
    return exprs


def match(features: pl.DataFrame | pl.LazyFrame, products: Sequence[Product] | None = None,
          policy: Policy | None = None, *, consent: str = "if_present") -> pl.DataFrame:
    """Every product for every enterprise (long format, ``OUTPUT_SCHEMA``), in input row order, then by rank.

    ``consent``: ``"if_present"`` checks a product's data-consent gates when the caller supplies
    ``has_consent_<category>`` columns; ``"require"`` fails a product whose consent column is absent.
    """
    products = list(products) if products is not None else load_products()
    policy = policy or load_policy()
    if consent not in ("if_present", "require"):
        raise ValueError("consent must be 'if_present' or 'require'")
    lf = features.lazy()
    cols = set(lf.collect_schema().names())
    if "uscc" not in cols:
        raise ValueError("the feature table has no 'uscc' column")
    needed: set[str] = set()
    for p in products:
        needed |= p.inputs | {f"has_consent_{c}" for c in p.consent}
    needed |= {"as_of", "registered_on", "rd_expense", "revenue", "liabilities", "total_assets",
               "requested_amount", "requested_term_months", "policy_credit_eligible", "tech_sme_qualified"}
    keep = ["uscc", *sorted(c for c in needed & cols if c != "uscc")]
    lf = lf.select(keep)
    lf = add_derived(lf, needed, cols)
    present = set(lf.collect_schema().names())
    plan = _Plan(present)
    stage_b: list[pl.Expr] = []
    texts = []
    for i, p in enumerate(products):
        exprs, stages = _product_columns(i, p, policy, plan, consent)
        stage_b += exprs
        texts.append(stages)
    if not products:
        return pl.DataFrame(schema=OUTPUT_SCHEMA)
    lazy_wide = (lf.select(pl.col("uscc"), *plan.stage_a.values())
            .with_columns(list(plan.stage_a2.values()))
            .with_columns(stage_b)
            .with_columns(pl.col(f"__x{i}").is_null().alias(f"__e{i}") for i in range(len(products)))
            .with_columns([pl.when(pl.col(f"__e{i}")).then(pl.col(f"{c}{i}")).alias(f"{c}{i}")
                           for i in range(len(products)) for c in ("__l", "__r", "__t")])
            .with_columns(_rank_columns(len(products)))
            .with_row_index("__i"))
    dyn_cols = [d for t in texts for (_, _, _, d, _) in t if d is not None]
    keep_cols = ["__i", "uscc", *dyn_cols, *(f"{c}{i}" for i in range(len(products))
                                             for c in ("__x", "__e", "__l", "__t", "__r", "__k"))]
    wide = lazy_wide.select(keep_cols).collect()
    # long table: numeric columns first, ordered by (input row, rank) with one integer key; the strings
    # are built after the ordering (looked up from small integer codes), so no string is sorted or gathered
    n = len(products)
    stride = 2 * max(len(t) for t in texts) + 2
    ids: dict[int, str] = {}
    zh: dict[int, str] = {}
    en: dict[int, str] = {}
    parts = []
    for i in range(n):
        ids_i, zh_i, en_i, dyn = _lookups(i, texts[i], i * stride)
        ids |= ids_i
        zh |= zh_i
        en |= en_i
        parts.append(wide.lazy().select(
            pl.col("__i"), pl.lit(i, dtype=pl.Int32).alias("__p"),
            (pl.lit(i * stride, dtype=pl.Int32) + pl.col(f"__x{i}").cast(pl.Int32)).alias("__code"), dyn.alias("__dyn"),
            pl.col(f"__e{i}").alias("eligible"),
            pl.col(f"__l{i}").cast(pl.Float64).alias("limit"), pl.col(f"__t{i}").cast(pl.Int64).alias("term_months"),
            pl.col(f"__r{i}").cast(pl.Float64).alias("rate"), pl.col(f"__k{i}").alias("rank"),
            (pl.col("__i").cast(pl.Int64) * n + pl.col(f"__k{i}") - 1).alias("__key"),
        ))
    long = pl.concat(parts, how="vertical").collect().sort("__key")
    code, dyn_col = pl.col("__code"), pl.col("__dyn")
    return long.select(
        wide["uscc"].gather(long["__i"]).alias("uscc"),
        pl.col("__p").replace_strict({i: p.id for i, p in enumerate(products)}, return_dtype=pl.String)
        .alias("product_id"),
        pl.col("__p").replace_strict({i: p.version for i, p in enumerate(products)}, return_dtype=pl.String)
        .alias("product_version"),
        pl.col("eligible"),
        code.replace_strict(ids, default=None, return_dtype=pl.String).alias("failed_rule"),
        pl.when(dyn_col.is_not_null()).then(pl.lit("缺少 ") + dyn_col)
        .otherwise(code.replace_strict(zh, default=None, return_dtype=pl.String)).alias("failed_reason_zh"),
        pl.when(dyn_col.is_not_null()).then(pl.lit("missing ") + dyn_col)
        .otherwise(code.replace_strict(en, default=None, return_dtype=pl.String)).alias("failed_reason_en"),
        "limit", "term_months", "rate", "rank",
    )


def match_one(features: pl.DataFrame, uscc: str, products: Sequence[Product] | None = None,
              policy: Policy | None = None, *, consent: str = "if_present") -> list[dict[str, Any]]:
    """The ranked list of every product for one enterprise, with product names."""
    row = features.filter(pl.col("uscc") == uscc)
    if row.height == 0:
        raise KeyError(f"no enterprise with uscc {uscc!r} in the table")
    products = list(products) if products is not None else load_products()
    names = {p.id: (p.name_zh, p.name_en, p.kind, p.enhancement) for p in products}
    out = match(row.head(1), products, policy, consent=consent).sort("rank")
    result = []
    for r in out.iter_rows(named=True):
        zh, en, kind, enh = names[r["product_id"]]
        result.append({**r, "product_name_zh": zh, "product_name_en": en, "kind": kind, "enhancement": enh})
    return result
