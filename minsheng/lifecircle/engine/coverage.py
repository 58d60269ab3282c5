"""Coverage: which compounds are within each category's walking distance, and the figures per
community, street or district. Pure functions over arrays.

A compound is covered for a category when its network distance (metres, `Access.distance_m`) is
at most the category's distance; unknown (nan) and out-of-reach (inf) distances are not covered.
A compound is covered at a level (5/10/15 minutes) when every required category of that level
covers it (`level_covered`, the one statement of this rule: the pages, the indicator source in
minsheng/indicators/sources.py and the analyst command all follow it) — the levels are not
inclusive (GB 50180-2018 条文说明): a 15-minute facility does not stand in for a 5-minute one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from .errors import EngineError

__all__ = ["GroupCoverage", "category_gaps", "covered", "gaps", "group_coverage",
           "level_covered", "level_satisfied"]

BoolArray = NDArray[np.bool_]
FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def covered(distance_m: ArrayLike, threshold_m: ArrayLike) -> BoolArray:
    """Covered flags: distance_m (n_compounds, n_categories) <= threshold_m (n_categories,).

    >>> covered([[250.0, 600.0], [np.inf, np.nan]], [300, 500]).tolist()
    [[True, False], [False, False]]
    """
    d = np.asarray(distance_m, dtype=np.float64)
    t = np.asarray(threshold_m, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return d <= t


def level_covered(covered_flags: ArrayLike, category_level: ArrayLike, required: ArrayLike,
                  level: int) -> BoolArray:
    """Per compound: covered at `level` (5, 10 or 15), i.e. every required category of that level
    is within its walking distance. A level without a required category leaves nothing missing,
    so it covers every compound.

    >>> level_covered([[True, False, True], [True, True, False]], [5, 5, 5],
    ...               [True, False, True], 5).tolist()
    [True, False]
    >>> level_covered([[False]], [5], [False], 5).tolist()
    [True]
    """
    c = np.asarray(covered_flags, dtype=bool)
    cols = (np.asarray(category_level) == level) & np.asarray(required, dtype=bool)
    return c[:, cols].all(axis=1)


def level_satisfied(covered_flags: ArrayLike, category_level: ArrayLike, level: int) -> BoolArray:
    """Per compound: every category of `level` (5, 10 or 15) covers it (`level_covered` with every
    category required); a level without any category is an error.

    >>> level_satisfied([[True, False, True]], [5, 10, 5], 5).tolist()
    [True]
    """
    c = np.asarray(covered_flags, dtype=bool)
    lv = np.asarray(category_level)
    if not (lv == level).any():
        raise EngineError(f"没有属于 {level} 分钟层级的设施类别")
    return level_covered(c, lv, np.ones(len(lv), dtype=bool), level)


@dataclass(frozen=True)
class GroupCoverage:
    """Figures per group (community, street …): compounds and population, total and covered
    per column (category, level, or a single overall column)."""

    compounds: IntArray  # (n_groups,)
    population: FloatArray  # (n_groups,)
    compounds_covered: IntArray  # (n_groups, n_columns)
    population_covered: FloatArray  # (n_groups, n_columns)

    def compound_rate(self) -> FloatArray:
        """Share of compounds covered, 0..1 (nan for a group without compounds)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.compounds_covered / self.compounds[:, None]

    def population_rate(self) -> FloatArray:
        """Share of population covered, 0..1 (nan for a group without population)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.population_covered / self.population[:, None]


def group_coverage(covered_flags: ArrayLike, group: ArrayLike,
                   population: ArrayLike | None = None, n_groups: int | None = None
                   ) -> GroupCoverage:
    """Sum coverage per group. `group[i]` is compound i's group number (0..n_groups-1; -1 = in
    no group, left out); `covered_flags` is (n_compounds,) or (n_compounds, n_columns).

    >>> g = group_coverage([[True], [False], [True]], [0, 0, 1], [100, 50, 10])
    >>> g.compounds.tolist(), g.compounds_covered.tolist(), g.population_rate().round(2).tolist()
    ([2, 1], [[1], [1]], [[0.67], [1.0]])
    """
    c = np.asarray(covered_flags, dtype=bool)
    if c.ndim == 1:
        c = c[:, None]
    grp = np.asarray(group, dtype=np.int64)
    n = c.shape[0]
    if grp.shape != (n,):
        raise EngineError("分组编号的个数与小区个数不一致")
    pop = np.zeros(n) if population is None else np.asarray(population, dtype=np.float64)
    if pop.shape != (n,):
        raise EngineError("人口的个数与小区个数不一致")
    ng = int(grp.max()) + 1 if n_groups is None and n else int(n_groups or 0)
    inside = grp >= 0
    m = sp.csr_matrix((np.ones(int(inside.sum())), (grp[inside], np.flatnonzero(inside))),
                      shape=(ng, n))
    cf = c.astype(np.float64)
    return GroupCoverage(
        compounds=np.bincount(grp[inside], minlength=ng).astype(np.int64),
        population=np.bincount(grp[inside], weights=pop[inside], minlength=ng),
        compounds_covered=np.rint(m @ cf).astype(np.int64),
        population_covered=m @ (cf * pop[:, None]))


def gaps(covered_flags: ArrayLike, population: ArrayLike) -> tuple[IntArray, IntArray]:
    """The gaps, largest population first: (compound index, category column) of every
    uncovered pair, ordered by the compound's population (then compound, then column).

    >>> [a.tolist() for a in gaps([[True, False], [False, False]], [10, 200])]
    [[1, 1, 0], [0, 1, 1]]
    """
    c = np.asarray(covered_flags, dtype=bool)
    pop = np.asarray(population, dtype=np.float64)
    comp, col = np.nonzero(~c)
    order = np.lexsort((col, comp, -pop[comp]))
    return comp[order].astype(np.int64), col[order].astype(np.int64)


def category_gaps(covered_flags: ArrayLike, population: ArrayLike) -> tuple[IntArray, FloatArray]:
    """Per category: the number of uncovered compounds and the population living in them.

    >>> n, p = category_gaps([[True, False], [False, False]], [10, 200])
    >>> n.tolist(), p.tolist()
    ([1, 2], [200.0, 210.0])
    """
    un = ~np.asarray(covered_flags, dtype=bool)
    pop = np.asarray(population, dtype=np.float64)
    return un.sum(axis=0).astype(np.int64), pop @ un
