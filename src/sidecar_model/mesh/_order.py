"""istiod's creation-time order of configuration and services (§3.2, §4.2.4)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

_EPOCH: Final = dt.datetime(1, 1, 1, tzinfo=dt.timezone.utc)


def _order_key(created: dt.datetime | None, name: str, namespace: str) -> tuple[Any, ...]:
    # istiod's configCompareByCreationTime / SortServicesByCreationTime (§3.2, §4.2.4).
    return (created or _EPOCH, name, namespace)


def _normalise_ts(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc)
    return value
