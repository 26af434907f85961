"""Run the GP's linear algebra on one BLAS thread.

The GP's matrices are small (a few hundred rows), and on a loaded machine a multi-threaded
OpenBLAS spends most of its time waking and spinning its threads: measured here, one thread was
5-25x faster (in CPU time) for the marginal likelihood at 128-300 points. ``threadpoolctl``
(a scikit-learn dependency) sets the limit around each suggestion when it is installed;
without it, nothing changes (set ``OPENBLAS_NUM_THREADS=1`` yourself).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

_controller: Any = None
_tried = False


@contextlib.contextmanager
def single_blas_thread() -> Iterator[None]:
    """Context manager: BLAS libraries loaded in this process use one thread inside it."""
    global _controller, _tried
    if not _tried:
        _tried = True
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:
            _controller = None
        else:
            _controller = ThreadpoolController()
    if _controller is None:
        yield
        return
    with _controller.limit(limits=1, user_api="blas"):
        yield
