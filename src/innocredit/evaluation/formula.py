"""Formulas in indicator systems: a small, safe expression language compiled to polars.

A formula is a Python-syntax expression over feature-table columns and the names a
system defines (``score``, ``pt_<indicator>``, ``grp_<group>``, ``stage``, ``age_years``):

* arithmetic ``+ - * /`` (division by zero gives null: an undefined ratio, not a missing input),
* comparisons ``< <= > >= == !=`` and ``x in ("a", "b")``, ``and``, ``or``, ``not``,
* functions ``min(a, b, ...)``, ``max(...)``, ``abs(x)``, ``coalesce(a, b, ...)``, ``years_since(date_column)``,
* ``a if condition else b`` (null when the condition is unknown).

A comparison of a ratio with a decimal constant, ``tech_staff / employees >= 0.10``, is
evaluated exactly by cross-multiplication with the constant as a fraction
(``tech_staff * 10 >= 1 * employees`` when ``employees > 0``), so that 10 of 100 staff is 10%.
Nothing is evaluated with ``eval``: the text is parsed with :mod:`ast` and only the nodes
above are accepted.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import polars as pl


class FormulaError(ValueError):
    """A formula that does not parse or names something unknown."""


@dataclass(frozen=True)
class Formula:
    """A parsed formula: its text, its syntax tree and the names it reads."""

    text: str
    tree: ast.expr
    names: frozenset[str]

    @property
    def ratio(self) -> tuple[ast.expr, ast.expr, Fraction] | None:
        """(numerator, denominator, offset) when the formula is ``a / b`` or ``a / b - c`` (c a constant)."""
        return ratio_parts(self.tree)


def ratio_parts(node: ast.expr) -> tuple[ast.expr, ast.expr, Fraction] | None:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        return node.left, node.right, Fraction(0)
    if (isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Sub, ast.Add)) and isinstance(node.left, ast.BinOp)
            and isinstance(node.left.op, ast.Div) and isinstance(node.right, ast.Constant)
            and isinstance(node.right.value, (int, float)) and not isinstance(node.right.value, bool)):
        off = fraction(node.right.value)
        return node.left.left, node.left.right, (-off if isinstance(node.op, ast.Sub) else off)
    return None


_LITERALS = frozenset({"True", "False", "true", "false", "None"})
_FUNCS = {"min", "max", "abs", "coalesce", "years_since"}
_ALLOWED = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.Call, ast.Name, ast.Constant,
            ast.Load, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.USub, ast.UAdd, ast.Not, ast.And, ast.Or, ast.Eq,
            ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn, ast.Tuple, ast.List, ast.IfExp)


def parse(text: str | int | float | bool) -> Formula:
    """Parse a formula; raise :class:`FormulaError` with the reason when it is not allowed."""
    src = ("True" if text else "False") if isinstance(text, bool) else str(text).strip()
    try:
        tree = ast.parse(src, mode="eval")
    except SyntaxError as exc:
        raise FormulaError(f"formula {src!r} does not parse: {exc.msg}") from exc
    names: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED):
            raise FormulaError(f"formula {src!r}: {type(node).__name__} is not allowed")
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in _FUNCS or node.keywords:
                raise FormulaError(f"formula {src!r}: only the functions {', '.join(sorted(_FUNCS))} are allowed")
        elif isinstance(node, ast.Name):
            names.add(node.id)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            names.discard(node.func.id)
    names -= _LITERALS
    return Formula(src, tree.body, frozenset(names))


def fraction(value: object) -> Fraction:
    """A decimal constant as an exact fraction: ``0.3`` -> 3/10 (via its decimal text, not its binary float)."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, bool):
        return Fraction(int(value))
    return Fraction(Decimal(str(value).strip()))


Resolver = Callable[[str], pl.Expr]


def compile_expr(formula: Formula, resolve: Resolver | Mapping[str, pl.Expr], as_of: pl.Expr | None = None) -> pl.Expr:
    """Compile a parsed formula into one polars expression. ``resolve`` maps a name to an expression."""
    get: Resolver = resolve.__getitem__ if isinstance(resolve, Mapping) else resolve
    asof = as_of if as_of is not None else get("as_of")
    return _Compiler(get, asof, formula.text).visit(formula.tree)


def compile_node(node: ast.expr, resolve: Resolver, as_of: pl.Expr, text: str = "") -> pl.Expr:
    """Compile one node of a parsed formula (e.g. the numerator of :attr:`Formula.ratio`)."""
    return _Compiler(resolve, as_of, text).visit(node)


def exact_ratio_compare(num: pl.Expr, den: pl.Expr, op: str, constant: object) -> pl.Expr:
    """``num / den <op> constant`` without float division: false when ``den <= 0`` (ratio undefined)."""
    f = fraction(constant)
    lhs = num * float(f.denominator)
    rhs = den * float(f.numerator)
    cmp = {">=": lhs >= rhs, ">": lhs > rhs, "<=": lhs <= rhs, "<": lhs < rhs, "==": lhs == rhs, "!=": lhs != rhs}[op]
    return pl.when(den > 0).then(cmp).when(den.is_not_null() & num.is_not_null()).then(False)


_OPS = {ast.GtE: ">=", ast.Gt: ">", ast.LtE: "<=", ast.Lt: "<", ast.Eq: "==", ast.NotEq: "!="}
_FLIP = {">=": "<=", ">": "<", "<=": ">=", "<": ">", "==": "==", "!=": "!="}


class _Compiler:
    def __init__(self, get: Resolver, as_of: pl.Expr, text: str) -> None:
        self.get, self.as_of, self.text = get, as_of, text

    def visit(self, node: ast.expr) -> pl.Expr:
        if isinstance(node, ast.Constant):
            if node.value is None:
                return pl.lit(None)
            return pl.lit(node.value)
        if isinstance(node, ast.Name):
            if node.id in _LITERALS:
                return pl.lit(None) if node.id == "None" else pl.lit(node.id in ("True", "true"))
            try:
                return self.get(node.id)
            except KeyError as exc:
                raise FormulaError(f"formula {self.text!r}: unknown name {node.id!r}") from exc
        if isinstance(node, ast.UnaryOp):
            v = self.visit(node.operand)
            if isinstance(node.op, ast.Not):
                return ~v
            return -v if isinstance(node.op, ast.USub) else v
        if isinstance(node, ast.BinOp):
            a, b = self.visit(node.left), self.visit(node.right)
            if isinstance(node.op, ast.Add):
                return a + b
            if isinstance(node.op, ast.Sub):
                return a - b
            if isinstance(node.op, ast.Mult):
                return a * b
            return pl.when(b != 0).then(a.cast(pl.Float64) / b)
        if isinstance(node, ast.BoolOp):
            parts = [self.visit(v) for v in node.values]
            out = parts[0]
            for p in parts[1:]:
                out = (out & p) if isinstance(node.op, ast.And) else (out | p)
            return out
        if isinstance(node, ast.Compare):
            return self._compare(node)
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, ast.IfExp):
            cond = self.visit(node.test)
            return pl.when(cond).then(self.visit(node.body)).when(~cond).then(self.visit(node.orelse))
        raise FormulaError(f"formula {self.text!r}: {type(node).__name__} is not allowed")

    def _compare(self, node: ast.Compare) -> pl.Expr:
        out: pl.Expr | None = None
        left = node.left
        for op, right in zip(node.ops, node.comparators):
            if isinstance(op, (ast.In, ast.NotIn)):
                if not isinstance(right, (ast.Tuple, ast.List)) or not all(isinstance(e, ast.Constant)
                                                                          for e in right.elts):
                    raise FormulaError(f"formula {self.text!r}: 'in' needs a list of constants")
                e = self.visit(left).is_in([c.value for c in right.elts])  # type: ignore[attr-defined]
                e = ~e if isinstance(op, ast.NotIn) else e
            else:
                sym = _OPS[type(op)]
                exact = self._exact(left, sym, right)
                if exact is None:
                    a, b = self.visit(left), self.visit(right)
                    exact = {">=": a >= b, ">": a > b, "<=": a <= b, "<": a < b, "==": a == b, "!=": a != b}[sym]
                e = exact
            out = e if out is None else out & e
            left = right
        assert out is not None
        return out

    def _exact(self, left: ast.expr, sym: str, right: ast.expr) -> pl.Expr | None:
        def is_num(n: ast.expr) -> bool:
            return isinstance(n, ast.Constant) and isinstance(n.value, (int, float)) and not isinstance(n.value, bool)

        if is_num(right) and (parts := ratio_parts(left)) is not None:
            num, den, off = parts
            return exact_ratio_compare(self.visit(num), self.visit(den), sym, fraction(right.value) - off)  # type: ignore[attr-defined]
        if is_num(left) and (parts := ratio_parts(right)) is not None:
            num, den, off = parts
            return exact_ratio_compare(self.visit(num), self.visit(den), _FLIP[sym], fraction(left.value) - off)  # type: ignore[attr-defined]
        return None

    def _call(self, node: ast.Call) -> pl.Expr:
        name = node.func.id  # type: ignore[attr-defined]
        args = [self.visit(a) for a in node.args]
        if not args:
            raise FormulaError(f"formula {self.text!r}: {name}() needs an argument")
        if name == "min":
            return pl.min_horizontal(args) if len(args) > 1 else args[0]
        if name == "max":
            return pl.max_horizontal(args) if len(args) > 1 else args[0]
        if name == "abs":
            return args[0].abs()
        if name == "coalesce":
            return pl.coalesce(args)
        # years_since(date): whole calendar years completed from the date to as_of
        d, a = args[0], self.as_of
        before = (a.dt.month() * 100 + a.dt.day()) < (d.dt.month() * 100 + d.dt.day())
        return (a.dt.year() - d.dt.year() - before.cast(pl.Int32)).cast(pl.Int32)
