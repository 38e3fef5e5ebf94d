"""统一社会信用代码 (unified social credit code) validation, GB 32100-2015.

An 18-character code drawn from a 31-character alphabet (digits and capital
letters without I, O, S, V, Z). The 18th character is a check character: with
weights w_i = 3^i mod 31 for positions i = 0..16, the check value is
``31 - (sum(value_i * w_i) mod 31)``, where 31 maps to 0.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}


class InvalidUSCC(ValueError):
    """Raised when a code is not a valid USCC; the message names the code and why."""


def check_character(first17: str) -> str:
    """Return the check character for the first 17 characters of a code."""
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def uscc_error(code: object) -> str | None:
    """Why ``code`` is not a valid USCC, or None when it is valid."""
    if not isinstance(code, str):
        return f"USCC {code!r} is not text"
    if len(code) != 18:
        return f"USCC {code!r} has {len(code)} characters, expected 18"
    bad = sorted({ch for ch in code if ch not in _VALUE})
    if bad:
        return f"USCC {code!r} contains characters outside the GB 32100 alphabet: {''.join(bad)}"
    expected = check_character(code[:17])
    if code[17] != expected:
        return f"USCC {code!r} has check character {code[17]!r}, expected {expected!r}"
    return None


def is_valid_uscc(code: object) -> bool:
    return uscc_error(code) is None


def validate_uscc(code: object) -> str:
    """Return ``code`` unchanged when valid, else raise InvalidUSCC."""
    err = uscc_error(code)
    if err:
        raise InvalidUSCC(err)
    assert isinstance(code, str)
    return code


def make_uscc(first17: str) -> str:
    """Complete a 17-character prefix with its check character (demo data, tests)."""
    if len(first17) != 17:
        raise InvalidUSCC(f"USCC prefix {first17!r} must have 17 characters")
    return first17 + check_character(first17)


def uscc_valid_expr(col: str = "uscc") -> "pl.Expr":
    """A vectorized polars expression: True where ``col`` holds a valid USCC."""
    import polars as pl

    c = pl.col(col)
    values = [c.str.slice(i, 1).replace_strict(_VALUE, default=None, return_dtype=pl.Int64) for i in range(18)]
    total = pl.sum_horizontal([v * w for v, w in zip(values[:17], WEIGHTS)])
    expected = (31 - total % 31) % 31
    ok = (c.str.len_chars() == 18) & pl.all_horizontal([v.is_not_null() for v in values]) & (values[17] == expected)
    return ok.fill_null(False)
