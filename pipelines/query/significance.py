"""What counts as 'beyond noise': the tests of a difference between two groups and the
control of false discoveries across everything one view compares. Group-level numbers in,
group-level numbers out; the formulas are in METHOD.md.

* A difference of two group means (a change since the previous wave, a partner against the
  other partners) is tested with Welch's t from each group's standard error and n
  (scipy ``ttest_ind_from_stats``, unequal variances); its interval uses the same
  Welch-Satterthwaite degrees of freedom.
* Every family of comparisons (all the changes into one wave; all the survey-versus-evidence
  comparisons of one wave) is held to a false discovery rate of ``FDR_Q`` with the
  Benjamini-Hochberg procedure (statsmodels ``multipletests``): on average at most 5% of what
  is flagged is noise, however many groups the programme has.
"""
from __future__ import annotations

import numpy as np

FDR_Q = 0.05   # the false discovery rate every flag is held to
LEVEL = 0.95   # intervals shown beside a flagged difference


def welch(difference, se1, n1, se2, n2) -> tuple[np.ndarray, np.ndarray]:
    """Two-sided p-value and degrees of freedom of ``difference`` = mean1 - mean2 for two
    independent groups given their standard errors and sizes. Two groups without spread give
    p = 0 for a non-zero difference and 1 for none; a group of one gives NaN (untestable)."""
    from scipy import stats  # scipy and statsmodels load on the first test, not on import

    d, s1, s2 = (np.asarray(v, dtype="float64") for v in (difference, se1, se2))
    m1, m2 = (np.asarray(v, dtype="float64") for v in (n1, n2))
    with np.errstate(divide="ignore", invalid="ignore"):
        p = stats.ttest_ind_from_stats(d, s1 * np.sqrt(m1), m1, np.zeros_like(d),
                                       s2 * np.sqrt(m2), m2, equal_var=False).pvalue
        # ttest_ind_from_stats does not return its degrees of freedom; the interval needs
        # them, so the same Welch-Satterthwaite formula it uses internally
        v1, v2 = s1 ** 2, s2 ** 2
        df = (v1 + v2) ** 2 / (v1 ** 2 / (m1 - 1) + v2 ** 2 / (m2 - 1))
    p = np.asarray(p, dtype="float64")
    testable = (m1 >= 2) & (m2 >= 2) & np.isfinite(d) & np.isfinite(s1) & np.isfinite(s2)
    exact = testable & (v1 + v2 == 0)
    p = np.where(exact, np.where(d != 0, 0.0, 1.0), p)
    df = np.where(exact, np.inf, df)
    return np.where(testable, p, np.nan), np.where(testable, df, np.nan)


def interval(difference, se1, se2, df, level: float = LEVEL) -> tuple[np.ndarray, np.ndarray]:
    """``level`` interval of a Welch difference: difference +/- t(df) * sqrt(se1^2 + se2^2)."""
    from scipy import stats

    d = np.asarray(difference, dtype="float64")
    half = stats.t.ppf(0.5 + level / 2, np.asarray(df, dtype="float64")) * np.sqrt(
        np.asarray(se1, dtype="float64") ** 2 + np.asarray(se2, dtype="float64") ** 2)
    return d - half, d + half


def fdr(p_values, q: float = FDR_Q) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values of one family; an untestable (NaN) member is not
    part of the family and stays NaN. A member is flagged when its adjusted p <= ``q``."""
    from statsmodels.stats.multitest import multipletests

    p = np.asarray(p_values, dtype="float64")
    out = np.full(p.shape, np.nan)
    tested = ~np.isnan(p)
    if tested.any():
        out[tested] = multipletests(p[tested], alpha=q, method="fdr_bh")[1]
    return out


def flagged(p_adjusted, q: float = FDR_Q) -> np.ndarray:
    """The one rule for 'beyond noise': adjusted p at or below ``q`` (False when untested)."""
    p = np.asarray(p_adjusted, dtype="float64")
    return ~np.isnan(p) & (p <= q)


def p_text(value) -> str:
    """A p-value as notes write it: three decimals, '< 0.001' below that."""
    if value is None or value != value:
        return "–"
    return "< 0.001" if value < 0.001 else f"{value:.3f}"
