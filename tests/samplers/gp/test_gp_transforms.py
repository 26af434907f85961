"""Robust output transform and Yeo-Johnson."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from hyperscout.samplers.gp.transforms import robust_transform, yeo_johnson, yeo_johnson_lambda


@pytest.mark.parametrize("lam", [-2.0, -0.5, 0.0, 0.35, 1.0, 2.0])
def test_yeo_johnson_matches_scipy(lam: float) -> None:
    x = np.random.default_rng(0).standard_cauchy(50)
    np.testing.assert_allclose(yeo_johnson(x, lam), stats.yeojohnson(x, lmbda=lam), rtol=1e-10)


def test_lambda_is_near_scipy_maximum_likelihood() -> None:
    rng = np.random.default_rng(1)
    for x in (rng.lognormal(size=200), rng.normal(size=200), rng.gamma(2.0, size=300)):
        assert abs(yeo_johnson_lambda(x) - stats.yeojohnson_normmax(x)) <= 0.05


def test_transform_is_monotone_and_standardised() -> None:
    y = np.random.default_rng(2).lognormal(0, 2, 100)
    z = robust_transform(y)
    order = np.argsort(y)
    assert np.all(np.diff(z[order]) > 0)
    assert z.mean() == pytest.approx(0.0, abs=1e-12)
    assert z.std() == pytest.approx(1.0)
    # the heavy right tail is compressed: near-normal skewness after the transform
    assert abs(stats.skew(z)) < 0.5 < stats.skew(y)


def test_extreme_bad_values_are_squashed_but_keep_their_rank() -> None:
    y = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 1e12])
    z = robust_transform(y)
    assert np.argmax(z) == 6
    assert np.all(np.diff(z) > 0)
    # the good values keep a spread comparable to the outlier's distance
    assert (z[5] - z[0]) > 0.3 * (z[6] - z[5])


def test_degenerate_inputs() -> None:
    np.testing.assert_array_equal(robust_transform(np.full(5, 3.0)), np.zeros(5))
    assert robust_transform(np.array([])).shape == (0,)
    z = robust_transform(np.array([1.0, 1.0, 1.0, 1.0, 5.0]))
    assert z[4] > z[0] and z[0] == z[1]
    with pytest.raises(ValueError, match="NaN or inf"):
        robust_transform(np.array([1.0, np.nan]))
    with pytest.raises(ValueError, match="1-d array"):
        robust_transform(np.ones((2, 2)))
