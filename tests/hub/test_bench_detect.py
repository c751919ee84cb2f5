"""`hub bench detect` works: every figure comes from homes that were really scored and rows that were really
written and read back through the live service. No timing is asserted."""

from __future__ import annotations

import os

import pytest

from hub.bench_detect import bench_detect
from tests.support.services import DEFAULT_ADMIN_URL

pytestmark = pytest.mark.integration


def test_bench_detect_scores_every_home_and_reads_back_exactly_what_was_written(database_url) -> None:
    lines: list[str] = []
    result = bench_detect(os.environ.get("TEST_DATABASE_URL", DEFAULT_ADMIN_URL), 8, residents=3, passes=2,
                          retrain=2, workers=2, progress=lines.append)
    # The first pass finds every home; each timed pass scores every home that had news, and feeds each
    # scorer exactly the rows stored for it (none twice, though each pass re-reads the last 30 s).
    assert result["first_pass"]["homes"] == 8
    assert result["homes_scored"] == result["homes_with_news"] and sum(result["homes_scored"]) > 8
    assert result["readings"] == result["rows_written"] and all(n > 0 for n in result["readings"])
    assert len(result["score_passes_s"]) == 2 and result["score_s"] in result["score_passes_s"]
    assert set(result["score_parts_s"]) == {"read", "warmup", "write", "score"}
    assert result["retrain_homes"] == 2 and result["retrain_per_home_ms"] > 0
    assert result["rss_per_home_kb"] > 0 and result["peak_rss_mb"]["scoring"] > result["peak_rss_mb"][
        "scoring_before_scorers"]
    assert len(result["peak_rss_mb"]["retrain_workers"]) >= 1
    assert any("first pass" in line for line in lines)
    # Both retrained homes' new baselines reached their scorers while every home went on being scored.
    assert (result["retrain_baselines_swapped"], result["retrain_failed"]) == (2, 0)
    assert all(n == 8 for n in result["homes_scored_while_retraining"])
    # A start-up scored every home once, each warmed up from the days the scoring process stored.
    assert result["day_summaries_stored"] >= 8 * 30
    assert (result["startup"]["homes"], result["startup"]["from_summaries"], result["startup"]["from_events"]) == (
        8, 8, 0)
    assert result["warmup_homes_measured"] == 2
    assert 0 < result["warmup_readings_from_summaries_per_home"] < result["warmup_readings_from_events_per_home"]
