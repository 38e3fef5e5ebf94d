"""Vectorized identifiers: USCCs (GB 32100-2015), CNIPA application numbers, copyright,
trademark, layout-design and loan ids. Built as numpy character matrices, turned into
polars strings in one step (no per-row Python)."""

from __future__ import annotations

import numpy as np
import polars as pl

from innocredit.profile.uscc import ALPHABET, WEIGHTS

_ALPHA = np.frombuffer(ALPHABET.encode("ascii"), dtype=np.uint8)
_DIGITS = np.frombuffer(b"0123456789X", dtype=np.uint8)
# GB 11714-1997 organisation code check: weights over the 8 body characters
ORG_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
# CNIPA application number check digit: weights over the 12 digits, sum mod 11, 10 -> "X"
CNIPA_WEIGHTS = np.array([2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5], dtype=np.int64)
PATENT_TYPE_DIGIT = {"invention": 1, "utility_model": 2, "design": 3}
_CHECK_CHARS = pl.Series(list("0123456789X"))


def chars_to_series(name: str, codes: np.ndarray) -> pl.Series:
    """An (n, k) uint8 ASCII matrix -> a polars String series of length n."""
    codes = np.ascontiguousarray(codes, dtype=np.uint8)
    k = codes.shape[1]
    return pl.Series(name, codes.view(f"S{k}").ravel()).cast(pl.String)


def digits(values: np.ndarray, width: int) -> np.ndarray:
    """Decimal digits of non-negative integers, most significant first: shape (n, width)."""
    values = np.asarray(values, dtype=np.int64)
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (values[:, None] // powers[None, :]) % 10


def affine_params(modulus: int, rng: np.random.Generator) -> tuple[int, int]:
    """(a, b) with a coprime to ``modulus``: index -> (index * a + b) mod modulus is one-to-one."""
    while True:
        a = int(rng.integers(modulus // 7, modulus - 1))
        if np.gcd(a, modulus) == 1:
            return a, int(rng.integers(0, modulus))


def affine_apply(index: np.ndarray, modulus: int, params: tuple[int, int]) -> np.ndarray:
    a, b = params
    return (np.asarray(index, dtype=np.int64) % modulus * a + b) % modulus


def affine_permutation(index: np.ndarray, modulus: int, rng: np.random.Generator) -> np.ndarray:
    """Map 0..modulus-1 onto itself one-to-one with fresh parameters from ``rng``.

    Gives unique, random-looking serial numbers without materialising a permutation.
    """
    return affine_apply(index, modulus, affine_params(modulus, rng))


def org_code_check(body: np.ndarray) -> np.ndarray:
    """GB 11714 check value (0-10, 10 printed as X) for an (n, 8) matrix of digit values."""
    c = 11 - (body @ ORG_WEIGHTS) % 11
    return np.where(c == 11, 0, c)


def uscc_values(region_codes: np.ndarray, serials: np.ndarray) -> np.ndarray:
    """The 18 alphabet values of USCCs for enterprises (registration authority 9, type 1).

    Layout (GB 32100-2015): 1 authority code, 1 entity type, 6 region code, 9 organisation code
    (8 body + GB 11714 check), 1 check character. ``serials`` (< 10**8) become the body digits.
    """
    n = len(serials)
    v = np.empty((n, 18), dtype=np.int64)
    v[:, 0] = 9
    v[:, 1] = 1
    v[:, 2:8] = digits(region_codes.astype(np.int64), 6)
    v[:, 8:16] = digits(serials, 8)
    chk = org_code_check(v[:, 8:16])
    v[:, 16] = np.where(chk == 10, ALPHABET.index("X"), chk)
    w = np.array(WEIGHTS, dtype=np.int64)
    v[:, 17] = (31 - (v[:, :17] @ w) % 31) % 31
    return v


def uscc_series(region_codes: np.ndarray, serials: np.ndarray) -> pl.Series:
    return chars_to_series("uscc", _ALPHA[uscc_values(region_codes, serials)])


def cnipa_check_digit(year: np.ndarray, type_digit: np.ndarray, serial: np.ndarray) -> np.ndarray:
    """CNIPA application-number check digit (0-10; 10 is printed "X").

    The 12 digits (4 filing year, 1 type, 7 serial) are weighted 2,3,4,5,6,7,8,9,2,3,4,5;
    the check digit is the weighted sum mod 11. Computed with two lookup tables (weighted digit
    sums of 4- and 3-digit blocks) instead of splitting every number into digits.
    """
    serial = np.asarray(serial, dtype=np.int64)
    total = (_WSUM_2345[np.asarray(year, dtype=np.int64)] + 6 * np.asarray(type_digit, dtype=np.int64)
             + _WSUM_789[serial // 10_000] + _WSUM_2345[serial % 10_000])
    return total % 11


def cnipa_check_digit_of(number12: str) -> str:
    """Scalar reference of the same rule, for tests and docs: ``"202310123456"`` -> check."""
    total = sum(int(ch) * w for ch, w in zip(number12, CNIPA_WEIGHTS.tolist(), strict=True))
    r = total % 11
    return "X" if r == 10 else str(r)


def _text(values: np.ndarray, width: int) -> pl.Series:
    """Zero-padded decimal text of non-negative integers (polars' integer formatting, multi-threaded)."""
    return pl.Series(np.asarray(values, dtype=np.int64)).cast(pl.String).str.zfill(width)


def patent_ids(year: np.ndarray, type_digit: np.ndarray, serial: np.ndarray) -> pl.Series:
    """``CN`` + 4-digit year + type digit + 7-digit serial + ``.`` + check digit, e.g. ``CN202310123456.6``."""
    chk = _CHECK_CHARS.gather(cnipa_check_digit(year, type_digit, serial))
    frame = pl.DataFrame({"y": _text(year, 4), "t": _text(type_digit, 1), "s": _text(serial, 7), "c": chk})
    return frame.select(pl.concat_str([pl.lit("CN"), "y", "t", "s", pl.lit("."), "c"]).alias("patent_id")).to_series()


def prefixed_ids(prefix: str, year: np.ndarray | None, serial: np.ndarray, width: int, name: str) -> pl.Series:
    """Optional 4-digit year + ``prefix`` + zero-padded serial, e.g. ``2024SR0123456``, ``TM01234567``."""
    cols = {"s": _text(serial, width)}
    if year is not None:
        cols["y"] = _text(year, 4)
    parts = ["y"] if year is not None else []
    frame = pl.DataFrame(cols)
    return frame.select(pl.concat_str([*parts, pl.lit(prefix), "s"]).alias(name)).to_series()


# weighted digit sums of every 4-digit block (weights 2,3,4,5) and 3-digit block (weights 7,8,9)
_WSUM_2345 = digits(np.arange(10_000), 4) @ np.array([2, 3, 4, 5], dtype=np.int64)
_WSUM_789 = digits(np.arange(1_000), 3) @ np.array([7, 8, 9], dtype=np.int64)
