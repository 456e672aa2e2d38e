"""What changes for each workload between two snapshots of a mesh."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any

import attrs

from sidecar_model import resolver
from sidecar_model._results import Result, resource_name
from sidecar_model.mesh import MeshService
from sidecar_model.model import Protocol
from sidecar_model.resolver import (
    InboundListener,
    MergedDestinationRule,
    OutboundListener,
    SelectionOrigin,
    SidecarScope,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sidecar_model._collections import FrozenDict
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
    #: The effective outbound traffic policy mode before and after (T1, T4).
    old_mode: str = ""
    new_mode: str = ""
    #: Every observable difference, by kind (selection and mode included), in a stable order.
    changes: tuple[Change, ...] = ()

    @property
    def selection_changed(self) -> bool:
        """Whether another Sidecar (or another kind of default) applies."""
        return (self.old_sidecar, self.old_origin) != (self.new_sidecar, self.new_origin)

    @property
    def services_delta(self) -> int:
        """The change in imported services, a proxy for the size of the Envoy config."""
        return self.new_services - self.old_services

    @property
    def mode_changed(self) -> bool:
        """Whether the outbound traffic policy mode differs (T1)."""
        return self.old_mode != self.new_mode

    @property
    def kinds(self) -> frozenset[ChangeKind]:
        """The kinds of change this workload has."""
        return frozenset(c.kind for c in self.changes)

    @property
    def changed(self) -> bool:
        """Whether anything observable differs."""
        return bool(
            self.selection_changed
            or self.mode_changed
            or self.changes
            or self.gained
            or self.lost
            or self.services_delta
        )

    def __str__(self) -> str:
        """A head line, then ``+ host:port`` and ``- host:port`` lines."""
        parts = []
        if self.selection_changed:
            parts.append(
                f"Sidecar {_selection_text(self.old_sidecar, self.old_origin)} -> "
                f"{_selection_text(self.new_sidecar, self.new_origin)}"
            )
        if self.mode_changed:
            parts.append(f"outbound mode {self.old_mode} -> {self.new_mode}")
        delta = self.services_delta
        parts.append(f"imported services {self.old_services} -> {self.new_services} ({delta:+d})")
        lines = [f"{self.workload}: {'; '.join(parts)}"]
        lines.extend(f"  + {host}:{port}" for host, port in self.gained)
        lines.extend(f"  - {host}:{port}" for host, port in self.lost)
        lines.extend(f"  ~ {change}" for change in self.changes if self._shown(change))
        return "\n".join(lines)

    def _shown(self, change: Change) -> bool:
        """Whether the text needs ``change``: not when the head or +/- lines already say it."""
        if change.kind in {ChangeKind.SELECTION, ChangeKind.OUTBOUND_MODE}:
            return False
        if change.kind is ChangeKind.SERVICES:
            return change.old is not None and change.new is not None
        if change.kind is ChangeKind.OUTBOUND_LISTENERS:
            side, pairs = (
                (change.new, self.gained) if change.old is None else (change.old, self.lost)
            )
            if change.old is None or change.new is None:
                port = side["port"]
                return not side["hosts"] or any((h, port) not in pairs for h in side["hosts"])
            return change.fields != ("hosts",)
        if change.kind is ChangeKind.DESTINATION_RULES:
            # A rule that comes or goes with its service is said by the service count.
            return not any(
                c.kind is ChangeKind.SERVICES
                and c.subject == change.subject
                and (c.old is None or c.new is None)
                for c in self.changes
            )
        return True

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
            "outboundMode": {
                "old": self.old_mode,
                "new": self.new_mode,
                "changed": self.mode_changed,
            },
            "changes": [c.to_dict() for c in self.changes],
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

    @property
    def by_kind(self) -> dict[ChangeKind, int]:
        """How many workloads change in each kind of way, kinds in declaration order."""
        counts = {kind: sum(kind in w.kinds for w in self.changed) for kind in ChangeKind}
        return {kind: n for kind, n in counts.items() if n}

    def summary(self) -> str:
        """The head line: counts of changed, unchanged, added and removed workloads."""
        return (
            f"{len(self.changed)} workload(s) changed, {self.unchanged} unchanged, "
            f"{len(self.added)} added, {len(self.removed)} removed"
        )

    def kinds_text(self) -> str | None:
        """``by kind: outbound listeners 2, services 1``, None when nothing changed."""
        counts = self.by_kind
        if not counts:
            return None
        return "by kind: " + ", ".join(f"{kind.value} {n}" for kind, n in counts.items())

    def __str__(self) -> str:
        """A summary line, per-kind counts, every changed workload, added and removed ones."""
        kinds = self.kinds_text()
        lines = [self.summary(), *([kinds] if kinds else []), *(str(w) for w in self.changed)]
        lines.extend(f"added: {name}" for name in self.added)
        lines.extend(f"removed: {name}" for name in self.removed)
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "changed": [w.to_dict() for w in self.changed],
            "byKind": {kind.value: n for kind, n in self.by_kind.items()},
            "unchanged": self.unchanged,
            "added": list(self.added),
            "removed": list(self.removed),
        }


class ChangeKind(enum.Enum):
    """What part of a proxy's configuration a :class:`Change` is about."""

    SELECTION = "selection"
    OUTBOUND_MODE = "outbound mode"
    OUTBOUND_LISTENERS = "outbound listeners"
    INBOUND_LISTENERS = "inbound listeners"
    SERVICES = "services"
    DESTINATION_RULES = "destination rules"


@attrs.frozen(kw_only=True)
class Change(Result):
    """One observable difference of a proxy: ``old`` and ``new`` JSON-ready, None when absent."""

    kind: ChangeKind
    #: What changed: ``namespace/name`` selection, a listener's ``address:port``, a hostname.
    subject: str
    old: Any = None
    new: Any = None

    @property
    def fields(self) -> tuple[str, ...]:
        """The keys whose values differ, when both sides are dictionaries."""
        if not isinstance(self.old, dict) or not isinstance(self.new, dict):
            return ()
        keys = dict.fromkeys([*self.old, *self.new])
        return tuple(k for k in keys if self.old.get(k) != self.new.get(k))

    def __str__(self) -> str:
        """``outbound listeners 0.0.0.0:9080: protocol HTTP -> TCP``."""
        head = f"{self.kind.value} {self.subject}"
        if self.old is None:
            return f"{head}: added{_brief(self.new)}"
        if self.new is None:
            return f"{head}: removed{_brief(self.old)}"
        fields = self.fields
        if not fields:
            return f"{head}: {_value_text(self.old)} -> {_value_text(self.new)}"
        return f"{head}: " + "; ".join(
            f"{k} {_value_text(self.old.get(k))} -> {_value_text(self.new.get(k))}" for k in fields
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "kind": self.kind.value,
            "subject": self.subject,
            "old": self.old,
            "new": self.new,
            "fields": list(self.fields),
        }


def _brief(value: Any) -> str:  # noqa: ANN401 - JSON-ready data of any shape
    """`` (TCP)`` for a listener, ``""`` for other values."""
    if isinstance(value, dict) and "protocol" in value:
        return f" ({_value_text(value['protocol'])})"
    return ""


def _value_text(value: Any) -> str:  # noqa: ANN401 - JSON-ready data of any shape
    if value is None:
        return "none"
    if isinstance(value, list):
        return "[" + ", ".join(_value_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_value_text(v)}" for k, v in value.items()) + "}"
    if value == Protocol.UNSUPPORTED.value:
        return "auto-detect"  # L4: a sniffed listener
    return str(value)


# Where a listener came from (which egress or ingress entry) is provenance, not behaviour:
# adding an egress listener in front renumbers every later one without changing traffic.
_PROVENANCE = frozenset({"egressIndex", "routeEgressIndex", "source"})


def _behaviour(data: dict[str, Any]) -> dict[str, Any]:
    """A listener's ``to_dict()`` without provenance: every other field is compared."""
    return {k: v for k, v in data.items() if k not in _PROVENANCE}


@attrs.frozen(kw_only=True)
class _Proxy:
    """Everything a workload's proxy behaviour depends on, as the resolver's values."""

    sidecar: str | None
    origin: SelectionOrigin
    mode: str
    outbound: tuple[OutboundListener, ...]
    inbound: tuple[InboundListener, ...]
    services: tuple[MeshService, ...]
    #: The DestinationRule each imported service uses from this proxy (§4.4.5).
    rules: tuple[tuple[str, MergedDestinationRule], ...]


def _service_value(service: MeshService) -> dict[str, Any]:
    return {
        "namespace": service.namespace,
        "ports": [f"{p.number}/{p.protocol.value}" for p in service.ports],
        "aliases": [a.hostname for a in service.aliases],
    }


def _pairs(listeners: tuple[OutboundListener, ...]) -> frozenset[HostPort]:
    return frozenset((host, li.port) for li in listeners for host in li.hosts)


class _Snapshot:
    """One mesh's proxies; the rules, shared by proxies alike, computed once, keyed by value."""

    def __init__(self, mesh: Mesh) -> None:
        self.mesh = mesh
        self.rules: dict[
            tuple[tuple[MeshService, ...], str, FrozenDict[str, str] | None],
            tuple[tuple[str, MergedDestinationRule], ...],
        ] = {}
        self.selective: dict[tuple[tuple[MeshService, ...], str], bool] = {}

    def _rules(self, scope: SidecarScope) -> tuple[tuple[str, MergedDestinationRule], ...]:
        # A function of the union, the config namespace and, only when some rule has a
        # workload selector, the proxy's labels (§4.4.5).
        base = (scope.services, scope.namespace)
        selective = self.selective.get(base)
        if selective is None:
            selective = self.selective[base] = any(
                rule.selector is not None
                for s in scope.services
                for rule in scope.destination_rules(s.hostname)
            )
        key = (*base, scope.workload.labels if selective else None)
        found = self.rules.get(key)
        if found is None:
            found = self.rules[key] = tuple(
                (s.hostname, rule)
                for s in scope.services
                if (rule := scope.destination_rule(s.hostname)) is not None
            )
        return found

    def proxy(self, workload: Workload) -> _Proxy:
        scope = resolver.compute_scope(self.mesh, workload)
        return _Proxy(
            sidecar=resource_name(scope.sidecar),
            origin=scope.origin,
            mode=scope.outbound_mode,
            outbound=resolver.outbound_listeners(scope),
            inbound=resolver.inbound_listeners(scope),
            services=scope.services,
            rules=self._rules(scope),
        )


def _keyed_changes(kind: ChangeKind, old: dict[str, Any], new: dict[str, Any]) -> Iterator[Change]:
    """One change per key whose value differs, in key order (added and removed included)."""
    for key in sorted(old.keys() | new.keys()):
        before, after = old.get(key), new.get(key)
        if before != after:
            yield Change(kind=kind, subject=key, old=before, new=after)


def _outbound_values(listeners: tuple[OutboundListener, ...]) -> dict[str, dict[str, Any]]:
    return {f"{li.address}:{li.port}": _behaviour(li.to_dict()) for li in listeners}


def _inbound_values(listeners: tuple[InboundListener, ...]) -> dict[str, dict[str, Any]]:
    return {str(li.port): _behaviour(li.to_dict()) for li in listeners}


def _changes(old: _Proxy, new: _Proxy) -> tuple[Change, ...]:
    """Every observable difference; equal values (the common case) are not taken apart."""
    found: list[Change] = []
    if (old.sidecar, old.origin) != (new.sidecar, new.origin):
        found.append(
            Change(
                kind=ChangeKind.SELECTION,
                subject="Sidecar",
                old=_selection_text(old.sidecar, old.origin),
                new=_selection_text(new.sidecar, new.origin),
            )
        )
    if old.mode != new.mode:  # T1, T4
        found.append(
            Change(kind=ChangeKind.OUTBOUND_MODE, subject="mode", old=old.mode, new=new.mode)
        )
    if old.outbound != new.outbound:
        found.extend(
            _keyed_changes(
                ChangeKind.OUTBOUND_LISTENERS,
                _outbound_values(old.outbound),
                _outbound_values(new.outbound),
            )
        )
    if old.inbound != new.inbound:
        found.extend(
            _keyed_changes(
                ChangeKind.INBOUND_LISTENERS,
                _inbound_values(old.inbound),
                _inbound_values(new.inbound),
            )
        )
    if old.services != new.services:
        found.extend(
            _keyed_changes(
                ChangeKind.SERVICES,
                {s.hostname: _service_value(s) for s in old.services},
                {s.hostname: _service_value(s) for s in new.services},
            )
        )
    if old.rules != new.rules:
        found.extend(
            _keyed_changes(
                ChangeKind.DESTINATION_RULES,
                {host: rule.to_dict() for host, rule in old.rules},
                {host: rule.to_dict() for host, rule in new.rules},
            )
        )
    return tuple(found)


def _by_name(mesh: Mesh) -> dict[str, Workload]:
    named: dict[str, Workload] = {}
    for workload in mesh.workloads:
        named.setdefault(str(workload), workload)
    return named


def diff(old: Mesh, new: Mesh) -> MeshDiff:
    """For every workload of both meshes (matched by namespace and name), what changes.

    Each :class:`WorkloadDiff` says which Sidecar applies before and after, the outbound
    mode, and every observable :class:`Change`: each outbound listener (by address and port,
    every field of its ``to_dict()`` but the egress entry it came from), each inbound
    listener (by port), the imported services with their ports and aliases, and the
    DestinationRule each of them uses. It also lists the outbound (host, port) pairs gained
    and lost, and the number of imported services before and after. Workloads without a
    name are matched by namespace alone; when two share a name, the first of each mesh is
    compared.
    """
    before, after = _by_name(old), _by_name(new)
    old_side, new_side = _Snapshot(old), _Snapshot(new)
    changed = []
    unchanged = 0
    for name in sorted(before.keys() & after.keys()):
        was, now = old_side.proxy(before[name]), new_side.proxy(after[name])
        was_pairs = now_pairs = frozenset[HostPort]()
        if was.outbound != now.outbound:
            was_pairs, now_pairs = _pairs(was.outbound), _pairs(now.outbound)
        result = WorkloadDiff(
            workload=name,
            old_sidecar=was.sidecar,
            new_sidecar=now.sidecar,
            old_origin=was.origin,
            new_origin=now.origin,
            old_mode=was.mode,
            new_mode=now.mode,
            gained=tuple(sorted(now_pairs - was_pairs)),
            lost=tuple(sorted(was_pairs - now_pairs)),
            old_services=len(was.services),
            new_services=len(now.services),
            changes=_changes(was, now),
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
