"""Recommend the smallest Sidecars that keep every observed call, and show what they save.

The function is also ``sidecar_model.recommend``; this module holds the values it returns.

:func:`recommend` reads a :class:`~sidecar_model.Mesh` and
:class:`~sidecar_model.traffic.Traffic` evidence and returns a :class:`Recommendation`:
apply-ready Sidecars, the calls they keep and those they cannot keep (with why), and each
governed workload's configuration size before and after. :func:`savings_table` gives the
per-namespace savings as rows, ready for a table or a chart.
"""

from __future__ import annotations

from sidecar_model._recommend._plan import recommend
from sidecar_model._recommend._result import (
    KeptCall,
    NamespaceSavings,
    NotKeptCall,
    Recommendation,
    RecommendationError,
    WorkloadSize,
    savings_table,
    savings_text,
)

__all__ = [
    "KeptCall",
    "NamespaceSavings",
    "NotKeptCall",
    "Recommendation",
    "RecommendationError",
    "WorkloadSize",
    "recommend",
    "savings_table",
    "savings_text",
]
