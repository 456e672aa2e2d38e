"""Recommend the smallest Sidecars that keep every observed call, and show what they save.

:func:`recommend` reads a :class:`~sidecar_model.Mesh` and
:class:`~sidecar_model.traffic.Traffic` evidence and returns a :class:`Recommendation`:
apply-ready Sidecars, the calls they keep and those they cannot keep (with why), and each
governed workload's configuration size before and after. :func:`savings_table` gives the
per-namespace savings as rows, ready for a table or a chart.
"""

from __future__ import annotations

from typing import Any

from sidecar_model.recommend._plan import SPLIT_FACTOR, recommend
from sidecar_model.recommend._result import (
    KeptCall,
    NamespaceSavings,
    NotKeptCall,
    Recommendation,
    RecommendationError,
    WorkloadSize,
    savings_text,
)

__all__ = [
    "SPLIT_FACTOR",
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


def savings_table(recommendation: Recommendation) -> list[dict[str, Any]]:
    """The savings as rows: per namespace, then ``total``.

    Each row is flat (``namespace``, ``workloads``, ``clustersBefore``, ``clustersAfter``,
    ...), ready for a table or a chart: ``pandas.DataFrame(savings_table(r))``.
    """
    return [row.to_dict() for row in recommendation.savings()]
