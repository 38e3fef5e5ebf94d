"""Build the department feeds (``innocredit.ingest.feeds.FEEDS``) from the latent population.

Pure: every function returns a polars frame and touches no file. Column names and types
follow the feed's ``FieldSpec`` list exactly; :func:`build_feed` returns the columns in the
feed's order. All work is vectorized (numpy + polars), no per-row Python.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import numpy as np
import polars as pl

from innocredit.ingest.feeds import FEEDS, IP_KINDS, LOAN_STATUSES, REGISTRY_STATUSES
from innocredit.profile.features import LOAN_PURPOSES, SPECIALIZED_LEVELS, TAX_CREDIT_RATINGS
from innocredit.synthetic import reference as ref
from innocredit.synthetic.ids import (
    PATENT_TYPE_DIGIT,
    affine_apply,
    affine_params,
    affine_permutation,
    patent_ids,
    prefixed_ids,
)
from innocredit.synthetic.population import (
    CLASS1_CELLS,
    CLASS2_CELLS,
    EPOCH_ORDINAL,
    IP_CELLS,
    Population,
    days_to_year,
    streams,
)
from innocredit.synthetic.table import certificate_dates, identity_frame

AS_OF_DAYS = ref.AS_OF.toordinal() - EPOCH_ORDINAL
QUARTER_ENDS = (dt.date(2025, 9, 30), dt.date(2025, 12, 31), dt.date(2026, 3, 31), dt.date(2026, 6, 30))
LOAN_WINDOW = (dt.date(2023, 1, 1), dt.date(2025, 6, 30))  # disbursements; each has a full 12-month window
# the year before the as-of date: recent first loans (outcome not known yet), what the year's metrics count
RECENT_WINDOW = (dt.date(2025, 7, 1), dt.date(2026, 6, 30))
# assumption: share of the active firms that never borrowed and got a first loan in the last year; set so that
# the district's coverage (firms with a loan balance / active small firms) lands near the seed's 40%
RECENT_FIRST_LOAN_SHARE = 0.62
# the seed's example of an IP pledge: three invention patents pledged for a 100-million-yuan (1亿) loan
BIG_PLEDGE_AMOUNT = 100_000_000.0
BIG_PLEDGE_PATENTS = 3
# grant lag (days) by kind: (min, max); pending filings are younger than ``max``
GRANT_LAG = {"invention": (450, 1300), "utility_model": (150, 330), "design": (90, 240),
             "software_copyright": (30, 90), "trademark": (270, 400), "ic_layout": (60, 150),
             "new_drug": (500, 1500)}
TERM_YEARS = {"invention": 20, "utility_model": 10, "design": 15}
IP_CHUNK = 131_072  # firms per IP-office chunk; fixed, so the feed does not depend on how it is consumed
IP_STATUS_NAMES = ("pending", "granted", "lapsed", "invalidated", "expired")
_KIND_OF_CELL = np.array([IP_KINDS.index(k) for k, _ in IP_CELLS], dtype=np.int8)
_STATUS_OF_CELL = np.array([IP_STATUS_NAMES.index(s) for _, s in IP_CELLS], dtype=np.int8)
_PENDING_INVENTION = IP_CELLS.index(("invention", "pending"))
_LAG_LO = np.array([GRANT_LAG.get(k, (60, 150))[0] for k in IP_KINDS], dtype=np.float64)
_LAG_HI = np.array([GRANT_LAG.get(k, (60, 150))[1] for k in IP_KINDS], dtype=np.float64)
_TERM_DAYS = np.array([TERM_YEARS.get(k, 20) for k in IP_KINDS], dtype=np.float64) * 365.25
_GRANT_YEAR_KINDS = [IP_KINDS.index(k) for k in ("software_copyright", "ic_layout", "new_drug")]
_IPC_PER_SECTOR = len(ref.SECTOR_IPC[ref.SECTOR_IDS[0]])
_IPC = pl.Series([code for s in ref.SECTOR_IDS for code in ref.SECTOR_IPC[s]])
_YEAR0, _YEARS = 1980, 100  # id serial counters per (kind, year 1980-2079)


def _days(d: dt.date) -> int:
    return d.toordinal() - EPOCH_ORDINAL


def _date_series(name: str, days: np.ndarray) -> pl.Series:
    """Days since 1970-01-01 (int; negative values allowed) -> a polars Date series; NaN -> null."""
    arr = np.asarray(days, dtype=np.float64)
    s = pl.Series(name, arr, nan_to_null=True).cast(pl.Int32)
    return s.cast(pl.Date)


def _pick(name: str, values: tuple[str, ...] | list[str], idx: np.ndarray) -> pl.Series:
    """values[idx] as a polars String series (fast: no numpy unicode arrays)."""
    return pl.Series(name, list(values), dtype=pl.String).gather(np.asarray(idx, dtype=np.int64))


def _const_date(name: str, d: dt.date, n: int) -> pl.Series:
    return pl.Series(name, np.full(n, _days(d), dtype=np.int32)).cast(pl.Date)


class FeedBuilder:
    """Builds each feed of one population; feeds are independent, so they can be built one at a time."""

    def __init__(self, pop: Population) -> None:
        self.pop = pop
        self._rngs = streams(pop.seed, 12)
        self._identity: pl.DataFrame | None = None

    @property
    def identity(self) -> pl.DataFrame:
        if self._identity is None:
            self._identity = identity_frame(self.pop)
        return self._identity

    def _uscc_of(self, firm: np.ndarray) -> pl.Series:
        return self.identity["uscc"].gather(firm)

    # --- one function per feed -----------------------------------------------------------------
    def registry(self) -> pl.DataFrame:
        p = self.pop
        return self.identity.select(
            "uscc",
            _const_date("as_of", ref.AS_OF, p.n),
            "name", "registered_on", "industry_code", "region_code",
            pl.Series("status", REGISTRY_STATUSES).gather(p["registry_status"]),
            pl.Series("registered_capital", p["registered_capital"]),
            pl.Series("abnormal_operations", p["abnormal_operations"]),
            pl.Series("prohibited_products", p["prohibited_products"]),
        )

    def tax(self) -> pl.DataFrame:
        p, rng = self.pop, self._rngs[2]
        firm, yi = np.nonzero(p["fy_exists"])
        years = np.array(ref.FISCAL_YEARS)[yi]
        # filed between 15 January and 31 May of the next year
        filed = np.array([_days(dt.date(y + 1, 1, 15)) for y in ref.FISCAL_YEARS])[yi] + rng.integers(0, 137, len(yi))
        rating = p["tax_rating_index"][firm]
        # a C/D rating is this year's news: the FY2023 return was rated B
        rating = np.where((yi == 0) & (rating >= TAX_CREDIT_RATINGS.index("C")), TAX_CREDIT_RATINGS.index("B"), rating)
        cols = {"uscc": self._uscc_of(firm), "as_of": _date_series("as_of", filed),
                "fiscal_year": years.astype(np.int64)}
        for name in ("revenue", "main_business_revenue", "high_tech_revenue", "total_costs", "net_profit",
                     "total_assets", "liabilities", "net_assets", "taxes_paid", "rd_expense", "rd_expense_domestic",
                     "rd_super_deduction", "exports"):
            cols[name] = p[f"fy_{name}"][firm, yi]
        cols["tax_credit_rating"] = _pick("tax_credit_rating", TAX_CREDIT_RATINGS, rating)
        return pl.DataFrame(cols)

    def social_insurance(self) -> pl.DataFrame:
        p, rng = self.pop, self._rngs[3]
        n = p.n
        emp = p["employees"].astype(np.float64)
        quarters = np.arange(-3, 1)  # quarters before the latest snapshot
        trend = (1 + np.clip(p["growth"], -0.5, 1.0))[:, None] ** (quarters[None, :] / 4.0)
        counts = emp[:, None] * trend * np.exp(0.03 * rng.standard_normal((n, 4)))
        # a sharp head-count drop in the latest quarter: 40% of distressed firms, 1% of the others
        drop = rng.random(n) < np.where(p["distressed"], 0.40, 0.01)
        counts[:, :3] = np.where(drop[:, None], counts[:, :3] * rng.uniform(1.4, 2.2, (n, 1)), counts[:, :3])
        counts[:, 3] = emp
        counts = np.maximum(np.round(counts), 1).astype(np.int64)
        ends = np.array([_days(d) for d in QUARTER_ENDS])
        reg_days = p["registered_ord"] - EPOCH_ORDINAL
        exists = reg_days[:, None] <= ends[None, :]
        firm, qi = np.nonzero(exists)
        return pl.DataFrame({"uscc": self._uscc_of(firm), "as_of": _date_series("as_of", ends[qi]),
                             "employees": counts[firm, qi]})

    def science_tech(self) -> pl.DataFrame:
        p = self.pop
        certified = p["high_tech_certified"]
        return pl.DataFrame({
            "uscc": self.identity["uscc"],
            "as_of": _const_date("as_of", ref.AS_OF, p.n),
            "tech_staff": p["tech_staff"], "rd_staff": p["rd_staff"], "masters_phd_staff": p["masters_phd_staff"],
            "talent_programme_members": p["talent_programme_members"],
            "high_tech_certified": certified,
            "high_tech_cert_expires": certificate_dates(p)["high_tech_cert_expires"],
            "tech_sme_registered": p["tech_sme_registered"],
            "specialized_level": pl.Series(SPECIALIZED_LEVELS).gather(p["specialized_level"]),
            "provincial_rd_institution": p["provincial_rd_institution"],
            "national_award_5y": p["national_award_5y"], "provincial_award_3y": p["provincial_award_3y"],
            "led_standard_5y": p["led_standard_5y"], "strategic_emerging": p["strategic_emerging"],
            "years_in_niche": p["years_in_niche"],
            "tech_contract_turnover": p["tech_contract_turnover"],
            "results_commercialized_3y": p["results_commercialized_3y"],
            "government_subsidies_3y": p["government_subsidies_3y"],
            "equity_financing_3y": p["equity_financing_3y"],
            "ip_self_developed": p["ip_self_developed"],
        })

    def certificates(self) -> pl.DataFrame:
        """The S&T department's and MIIT's certificates behind the science_tech flags, valid on the as-of date
        (dates: ``synthetic.table.certificate_dates``); the last valid day follows the policy (none printed)."""
        p = self.pop
        dates = certificate_dates(p)
        level = pl.Series(SPECIALIZED_LEVELS).gather(p["specialized_level"])
        spec_qual = level.replace_strict({"none": None, "innovative": "innovative_sme", "specialized": "specialized",
                                          "little_giant": "little_giant"}, return_dtype=pl.String)
        base = pl.DataFrame({"uscc": self.identity["uscc"], "firm": pl.Series(range(p.n), dtype=pl.Int64)})
        parts = [base.with_columns(pl.lit(q).alias("qualification"), dates[d].alias("issued_on"),
                                   pl.lit(issuer).alias("issuer"), pl.lit(prefix).alias("prefix"))
                 for q, d, issuer, prefix in (
                     ("high_tech", "high_tech_issued", "科技部门（高新技术企业认定机构）", "GR"),
                     ("tech_sme", "tech_sme_issued", "科技部门（科技型中小企业评价）", "TS"))]
        parts.append(base.with_columns(spec_qual.alias("qualification"), dates["specialized_issued"].alias("issued_on"),
                                       pl.lit("工业和信息化部门").alias("issuer"), pl.lit("ZJ").alias("prefix")))
        out = pl.concat(parts).filter(pl.col("issued_on").is_not_null() & pl.col("qualification").is_not_null())
        return out.select(
            "uscc", pl.lit(ref.AS_OF).alias("as_of"), "qualification",
            (pl.col("prefix") + pl.col("issued_on").dt.year().cast(pl.String) + pl.col("firm").cast(pl.String)
             .str.zfill(8)).alias("certificate_no"),
            "issued_on", pl.lit(None, dtype=pl.Date).alias("expires_on"), pl.lit("valid").alias("status"), "issuer",
        ).sort("uscc", "qualification")

    def courts(self) -> pl.DataFrame:
        p = self.pop
        return pl.DataFrame({
            "uscc": self.identity["uscc"], "as_of": _const_date("as_of", ref.AS_OF, p.n),
            "serious_dishonesty": p["serious_dishonesty"],
            "open_enforcement_cases": p["open_enforcement_cases"],
            "major_incident_recent": p["major_incident_recent"],
        })

    def applications(self) -> pl.DataFrame:
        p, rng = self.pop, self._rngs[4]
        firm = np.nonzero(p["applies"])[0]
        when = AS_OF_DAYS - rng.integers(0, 91, len(firm))
        return pl.DataFrame({
            "uscc": self._uscc_of(firm), "as_of": _date_series("as_of", when),
            "requested_amount": p["requested_amount"][firm],
            "requested_term_months": p["requested_term_months"][firm].astype(np.int64),
            "loan_purpose": pl.Series(LOAN_PURPOSES).gather(p["loan_purpose"][firm]),
            "order_backlog": pl.Series(p["order_backlog"][firm], nan_to_null=True),
        })

    def ip_office_chunks(self) -> Iterator[pl.DataFrame]:
        """The IP office feed in chunks of ``IP_CHUNK`` firms (bounded memory for big populations).

        Each chunk has its own random stream and id serials continue across chunks, so the
        concatenated feed is the same whichever way it is consumed.
        """
        p = self.pop
        id_rng = self._rngs[7]
        params = {k: affine_params(10**8, id_rng) for k in IP_KINDS}
        counters = np.zeros(len(IP_KINDS) * _YEARS, dtype=np.int64)
        for ci, start in enumerate(range(0, p.n, IP_CHUNK)):
            rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([p.seed, 5, ci])))
            yield self._ip_chunk(start, min(start + IP_CHUNK, p.n), rng, params, counters)

    def ip_office(self) -> pl.DataFrame:
        return pl.concat(list(self.ip_office_chunks()), rechunk=True)

    def _ip_chunk(self, start: int, stop: int, rng: np.random.Generator, params: dict[str, tuple[int, int]],
                  counters: np.ndarray) -> pl.DataFrame:
        p = self.pop
        cells = p["ip_cells"][start:stop]
        n, c = cells.shape
        flat = cells.ravel()
        total = int(flat.sum())
        local_firm = np.repeat(np.repeat(np.arange(n), c), flat)
        firm = local_firm + start
        cell = np.repeat(np.tile(np.arange(c, dtype=np.int8), n), flat)
        starts = np.cumsum(flat) - flat
        row = np.arange(total)
        rank = row - np.repeat(starts, flat)  # rank inside the firm's (kind, status) cell
        firm_cell_start = starts.reshape(n, c)

        kind = _KIND_OF_CELL[cell]
        status = _STATUS_OF_CELL[cell]

        # main-product and high-value flags: the first k valid rights of the firm's Class I / II block
        c1 = cell <= CLASS1_CELLS[-1]
        c2 = (cell >= CLASS2_CELLS[0]) & (cell <= CLASS2_CELLS[-1])
        main = np.where(c1, row - firm_cell_start[local_firm, CLASS1_CELLS[0]] < p["ip_class1_main_product"][firm],
                        c2 & (row - firm_cell_start[local_firm, CLASS2_CELLS[0]]
                              < p["ip_class2_main_product"][firm]))
        del firm_cell_start, starts, row
        main |= (cell == _PENDING_INVENTION) & (rng.random(total) < 0.5)
        high_value = (cell == 0) & (rank < p["ip_class1_high_value"][firm])
        first_inventions = (cell == 0) & (rank < BIG_PLEDGE_PATENTS)
        del rank

        # dates: filed after registration where possible (otherwise the right was acquired)
        lo_l, hi_l = _LAG_LO[kind], _LAG_HI[kind]
        lag = lo_l + rng.random(total) * (hi_l - lo_l)
        reg = (p["registered_ord"] - EPOCH_ORDINAL)[firm].astype(np.float64)
        is_pending = status == 0
        is_expired = status == 4
        latest_filing = AS_OF_DAYS - lag
        earliest = np.maximum(reg, AS_OF_DAYS - 15 * 365.25)
        acquired = earliest > latest_filing
        earliest = np.where(acquired, latest_filing - 730, earliest)
        filing = earliest + rng.random(total) * (latest_filing - earliest)
        del earliest, latest_filing
        filing = np.where(is_pending, AS_OF_DAYS - rng.random(total) * hi_l, filing)
        filing = np.where(is_expired, AS_OF_DAYS - _TERM_DAYS[kind] - rng.random(total) * 3 * 365.25, filing)
        acquired |= is_expired & (filing < reg)
        del reg
        filing = np.floor(filing)
        grant = np.where(is_pending, np.nan, filing + np.round(lag))
        grant = np.where(is_expired, filing + lo_l + 200, grant)
        del lag, lo_l, hi_l

        is_patent = kind <= 2  # invention, utility_model, design
        is_invention = kind == 0
        # claims and citations (patents only); high-value inventions are broader and cited more
        claims = np.where(is_invention, 3 + rng.negative_binomial(3, 0.35, total),
                          np.where(kind == 1, 2 + rng.negative_binomial(3, 0.45, total), 1))
        claims = claims + np.where(high_value, rng.integers(2, 8, total), 0)
        indep = np.minimum(1 + rng.poisson(np.where(is_invention, 0.7, 0.3)), claims)
        age_years = np.clip((AS_OF_DAYS - np.nan_to_num(grant, nan=AS_OF_DAYS)) / 365.25, 0, None)
        fwd = rng.poisson(np.where(is_invention, 0.6, 0.2) * age_years * np.where(high_value, 3.0, 1.0))
        del age_years
        bwd = rng.poisson(np.where(is_invention, 7.0, np.where(kind == 1, 3.0, 0.5)))
        family = 1 + rng.poisson(np.where(high_value, 1.8, np.where(is_invention, 0.25, 0.03)))
        ipc = p["sector"][firm] * _IPC_PER_SECTOR + rng.integers(0, _IPC_PER_SECTOR, total)
        granted = status == 1
        licences = np.where(granted & is_patent, rng.poisson(0.06 * np.where(high_value, 4, 1)), 0)
        exclusive = (licences > 0) & (rng.random(total) < 0.3)
        transfers = np.where(acquired, 1 + rng.poisson(0.2, total), rng.poisson(0.02, total))
        litigation = granted & (rng.random(total) < 0.004)
        pledged = granted & is_patent & (rng.random(total) < np.where(high_value, 0.08, 0.02))
        big_firm = self.big_pledge_firm()
        if big_firm is not None:  # exactly its first three granted inventions are pledged (the 1亿 loan)
            pledged = np.where(firm == big_firm, first_inventions, pledged)

        filing_i = filing.astype(np.int64)
        grant_year = days_to_year(np.nan_to_num(grant, nan=AS_OF_DAYS).astype(np.int64))
        ids = self._ip_ids(kind, days_to_year(filing_i), grant_year, params, counters)
        patent = pl.Series(is_patent)

        def patent_only(name: str, values: np.ndarray | pl.Series) -> pl.Series:
            return pl.select(pl.when(patent).then(pl.Series(values))).to_series().alias(name)

        return pl.DataFrame([
            self._uscc_of(firm),
            _const_date("as_of", ref.AS_OF, total),
            ids,
            _pick("kind", IP_KINDS, kind),
            _pick("status", IP_STATUS_NAMES, status),
            _date_series("filing_date", filing_i),
            _date_series("grant_date", grant),
            patent_only("claims", claims),
            patent_only("independent_claims", indep),
            patent_only("forward_citations", fwd),
            patent_only("backward_citations", bwd),
            patent_only("family_size", family),
            patent_only("ipc_main", _IPC.gather(ipc)),
            pl.Series("main_product", main),
            pl.Series("high_value", high_value),
            pl.Series("licences", licences),
            pl.Series("exclusive_licence", exclusive),
            pl.Series("transfers", transfers),
            pl.Series("litigation_pending", litigation),
            pl.Series("pledged", pledged),
        ])

    def _ip_ids(self, kind: np.ndarray, filing_year: np.ndarray, grant_year: np.ndarray,
                params: dict[str, tuple[int, int]], counters: np.ndarray) -> pl.Series:
        """Ids in each right's own style; serials are unique inside (kind, year) across chunks."""
        total = len(kind)
        registered_by_grant = np.isin(kind, _GRANT_YEAR_KINDS)
        year = np.where(registered_by_grant, grant_year, filing_year)
        key = (kind.astype(np.int16) * _YEARS + (year - _YEAR0).astype(np.int16)).astype(np.int16)
        srt = np.argsort(key, kind="stable")  # radix sort on int16
        sorted_key = key[srt]
        group_size = np.bincount(key, minlength=len(counters))
        group_start = np.cumsum(group_size) - group_size
        rank = np.empty(total, dtype=np.int64)
        rank[srt] = np.arange(total) - group_start[sorted_key] + counters[sorted_key]
        del srt, sorted_key
        counters += group_size
        parts: list[pl.Series] = []
        order: list[np.ndarray] = []
        for k, name in enumerate(IP_KINDS):
            idx = np.nonzero(kind == k)[0]
            if len(idx) == 0:
                continue
            y, r = year[idx], rank[idx]
            if name in PATENT_TYPE_DIGIT:
                s = patent_ids(y, np.full(len(idx), PATENT_TYPE_DIGIT[name]), affine_apply(r, 10**7, params[name]))
            elif name == "software_copyright":  # e.g. 2024SR0123456
                s = prefixed_ids("SR", y, affine_apply(r, 10**7, params[name]), 7, "patent_id")
            elif name == "trademark":  # registration number, 8 digits
                s = prefixed_ids("TM", None, affine_apply((y % 100) * 10**6 + r, 10**8, params[name]), 8, "patent_id")
            elif name == "ic_layout":  # e.g. BS.245012345
                s = prefixed_ids("BS.", None, (y % 100) * 10**7 + 5 * 10**6 + affine_apply(r, 10**6, params[name]),
                                 9, "patent_id")
            else:  # new_drug approval number, e.g. 国药准字H20240123
                s = prefixed_ids("", y, affine_apply(r, 10**4, params[name]), 4, "n")
                s = pl.select(pl.concat_str([pl.lit("国药准字H"), s])).to_series().alias("patent_id")
            parts.append(s)
            order.append(idx)
        if not parts:
            return pl.Series("patent_id", [], dtype=pl.String)
        positions = pl.Series(np.concatenate(order)).arg_sort()
        return pl.concat(parts).gather(positions).alias("patent_id")

    def bank_loans(self) -> pl.DataFrame:
        """Two vintages of loans. History: disbursed in ``LOAN_WINDOW`` (each with its full 12-month outcome
        window before the as-of date; the labels ``default_12m`` come from these). Recent first loans: disbursed in
        the year before the as-of date (``RECENT_WINDOW``) to active firms that had never borrowed, a share
        ``RECENT_FIRST_LOAN_SHARE``; their 12-month outcome is not known yet (``default_12m`` null), so they add
        no label and change none (they run 12 months or more, so none has matured). The recent vintage is what the coverage and loan metrics of the year count."""
        p, rng = self.pop, self._rngs[6]
        n = p.n
        k = p["n_loans"]
        lo, hi = _days(LOAN_WINDOW[0]), _days(LOAN_WINDOW[1])
        draws = np.sort(rng.integers(lo, hi + 1, (n, 3)), axis=1)
        slot = np.arange(3)[None, :]
        has = slot < k[:, None]
        # the loans of a firm are the k earliest draws; they keep their order
        firm, si = np.nonzero(has)
        m = len(firm)
        disbursed = draws[firm, si]
        defaulted = p["defaulted"][firm] & (si == k[firm] - 1)
        recent = np.zeros(m, dtype=bool)

        # recent first loans: a separate stream, so the history (and every other feed) is unchanged by them
        r_rng = self._rngs[8]
        takes = (k == 0) & (p["registry_status"] == 0) & (r_rng.random(n) < RECENT_FIRST_LOAN_SHARE)
        big_firm = self.big_pledge_firm()
        if big_firm is not None:
            takes[big_firm] = True
        r_firm = np.nonzero(takes)[0]
        r_lo, r_hi = _days(RECENT_WINDOW[0]), _days(RECENT_WINDOW[1])
        r_disbursed = r_rng.integers(r_lo, r_hi + 1, len(r_firm))
        firm = np.concatenate([firm, r_firm])
        disbursed = np.concatenate([disbursed, r_disbursed])
        defaulted = np.concatenate([defaulted, np.zeros(len(r_firm), dtype=bool)])
        recent = np.concatenate([recent, np.ones(len(r_firm), dtype=bool)])
        m_hist, m = m, len(firm)

        def draw(fn: Callable[[np.random.Generator, int], np.ndarray]) -> np.ndarray:
            """One draw per loan: the history from the feed's stream, the recent loans from theirs."""
            return np.concatenate([fn(rng, m_hist), fn(r_rng, m - m_hist)])

        bank_city = np.array([b[1] for b in ref.BANKS])
        bank_w = np.array([b[2] for b in ref.BANKS])
        bank = draw(lambda g, size: g.choice(len(ref.BANKS), size, p=bank_w / bank_w.sum()))
        local_first = np.full(len(ref.REGIONS), -1)
        for i, r in enumerate(ref.REGIONS):
            hits = np.nonzero(bank_city == r[0][:4])[0]
            local_first[i] = hits[0] if len(hits) else -1
        local = local_first[p["region"][firm]]
        bank = np.where((local >= 0) & (draw(lambda g, size: g.random(size)) < 0.45), local, bank)

        prod_w = np.array([x[1] for x in ref.LOAN_PRODUCTS])
        product = draw(lambda g, size: g.choice(len(ref.LOAN_PRODUCTS), size, p=prod_w / prod_w.sum()))
        # the seed's 1亿 pledge: three invention patents (flagged pledged in the IP office feed) secure 100 million
        big = recent & (firm == (-1 if big_firm is None else big_firm))
        product = np.where(big, [x[0] for x in ref.LOAN_PRODUCTS].index("ip_pledge"), product)
        has_ip = (p["ip_class1"] + p["ip_class2"])[firm] > 0
        ip_products = np.isin(product, [i for i, x in enumerate(ref.LOAN_PRODUCTS) if x[0] in ("ip_pledge",
                                                                                              "patent_pool")])
        product = np.where(ip_products & ~has_ip, 0, product)
        secured = np.array([x[2] for x in ref.LOAN_PRODUCTS])[product]

        revenue = np.nan_to_num(p["fy_revenue"][firm, 2])
        share = draw(lambda g, size: g.uniform(0.05, 0.25, size))
        noise = draw(lambda g, size: g.standard_normal(size))
        base = np.where(revenue > 0, revenue * share, 1e6 * np.exp(0.5 * noise))
        amount = np.where(big, BIG_PLEDGE_AMOUNT, np.round(np.clip(base, 2e5, 3e7), -4))
        pd_ = p["default_probability"][firm]
        rate = np.round(np.maximum(ref.LPR_1Y + 0.004 + 2.5 * pd_ + 0.003 * draw(lambda g, size: g.standard_normal(size))
                                   - 0.004 * secured, ref.LPR_1Y - 0.002), 4)
        # recent loans run at least 12 months: none has matured (or shown its outcome) by the as-of date
        term = np.concatenate([rng.choice(np.array([6, 12, 24, 36]), m_hist, p=(0.15, 0.55, 0.20, 0.10)),
                               r_rng.choice(np.array([12, 24, 36]), m - m_hist, p=(0.65, 0.23, 0.12))])
        term = np.where(big, 36, term)
        disb_dt = disbursed.astype("datetime64[D]")
        month = disb_dt.astype("datetime64[M]")
        day = (disb_dt - month.astype("datetime64[D]")).astype(np.int64)
        maturity = ((month + term.astype("timedelta64[M]")).astype("datetime64[D]")
                    + np.minimum(day, 27).astype("timedelta64[D]")).astype(np.int64)

        matured = maturity < AS_OF_DAYS
        dpd = np.where(defaulted, 90 + draw(lambda g, size: g.integers(0, 450, size)), 0)
        written_off = defaulted & (dpd > 360) & (draw(lambda g, size: g.random(size)) < 0.5)
        overdue = ~defaulted & ~matured & (draw(lambda g, size: g.random(size)) < 0.03)
        dpd = np.where(overdue, draw(lambda g, size: g.integers(1, 60, size)), dpd)
        status = np.select([written_off, defaulted, overdue, matured], [4, 3, 2, 1], 0)
        elapsed = np.clip((AS_OF_DAYS - disbursed) / np.maximum(maturity - disbursed, 1), 0, 1)
        left = draw(lambda g, size: g.uniform(0.3, 1.0, size))
        outstanding = np.select([written_off | (status == 1), defaulted], [0.0, amount * left],
                                amount * (1 - 0.8 * elapsed))
        outstanding = np.round(outstanding, 2)
        year = days_to_year(disbursed)
        serial = affine_permutation(np.arange(m), 10**8, rng)
        outcome = pl.Series("default_12m", defaulted.astype(np.int64))
        outcome = pl.select(pl.when(pl.Series(recent)).then(None).otherwise(outcome)).to_series()
        return pl.DataFrame({
            "uscc": self._uscc_of(firm), "as_of": _const_date("as_of", ref.AS_OF, m),
            "loan_id": prefixed_ids("LN", year, serial, 8, "loan_id"),
            "bank_id": _pick("bank_id", [b[0] for b in ref.BANKS], bank),
            "product_kind": _pick("product_kind", [x[0] for x in ref.LOAN_PRODUCTS], product),
            "amount": amount, "rate": rate,
            "disbursed_on": _date_series("disbursed_on", disbursed),
            "maturity_on": _date_series("maturity_on", maturity),
            "secured": secured,
            "outstanding": outstanding,
            "days_past_due": dpd.astype(np.int64),
            "status": _pick("status", LOAN_STATUSES, status),
            "default_12m": outcome.alias("default_12m"),
        })

    def big_pledge_firm(self) -> int | None:
        """The firm of the seed's "three patents pledged for 1亿": the active firm with the largest revenue among
        those holding at least three granted invention patents and no earlier loan (not the 31-patent showcase,
        the most inventive firm); None when no firm qualifies."""
        if hasattr(self, "_big_pledge"):
            return self._big_pledge
        self._big_pledge: int | None = None
        p = self.pop
        inventions = p["ip_cells"][:, 0]
        ok = (inventions >= BIG_PLEDGE_PATENTS) & (p["n_loans"] == 0) & (p["registry_status"] == 0)
        ok[int(np.argmax(inventions))] = False
        if not ok.any():
            return None
        revenue = np.where(ok, np.nan_to_num(p["fy_revenue"][:, 2], nan=-1.0), -np.inf)
        self._big_pledge = int(np.argmax(revenue))
        return self._big_pledge

    def chunks(self, feed_id: str) -> Iterator[pl.DataFrame]:
        """The feed as one or more frames (only the IP office feed is chunked), in the feed's columns and types."""
        schema = {f.name: f.dtype for f in FEEDS[feed_id].fields}
        if feed_id == "ip_office":
            frames: Iterator[pl.DataFrame] = self.ip_office_chunks()
        else:
            fn: Callable[[], pl.DataFrame] = getattr(self, feed_id)
            frames = iter([fn()])
        for df in frames:
            yield df.select(pl.col(name).cast(dtype) for name, dtype in schema.items())

    def build(self, feed_id: str) -> pl.DataFrame:
        parts = list(self.chunks(feed_id))
        return parts[0] if len(parts) == 1 else pl.concat(parts, rechunk=True)


FEED_ORDER = tuple(FEEDS)
