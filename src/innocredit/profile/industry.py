"""GB/T 4754-2017 industry codes: a section letter followed by the division (2 digits),
group (3) and class (4) digits, e.g. ``I6513``. Each section owns a range of divisions."""

from __future__ import annotations

import re

SECTION_DIVISIONS: dict[str, tuple[int, int]] = {
    "A": (1, 5), "B": (6, 12), "C": (13, 43), "D": (44, 46), "E": (47, 50),
    "F": (51, 52), "G": (53, 60), "H": (61, 62), "I": (63, 65), "J": (66, 69),
    "K": (70, 70), "L": (71, 72), "M": (73, 75), "N": (76, 79), "O": (80, 82),
    "P": (83, 83), "Q": (84, 85), "R": (86, 90), "S": (91, 96), "T": (97, 97),
}
_PATTERN = re.compile(r"^([A-T])(\d{2})(\d{0,2})$")


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
