"""Indicator formulas: arithmetic over data-element codes, parsed once and evaluated safely.

A formula is what a district's statistician writes in the back office, e.g.
``cases_on_time`` or ``compounds_total - compounds_unmanaged`` or ``air_good_days / DAYS``.
Allowed: data-element codes, numbers, + - * /, parentheses and unary minus; the name ``DAYS`` is
the number of days in the period. Anything else (calls, attributes, comparisons) is refused with a
message saying what. Pure Python, no Django: the engine and the validation rules use it.
"""

from __future__ import annotations

import ast
from decimal import Decimal, DivisionByZero, InvalidOperation
from functools import lru_cache

SPECIAL = {"DAYS"}


class FormulaError(ValueError):
    pass


_OPS = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
        ast.Mult: lambda a, b: a * b, ast.Div: lambda a, b: a / b}


@lru_cache(maxsize=1024)
def parse(text: str) -> ast.Expression:
    text = (text or "").strip()
    if not text:
        raise FormulaError("公式为空")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise FormulaError(f"公式“{text}”有语法错误：{exc.msg}") from exc
    for node in ast.walk(tree):
        if isinstance(node, (ast.Expression, ast.Name, ast.Load, ast.BinOp, ast.UnaryOp,
                             ast.USub, ast.UAdd, *_OPS)):
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) \
                and not isinstance(node.value, bool):
            continue
        raise FormulaError(f"公式“{text}”只能包含数据项代码、数字、+ - * / 和括号")
    return tree


def names(text: str) -> set[str]:
    """The data-element codes a formula uses."""
    return {n.id for n in ast.walk(parse(text)) if isinstance(n, ast.Name)} - SPECIAL


def evaluate(text: str, values: dict[str, Decimal | None], *, days: int | None = None
             ) -> Decimal | None:
    """The formula's value, or None when a value it needs is missing or it divides by zero."""
    tree = parse(text)

    def ev(node) -> Decimal | None:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant):
            return Decimal(str(node.value))
        if isinstance(node, ast.Name):
            if node.id == "DAYS":
                return Decimal(days) if days is not None else None
            v = values.get(node.id)
            return None if v is None else Decimal(v)
        if isinstance(node, ast.UnaryOp):
            v = ev(node.operand)
            return None if v is None else (-v if isinstance(node.op, ast.USub) else v)
        a, b = ev(node.left), ev(node.right)
        if a is None or b is None:
            return None
        try:
            return _OPS[type(node.op)](a, b)
        except (DivisionByZero, InvalidOperation, ZeroDivisionError):
            return None

    return ev(tree)
