"""Property-service evaluation (考评体系) as arithmetic: item values in, a scorecard out.

No Django here (like lifecircle/engine): services.py measures each item from the records and
this module turns the measures into points, a total and a grade, so the CLI, the pages and the
tests agree on one rule.

Rules
- Every item has a weight (points) and a measured value on a 0–100 scale, or None when it could
  not be measured (样本不足: fewer cases than the minimum sample, no inspection, no survey answer).
- An item's points = weight × value / 100, rounded to 0.1.
- An item without a value is not scored zero: it is left out, and the total is the points earned
  over the weights that were scored, scaled back to 100. A company with no scored item has no
  total and no grade.
- The grade is the first band (highest minimum first) whose minimum the total reaches.

>>> items = [Item("a", "按时办结率", 60, 80.0), Item("b", "检查", 40, None)]
>>> card = score(items, [("优秀", 90), ("良好", 80), ("合格", 60), ("不合格", 0)])
>>> card.total, card.grade, card.items[1].status
(80.0, '良好', '样本不足')
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

__all__ = ["Item", "ScoredItem", "Card", "score", "grade_of", "INSUFFICIENT", "SCORED"]

INSUFFICIENT = "样本不足"
SCORED = "已评分"


@dataclass(frozen=True)
class Item:
    code: str
    name: str
    weight: float
    value: float | None  # 0–100, None = not measurable
    evidence: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ScoredItem:
    code: str
    name: str
    weight: float
    value: float | None
    points: float | None
    status: str
    evidence: dict


@dataclass(frozen=True)
class Card:
    items: tuple[ScoredItem, ...]
    total: float | None
    grade: str


def grade_of(total: float | None, bands: Iterable[tuple[str, float]]) -> str:
    """The first band, highest minimum first, that `total` reaches ('' without a total)."""
    if total is None:
        return ""
    for name, minimum in sorted(bands, key=lambda b: -b[1]):
        if total >= minimum:
            return name
    return ""


def score(items: Sequence[Item], bands: Iterable[tuple[str, float]]) -> Card:
    if any(i.weight < 0 for i in items):
        raise ValueError("权重不能为负数")
    out, earned, weighed = [], 0.0, 0.0
    for i in items:
        if i.value is None:
            out.append(ScoredItem(i.code, i.name, i.weight, None, None, INSUFFICIENT, i.evidence))
            continue
        value = min(100.0, max(0.0, float(i.value)))
        points = i.weight * value / 100
        earned += points
        weighed += i.weight
        out.append(ScoredItem(i.code, i.name, i.weight, round(value, 1), round(points, 1),
                              SCORED, i.evidence))
    total = round(100 * earned / weighed, 1) if weighed else None
    return Card(tuple(out), total, grade_of(total, bands))
