"""Coverage flags, levels, per-group figures and gaps."""

from __future__ import annotations

import numpy as np
import pytest

from minsheng.lifecircle.engine import (
    EngineError,
    category_gaps,
    covered,
    gaps,
    group_coverage,
    level_satisfied,
)


def test_covered_uses_each_categorys_distance_and_treats_nan_and_inf_as_uncovered() -> None:
    d = np.array([[300.0, 500.0, 1000.0], [300.01, np.inf, np.nan]])
    assert covered(d, [300, 500, 1000]).tolist() == [[True, True, True], [False, False, False]]


def test_levels_are_not_inclusive() -> None:
    flags = np.array([[True, True, False], [True, False, True]])
    levels = [5, 5, 15]
    assert level_satisfied(flags, levels, 5).tolist() == [True, False]
    assert level_satisfied(flags, levels, 15).tolist() == [False, True]
    with pytest.raises(EngineError, match="10 分钟"):
        level_satisfied(flags, levels, 10)


def test_group_figures_by_hand() -> None:
    flags = np.array([[True, False], [True, True], [False, False], [True, True]])
    pop = np.array([1000, 500, 200, 300])
    g = group_coverage(flags, [0, 0, 1, -1], pop, n_groups=3)  # last: in no group
    assert g.compounds.tolist() == [2, 1, 0]
    assert g.population.tolist() == [1500, 200, 0]
    assert g.compounds_covered.tolist() == [[2, 1], [0, 0], [0, 0]]
    assert g.population_covered.tolist() == [[1500, 500], [0, 0], [0, 0]]
    rate = g.population_rate()
    assert rate[0].tolist() == [1.0, 500 / 1500] and np.isnan(rate[2]).all()
    overall = group_coverage(flags.all(axis=1), np.zeros(4, int), pop)
    assert overall.compound_rate().tolist() == [[0.5]]
    with pytest.raises(EngineError):
        group_coverage(flags, [0, 0], pop)


def test_gaps_are_ranked_by_population() -> None:
    flags = np.array([[True, False], [False, False], [True, True]])
    comp, col = gaps(flags, [100, 900, 50])
    assert list(zip(comp.tolist(), col.tolist(), strict=True)) == [(1, 0), (1, 1), (0, 1)]
    n, p = category_gaps(flags, [100, 900, 50])
    assert n.tolist() == [1, 2] and p.tolist() == [900, 1000]
