"""The demo-data generator: a coherent, seeded population of technology SMEs in Zhejiang.

- :func:`feature_table` - the feature table (``spec/features.md``) straight from the latent population;
- :func:`generate_feeds` - the department feeds (``innocredit.ingest.feeds.FEEDS``) as polars frames (pure);
- :func:`write_feeds` - the same feeds written to files (the only part that touches disk).

Method, distributions and sources: ``docs/demo-data.md``.
"""

from __future__ import annotations

import polars as pl

from innocredit.synthetic.feeds import FEED_ORDER, FeedBuilder
from innocredit.synthetic.population import draw_population
from innocredit.synthetic.reference import AS_OF, FISCAL_YEARS
from innocredit.synthetic.table import feature_table, feature_table_from
from innocredit.synthetic.writer import FILE_FORMATS, write_feeds

__all__ = ["AS_OF", "FEED_ORDER", "FILE_FORMATS", "FISCAL_YEARS", "feature_table", "feature_table_from",
           "generate_feeds", "write_feeds"]


def generate_feeds(n_enterprises: int, seed: int) -> dict[str, pl.DataFrame]:
    """Every department feed of ``n_enterprises`` firms, keyed by feed id (see ``FEEDS``).

    Columns and types are exactly the feed's fields. Same ``(n_enterprises, seed)`` -> same frames.
    """
    builder = FeedBuilder(draw_population(n_enterprises, seed))
    return {feed_id: builder.build(feed_id) for feed_id in FEED_ORDER}
