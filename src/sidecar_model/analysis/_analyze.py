"""Cross-resource checks of a mesh: istioctl analyze's Sidecar checks and this library's own."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from sidecar_model import resolver
from sidecar_model.hosts import is_wildcard, matches, parse_egress_host
from sidecar_model.mesh._values import MESH_GATEWAY
from sidecar_model.model import Protocol, Sidecar
from sidecar_model.resolver import SelectionOrigin, SidecarScope
from sidecar_model.resolver._imports import Verdict, _classify, _HostClass, _import_decision
from sidecar_model.resolver._scope import scope_of_sidecar
from sidecar_model.resolver._selection import _select
from sidecar_model.validation import Diagnostic

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping

    from sidecar_model.mesh import Mesh, MeshService, VirtualServiceInfo, Workload
    from sidecar_model.resolver import EgressScope, OutboundListener
    from sidecar_model.resources import Resource
from sidecar_model.analysis._checks import CHECKS

#: Pod annotation marking a pod whose traffic ambient mode redirects (§7 A4).
AMBIENT_REDIRECTION: Final = "ambient.istio.io/redirection"
#: How many host names a finding's message lists before "and N more".
_LISTED: Final = 5


def analyze(mesh: Mesh) -> tuple[Diagnostic, ...]:
    """Every finding of :data:`CHECKS` on ``mesh``, sorted by resource, then code and path.

    IST0101 and IST0110 match selectors against Pods (as istioctl does; workloads given to
    the mesh directly, without a source resource, count as pods); when the input has no Pods
    at all (a GitOps repository), against the pod templates of workload controllers and
    WorkloadEntries instead, and IST0101's message says so. The ``SM`` checks evaluate each
    Sidecar in its own namespace, with the scope the resolver computes for it (§3.9); SM0001
    and SM0004 to SM0006 also evaluate the root default Sidecar (§3.3) as if it lived in each
    other namespace whose workloads the resolver gives it (§3.4 step 2, §3.8), with messages
    naming that namespace.
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
    """A Pod, or a pod template, as the selector checks see it."""

    __slots__ = ("ambient", "kind", "labels", "name", "namespace")

    def __init__(
        self,
        namespace: str,
        name: str,
        labels: Mapping[str, str],
        *,
        ambient: bool,
        kind: str = "pod",
    ) -> None:
        self.namespace = namespace
        self.name = name
        self.labels = labels
        self.ambient = ambient
        #: ``pod``, or the kind whose pod template stands for pods (``Deployment``, ...).
        self.kind = kind


#: What stands for pods in an input without any, for the IST0101 message.
_TEMPLATES: Final = (
    "pod template of a Deployment, StatefulSet, DaemonSet, ReplicaSet, Job or CronJob, "
    "and no WorkloadEntry,"
)


def _pods(mesh: Mesh) -> tuple[dict[str, list[_Pod]], bool]:
    """What the selector checks match, by namespace, and whether those are Pods.

    The Pods of the mesh and the workloads given without a source; when the input has
    none (a GitOps repository holds controllers, not Pods), the workloads of controllers'
    pod templates and WorkloadEntries instead.
    """
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
    if pods:
        return pods, True
    for workload in mesh.workloads:
        kind = "pod" if workload.source is None else workload.source.kind
        pods.setdefault(workload.namespace, []).append(
            _Pod(workload.namespace, workload.name, workload.labels, ambient=False, kind=kind)
        )
    return pods, False


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
        pods, real = _pods(self.mesh)
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
                why = (
                    f"no Pod in namespace {namespace} has these labels"
                    f"{self._template_hint(namespace, labels)}"
                    if real
                    else f"the input has no Pods, and no {_TEMPLATES} in namespace {namespace} "
                    "has these labels"
                )
                self.report(
                    "IST0101",
                    sidecar,
                    f"spec.workloadSelector.labels.{min(labels)}",
                    f'Referenced selector not found: "{rendered}" ({why})',
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
                    f'workload {pod.kind} "{pod.name}", which can lead to undefined behavior '
                    "(the oldest wins, 3.5).",
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
        if policy is not None and policy.mode is None:  # T1
            self.report(
                "SM0007",
                sidecar,
                "spec.outboundTrafficPolicy",
                "outboundTrafficPolicy sets no mode, which means REGISTRY_ONLY whatever the "
                "mesh-wide mode (T1): traffic to hosts outside the registry is blocked; write "
                "mode: REGISTRY_ONLY or ALLOW_ANY, or remove outboundTrafficPolicy to take the "
                "mesh's",
            )
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
