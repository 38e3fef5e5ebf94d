"""GB/T 4754-2017 industry codes: a section letter followed by the division (2 digits),
group (3) and class (4) digits, e.g. ``I6513``. Each section owns a range of divisions."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

SECTION_DIVISIONS: dict[str, tuple[int, int]] = {
    "A": (1, 5), "B": (6, 12), "C": (13, 43), "D": (44, 46), "E": (47, 50),
    "F": (51, 52), "G": (53, 60), "H": (61, 62), "I": (63, 65), "J": (66, 69),
    "K": (70, 70), "L": (71, 72), "M": (73, 75), "N": (76, 79), "O": (80, 82),
    "P": (83, 83), "Q": (84, 85), "R": (86, 90), "S": (91, 96), "T": (97, 97),
}
_PATTERN = re.compile(r"^([A-T])(\d{2})(\d{0,2})$")

# The names of the sections (门类) of GB/T 4754-2017: the Chinese title, and a short English name (for labels).
SECTION_NAMES: dict[str, tuple[str, str]] = {
    "A": ("农、林、牧、渔业", "agriculture"),
    "B": ("采矿业", "mining"),
    "C": ("制造业", "manufacturing"),
    "D": ("电力、热力、燃气及水生产和供应业", "utilities"),
    "E": ("建筑业", "construction"),
    "F": ("批发和零售业", "wholesale and retail"),
    "G": ("交通运输、仓储和邮政业", "transport and logistics"),
    "H": ("住宿和餐饮业", "hotels and catering"),
    "I": ("信息传输、软件和信息技术服务业", "software and IT services"),
    "J": ("金融业", "finance"),
    "K": ("房地产业", "real estate"),
    "L": ("租赁和商务服务业", "leasing and business"),
    "M": ("科学研究和技术服务业", "R&D and tech services"),
    "N": ("水利、环境和公共设施管理业", "water and environment"),
    "O": ("居民服务、修理和其他服务业", "household services"),
    "P": ("教育", "education"),
    "Q": ("卫生和社会工作", "health and social work"),
    "R": ("文化、体育和娱乐业", "culture and sports"),
    "S": ("公共管理、社会保障和社会组织", "public administration"),
    "T": ("国际组织", "international bodies"),
}


def industry_code_error(code: object) -> str | None:
    """Why ``code`` is not a GB/T 4754-2017 code, or None."""
    if not isinstance(code, str):
        return f"industry code {code!r} is not text"
    m = _PATTERN.match(code)
    if not m:
        return f"industry code {code!r} is not a section letter A-T followed by 2 to 4 digits"
    lo, hi = SECTION_DIVISIONS[m.group(1)]
    div = int(m.group(2))
    if not lo <= div <= hi:
        return f"industry code {code!r}: division {div:02d} is not in section {m.group(1)} ({lo:02d}-{hi:02d})"
    return None


def industry_code_valid_expr(col: str = "industry_code") -> pl.Expr:
    """A vectorized polars expression: True where ``col`` holds a valid GB/T 4754-2017 code (the rule of
    :func:`industry_code_error`), False otherwise, null where the value is null."""
    import polars as pl

    c = pl.col(col)
    lo = c.str.slice(0, 1).replace_strict({k: v[0] for k, v in SECTION_DIVISIONS.items()}, default=None,
                                          return_dtype=pl.Int64)
    hi = c.str.slice(0, 1).replace_strict({k: v[1] for k, v in SECTION_DIVISIONS.items()}, default=None,
                                          return_dtype=pl.Int64)
    div = c.str.slice(1, 2).cast(pl.Int64, strict=False)
    ok = c.str.contains(_PATTERN.pattern) & (div >= lo) & (div <= hi)
    return pl.when(c.is_null()).then(None).otherwise(ok.fill_null(False)).alias(col)
