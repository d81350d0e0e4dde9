"""METHOD.md states the rules the code runs: each indicator's words as INDICATORS has them,
and the thresholds as the modules define them."""
from __future__ import annotations

from pathlib import Path

from pipelines.query import evidence, reliability, significance, whatif

METHOD = (Path(__file__).resolve().parent.parent / "METHOD.md").read_text()


def test_every_indicator_is_described_in_its_own_words():
    for indicator in evidence.INDICATORS:
        assert f"(`{indicator.name}`)" in METHOD
        assert f"- Measures: {indicator.measures}\n" in METHOD, indicator.name
        assert f"- Why: {indicator.why}\n" in METHOD, indicator.name


def test_thresholds_are_the_codes():
    assert significance.FDR_Q == 0.05 and "q = 0.05" in METHOD
    assert evidence.MIN_EVENTS == 10 and evidence.MAX_POOLED == 4
    assert "`MIN_EVENTS = 10`, `MAX_POOLED = 4`" in METHOD
    assert reliability.ALPHA_FLOOR == 0.7 and reliability.MIN_ITEMS == 3
    assert "**below 0.7** (`ALPHA_FLOOR`)" in METHOD
    assert (whatif.MIN_TRAINING_WAVES, whatif.BEATS_NAIVE_P, whatif.MIN_HELD_BACK) == (3, 0.05, 10)
    assert (whatif.MIN_PARTNER_WAVES, whatif.MIN_PARTNERS) == (12, 3)
    assert "12 partner-waves with shown scores and a following period, from 3" in METHOD
    assert f"than {evidence.AGEING_DAYS} days before it" in METHOD
    for status in whatif.Status:
        assert f"**{status.value}**" in METHOD
