"""Kernel math against independent direct computations and finite differences."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hyperscout.samplers.gp.kernels import (
    WARP_EPS,
    KernelSpec,
    cross_kernel_grad_x,
    features,
    kernel_matrix,
    kernel_matrix_grad,
    kumaraswamy,
    matern52,
)

# columns: two numeric params, one categorical with 3 choices (one-hot), one more numeric
GROUPS = [0, 1, 2, 2, 2, 3]
ONEHOT = [False, False, True, True, True, False]


def _data(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    X = rng.random((n, len(GROUPS)))
    X[:, 2:5] = 0.0
    X[np.arange(n), 2 + rng.integers(3, size=n)] = 1.0
    return X


def _direct_kernel(x1, x2, ls, sf2, a, b, warp):
    """k(x1, x2) written out term by term, with the categorical as a Hamming distance."""
    def phi(v, j):
        s = WARP_EPS + (1 - 2 * WARP_EPS) * v
        return 1 - (1 - s ** a[j]) ** b[j]

    r2 = 0.0
    wi = 0
    for c, g in enumerate(GROUPS):
        if ONEHOT[c]:
            continue
        if warp:
            u, v = phi(x1[c], wi), phi(x2[c], wi)
            wi += 1
        else:
            u, v = x1[c], x2[c]
        r2 += (u - v) ** 2 / ls[g] ** 2
    cat1, cat2 = int(np.argmax(x1[2:5])), int(np.argmax(x2[2:5]))
    r2 += (cat1 != cat2) / ls[2] ** 2
    r = math.sqrt(5 * r2)
    return sf2 * (1 + r + 5 * r2 / 3) * math.exp(-r)


@pytest.mark.parametrize("warp", [False, True])
def test_kernel_matrix_matches_direct_computation(warp: bool) -> None:
    spec = KernelSpec.build(GROUPS, ONEHOT, warping=warp)
    rng = np.random.default_rng(1)
    theta = rng.normal(0, 0.5, spec.n_params)
    log_ls, log_sf2, log_a, log_b = spec.unpack(theta)
    X1, X2 = _data(7, 2), _data(5, 3)
    K = kernel_matrix(spec, theta, X1, X2)
    ls, a, b = np.exp(log_ls), np.exp(log_a), np.exp(log_b)
    direct = np.array([[_direct_kernel(x1, x2, ls, math.exp(log_sf2), a, b, warp) for x2 in X2]
                       for x1 in X1])
    np.testing.assert_allclose(K, direct, rtol=1e-10, atol=1e-12)
    # the symmetric form has the output scale on its diagonal and is positive definite
    Kxx = kernel_matrix(spec, theta, X1)
    np.testing.assert_allclose(np.diag(Kxx), math.exp(log_sf2))
    assert np.linalg.eigvalsh(Kxx).min() > 0


def test_matern52_value_and_derivative() -> None:
    r2 = np.array([0.0, 0.01, 0.3, 2.0, 50.0])
    k, dk = matern52(r2)
    r = np.sqrt(5 * r2)
    np.testing.assert_allclose(k, (1 + r + 5 * r2 / 3) * np.exp(-r))
    eps = 1e-7
    fd = (matern52(r2 + eps)[0] - matern52(np.maximum(r2 - eps, 0))[0]) / (
        r2 + eps - np.maximum(r2 - eps, 0))
    np.testing.assert_allclose(dk, fd, rtol=1e-5, atol=1e-7)
    assert dk[0] == pytest.approx(-5 / 6)


def test_kumaraswamy_identity_and_derivatives() -> None:
    x = np.linspace(0, 1, 11)[:, None]
    phi, *_ = kumaraswamy(x, np.zeros(1), np.zeros(1))
    np.testing.assert_allclose(phi[:, 0], WARP_EPS + (1 - 2 * WARP_EPS) * x[:, 0], atol=1e-15)
    x = np.array([[0.05, 0.5], [0.3, 0.9], [0.7, 0.2]])
    la, lb = np.array([0.4, -0.3]), np.array([-0.5, 0.6])
    phi, da, db, dx = kumaraswamy(x, la, lb)
    assert np.all((phi > 0) & (phi < 1))
    eps = 1e-6
    for j in range(2):
        e = np.zeros(2)
        e[j] = eps
        np.testing.assert_allclose(
            da[:, j], (kumaraswamy(x, la + e, lb)[0] - kumaraswamy(x, la - e, lb)[0])[:, j]
            / (2 * eps), rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(
            db[:, j], (kumaraswamy(x, la, lb + e)[0] - kumaraswamy(x, la, lb - e)[0])[:, j]
            / (2 * eps), rtol=1e-6, atol=1e-9)
    fdx = (kumaraswamy(x + eps, la, lb)[0] - kumaraswamy(x - eps, la, lb)[0]) / (2 * eps)
    np.testing.assert_allclose(dx, fdx, rtol=1e-6)


@pytest.mark.parametrize("warp", [False, True])
def test_kernel_gradients_match_finite_differences(warp: bool) -> None:
    spec = KernelSpec.build(GROUPS, ONEHOT, warping=warp)
    theta = np.random.default_rng(4).normal(0, 0.5, spec.n_params)
    X = _data(9, 5)
    K, dK = kernel_matrix_grad(spec, theta, X)
    np.testing.assert_allclose(K, kernel_matrix(spec, theta, X), atol=1e-14)
    eps = 1e-6
    for p in range(spec.n_params):
        e = np.zeros_like(theta)
        e[p] = eps
        fd = (kernel_matrix(spec, theta + e, X) - kernel_matrix(spec, theta - e, X)) / (2 * eps)
        np.testing.assert_allclose(dK[..., p], fd, atol=1e-8, err_msg=f"parameter {p}")


def test_cross_kernel_input_gradient() -> None:
    spec = KernelSpec.build(GROUPS, ONEHOT, warping=True)
    theta = np.random.default_rng(6).normal(0, 0.4, spec.n_params)
    Xt = _data(6, 7)
    Ft = features(spec, theta, Xt).phi
    x = _data(3, 8)
    k, dk, phix, c = cross_kernel_grad_x(spec, theta, x, Ft)
    np.testing.assert_allclose(k, kernel_matrix(spec, theta, x, Xt), atol=1e-14)
    eps = 1e-6
    for col in (0, 1, 5):  # numeric columns
        grad = dk * c[:, [col]] * (phix[:, [col]] - Ft[None, :, col])
        e = np.zeros(x.shape[1])
        e[col] = eps
        fd = (kernel_matrix(spec, theta, x + e, Xt) - kernel_matrix(spec, theta, x - e, Xt)) / (
            2 * eps)
        np.testing.assert_allclose(grad, fd, atol=1e-8)


def test_spec_layout_and_errors() -> None:
    spec = KernelSpec.build(GROUPS, ONEHOT, warping=True)
    assert (spec.n_groups, spec.n_warped, spec.n_params, spec.d) == (4, 3, 4 + 1 + 6, 6)
    np.testing.assert_array_equal(spec.weights, [1, 1, 0.5, 0.5, 0.5, 1])
    assert KernelSpec.build(GROUPS, ONEHOT, warping=False).n_warped == 0
    with pytest.raises(ValueError, match="without gaps"):
        KernelSpec.build([0, 2], [False, False], warping=False)
    with pytest.raises(ValueError, match="must be 1-d and equal"):
        KernelSpec.build([0, 1], [False], warping=False)
    with pytest.raises(ValueError, match=r"needs \(11,\)"):
        spec.unpack(np.zeros(3))
