"""Which namespaces reach which, through the scope-wide union of imports (§5.8)."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import attrs

from sidecar_model import resolver
from sidecar_model._results import Result
from sidecar_model._rule_links import html_footer

if TYPE_CHECKING:
    from sidecar_model.mesh import Mesh, MeshService


# =========================================================================== reachability


@attrs.frozen(kw_only=True)
class ReachabilityEdge(Result):
    """Namespace ``source`` reaches ``target``: some workload of it imports their services."""

    source: str
    target: str
    #: Distinct hostnames of ``target`` imported by some workload of ``source``.
    services: int
    #: Workloads of ``source`` importing at least one of them.
    workloads: int

    def __str__(self) -> str:
        """``shop -> prod (3 services, 2 workloads)``."""
        return (
            f"{self.source} -> {self.target} ({self.services} service(s), "
            f"{self.workloads} workload(s))"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "source": self.source,
            "target": self.target,
            "services": self.services,
            "workloads": self.workloads,
        }


@attrs.frozen(kw_only=True)
class ReachabilityGraph(Result):
    """Which namespaces can reach which, after selection, exportTo and imports.

    ``namespaces`` are every namespace with a workload or a service, sorted; ``edges`` the
    pairs of distinct namespaces, sorted (a namespace reaching its own services is not an edge).
    """

    namespaces: tuple[str, ...] = ()
    edges: tuple[ReachabilityEdge, ...] = ()

    def reaches(self, source: str, target: str) -> bool:
        """Whether some workload of ``source`` imports a service of ``target``."""
        return any(e.source == source and e.target == target for e in self.edges)

    def targets(self, source: str) -> tuple[str, ...]:
        """The namespaces ``source`` reaches, sorted."""
        return tuple(e.target for e in self.edges if e.source == source)

    def to_dot(self) -> str:
        """Graphviz DOT text: one node per namespace, one labelled edge per pair."""
        lines = ["digraph reachability {", "  rankdir=LR;", "  node [shape=box];"]
        lines.extend(f"  {_dot_id(ns)};" for ns in self.namespaces)
        lines.extend(
            f'  {_dot_id(e.source)} -> {_dot_id(e.target)} [label="{e.services}"];'
            for e in self.edges
        )
        lines.append("}")
        return "\n".join(lines)

    def to_mermaid(self) -> str:
        """Mermaid flowchart text, nodes named ``n0``, ``n1`` ... and labelled by namespace."""
        ids = {ns: f"n{i}" for i, ns in enumerate(self.namespaces)}
        lines = ["flowchart LR"]
        lines.extend(f'  {ids[ns]}["{_mermaid_text(ns)}"]' for ns in self.namespaces)
        lines.extend(
            f"  {ids[e.source]} -->|{e.services}| {ids[e.target]}"
            for e in self.edges
            if e.source in ids and e.target in ids
        )
        return "\n".join(lines)

    def __str__(self) -> str:
        """One line per namespace: what it reaches."""
        lines = [f"{len(self.namespaces)} namespaces, {len(self.edges)} reachability edges"]
        for namespace in self.namespaces:
            targets = self.targets(namespace)
            lines.append(f"  {namespace} -> {', '.join(targets) if targets else '(none)'}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        # Notebooks with mermaid support render the <pre class="mermaid"> block as a picture.
        return (
            f"<pre>{html.escape(str(self))}</pre>{html_footer(str(self))}"
            f'<pre class="mermaid">{html.escape(self.to_mermaid())}</pre>'
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "namespaces": list(self.namespaces),
            "edges": [e.to_dict() for e in self.edges],
        }


def _dot_id(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;")


def reachability(mesh: Mesh) -> ReachabilityGraph:
    """Which namespaces reach which: A reaches B when a workload of A imports a service of B.

    Imports are the scope-wide union (5.8) of each workload's scope, so selection, exportTo,
    egress hosts and VirtualService destinations (5.7) all count; each distinct scope is
    looked at once.
    """
    # Keyed by the union itself (a tuple of hashable services): equal unions, equal answers.
    per_scope: dict[tuple[MeshService, ...], dict[str, frozenset[str]]] = {}
    hosts: dict[tuple[str, str], set[str]] = {}
    workloads: dict[tuple[str, str], int] = {}
    for workload in mesh.workloads:
        scope = resolver.compute_scope(mesh, workload)
        union = scope.services
        imported = per_scope.get(union)
        if imported is None:
            grouped: dict[str, set[str]] = {}
            for service in union:
                grouped.setdefault(service.namespace, set()).add(service.hostname)
            imported = per_scope[union] = {ns: frozenset(h) for ns, h in grouped.items()}
        source = workload.namespace
        for target, names in imported.items():
            if target == source:
                continue
            hosts.setdefault((source, target), set()).update(names)
            workloads[source, target] = workloads.get((source, target), 0) + 1
    namespaces = {w.namespace for w in mesh.workloads} | {s.namespace for s in mesh.services}
    edges = tuple(
        ReachabilityEdge(
            source=source, target=target, services=len(names), workloads=workloads[source, target]
        )
        for (source, target), names in sorted(hosts.items())
    )
    return ReachabilityGraph(namespaces=tuple(sorted(namespaces)), edges=edges)
