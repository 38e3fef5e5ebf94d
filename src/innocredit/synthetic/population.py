"""Draw the latent enterprise population: one value per firm for everything the feeds and the
feature table show. Pure numpy; the shapes are documented in ``docs/demo-data.md``.

Streams: ``np.random.SeedSequence(seed).spawn(...)`` gives independent PCG64 streams per
part (population, IP rows, loans, ...), so adding a column to one part never shifts another.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from innocredit.synthetic import default_model as dm
from innocredit.synthetic import reference as ref

# IP cells per firm: (kind, status); the per-firm count matrix has one column per cell.
# Valid Class I cells first, then valid Class II cells, so the feeds can flag "main product"
# rights as the first k rows of a contiguous block.
IP_CELLS: tuple[tuple[str, str], ...] = (
    ("invention", "granted"), ("ic_layout", "granted"), ("new_drug", "granted"),
    ("utility_model", "granted"), ("design", "granted"), ("software_copyright", "granted"),
    ("invention", "pending"), ("invention", "lapsed"), ("invention", "invalidated"), ("invention", "expired"),
    ("utility_model", "pending"), ("utility_model", "lapsed"), ("utility_model", "expired"),
    ("design", "pending"), ("design", "lapsed"),
    ("trademark", "granted"), ("trademark", "pending"),
)
CLASS1_CELLS = (0, 1, 2)
CLASS2_CELLS = (3, 4, 5)

# status split of filings (pending, granted, lapsed, invalidated, expired), by kind
INVENTION_STATUS = (0.33, 0.57, 0.08, 0.01, 0.01)
UTILITY_STATUS = (0.10, 0.72, 0.16, 0.02)
DESIGN_STATUS = (0.08, 0.75, 0.17)
TRADEMARK_STATUS = (0.85, 0.15)

STAGE_EMPLOYEES = ((10.0, 0.75), (40.0, 0.80), (150.0, 0.90))  # median, log-sd
STAGE_IP_RATE = (1.6, 5.0, 10.0)  # mean IP filings of a median firm in the stage
STAGE_GROWTH = (0.45, 0.18, 0.05)
STAGE_MARGIN = (0.0, 0.06, 0.08)
STAGE_LOAN = (0.25, 0.45, 0.60)
NEGATIVE_BASE = -4.3  # logit of the share of firms with negative records at average financial quality
APPLICATION_SHARE = 0.30


SHOWCASE_INVENTIONS = 31  # granted invention patents of the demo's showcase firm (see synthetic.coordination)
EPOCH_ORDINAL = 719163  # date(1970, 1, 1).toordinal()


_YEAR_TABLE_START = -25_000  # days from 1970-01-01 covered by the lookup table: 1901-07 .. 2051-06
_YEAR_TABLE = (np.arange(_YEAR_TABLE_START, 30_000).astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64)
               + 1970)


def days_to_year(days: np.ndarray) -> np.ndarray:
    """Calendar years of day numbers counted from 1970-01-01 (vectorized; a table lookup in 1901-2051)."""
    d = np.asarray(days, dtype=np.int64)
    idx = d - _YEAR_TABLE_START
    if len(d) and (idx.min() < 0 or idx.max() >= len(_YEAR_TABLE)):
        return d.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    return _YEAR_TABLE[idx]


@dataclass
class Population:
    n: int
    seed: int
    cols: dict[str, np.ndarray] = field(default_factory=dict)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.cols[name]

    def __setitem__(self, name: str, value: np.ndarray) -> None:
        self.cols[name] = value


def streams(seed: int, k: int = 8) -> list[np.random.Generator]:
    return [np.random.Generator(np.random.PCG64(s)) for s in np.random.SeedSequence(seed).spawn(k)]


def draw_population(n: int, seed: int) -> Population:
    """All per-firm latent and observed values for ``n`` firms; same ``seed`` -> same values."""
    if n < 1:
        raise ValueError("n must be at least 1")
    rng = streams(seed)[0]
    pop = Population(n, seed)
    sig = dm.sigmoid

    # --- identity ---------------------------------------------------------------------------
    sector_share = np.array([s[1] for s in ref.SECTORS])
    ind_w = np.array([sector_share[ref.SECTOR_IDS.index(i[1])] * i[3] for i in ref.INDUSTRIES])
    industry = rng.choice(len(ref.INDUSTRIES), size=n, p=ind_w / ind_w.sum())
    ind_sector = np.array([ref.SECTOR_IDS.index(i[1]) for i in ref.INDUSTRIES])
    sector = ind_sector[industry]
    reg_w = np.array([r[2] for r in ref.REGIONS])
    region = rng.choice(len(ref.REGIONS), size=n, p=reg_w / reg_w.sum())
    stage = rng.choice(3, size=n, p=ref.STAGE_SHARES)
    age = np.select(
        [stage == 0, stage == 1],
        [rng.uniform(0.7, 3.0, n), rng.uniform(3.0, 10.0, n)],
        8.0 + np.minimum(rng.gamma(2.0, 4.0, n), 27.0),
    )
    as_of_ord = ref.AS_OF.toordinal()
    pop["industry"], pop["sector"], pop["region"], pop["stage"], pop["age"] = industry, sector, region, stage, age
    pop["registered_ord"] = (as_of_ord - np.round(age * 365.25)).astype(np.int64)

    # latent qualities: innovation and financial, mildly correlated
    z1, z2 = rng.standard_normal(n), rng.standard_normal(n)
    z_innov = z1
    z_fin = 0.2 * z1 + np.sqrt(1 - 0.2**2) * z2
    pop["z_innov"], pop["z_fin"] = z_innov, z_fin

    # --- scale ------------------------------------------------------------------------------
    emp_med = np.array([s[0] for s in STAGE_EMPLOYEES])[stage]
    emp_sd = np.array([s[1] for s in STAGE_EMPLOYEES])[stage]
    employees = np.exp(np.log(emp_med) + 0.15 * z_fin + 0.10 * z_innov + emp_sd * rng.standard_normal(n))
    employees = np.clip(np.round(employees), 2, 5000).astype(np.int64)
    rpe_med = np.array([s[2] for s in ref.SECTORS])[sector]
    rpe = rpe_med * np.exp(0.10 * z_fin + 0.55 * rng.standard_normal(n)) * np.where(stage == 0, 0.5, 1.0)
    pre_revenue = (stage == 0) & (rng.random(n) < 0.06)
    revenue = np.where(pre_revenue, 0.0, np.round(employees * rpe, -2))
    pop["employees"], pop["pre_revenue"] = employees, pre_revenue

    # growth: latest year over previous, and previous over the one before
    g_mu = np.array(STAGE_GROWTH)[stage] + 0.05 * z_fin + 0.04 * z_innov
    g0 = np.clip(g_mu + 0.22 * rng.standard_normal(n), -0.5, 2.0)
    g1 = np.clip(0.5 * g0 + 0.5 * g_mu + 0.18 * rng.standard_normal(n), -0.5, 2.0)
    rev = np.empty((n, 3))  # columns: FY2023, FY2024, FY2025
    rev[:, 2] = revenue
    rev[:, 1] = np.round(revenue / (1 + g0), -2)
    rev[:, 0] = np.round(rev[:, 1] / (1 + g1), -2)
    # fiscal years before registration do not exist (nan)
    registered_year = days_to_year(pop["registered_ord"] - EPOCH_ORDINAL)
    exists = registered_year[:, None] <= np.array(ref.FISCAL_YEARS)[None, :]
    rev = np.where(exists, rev, np.nan)
    pop["registered_year"], pop["fy_exists"], pop["growth"] = registered_year, exists, g0

    # R&D intensity (share of revenue); pre-revenue firms spend per head
    rd_med = np.array([s[3] for s in ref.SECTORS])[sector] * np.where(stage == 0, 1.3, 1.0)
    rd_int = np.clip(rd_med * np.exp(0.35 * z_innov + 0.5 * rng.standard_normal(n)), 1e-3, 0.8)
    rd_int_y = np.clip(rd_int[:, None] * np.exp(0.15 * rng.standard_normal((n, 3))), 1e-3, 0.8)
    rd_int_y[:, 2] = rd_int
    per_head = employees * 120_000.0 * np.exp(0.4 * rng.standard_normal(n))
    rd = np.where(pre_revenue[:, None], per_head[:, None] * np.array([0.6, 0.8, 1.0]), rev * rd_int_y)
    rd = np.where(exists, np.round(rd, -2), np.nan)
    pop["rd_intensity"] = np.where(pre_revenue, 0.8, rd_int)

    # margins, taxes, costs
    m_mu = np.array(STAGE_MARGIN)[stage] + 0.05 * z_fin
    margin = np.clip(m_mu[:, None] + 0.07 * rng.standard_normal((n, 3)), -0.8, 0.35)
    profit = rev * margin
    pre_loss = -(rd + employees[:, None] * 100_000.0 * rng.uniform(0.5, 1.5, (n, 1)))
    profit = np.round(np.where(pre_revenue[:, None], pre_loss, profit), -2)
    tax_rate = 0.035 * np.exp(0.4 * rng.standard_normal((n, 1))) * np.where(profit < 0, 0.5, 1.0)
    taxes = np.round(np.where(pre_revenue[:, None], 0.0, rev * tax_rate), -2)
    costs = np.round(np.maximum(rev - profit, 0.0), -2)
    costs = np.where(pre_revenue[:, None], -profit, costs)

    # balance sheet
    turnover = 0.85 * np.exp(0.45 * rng.standard_normal(n))
    assets2 = np.where(pre_revenue, employees * 300_000.0 * np.exp(0.5 * rng.standard_normal(n)),
                       np.maximum(revenue / turnover, 50_000.0))
    ratio_prev = np.where(np.isnan(rev[:, 1]) | (revenue <= 0), 1 / 1.2, rev[:, 1] / np.maximum(revenue, 1.0))
    ratio_prev2 = np.where(np.isnan(rev[:, 0]) | (revenue <= 0), 1 / 1.4, rev[:, 0] / np.maximum(revenue, 1.0))
    assets = np.stack([assets2 * np.clip(ratio_prev2, 0.05, 5) ** 0.7 * np.exp(0.1 * rng.standard_normal(n)),
                       assets2 * np.clip(ratio_prev, 0.05, 5) ** 0.7 * np.exp(0.1 * rng.standard_normal(n)),
                       assets2], axis=1)
    lev = sig(-0.2 - 0.45 * z_fin + 0.6 * rng.standard_normal(n) + 0.5 * (margin[:, 2] < 0))
    # a few loss-making firms are insolvent (liabilities above assets)
    lev = np.where((margin[:, 2] < 0) & (rng.random(n) < 0.04), rng.uniform(1.0, 1.5, n), lev)
    lev_y = np.clip(lev[:, None] + 0.05 * rng.standard_normal((n, 3)), 0.01, 1.4)
    lev_y[:, 2] = lev
    assets = np.where(exists, np.round(assets, -2), np.nan)
    liabilities = np.round(assets * lev_y, -2)
    net_assets = assets - liabilities
    pop["leverage"] = lev

    # revenue composition
    mbr_share = np.clip(1 - rng.beta(1.5, 20, (n, 1)), 0.5, 1.0)
    main_rev = np.round(rev * mbr_share, -2)
    ht_share = sig(0.3 + 0.8 * z_innov + 0.8 * rng.standard_normal(n))
    high_tech_rev = np.round(rev * ht_share[:, None], -2)
    exporter = rng.random(n) < np.array([s[6] for s in ref.SECTORS])[sector]
    exports = np.round(rev * np.where(exporter, rng.beta(1.5, 4, n), 0.0)[:, None], -2)
    overseas_rd = np.where(rng.random(n) < 0.05, rng.uniform(0.05, 0.3, n), 0.0)
    rd_domestic = np.round(rd * (1 - overseas_rd[:, None]), -2)
    rd_super = np.where((rng.random(n) < 0.92)[:, None], rd, 0.0)

    for name, arr in (("revenue", rev), ("rd_expense", rd), ("net_profit", profit), ("taxes_paid", taxes),
                      ("total_costs", costs), ("total_assets", assets), ("liabilities", liabilities),
                      ("net_assets", net_assets), ("main_business_revenue", main_rev),
                      ("high_tech_revenue", high_tech_rev), ("exports", exports),
                      ("rd_expense_domestic", rd_domestic), ("rd_super_deduction", rd_super)):
        pop[f"fy_{name}"] = np.where(exists, arr, np.nan)

    # --- staff ------------------------------------------------------------------------------
    tech_med = np.array([s[4] for s in ref.SECTORS])[sector]
    tech_share = sig(np.log(tech_med / (1 - tech_med)) + 0.5 * z_innov + 0.5 * rng.standard_normal(n))
    tech_staff = np.round(employees * tech_share).astype(np.int64)
    rd_staff = np.round(tech_staff * rng.uniform(0.55, 0.9, n)).astype(np.int64)
    msc_med = np.array([s[5] for s in ref.SECTORS])[sector]
    masters = rng.binomial(employees, sig(np.log(msc_med / (1 - msc_med)) + 0.5 * z_innov))
    talent = np.minimum(rng.poisson(0.004 * employees * np.exp(0.8 * z_innov)), employees)
    pop["tech_staff"], pop["rd_staff"], pop["masters_phd_staff"] = tech_staff, rd_staff, masters
    pop["talent_programme_members"] = talent
    pop["tech_share"] = tech_staff / employees

    # --- intellectual property: counts per (kind, status) cell --------------------------------
    latest_rd = np.nan_to_num(rd[:, 2])
    frailty = rng.gamma(0.9, 1 / 0.9, n)
    mu = np.array(STAGE_IP_RATE)[stage] * np.exp(0.5 * z_innov) * (1 + latest_rd / 2e6) ** 0.35 * frailty
    kind_share = np.array([s[7] for s in ref.SECTORS])[sector]  # (n, 5)
    filed = rng.poisson(mu[:, None] * kind_share)  # invention, utility, design, copyright, trademark
    inv = rng.multinomial(filed[:, 0], INVENTION_STATUS)
    uti = rng.multinomial(filed[:, 1], UTILITY_STATUS)
    des = rng.multinomial(filed[:, 2], DESIGN_STATUS)
    tm = rng.multinomial(filed[:, 4], TRADEMARK_STATUS)
    codes = [i[0] for i in ref.INDUSTRIES]
    ic_ind = np.isin(industry, [codes.index(c) for c in ref.IC_LAYOUT_INDUSTRIES])
    drug_ind = np.isin(industry, [codes.index(c) for c in ref.NEW_DRUG_INDUSTRIES])
    ic = np.where(ic_ind, rng.poisson(0.35 * mu), 0)
    drug = np.where(drug_ind, rng.poisson(0.01 * mu), 0)
    cells = np.zeros((n, len(IP_CELLS)), dtype=np.int64)
    cells[:, 0], cells[:, 1], cells[:, 2] = inv[:, 1], ic, drug
    cells[:, 3], cells[:, 4], cells[:, 5] = uti[:, 1], des[:, 1], filed[:, 3]
    cells[:, 6], cells[:, 7], cells[:, 8], cells[:, 9] = inv[:, 0], inv[:, 2], inv[:, 3], inv[:, 4]
    cells[:, 10], cells[:, 11], cells[:, 12] = uti[:, 0], uti[:, 2], uti[:, 3]
    cells[:, 13], cells[:, 14] = des[:, 0], des[:, 2]
    cells[:, 15], cells[:, 16] = tm[:, 0], tm[:, 1]
    # the showcase (the seed's "31 patents, 9 million in 3 days"): the most inventive firm holds exactly 31
    # granted invention patents and no other Class I right (synthetic.coordination gives it its 9 million)
    show = int(np.argmax(cells[:, 0]))
    cells[show, 0], cells[show, 1], cells[show, 2] = SHOWCASE_INVENTIONS, 0, 0
    pop["ip_cells"] = cells
    class1 = cells[:, list(CLASS1_CELLS)].sum(axis=1)
    class2 = cells[:, list(CLASS2_CELLS)].sum(axis=1)
    pop["ip_class1"], pop["ip_class2"] = class1, class2
    pop["ip_class1_main_product"] = rng.binomial(class1, 0.65)
    pop["ip_class2_main_product"] = rng.binomial(class2, 0.55)
    pop["ip_class1_high_value"] = rng.binomial(cells[:, 0], sig(-1.2 + 0.5 * z_innov))
    has_ip = (class1 + class2) > 0
    pop["ip_self_developed"] = has_ip & (rng.random(n) < 0.93)

    innov = dm.innovation_strength(pop["rd_intensity"], cells[:, 0], pop["tech_share"])
    pop["innovation_strength"] = innov

    # --- qualifications -----------------------------------------------------------------------
    growth_or_mature = (stage > 0).astype(float)
    pop["high_tech_certified"] = rng.random(n) < sig(
        -2.6 + 0.9 * innov + 0.8 * growth_or_mature + 0.5 * np.log1p(class1) + 0.3 * (class2 > 0))
    pop["cert_issue_year"] = rng.integers(2023, 2026, n)
    small = (employees <= 500) & (revenue <= 2e8)
    pop["tech_sme_registered"] = small & (rng.random(n) < sig(0.2 + 0.6 * z_innov + 0.6 * has_ip))
    s = z_innov + 0.4 * z_fin + 0.5 * growth_or_mature + 0.4 * (stage == 2) + 0.5 * rng.standard_normal(n)
    level = np.select([(s > 3.7) & (stage > 0), s > 2.6, s > 1.9], [3, 2, 1], 0)
    pop["specialized_level"] = level
    pop["provincial_rd_institution"] = rng.random(n) < sig(-3.4 + 0.9 * z_innov + 1.0 * (stage == 2)
                                                           + 0.5 * (stage == 1))
    pop["national_award_5y"] = rng.random(n) < sig(-7.0 + 1.1 * z_innov + 1.2 * (stage == 2))
    pop["provincial_award_3y"] = rng.random(n) < sig(-4.6 + 1.0 * z_innov + 0.8 * growth_or_mature)
    pop["led_standard_5y"] = rng.random(n) < sig(-4.2 + 0.8 * z_innov + 1.0 * (stage == 2))
    se_share = np.array([ref.STRATEGIC_EMERGING_SHARE[s] for s in ref.SECTOR_IDS])[sector]
    pop["strategic_emerging"] = rng.random(n) < se_share
    pop["years_in_niche"] = np.round(age * rng.uniform(0.4, 1.0, n), 1)
    tc = rng.random(n) < np.where(sector == ref.SECTOR_IDS.index("rd_services"), 0.6, sig(-1.2 + 0.5 * z_innov))
    pop["tech_contract_turnover"] = np.where(tc, np.round(1.5e6 * np.exp(0.3 * z_innov + rng.standard_normal(n)),
                                                          -2), 0.0)
    pop["results_commercialized_3y"] = rng.poisson(0.6 * np.exp(0.5 * z_innov) * np.array([0.5, 1.0, 1.5])[stage])
    sub = rng.random(n) < sig(-0.3 + 0.5 * z_innov)
    pop["government_subsidies_3y"] = np.where(sub, np.round(3e5 * np.exp(0.4 * z_innov + 0.9 * rng.standard_normal(n))
                                                            * (employees / 40) ** 0.3, -2), 0.0)
    eq = rng.random(n) < sig(np.array([-2.0, -1.7, -3.2])[stage] + 0.5 * z_innov)
    pop["equity_financing_3y"] = np.where(eq, np.round(8e6 * np.exp(rng.standard_normal(n)), -4), 0.0)
    pop["registered_capital"] = np.round(5e6 * (employees / 40) ** 0.4 * np.exp(0.7 * rng.standard_normal(n)), -4)

    # --- negative records (a small, financially weak minority) --------------------------------
    distressed = rng.random(n) < sig(NEGATIVE_BASE - 0.9 * z_fin)
    u = rng.random((n, 7))
    dishonest = distressed & (u[:, 0] < 0.25)
    enforcement = np.where(distressed & (u[:, 1] < 0.45), 1 + rng.poisson(0.8, n), 0)
    tax_c = distressed & (u[:, 2] < 0.35)
    tax_d = distressed & ~tax_c & (u[:, 3] < 0.25)
    incident = distressed & (u[:, 4] < 0.10)
    prohibited = distressed & (u[:, 5] < 0.05)
    abnormal = distressed & ((u[:, 6] < 0.45) | ~(dishonest | (enforcement > 0) | tax_c | tax_d | incident
                                                   | prohibited))
    rating_a = rng.random(n) < sig(-0.5 + 0.7 * z_fin + 0.6 * (stage == 2) + 0.3 * (stage == 1))
    new_firm = (age < 1.0) | pre_revenue
    # index into TAX_CREDIT_RATINGS = (A, B, M, C, D)
    rating = np.select([tax_d, tax_c, new_firm, rating_a], [4, 3, 2, 0], 1)
    pop["distressed"], pop["serious_dishonesty"], pop["abnormal_operations"] = distressed, dishonest, abnormal
    pop["open_enforcement_cases"], pop["major_incident_recent"] = enforcement, incident
    pop["prohibited_products"], pop["tax_rating_index"] = prohibited, rating
    status = np.where(distressed & (rng.random(n) < 0.08), 2, 0)  # index into REGISTRY_STATUSES
    pop["registry_status"] = status

    # --- loans and the 12-month default outcome -------------------------------------------------
    loss = (profit[:, 2] < 0).astype(float)
    logit = dm.default_logit(
        leverage=lev, revenue=revenue, loss=loss, growth=g0, innovation=innov,
        dishonesty=dishonest.astype(float), abnormal=abnormal.astype(float),
        enforcement_cases=enforcement, tax_c=tax_c.astype(float), tax_d=tax_d.astype(float), noise=dm.NOISE_SD * rng.standard_normal(n))
    p = sig(logit)
    pop["default_probability"] = p
    borrower = (status == 0) & (rng.random(n) < sig(_logit_arr(np.array(STAGE_LOAN)[stage]) + 0.2 * z_fin))
    planned = np.where(borrower, 1 + rng.choice(3, n, p=(0.55, 0.30, 0.15)), 0)
    defaults = rng.random((n, 3)) < p[:, None]
    # loans are taken one after another; a default ends the sequence (no new loan after it)
    k = np.arange(3)[None, :]
    active = k < planned[:, None]
    first_default = np.where((defaults & active).any(axis=1), np.argmax(defaults & active, axis=1), 99)
    n_loans = np.where(first_default < 99, first_default + 1, planned)
    pop["n_loans"] = n_loans.astype(np.int64)
    pop["defaulted"] = first_default < 99

    # --- financing need (applications) ---------------------------------------------------------
    applies = (status == 0) & (rng.random(n) < APPLICATION_SHARE)
    base = np.where(revenue > 0, revenue * rng.uniform(0.08, 0.3, n), 1e6)
    pop["applies"] = applies
    pop["requested_amount"] = np.round(np.clip(base, 3e5, 5e7), -4)
    pop["requested_term_months"] = rng.choice(np.array([6, 12, 24, 36]), n, p=(0.1, 0.55, 0.2, 0.15))
    pop["loan_purpose"] = rng.choice(5, n, p=(0.45, 0.2, 0.15, 0.15, 0.05))
    has_backlog = rng.random(n) < 0.6
    pop["order_backlog"] = np.where(has_backlog, np.round(np.maximum(revenue, 1e5) * rng.uniform(0.05, 0.5, n), -2),
                                    np.nan)
    return pop


def _logit_arr(p: np.ndarray) -> np.ndarray:
    return np.log(p / (1 - p))
