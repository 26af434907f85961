"""Matérn-5/2 ARD kernel with Kumaraswamy input warping, as small pure numpy functions.

Inputs are rows of :class:`~hyperscout.space.codec.SpaceCodec` with ``onehot=True``: numeric
parameters in ``[0, 1]`` (log scales already applied by the codec), categoricals as one-hot
blocks. Every parameter is one *group* with one lengthscale ``l_g``; a categorical's one-hot
columns share their parameter's lengthscale and carry the weight ``1/2``, so two different
choices are at squared distance ``1/l_g**2`` whatever the number of choices: the kernel is a
Hamming-distance kernel on categoricals, written as a Euclidean one so that all distances are
matrix products.

Hyperparameters travel as one flat vector ``theta`` of log-values (see :class:`KernelSpec`):

``[log l_1 .. log l_G, log sf2, log a_1 .. log a_W, log b_1 .. log b_W]``

with ``G`` groups, output scale ``sf2`` and Kumaraswamy shapes ``(a, b)`` for the ``W`` warped
(numeric) columns. The kernel is

``k(x, x') = sf2 * m52(r2)``, ``r2 = sum_c w_c (phi_c(x) - phi_c(x'))**2 / l_{g(c)}**2``,
``m52(r2) = (1 + r + r**2/3) exp(-r)`` with ``r = sqrt(5 r2)``,

where ``phi_c`` is the Kumaraswamy CDF ``1 - (1 - x**a)**b`` on warped columns (after squeezing
``x`` into ``[eps, 1 - eps]``) and the identity elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

WARP_EPS = 1e-6
"""Inputs are squeezed to ``[eps, 1 - eps]`` before warping so that every derivative is finite."""


def matern52(r2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Matérn-5/2 correlation of squared distances, and its derivative w.r.t. ``r2``.

    Differentiating w.r.t. ``r2`` (not ``r``) keeps the derivative finite at ``r2 = 0``:
    ``dm/dr2 = -5/6 (1 + r) exp(-r)``.

    Example:
        >>> k, dk = matern52(np.array([0.0, 1.0]))
        >>> k.round(4).tolist(), dk.round(4).tolist()
        ([1.0, 0.524], [-0.8333, -0.2882])
    """
    r2 = np.maximum(r2, 0.0)
    r = np.sqrt(5.0 * r2)
    e = np.exp(-r)
    return (1.0 + r + r * r / 3.0) * e, (-5.0 / 6.0) * (1.0 + r) * e


def kumaraswamy(
    x: np.ndarray, log_a: np.ndarray, log_b: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Kumaraswamy CDF warping ``1 - (1 - s**a)**b`` of ``s = eps + (1 - 2 eps) x``.

    Args:
        x: Inputs in ``[0, 1]``, shape ``(n, W)``.
        log_a: Log of the first shape per column, shape ``(W,)``.
        log_b: Log of the second shape per column, shape ``(W,)``.

    Returns:
        ``(phi, dphi/dlog_a, dphi/dlog_b, dphi/dx)``, each of shape ``(n, W)``.

    Example:
        >>> phi, *_ = kumaraswamy(np.array([[0.25]]), np.zeros(1), np.zeros(1))
        >>> round(float(phi[0, 0]), 4)  # a = b = 1 is the identity (up to eps)
        0.25
    """
    a = np.exp(log_a)
    b = np.exp(log_b)
    s = WARP_EPS + (1.0 - 2.0 * WARP_EPS) * np.clip(x, 0.0, 1.0)
    log_s = np.log(s)
    p = np.exp(a * log_s)  # s**a
    q = 1.0 - p
    log_q = np.log(q)
    qb = np.exp(b * log_q)  # q**b
    qb1 = qb / q  # q**(b-1)
    phi = 1.0 - qb
    d_loga = a * b * qb1 * p * log_s
    d_logb = -b * qb * log_q
    d_x = (1.0 - 2.0 * WARP_EPS) * a * b * (p / s) * qb1
    return phi, d_loga, d_logb, d_x


@dataclass(frozen=True)
class KernelSpec:
    """Column layout of the kernel: which columns form which group and which are warped.

    Args:
        groups: Group (parameter) index of each column, shape ``(d,)``, values ``0..G-1``.
        onehot: Whether each column is a one-hot column of a categorical, shape ``(d,)``.
        warp: Whether each column is Kumaraswamy-warped (numeric columns only), shape ``(d,)``.

    Example:
        >>> spec = KernelSpec.build(groups=[0, 1, 1], onehot=[False, True, True], warping=True)
        >>> spec.n_groups, spec.n_warped, spec.n_params
        (2, 1, 5)
    """

    groups: np.ndarray
    onehot: np.ndarray
    warp: np.ndarray

    @staticmethod
    def build(groups: list[int] | np.ndarray, onehot: list[bool] | np.ndarray,
              warping: bool) -> KernelSpec:
        """Spec with every numeric column warped when ``warping`` is true."""
        g = np.asarray(groups, dtype=np.int64)
        oh = np.asarray(onehot, dtype=bool)
        if g.shape != oh.shape or g.ndim != 1:
            raise ValueError(f"groups {g.shape} and onehot {oh.shape} must be 1-d and equal")
        if len(g) and (g.min() != 0 or set(np.unique(g).tolist()) != set(range(g.max() + 1))):
            raise ValueError(f"groups={g.tolist()} must number the groups 0..G-1 without gaps")
        return KernelSpec(g, oh, (~oh) & bool(warping))

    @property
    def d(self) -> int:
        return len(self.groups)

    @property
    def n_groups(self) -> int:
        return int(self.groups.max()) + 1 if len(self.groups) else 0

    @property
    def n_warped(self) -> int:
        return int(self.warp.sum())

    @property
    def n_params(self) -> int:
        """Length of the kernel's ``theta`` (noise excluded)."""
        return self.n_groups + 1 + 2 * self.n_warped

    @property
    def weights(self) -> np.ndarray:
        """Per-column weight in ``r2``: ``1/2`` for one-hot columns, else 1."""
        return np.where(self.onehot, 0.5, 1.0)

    def unpack(self, theta: np.ndarray) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
        """``(log_lengthscales (G,), log_sf2, log_a (W,), log_b (W,))`` from ``theta``."""
        G, W = self.n_groups, self.n_warped
        if theta.shape != (self.n_params,):
            raise ValueError(f"theta has shape {theta.shape}; this spec needs ({self.n_params},)")
        return theta[:G], float(theta[G]), theta[G + 1: G + 1 + W], theta[G + 1 + W:]

    def column_scale(self, log_ls: np.ndarray) -> np.ndarray:
        """Per column ``w_c / l_{g(c)}**2``: the factor of the column's squared difference."""
        return self.weights * np.exp(-2.0 * log_ls)[self.groups]


@dataclass(frozen=True)
class Features:
    """Warped inputs ``phi`` and their derivatives w.r.t. the warping shapes and the inputs."""

    phi: np.ndarray  # (n, d)
    d_loga: np.ndarray  # (n, W)
    d_logb: np.ndarray  # (n, W)
    d_x: np.ndarray  # (n, d): dphi/dx per column (1 where not warped)


def features(spec: KernelSpec, theta: np.ndarray, X: np.ndarray) -> Features:
    """Apply the input warping of ``theta`` to ``X`` (shape ``(n, d)``)."""
    _, _, log_a, log_b = spec.unpack(theta)
    X = np.asarray(X, dtype=float)
    phi = X.copy()
    d_x = np.ones_like(X)
    if spec.n_warped:
        w = spec.warp
        pw, da, db, dx = kumaraswamy(X[:, w], log_a, log_b)
        phi[:, w] = pw
        d_x[:, w] = dx
    else:
        da = db = np.zeros((len(X), 0))
    return Features(phi, da, db, d_x)


def sq_dist(A: np.ndarray, B: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """``r2[i, j] = sum_c scale_c (A[i, c] - B[j, c])**2`` by matrix products (clipped at 0)."""
    As = A * scale
    r2 = (As * A).sum(1)[:, None] + (B * scale * B).sum(1)[None, :] - 2.0 * As @ B.T
    return np.maximum(r2, 0.0)


def kernel_matrix(
    spec: KernelSpec, theta: np.ndarray, X1: np.ndarray, X2: np.ndarray | None = None
) -> np.ndarray:
    """The kernel matrix ``K[i, j] = k(X1[i], X2[j])`` (``X2 = X1`` when omitted).

    Example:
        >>> spec = KernelSpec.build([0], [False], warping=False)
        >>> theta = np.array([0.0, 0.0])  # lengthscale 1, sf2 1
        >>> kernel_matrix(spec, theta, np.array([[0.0], [1.0]])).round(4).tolist()
        [[1.0, 0.524], [0.524, 1.0]]
    """
    log_ls, log_sf2, _, _ = spec.unpack(theta)
    scale = spec.column_scale(log_ls)
    F1 = features(spec, theta, X1).phi
    F2 = F1 if X2 is None else features(spec, theta, X2).phi
    r2 = sq_dist(F1, F2, scale)
    if X2 is None:
        np.fill_diagonal(r2, 0.0)
    return np.exp(log_sf2) * matern52(r2)[0]


def kernel_matrix_grad(
    spec: KernelSpec, theta: np.ndarray, X: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``K = k(X, X)`` and ``dK/dtheta`` as an ``(n, n, n_params)`` array.

    This materialises every derivative and is meant for checks and small ``n``; the marginal
    likelihood contracts the same derivatives without building this array.
    """
    log_ls, log_sf2, _, _ = spec.unpack(theta)
    sf2 = np.exp(log_sf2)
    scale = spec.column_scale(log_ls)
    F = features(spec, theta, X)
    D = F.phi[:, None, :] - F.phi[None, :, :]  # (n, n, d)
    r2 = np.maximum((D * D * scale).sum(-1), 0.0)
    m, dm = matern52(r2)
    K = sf2 * m
    n = len(X)
    G, W = spec.n_groups, spec.n_warped
    dK = np.zeros((n, n, spec.n_params))
    a = sf2 * dm
    for g in range(G):
        cols = spec.groups == g
        dr2 = -2.0 * (D[..., cols] ** 2 * scale[cols]).sum(-1)
        dK[..., g] = a * dr2
    dK[..., G] = K
    wcols = np.flatnonzero(spec.warp)
    for j, c in enumerate(wcols):
        Dc = D[..., c]
        for block, dphi in ((G + 1, F.d_loga), (G + 1 + W, F.d_logb)):
            ddiff = dphi[:, j][:, None] - dphi[:, j][None, :]
            dK[..., block + j] = a * 2.0 * scale[c] * Dc * ddiff
    return K, dK


def cross_kernel_grad_x(
    spec: KernelSpec, theta: np.ndarray, x: np.ndarray, F_train: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cross-kernel ``k(x, X)`` and what its ``x``-gradient needs, for ``m`` query rows.

    Args:
        x: Query rows, shape ``(m, d)``.
        F_train: Warped training inputs (``features(...).phi``), shape ``(n, d)``.

    Returns:
        ``(k (m, n), dk/dr2 (m, n), phi(x) (m, d), c (m, d))`` where
        ``dk(x_i, X_j)/dx_ic = dk/dr2[i, j] * c[i, c] * (phi(x)[i, c] - F_train[j, c])`` and
        ``c = 2 * w_c / l**2 * dphi/dx``: contract ``dk/dr2`` with vectors over the training
        rows first, then apply this formula (see :meth:`GaussianProcess.predict_grad`).
    """
    log_ls, log_sf2, _, _ = spec.unpack(theta)
    sf2 = np.exp(log_sf2)
    scale = spec.column_scale(log_ls)
    Fx = features(spec, theta, x)
    r2 = sq_dist(Fx.phi, F_train, scale)
    m, dm = matern52(r2)
    return sf2 * m, sf2 * dm, Fx.phi, 2.0 * scale * Fx.d_x
