"""Cross-resource checks of a mesh, what-if diffs between two meshes, and namespace reachability.

:func:`analyze` reports what no single-object validation can see: istioctl analyze's Sidecar
checks (semantics §7: IST0101, IST0110, IST0111, IST0167, IST0002) and this library's own
checks (``SM0001`` .. ``SM0006``), which use the resolver's answers (§3 to §5). Every finding
is a :class:`~sidecar_model.validation.Diagnostic` naming the Sidecar it is reported on and a
wire path in it, so a Sidecar loaded from text gets its file, line and column. :data:`CHECKS`
describes every code; ``docs/analysis.md`` explains each with its fix.

:func:`diff` compares two snapshots of a mesh workload by workload (selection, outbound hosts
and ports, imported services), and :func:`reachability` draws which namespaces can reach which.

Scopes come from :mod:`sidecar_model.resolver` and its per-(Sidecar, namespace) cache, so
analysing a mesh computes each scope once, and a later resolution of the same mesh reuses it.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any, Final

import attrs

from sidecar_model import resolver
from sidecar_model._results import Result, resource_name
from sidecar_model.hosts import is_wildcard, matches, parse_egress_host
from sidecar_model.mesh._values import MESH_GATEWAY
from sidecar_model.model import Protocol, Sidecar
from sidecar_model.resolver import SelectionOrigin, SidecarScope
from sidecar_model.resolver._imports import Verdict, _classify, _HostClass, _import_decision
from sidecar_model.resolver._scope import scope_of_sidecar
from sidecar_model.resolver._selection import _select
from sidecar_model.validation import Diagnostic, Severity

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping

    from sidecar_model.mesh import Mesh, MeshService, VirtualServiceInfo, Workload
    from sidecar_model.resolver import EgressScope, OutboundListener
    from sidecar_model.resources import Resource

__all__ = [
    "CHECKS",
    "Check",
    "MeshDiff",
    "ReachabilityEdge",
    "ReachabilityGraph",
    "WorkloadDiff",
    "analyze",
    "diff",
    "reachability",
]

#: Pod annotation marking a pod whose traffic ambient mode redirects (§7 A4).
AMBIENT_REDIRECTION: Final = "ambient.istio.io/redirection"
#: How many host names a finding's message lists before "and N more".
_LISTED: Final = 5


# =========================================================================== the checks


@attrs.frozen(kw_only=True)
class Check:
    """One analysis check: its stable code, severity, title and what it means."""

    code: str
    severity: Severity
    title: str
    summary: str
    #: Where the check comes from: ``istioctl analyze`` or ``sidecar-model``.
    origin: str

    def __str__(self) -> str:
        """``IST0101 (error, istioctl analyze): title``."""
        return f"{self.code} ({self.severity.value}, {self.origin}): {self.title}"


def _check(code: str, severity: Severity, title: str, summary: str) -> Check:
    origin = "istioctl analyze" if code.startswith("IST") else "sidecar-model"
    return Check(code=code, severity=severity, title=title, summary=summary, origin=origin)


#: Every code :func:`analyze` can report, in documentation order.
CHECKS: Final[Mapping[str, Check]] = {
    c.code: c
    for c in (
        _check(
            "IST0101",
            Severity.ERROR,
            "ReferencedResourceNotFound: the workload selector matches no pod",
            "A Sidecar's workloadSelector labels match no Pod in its namespace (§7 A2).",
        ),
        _check(
            "IST0110",
            Severity.ERROR,
            "ConflictingSidecarWorkloadSelectors: several Sidecars select one pod",
            "Two or more selector Sidecars match the same non-ambient Pod (§7 A3).",
        ),
        _check(
            "IST0111",
            Severity.ERROR,
            "MultipleSidecarsWithoutWorkloadSelectors",
            "A namespace has two or more Sidecars without selector labels (§7 A1, A6).",
        ),
        _check(
            "IST0167",
            Severity.WARNING,
            "IneffectivePolicy: the Sidecar applies to ambient workloads",
            "The Sidecar selects an ambient pod, or is namespace-wide in an ambient "
            "namespace (§7 A4, A5).",
        ),
        _check(
            "IST0002",
            Severity.WARNING,
            "Deprecated: outboundTrafficPolicy.egressProxy",
            "The egressProxy field is deprecated (§7.2), although istiod still uses it (T3).",
        ),
        _check(
            "SM0001",
            Severity.WARNING,
            "An egress host imports nothing",
            "An egress hosts entry matches no service and no VirtualService the Sidecar's "
            "namespace can import (§5.4, §5.6).",
        ),
        _check(
            "SM0002",
            Severity.WARNING,
            "A root-namespace Sidecar has a selector",
            "A Sidecar in the root namespace with a workloadSelector is never the mesh-wide "
            "default; it only applies to root-namespace workloads (§3.3).",
        ),
        _check(
            "SM0003",
            Severity.WARNING,
            "An empty workloadSelector",
            "workloadSelector: {} matches every workload of the namespace and outranks the "
            "namespace's selector-less Sidecar; istioctl analyze treats it as namespace-wide "
            "(§3.5, §7 A1).",
        ),
        _check(
            "SM0004",
            Severity.WARNING,
            "A ported listener hides catch-all hosts on its port",
            "Hosts the catch-all listener imports on port P get no listener or route on P, "
            "because the egress listener on P owns that port (MSP1, MSP2).",
        ),
        _check(
            "SM0005",
            Severity.WARNING,
            "A VirtualService for an imported host is not imported",
            "An egress listener imports a host, and imports no VirtualService for it, while a "
            "visible VirtualService routes it: VirtualServices are imported by their own "
            "namespace (§5.6, §5.17 E4), so the host gets default routing. One finding per "
            "egress listener.",
        ),
        _check(
            "SM0006",
            Severity.WARNING,
            "exportTo hides a host the Sidecar asks for",
            "An egress entry names ns/host exactly, the service exists in ns, but its exportTo "
            "does not reach the Sidecar's namespace (§4.2).",
        ),
    )
}


def analyze(mesh: Mesh) -> tuple[Diagnostic, ...]:
    """Every finding of :data:`CHECKS` on ``mesh``, sorted by resource, then code and path.

    IST0101 and IST0110 match selectors against Pods only (as istioctl does; WorkloadEntries
    and controller templates are ignored); workloads given to the mesh directly, without a
    source resource, count as pods. The ``SM`` checks evaluate each Sidecar in its own
    namespace, with the scope the resolver computes for it (§3.9); SM0001 and SM0004 to SM0006
    also evaluate the root default Sidecar (§3.3) as if it lived in each other namespace whose
    workloads the resolver gives it (§3.4 step 2, §3.8), with messages naming that namespace.
    """
    run = _Analysis(mesh)
    run.selectors()
    for sidecar in mesh.sidecars:
        run.sidecar(sidecar)
    run.root_default()
    return tuple(sorted(run.found, key=_sort_key))


def _sort_key(diagnostic: Diagnostic) -> tuple[str, str, str, str, str, str]:
    resource = diagnostic.resource
    namespace = "" if resource is None else resource.namespace or ""
    name = "" if resource is None else resource.name or ""
    kind = "" if resource is None else resource.kind
    return (namespace, name, kind, diagnostic.code, diagnostic.path, diagnostic.message)


class _Pod:
    """A Pod as the selector checks see it."""

    __slots__ = ("ambient", "labels", "name", "namespace")

    def __init__(
        self, namespace: str, name: str, labels: Mapping[str, str], *, ambient: bool
    ) -> None:
        self.namespace = namespace
        self.name = name
        self.labels = labels
        self.ambient = ambient


def _pods(mesh: Mesh) -> dict[str, list[_Pod]]:
    """The Pods of the mesh by namespace, and the workloads given without a source."""
    pods: dict[str, list[_Pod]] = {}
    for resource in mesh.resources:
        if resource.kind == "Pod" and resource.api_group == "":
            namespace = resource.namespace or "default"
            meta = resource.metadata
            ambient = meta.annotations.get(AMBIENT_REDIRECTION) == "enabled"
            pods.setdefault(namespace, []).append(
                _Pod(namespace, resource.name or "", meta.labels, ambient=ambient)
            )
    for workload in mesh.workloads:
        if workload.source is None:
            pods.setdefault(workload.namespace, []).append(
                _Pod(workload.namespace, workload.name, workload.labels, ambient=False)
            )
    return pods


def _selector_labels(sidecar: Resource[Sidecar]) -> Mapping[str, str]:
    selector = sidecar.spec.workload_selector
    return {} if selector is None else selector.labels


def _go_list(names: Iterable[str]) -> str:
    # istioctl formats the name lists with Go's %v: "[a b]".
    return "[" + " ".join(sorted(names)) + "]"


def _listed(hosts: list[str]) -> str:
    shown = ", ".join(hosts[:_LISTED])
    more = len(hosts) - _LISTED
    return shown + (f" and {more} more" if more > 0 else "")


class _Analysis:
    """One run of :func:`analyze`: the mesh, shared indexes and the findings so far."""

    def __init__(self, mesh: Mesh) -> None:
        self.mesh = mesh
        self.found: list[Diagnostic] = []
        self._vs_by_host: dict[str, list[VirtualServiceInfo]] | None = None
        self._templates: dict[str, list[Workload]] | None = None

    def report(self, code: str, sidecar: Resource[Sidecar], path: str, message: str) -> None:
        self.found.append(
            Diagnostic(
                code=code,
                severity=CHECKS[code].severity,
                path=path,
                message=message,
                resource=sidecar,
            )
        )

    # ------------------------------------------------------------------ §7.1

    def _ambient_namespace(self, namespace: str) -> bool:
        labels = self.mesh.namespaces.get(namespace)
        return (
            labels is not None
            and labels.get("istio.io/dataplane-mode") == "ambient"
            and labels.get("istio-injection") != "enabled"
            and not labels.get("istio.io/rev")
        )

    def selectors(self) -> None:
        """IST0101, IST0110, IST0111 and IST0167, as ``sidecar.SelectorAnalyzer`` (§7.1)."""
        pods = _pods(self.mesh)
        by_pod: dict[tuple[str, int], tuple[_Pod, list[Resource[Sidecar]]]] = {}
        namespace_wide: dict[str, list[Resource[Sidecar]]] = {}
        for sidecar in self.mesh.sidecars:
            namespace = sidecar.namespace or "default"
            labels = _selector_labels(sidecar)
            if not labels:  # A1: absent or empty is namespace-scoped for the analyzer
                namespace_wide.setdefault(namespace, []).append(sidecar)
                continue
            found = False
            for index, pod in enumerate(pods.get(namespace, ())):
                if labels.items() <= pod.labels.items():
                    found = True
                    by_pod.setdefault((namespace, index), (pod, []))[1].append(sidecar)
            if not found:  # A2
                rendered = ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
                self.report(
                    "IST0101",
                    sidecar,
                    f"spec.workloadSelector.labels.{min(labels)}",
                    f'Referenced selector not found: "{rendered}" (no Pod in namespace '
                    f"{namespace} has these labels{self._template_hint(namespace, labels)})",
                )
        self._overlaps(by_pod.values())
        self._namespace_wide(namespace_wide)

    def _template_hint(self, namespace: str, labels: Mapping[str, str]) -> str:
        """Name a controller whose pod template matches: its pods were not loaded."""
        if self._templates is None:
            self._templates = {}
            for workload in self.mesh.workloads:
                source = workload.source
                if source is not None and source.kind not in {"Pod", "WorkloadEntry"}:
                    self._templates.setdefault(workload.namespace, []).append(workload)
        for workload in self._templates.get(namespace, ()):
            source = workload.source
            if source is not None and labels.items() <= workload.labels.items():
                return (
                    f"; the pod template of {source.kind} {source.name} matches, but istioctl "
                    "analyze only counts running Pods: load them too"
                )
        return ""

    def _overlaps(self, matched: Iterable[tuple[_Pod, list[Resource[Sidecar]]]]) -> None:
        """IST0167 for ambient pods (A4), IST0110 for the others (A3)."""
        ambient_reported: list[Resource[Sidecar]] = []
        for pod, sidecars in matched:
            if pod.ambient:
                for sidecar in sidecars:
                    if sidecar not in ambient_reported:  # once per Sidecar
                        ambient_reported.append(sidecar)
                        self.report(
                            "IST0167",
                            sidecar,
                            "metadata.name",
                            "The policy has no impact: the selected workload is in ambient "
                            f"mode (pod {pod.namespace}/{pod.name}).",
                        )
                continue
            if len(sidecars) < 2:  # noqa: PLR2004 - a conflict needs two
                continue
            names = _go_list(s.name or "" for s in sidecars)
            for sidecar in sidecars:  # once per (pod, Sidecar)
                self.report(
                    "IST0110",
                    sidecar,
                    "metadata.name",
                    f'The Sidecars {names} in namespace "{pod.namespace}" select the same '
                    f'workload pod "{pod.name}", which can lead to undefined behavior (the '
                    "oldest wins, 3.5).",
                )

    def _namespace_wide(self, namespace_wide: dict[str, list[Resource[Sidecar]]]) -> None:
        """IST0167 in ambient namespaces (A5), else IST0111 (A6)."""
        for namespace, sidecars in namespace_wide.items():
            if self._ambient_namespace(namespace):
                for sidecar in sidecars:
                    self.report(
                        "IST0167",
                        sidecar,
                        "metadata.name",
                        "The policy has no impact: the namespace is in ambient mode.",
                    )
                continue
            if len(sidecars) < 2:  # noqa: PLR2004 - a conflict needs two
                continue
            names = _go_list(s.name or "" for s in sidecars)
            for sidecar in sidecars:
                self.report(
                    "IST0111",
                    sidecar,
                    "metadata.name",
                    f'The Sidecars {names} in namespace "{namespace}" have no workload '
                    "selector, which can lead to undefined behavior (the oldest wins, 3.5).",
                )

    # ------------------------------------------------------------------ per Sidecar

    def sidecar(self, sidecar: Resource[Sidecar]) -> None:
        """IST0002 and the SM checks of one Sidecar."""
        spec = sidecar.spec
        namespace = sidecar.namespace or "default"
        root = self.mesh.config.root_namespace
        policy = spec.outbound_traffic_policy
        if policy is not None and policy.egress_proxy is not None:
            self.report(
                "IST0002",
                sidecar,
                "spec.outboundTrafficPolicy.egressProxy",
                "Deprecated: the EgressProxy field is ignored (istioctl's text; istiod 1.31 "
                "still sends ALLOW_ANY traffic to it, T3).",
            )
        selector = spec.workload_selector
        if selector is not None and namespace == root:
            self.report(
                "SM0002",
                sidecar,
                "spec.workloadSelector",
                f"a Sidecar with a workloadSelector in the root namespace {root} is never the "
                "mesh-wide default; it only applies to matching workloads of "
                f"{root} (3.3). Remove the selector to make it the default.",
            )
        if selector is not None and not selector.labels:
            shadowed = [
                s.name or ""
                for s in self.mesh.sidecars_by_namespace.get(namespace, ())
                if s.spec.workload_selector is None
            ]
            outranks = f"; it outranks {', '.join(shadowed)}" if shadowed else ""
            self.report(
                "SM0003",
                sidecar,
                "spec.workloadSelector",
                f"an empty workloadSelector matches every workload in {namespace} and beats "
                f"the namespace's selector-less Sidecar{outranks} (3.5), while istioctl "
                "analyze treats it as namespace-wide; remove workloadSelector or give it labels",
            )
        if not spec.egress:
            return  # the implicit */* listener: nothing of SM0001, SM0004..SM0006 can fire
        self._egress_checks(sidecar, namespace, "")

    def root_default(self) -> None:
        """SM0001, SM0004..SM0006 of the root default in each other namespace it covers (§3.8).

        The namespaces are those with a workload the resolver's selection gives the root
        default (§3.4 step 2): none of their own Sidecars selects it.
        """
        mesh = self.mesh
        root = mesh.root_default_sidecar
        if root is None or not root.spec.egress:
            return
        home = root.namespace or "default"
        covered: set[str] = set()
        for workload in mesh.workloads:
            namespace = workload.namespace
            if namespace == home or namespace in covered:
                continue
            chosen, origin = _select(mesh, workload)
            if chosen is root and origin is SelectionOrigin.ROOT_DEFAULT:
                covered.add(namespace)
        for namespace in sorted(covered):
            self._egress_checks(root, namespace, f"in namespace {namespace}: ")

    def _egress_checks(self, sidecar: Resource[Sidecar], namespace: str, where: str) -> None:
        """SM0001, SM0004..SM0006 of ``sidecar`` applied in ``namespace``.

        ``where`` prefixes every message ("in namespace N: " for the root default elsewhere).
        """
        reported = len(self.found)
        scope = self._scope(sidecar, namespace)
        for egress in scope.egress:
            self._hosts(sidecar, namespace, egress, where)
            self._virtual_services(sidecar, namespace, egress, where)
        self._ported(sidecar, scope, where)
        if where:  # once per (check, namespace, path)
            seen: set[tuple[str, str]] = set()
            kept = self.found[:reported]
            for diagnostic in self.found[reported:]:
                key = (diagnostic.code, diagnostic.path)
                if key not in seen:
                    seen.add(key)
                    kept.append(diagnostic)
            self.found = kept

    def _scope(self, sidecar: Resource[Sidecar], namespace: str) -> SidecarScope:
        """The resolver's scope of ``sidecar`` applied in ``namespace`` (cached there, §3.9)."""
        return scope_of_sidecar(self.mesh, sidecar, namespace)

    # ------------------------------------------------------------------ SM0001, SM0006

    def _hosts(
        self, sidecar: Resource[Sidecar], namespace: str, egress: EgressScope, where: str
    ) -> None:
        mesh = self.mesh
        by_namespace: dict[str, list[MeshService]] = {}
        for service in egress.services:
            by_namespace.setdefault(service.namespace, []).append(service)
        for position, text in enumerate(egress.listener.hosts):
            entry = parse_egress_host(text)
            if entry is None or entry.excluded:
                continue
            key = namespace if entry.namespace == "." else entry.namespace
            dns = entry.dns_name
            path = f"spec.egress[{egress.index}].hosts[{position}]"
            alone, _ = _classify([text], namespace)  # the import decision of this entry only
            pool = egress.services if key == "*" else by_namespace.get(key, ())
            if any(_includes(alone, s) for s in pool):
                continue
            if any(
                (key in {"*", vs.namespace}) and any(matches(h, dns) for h in vs.hosts)
                for vs in egress.virtual_services
            ):
                continue
            if key != "*" and not is_wildcard(dns):
                declared = [s for s in mesh.services_by_hostname.get(dns, ()) if s.namespace == key]
                if declared and not any(mesh.service_visible(s, namespace) for s in declared):
                    export = ",".join(sorted(mesh.export_of(declared[0])))
                    self.report(
                        "SM0006",
                        sidecar,
                        path,
                        f"{where}{text!r} asks for {dns} in {key}, which exists, but its exportTo "
                        f"({export}) hides it from {namespace} (4.2); add {namespace} to its "
                        "exportTo or drop the entry",
                    )
                    continue
            self.report(
                "SM0001",
                sidecar,
                path,
                f"{where}{text!r} imports nothing in {namespace}: "
                f"{self._why_nothing(key, dns, alone, egress)}",
            )

    def _why_nothing(
        self, key: str, dns: str, alone: dict[str, _HostClass], egress: EgressScope
    ) -> str:
        mesh = self.mesh
        if is_wildcard(dns):
            pool: Iterable[MeshService] = (
                mesh.services if key == "*" else mesh.services_by_namespace.get(key, ())
            )
        else:
            pool = mesh.services_by_hostname.get(dns, ())
        declared = [s for s in pool if _includes(alone, s)]
        if not declared:
            where = "any namespace" if key == "*" else f"namespace {key}"
            return f"no service or VirtualService in {where} matches {dns} (5.4)"
        port = egress.port
        hint = f", has port {port}" if port else ""
        return (
            f"{len(declared)} service(s) match, but none is visible{hint} and survives the "
            "listener's exclusions and namespace choice (4.2, 5.4, 5.5); see explain_host"
        )

    # ------------------------------------------------------------------ SM0005

    def _vs_index(self) -> dict[str, list[VirtualServiceInfo]]:
        if self._vs_by_host is None:
            index: dict[str, list[VirtualServiceInfo]] = {}
            for vs in self.mesh.virtual_services:
                if vs.is_delegate or (vs.gateways and MESH_GATEWAY not in vs.gateways):
                    continue
                for host in vs.hosts:
                    index.setdefault(host, []).append(vs)
            self._vs_by_host = index
        return self._vs_by_host

    def _virtual_services(
        self, sidecar: Resource[Sidecar], namespace: str, egress: EgressScope, where: str
    ) -> None:
        hosts = egress.listener.hosts
        if any(_imports_everything(text) for text in hosts):
            return  # '*/*' selects every visible VirtualService (5.6)
        index = self._vs_index()
        if not index:
            return
        selected = set(egress.virtual_services)
        routed = {host for vs in egress.virtual_services for host in vs.hosts}
        # Host -> the visible VirtualServices routing it, none of them imported.
        missed: dict[str, list[VirtualServiceInfo]] = {}
        for service in egress.services:
            hostname = service.hostname
            keys = tuple(_covering_keys(hostname))
            if any(key in routed for key in keys):
                continue  # an imported VirtualService routes it already (5.10)
            for key in keys:
                for vs in index.get(key, ()):
                    if vs in selected or (
                        "*" not in vs.export_to and namespace not in vs.export_to
                    ):
                        continue  # selected, or not visible to the Sidecar's namespace (4.3)
                    missed.setdefault(hostname, []).append(vs)
        if not missed:
            return
        hostname, routes = next(iter(missed.items()))
        described = [
            f"{host} ({', '.join(f'{vs.namespace}/{vs.name}' for vs in found[:2])}"
            f"{', ...' if len(found) > 2 else ''})"  # noqa: PLR2004 - two named, then "..."
            for host, found in missed.items()
        ]
        self.report(
            "SM0005",
            sidecar,
            f"spec.egress[{egress.index}].hosts",
            f"{where}egress[{egress.index}] imports {len(missed)} host(s) but not the "
            "VirtualServices routing them, so they get default routing: "
            f"{_listed(described)}. VirtualServices "
            "are imported by their own namespace (5.6, E4): add entries such as "
            f"'{routes[0].namespace}/{hostname}' (or '{routes[0].namespace}/*') to the hosts",
        )

    # ------------------------------------------------------------------ SM0004

    def _ported(self, sidecar: Resource[Sidecar], scope: SidecarScope, where: str) -> None:
        egress = scope.egress
        catch_all = [e for e in egress if e.listener.port is None]
        ported = [
            e
            for e in egress
            if e.listener.port is not None
            and e.listener.port.number
            and e.listener.port.parsed_protocol is not Protocol.HTTP_PROXY
        ]
        if not catch_all or not ported:
            return
        listeners = resolver.outbound_listeners(scope)
        for owner in ported:
            assert owner.listener.port is not None  # noqa: S101 - filtered above
            number = owner.listener.port.number or 0
            carried = _carried(listeners, number)
            hidden: dict[str, int] = {}
            for other in catch_all:
                for service in other.services:
                    port = service.port(number)
                    if (
                        port is not None
                        and port.protocol is not Protocol.UDP
                        and service.hostname not in carried
                    ):
                        hidden.setdefault(service.hostname, other.index)
            if not hidden:
                continue
            names = list(hidden)
            sources = ", ".join(f"egress[{i}]" for i in sorted(set(hidden.values())))
            self.report(
                "SM0004",
                sidecar,
                f"spec.egress[{owner.index}].port",
                f"{where}egress[{owner.index}] owns port {number}, so {len(names)} host(s) the "
                f"catch-all {sources} imports on that port get no listener or route there "
                f"(MSP1, MSP2): {_listed(names)}; add them to egress[{owner.index}].hosts or "
                "move the port",
            )


def _carried(listeners: tuple[OutboundListener, ...], number: int) -> set[str]:
    return {host for listener in listeners if listener.port == number for host in listener.hosts}


def _includes(alone: dict[str, _HostClass], service: MeshService) -> bool:
    """Whether one egress entry, classified alone, imports ``service`` by name (5.4, W1)."""
    return _import_decision(alone, service, None)[0] is Verdict.IMPORTED


def _imports_everything(text: str) -> bool:
    entry = parse_egress_host(text)
    return (
        entry is not None
        and not entry.excluded
        and entry.namespace == "*"
        and entry.dns_name == "*"
    )


def _covering_keys(hostname: str) -> Iterator[str]:
    """The VirtualService host strings that can route ``hostname``: itself and its wildcards."""
    yield hostname
    rest = hostname.removeprefix("*")
    start = rest.find(".")
    while start >= 0:
        yield "*" + rest[start:]
        start = rest.find(".", start + 1)
    yield "*"


# =========================================================================== presentation


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
            f"<pre>{html.escape(str(self))}</pre>"
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
    per_scope: dict[int, dict[str, frozenset[str]]] = {}
    hosts: dict[tuple[str, str], set[str]] = {}
    workloads: dict[tuple[str, str], int] = {}
    for workload in mesh.workloads:
        scope = resolver.compute_scope(mesh, workload)
        union = scope.services
        imported = per_scope.get(id(union))
        if imported is None:
            grouped: dict[str, set[str]] = {}
            for service in union:
                grouped.setdefault(service.namespace, set()).add(service.hostname)
            imported = per_scope[id(union)] = {ns: frozenset(h) for ns, h in grouped.items()}
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
