"""The matrix runs each case on each kit, except the cases a kit names as not applicable.

Those are deselected here (pytest reports the count), not skipped: CI has no skipped tests.
The reasons live in each kit's ``not_applicable`` table, which
``test_not_applicable_cases_name_real_cases_with_reasons`` checks, so no case can be left
out by a typo or without saying why.
"""

from __future__ import annotations

import pytest
from fault_kits import KITS, not_applicable_reason


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        callspec = getattr(item, "callspec", None)
        kit = callspec.params.get("matrix") if callspec is not None else None
        if kit in KITS and not_applicable_reason(kit, item.originalname, callspec.id):
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
