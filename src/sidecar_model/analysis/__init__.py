"""Cross-resource checks of a mesh, what-if diffs between two meshes, and namespace reachability.

:func:`analyze` reports what no single-object validation can see: istioctl analyze's Sidecar
checks (§7: IST0101, IST0110, IST0111, IST0167, IST0002) and this library's own
checks (``SM0001`` .. ``SM0007``), which use the resolver's answers (§3 to §5). Every finding
is a :class:`~sidecar_model.validation.Diagnostic` naming the Sidecar it is reported on and a
wire path in it, so a Sidecar loaded from text gets its file, line and column. :data:`CHECKS`
describes every code; ``docs/analysis.md`` explains each with its fix.

:func:`diff` compares two snapshots of a mesh workload by workload (selection, outbound mode,
outbound and inbound listeners, imported services, DestinationRules), and
:func:`reachability` draws which namespaces can reach which.

Scopes come from :mod:`sidecar_model.resolver` and its per-(Sidecar, namespace) cache, so
analysing a mesh computes each scope once, and a later resolution of the same mesh reuses it.

The work is split by what it decides, in private modules: ``_checks`` (the registry),
``_analyze`` (the checks themselves), ``_diff`` and ``_reachability``.
"""

from __future__ import annotations

from sidecar_model.analysis._analyze import analyze
from sidecar_model.analysis._checks import CHECKS, Check
from sidecar_model.analysis._diff import Change, ChangeKind, MeshDiff, WorkloadDiff, diff
from sidecar_model.analysis._reachability import ReachabilityEdge, ReachabilityGraph, reachability

__all__ = [
    "CHECKS",
    "Change",
    "ChangeKind",
    "Check",
    "MeshDiff",
    "ReachabilityEdge",
    "ReachabilityGraph",
    "WorkloadDiff",
    "analyze",
    "diff",
    "reachability",
]
