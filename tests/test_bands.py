"""The band a score may be given, with its interval: one rule (factors.band_label)."""
from __future__ import annotations

import numpy as np

from pipelines.programme.factors import band_label, band_labels

T = (50.0, 70.0)


def test_interval_inside_one_band_gets_that_band():
    assert band_label(80.0, 72.0, 88.0, T) == "collaborating"
    assert band_label(60.0, 52.5, 67.5, T) == "transitioning"
    assert band_label(30.0, 10.0, 49.9, T) == "cooperating"


def test_interval_across_a_threshold_names_both_bands():
    assert band_label(72.0, 65.0, 79.0, T) == "between transitioning and collaborating"
    assert band_label(51.0, 44.0, 58.0, T) == "between cooperating and transitioning"
    assert band_label(60.0, 30.0, 90.0, T) == "between cooperating and collaborating"


def test_a_bound_on_a_threshold_belongs_to_the_higher_band():
    assert band_label(60.0, 50.0, 69.9, T) == "transitioning"
    assert band_label(60.0, 49.99, 70.0, T) == "between cooperating and collaborating"


def test_no_interval_falls_back_to_the_score_and_no_score_has_no_label():
    assert band_label(75.0, None, None, T) == "collaborating"
    assert band_label(75.0, float("nan"), float("nan"), T) == "collaborating"
    assert band_label(None, 1.0, 2.0, T) is None
    assert band_label(float("nan"), 1.0, 2.0, T) is None


def test_vectorised_labels_match_one_by_one():
    scores = np.array([80.0, 51.0, np.nan, 30.0])
    lows = np.array([72.0, 44.0, np.nan, 20.0])
    highs = np.array([88.0, 58.0, np.nan, 40.0])
    assert list(band_labels(scores, lows, highs, (50, 70))) == [
        "collaborating", "between cooperating and transitioning", None, "cooperating"]


def test_other_thresholds():
    assert band_label(45.0, 41.0, 49.0, (40.0, 60.0)) == "transitioning"
    assert band_label(45.0, 38.0, 49.0, (40.0, 60.0)) == "between cooperating and transitioning"


def test_a_weighted_mean_on_a_threshold_is_in_the_higher_band():
    # Zed's five factor scores 75, 100, 25/3, 175/3, 25/3 with weights 0.2 each: an index of 50 by
    # its arithmetic, 49.99999999999999 in floating point
    index = sum(0.2 * s for s in (75.0, 100.0, 25 / 3, 175 / 3, 25 / 3))
    assert index != 50.0
    assert band_label(index, None, None, T) == "transitioning"
    assert band_label(69.99999999999999, None, None, T) == "collaborating"
    assert band_label(49.9999, None, None, T) == "cooperating"
