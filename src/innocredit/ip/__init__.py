"""IP valuation and pledge: patent records, quality indicators, relief-from-royalty valuation,
pledge rates and loan capacity, patent pools. Pure polars; see ``docs/ip.md``."""

from innocredit.ip.config import PolicyError, load_pledge_policy, load_pool_agreement, load_tables
from innocredit.ip.pledge import firm_capacity, pledge_rates
from innocredit.ip.pools import absorb_default, value_pool
from innocredit.ip.quality import cohort_stats, quality_indicators, score_quality
from innocredit.ip.records import application_number_error, clean_patents, patent_problems, statutory_term_for
from innocredit.ip.valuation import describe_assumptions, relief_from_royalty, value_patents

__all__ = [
    "PolicyError", "absorb_default", "application_number_error", "clean_patents", "cohort_stats",
    "describe_assumptions", "firm_capacity", "load_pledge_policy", "load_pool_agreement", "load_tables",
    "patent_problems", "pledge_rates", "quality_indicators", "relief_from_royalty", "score_quality",
    "statutory_term_for", "value_patents", "value_pool",
]
