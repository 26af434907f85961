"""The one codec between parameter dicts and the arrays model-based samplers work on.

Every model-based sampler (TPE, GP, forest, CMA-ES, GA, NSGA) uses this codec, so a space is
encoded one way in the whole package.

Two layouts:

- ``onehot=False`` ("unit"): one column per parameter, every value in ``[0, 1]`` (categoricals
  as the centre of their cell, see :mod:`hyperscout.space.distributions`).
- ``onehot=True``: numeric parameters as above, each categorical as ``n_choices`` 0/1 columns.

A parameter a trial does not have (conditional spaces) encodes as ``nan`` in every column.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from hyperscout.space.distributions import Categorical, Distribution, Float, Int


class SpaceCodec:
    """Encode parameter dicts to a 2-D array and decode rows back.

    Args:
        space: Parameter name to distribution; the column order follows the mapping's order.
        onehot: One-hot columns for categoricals instead of one unit column.

    Example:
        >>> from hyperscout.space import Categorical, Float, Int
        >>> codec = SpaceCodec({"lr": Float(1e-4, 1e-1, log=True), "act": Categorical(["a", "b"])},
        ...                    onehot=True)
        >>> X = codec.encode([{"lr": 1e-4, "act": "b"}])
        >>> X.round(3).tolist()
        [[0.0, 0.0, 1.0]]
        >>> codec.decode(X[0])
        {'lr': 0.0001, 'act': 'b'}
    """

    def __init__(self, space: Mapping[str, Distribution], *, onehot: bool = False) -> None:
        self.space: dict[str, Distribution] = dict(space)
        self.names: list[str] = list(self.space)
        self.onehot = onehot
        self.slices: dict[str, slice] = {}
        col = 0
        for name, dist in self.space.items():
            width = dist.n_values if (onehot and isinstance(dist, Categorical)) else 1
            self.slices[name] = slice(col, col + width)
            col += width
        self.n_columns = col

    # -- column metadata --------------------------------------------------------------------
    @property
    def categorical_columns(self) -> np.ndarray:
        """Boolean mask over columns: True where the column belongs to a categorical."""
        mask = np.zeros(self.n_columns, dtype=bool)
        for name, dist in self.space.items():
            if isinstance(dist, Categorical):
                mask[self.slices[name]] = True
        return mask

    def n_grid_points(self) -> np.ndarray:
        """Per column: number of distinct values (0 for a continuous Float, 1 for one-hot cols)."""
        out = np.zeros(self.n_columns, dtype=np.int64)
        for name, dist in self.space.items():
            sl = self.slices[name]
            if isinstance(dist, Categorical):
                out[sl] = 1 if self.onehot else dist.n_values
            elif isinstance(dist, Int):
                out[sl] = dist.n_values
            elif isinstance(dist, Float) and dist.step is not None:
                out[sl] = round((dist.high - dist.low) / dist.step) + 1
        return out

    # -- encode / decode --------------------------------------------------------------------
    def encode(self, params_list: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """Encode each params dict as a row; missing parameters give ``nan``. Shape ``(n, d)``."""
        X = np.full((len(params_list), self.n_columns), np.nan)
        for name, dist in self.space.items():
            sl = self.slices[name]
            if self.onehot and isinstance(dist, Categorical):
                for i, params in enumerate(params_list):
                    if name in params:
                        X[i, sl] = 0.0
                        X[i, sl.start + dist.index(params[name])] = 1.0
                continue
            col = sl.start
            for i, params in enumerate(params_list):
                if name in params:
                    X[i, col] = dist.to_unit(params[name])
        return X

    def decode(self, row: np.ndarray) -> dict[str, Any]:
        """Decode one row (values are clipped to ``[0, 1]`` and rounded onto each grid)."""
        row = np.asarray(row, dtype=float)
        if row.shape != (self.n_columns,):
            raise ValueError(f"row has shape {row.shape}; expected ({self.n_columns},)")
        out: dict[str, Any] = {}
        for name, dist in self.space.items():
            sl = self.slices[name]
            if self.onehot and isinstance(dist, Categorical):
                out[name] = dist.choices[int(np.argmax(row[sl]))]
            else:
                out[name] = dist.from_unit(float(row[sl.start]))
        return out

    def round_to_grid(self, X: np.ndarray) -> np.ndarray:
        """Snap rows to the nearest representable points (grid centres, one-hot vertices)."""
        X = np.atleast_2d(np.asarray(X, dtype=float)).copy()
        for name, dist in self.space.items():
            sl = self.slices[name]
            if self.onehot and isinstance(dist, Categorical):
                block = X[:, sl]
                hot = np.argmax(block, axis=1)
                X[:, sl] = 0.0
                X[np.arange(len(X)), sl.start + hot] = 1.0
            elif isinstance(dist, (Int, Categorical)) or (
                isinstance(dist, Float) and dist.step is not None
            ):
                n = self.n_grid_points()[sl.start]
                u = np.clip(X[:, sl.start], 0.0, 1.0 - 1e-12)
                if isinstance(dist, Int) and dist.log:
                    X[:, sl.start] = [dist.to_unit(dist.from_unit(v)) for v in u]
                else:
                    X[:, sl.start] = (np.floor(u * n) + 0.5) / n
        return X
