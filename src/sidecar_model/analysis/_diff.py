"""What changes for each workload between two snapshots of a mesh."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

from sidecar_model import resolver
from sidecar_model._results import Result, resource_name
from sidecar_model.resolver import SelectionOrigin, SidecarScope

if TYPE_CHECKING:
    from sidecar_model.mesh import Mesh, Workload


# =========================================================================== diff


HostPort = tuple[str, int]


@attrs.frozen(kw_only=True)
class WorkloadDiff(Result):
    """How one workload's proxy changes between two meshes."""

    workload: str
    old_sidecar: str | None
    new_sidecar: str | None
    old_origin: SelectionOrigin
    new_origin: SelectionOrigin
    #: (host, port) pairs of outbound listeners only the new mesh has, sorted.
    gained: tuple[HostPort, ...] = ()
    #: (host, port) pairs of outbound listeners only the old mesh has, sorted.
    lost: tuple[HostPort, ...] = ()
    #: Services with a cluster (the scope-wide union, 5.8) before and after.
    old_services: int = 0
    new_services: int = 0

    @property
    def selection_changed(self) -> bool:
        """Whether another Sidecar (or another kind of default) applies."""
        return (self.old_sidecar, self.old_origin) != (self.new_sidecar, self.new_origin)

    @property
    def services_delta(self) -> int:
        """The change in imported services, a proxy for the size of the Envoy config."""
        return self.new_services - self.old_services

    @property
    def changed(self) -> bool:
        """Whether anything differs."""
        return bool(self.selection_changed or self.gained or self.lost or self.services_delta)

    def __str__(self) -> str:
        """A head line, then ``+ host:port`` and ``- host:port`` lines."""
        parts = []
        if self.selection_changed:
            parts.append(
                f"Sidecar {_selection_text(self.old_sidecar, self.old_origin)} -> "
                f"{_selection_text(self.new_sidecar, self.new_origin)}"
            )
        delta = self.services_delta
        parts.append(f"imported services {self.old_services} -> {self.new_services} ({delta:+d})")
        lines = [f"{self.workload}: {'; '.join(parts)}"]
        lines.extend(f"  + {host}:{port}" for host, port in self.gained)
        lines.extend(f"  - {host}:{port}" for host, port in self.lost)
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "workload": self.workload,
            "selection": {
                "old": {"sidecar": self.old_sidecar, "origin": self.old_origin.name},
                "new": {"sidecar": self.new_sidecar, "origin": self.new_origin.name},
                "changed": self.selection_changed,
            },
            "gained": [{"host": h, "port": p} for h, p in self.gained],
            "lost": [{"host": h, "port": p} for h, p in self.lost],
            "services": {
                "old": self.old_services,
                "new": self.new_services,
                "delta": self.services_delta,
            },
        }


def _selection_text(sidecar: str | None, origin: SelectionOrigin) -> str:
    return f"{sidecar or 'none'} ({origin.value})"


@attrs.frozen(kw_only=True)
class MeshDiff(Result):
    """What changes for every workload between two meshes (:func:`diff`)."""

    #: The workloads present in both meshes whose proxy changes, by namespace and name.
    changed: tuple[WorkloadDiff, ...] = ()
    #: How many workloads present in both meshes do not change.
    unchanged: int = 0
    #: ``namespace/name`` of workloads only the new mesh has.
    added: tuple[str, ...] = ()
    #: ``namespace/name`` of workloads only the old mesh has.
    removed: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        """True when something differs."""
        return bool(self.changed or self.added or self.removed)

    def workload(self, name: str) -> WorkloadDiff | None:
        """The change of the workload ``namespace/name``, None when it does not change."""
        return next((w for w in self.changed if w.workload == name), None)

    def __str__(self) -> str:
        """A summary line, then every changed workload, then added and removed ones."""
        head = (
            f"{len(self.changed)} workload(s) changed, {self.unchanged} unchanged, "
            f"{len(self.added)} added, {len(self.removed)} removed"
        )
        lines = [head, *(str(w) for w in self.changed)]
        lines.extend(f"added: {name}" for name in self.added)
        lines.extend(f"removed: {name}" for name in self.removed)
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "changed": [w.to_dict() for w in self.changed],
            "unchanged": self.unchanged,
            "added": list(self.added),
            "removed": list(self.removed),
        }


class _Outbound:
    """Per-mesh cache of each listener set's (host, port) pairs."""

    def __init__(self, mesh: Mesh) -> None:
        self.mesh = mesh
        self.pairs: dict[int, frozenset[HostPort]] = {}

    def of(self, workload: Workload) -> tuple[SidecarScope, frozenset[HostPort]]:
        scope = resolver.compute_scope(self.mesh, workload)
        listeners = resolver.outbound_listeners(scope)
        found = self.pairs.get(id(listeners))
        if found is None:
            found = self.pairs[id(listeners)] = frozenset(
                (host, listener.port) for listener in listeners for host in listener.hosts
            )
        return scope, found


def _by_name(mesh: Mesh) -> dict[str, Workload]:
    named: dict[str, Workload] = {}
    for workload in mesh.workloads:
        named.setdefault(str(workload), workload)
    return named


def diff(old: Mesh, new: Mesh) -> MeshDiff:
    """For every workload of both meshes (matched by namespace and name), what changes.

    Each :class:`WorkloadDiff` says which Sidecar applies before and after, the outbound
    (host, port) pairs gained and lost (after most-specific-port merging), and the number of
    imported services before and after. Workloads without a name are matched by namespace
    alone; when two share a name, the first of each mesh is compared.
    """
    before, after = _by_name(old), _by_name(new)
    old_out, new_out = _Outbound(old), _Outbound(new)
    compared: dict[tuple[int, int], tuple[tuple[HostPort, ...], ...]] = {}
    changed = []
    unchanged = 0
    for name in sorted(before.keys() & after.keys()):
        old_scope, old_pairs = old_out.of(before[name])
        new_scope, new_pairs = new_out.of(after[name])
        key = (id(old_pairs), id(new_pairs))
        delta = compared.get(key)
        if delta is None:
            delta = compared[key] = (
                tuple(sorted(new_pairs - old_pairs)),
                tuple(sorted(old_pairs - new_pairs)),
            )
        result = WorkloadDiff(
            workload=name,
            old_sidecar=resource_name(old_scope.sidecar),
            new_sidecar=resource_name(new_scope.sidecar),
            old_origin=old_scope.origin,
            new_origin=new_scope.origin,
            gained=delta[0],
            lost=delta[1],
            old_services=len(old_scope.services),
            new_services=len(new_scope.services),
        )
        if result.changed:
            changed.append(result)
        else:
            unchanged += 1
    return MeshDiff(
        changed=tuple(changed),
        unchanged=unchanged,
        added=tuple(sorted(after.keys() - before.keys())),
        removed=tuple(sorted(before.keys() - after.keys())),
    )
