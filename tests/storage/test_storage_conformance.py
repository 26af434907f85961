"""The storage conformance suite (hyperscout.testing.storage_suite) on every backend."""

from __future__ import annotations

import pytest

from hyperscout.testing.storage_suite import CHECKS


@pytest.mark.parametrize("check", list(CHECKS.values()), ids=list(CHECKS))
def test_storage_contract(storage_factory, check) -> None:
    check(storage_factory)
