"""survival.medians: the same Kaplan-Meier median and interval as statsmodels, group by group."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from statsmodels.duration.survfunc import SurvfuncRight

from pipelines.query import survival


def statsmodels_median(days, ended):
    if not np.asarray(ended).any():
        return np.nan, np.nan, np.nan
    fit = SurvfuncRight(np.asarray(days, float), np.asarray(ended, float))
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")  # log(-log S) at S = 1 or 0 inside statsmodels
        low, high = fit.quantile_ci(0.5)
    return fit.quantile(0.5), low, high


@pytest.mark.parametrize("seed", range(6))
def test_matches_statsmodels_on_random_groups(seed):
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 40, 120)
    groups = np.repeat(np.arange(len(sizes)), sizes)
    days = rng.integers(0, 60, len(groups)).astype(float)   # many ties
    ended = rng.random(len(groups)) < rng.uniform(0.2, 1.0, len(sizes))[groups]
    shuffle = rng.permutation(len(groups))
    median, low, high = survival.medians(groups[shuffle], days[shuffle], ended[shuffle],
                                         len(sizes))
    for j in range(len(sizes)):
        mine = groups == j
        expected = statsmodels_median(days[mine], ended[mine])
        np.testing.assert_array_equal([median[j], low[j], high[j]], expected, err_msg=str(j))


def test_a_small_example_by_hand():
    """4 and 10 days resolved, one open at 21: S(4) = 2/3, S(10) = 1/3 -> median 10.
    16 resolved, 86 open: S(16) = 1/2, not below a half -> not reached."""
    median, _, _ = survival.medians(np.array([0, 0, 0, 1, 1]),
                                    np.array([4.0, 10.0, 21.0, 16.0, 86.0]),
                                    np.array([True, True, False, True, False]), 3)
    assert median[0] == 10.0 and np.isnan(median[1]) and np.isnan(median[2])


def test_nothing_ended():
    median, low, high = survival.medians(np.array([0, 0]), np.array([3.0, 4.0]),
                                         np.array([False, False]), 1)
    assert np.isnan(median).all() and np.isnan(low).all() and np.isnan(high).all()
