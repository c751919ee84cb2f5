"""The quantile the decline detector takes at every day's end is numpy's, to the last bit."""

from __future__ import annotations

import random

import pytest

from models.stats import linear_quantile, quantile


@pytest.mark.parametrize("seed", range(4))
def test_linear_quantile_is_numpys_to_the_bit(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(5_000):
        n = rng.randint(1, 120)
        if rng.random() < 0.5:
            values = [round(rng.uniform(5, 1800), 1) for _ in range(n)]  # re-trigger gaps, as the tracker keeps them
        else:
            values = [rng.choice([30.0, 60.5, 120.1, 240.0]) for _ in range(n)]  # ties
        q = rng.choice([0.0, 0.05, 0.5, 0.9, 0.95, 0.99, 1.0, rng.random()])
        assert linear_quantile(values, q) == quantile(values, q, 0.0), (values, q)
