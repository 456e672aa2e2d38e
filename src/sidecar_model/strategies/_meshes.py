"""Whole meshes: namespaces, Services, ServiceEntries, Sidecars, routes and workloads."""

from __future__ import annotations

import datetime as dt
import functools
from typing import TYPE_CHECKING, Any, Final

import attrs
from hypothesis import strategies as st

from sidecar_model.model import Destination, WorkloadSelector
from sidecar_model.resources import (
    EXPORT_TO_ANNOTATION,
    DestinationRuleSpec,
    HTTPRoute,
    KubernetesServicePort,
    KubernetesServiceSpec,
    MatchLabelsSelector,
    NamespaceSpec,
    ObjectMeta,
    PodSpec,
    Resource,
    RouteDestination,
    RouteMatch,
    ServiceEntryPort,
    ServiceEntrySpec,
    Subset,
    VirtualServiceSpec,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sidecar_model.mesh import Mesh
from sidecar_model.strategies._listeners import Features, draw_sidecar, kit_for
from sidecar_model.strategies._values import (
    EPOCH,
    NETWORKING_API_VERSIONS,
    Draw,
    drawn,
    hosts,
    label_maps,
    optional,
    protocols,
)

_ROOT_NAMESPACE: Final = "istio-system"
# Meshes draw names from small pools, so that Sidecars, routes and workloads refer to the
# services that exist (and sometimes to ones that do not).
_MESH_NAMESPACES: Final = ("default", "shop", "web", "db")
_APPS: Final = ("web", "api", "db", "cart")
_ENTRY_HOSTS: Final = ("api.example.com", "db.example.com", "*.example.com", "*.wiki.org")
_MESH_HOSTS: Final = (
    *(f"{app}.{ns}.svc.cluster.local" for ns in _MESH_NAMESPACES for app in _APPS),
    *_ENTRY_HOSTS,
    "*.svc.cluster.local",
)
_SERVICE_PORTS: Final = ((80, "http"), (9090, "grpc"), (5432, "tcp-db"), (8080, None))
_EXPORT_FORMS: Final = ((), (".",), ("*",))


def _export_lists(*, hidden: bool) -> st.SearchStrategy[tuple[str, ...]]:
    """Lists for ``exportTo``: unset, ``.``, ``*``, ``~`` (ServiceEntries only), or namespaces."""
    forms = _EXPORT_FORMS + ((("~",), ("~",)) if hidden else ())  # "~" often: it hides
    targets = st.sampled_from((".", *_MESH_NAMESPACES))
    named = st.lists(targets, min_size=1, max_size=2, unique=True).map(tuple)
    return st.sampled_from(forms) | named


def _created() -> st.SearchStrategy[dt.datetime | None]:
    # A few distinct days, so that creation times tie and istiod's tie-breaks matter.
    return optional(st.integers(0, 3).map(lambda days: EPOCH + dt.timedelta(days=days)))


def _networking(kind: str, meta: ObjectMeta, spec: Any) -> Resource[Any]:  # noqa: ANN401
    return Resource(api_version=NETWORKING_API_VERSIONS[0], kind=kind, metadata=meta, spec=spec)


def _core(kind: str, meta: ObjectMeta, spec: Any) -> Resource[Any]:  # noqa: ANN401
    return Resource(api_version="v1", kind=kind, metadata=meta, spec=spec)


class _MeshKit:
    """The strategies :func:`mesh_resources` draws from, built once."""

    def __init__(self) -> None:
        self.booleans = st.booleans()
        self.namespaces = st.sampled_from(_MESH_NAMESPACES)
        self.namespace_lists = st.lists(self.namespaces, min_size=1, max_size=4, unique=True)
        self.namespace_labels = label_maps(max_size=1)
        self.apps = st.sampled_from(_APPS)
        self.created = _created()
        self.ports = st.lists(
            st.sampled_from(_SERVICE_PORTS), min_size=1, max_size=2, unique_by=lambda p: p[0]
        )
        self.protocols = optional(protocols())
        self.export = _export_lists(hidden=False)
        self.entry_export = _export_lists(hidden=True)
        self.entry_hosts = st.lists(
            st.sampled_from(_ENTRY_HOSTS) | hosts(), min_size=1, max_size=2, unique=True
        )
        self.locations = st.sampled_from(("MESH_EXTERNAL", "MESH_INTERNAL"))
        self.resolutions = st.sampled_from(("DNS", "NONE", "STATIC"))
        self.mesh_hosts = st.sampled_from(_MESH_HOSTS)
        self.source_namespaces = optional(self.namespaces)
        self.dr_export = st.sampled_from(((), (".",)))  # X3: a selector DR stays home
        self.versions = optional(st.sampled_from(("v1", "v2")))
        features = Features(
            max_ingress=1,
            max_egress=2,
            tls=False,
            namespaces=(*_MESH_NAMESPACES, _ROOT_NAMESPACE),
            dns_names=_MESH_HOSTS,
        )
        self.sidecar = kit_for(features)
        self.root_sidecar = kit_for(attrs.evolve(features, selector=False))

    def counts(self, limit: int) -> st.SearchStrategy[int]:
        return st.integers(0, max(0, limit))


_mesh_kit = functools.cache(_MeshKit)


def mesh_resources(  # noqa: PLR0913 - one size knob per kind
    *,
    max_services: int = 4,
    max_service_entries: int = 2,
    max_sidecars: int = 3,
    max_virtual_services: int = 2,
    max_destination_rules: int = 2,
    max_workloads: int = 4,
) -> st.SearchStrategy[list[Resource[Any]]]:
    """The resources of a small mesh, ready for :meth:`~sidecar_model.mesh.Mesh.from_resources`.

    Namespaces (among ``default``, ``shop``, ``web``, ``db``, and ``istio-system``, the root);
    Kubernetes Services, some with an exportTo annotation; ServiceEntries with FQDN or
    wildcard hosts and every exportTo form (``.``, ``*``, ``~``, namespaces); valid Sidecars,
    a root default, namespace-wide ones and selector ones, whose egress hosts name the mesh's
    namespaces and hosts; VirtualServices and DestinationRules on those hosts; and Pods whose
    ``app`` labels sometimes match the selectors. Names come from small pools, so that these
    refer to each other; the ``max_*`` knobs bound how many of each kind there are.
    """
    kit = _mesh_kit()
    limits: dict[str, st.SearchStrategy[Any]] = {
        "services": st.lists(
            st.tuples(kit.namespaces, kit.apps), max_size=max(0, max_services), unique=True
        ),
        "entries": kit.counts(max_service_entries),
        "sidecars": kit.counts(max_sidecars),
        "virtual_services": kit.counts(max_virtual_services),
        "destination_rules": kit.counts(max_destination_rules),
        "workloads": kit.counts(max_workloads),
    }
    return drawn(_draw_mesh, kit, limits)


def meshes(**sizes: int) -> st.SearchStrategy[Mesh]:
    """:class:`~sidecar_model.mesh.Mesh` values built from :func:`mesh_resources` (same knobs)."""
    from sidecar_model.mesh import Mesh  # noqa: PLC0415 - only mesh users pay for the import

    return mesh_resources(**sizes).map(Mesh.from_resources)


def _draw_mesh(
    draw: Draw, kit: _MeshKit, limits: dict[str, st.SearchStrategy[Any]]
) -> list[Resource[Any]]:
    namespaces = draw(kit.namespace_lists)
    found = [
        _core("Namespace", ObjectMeta(name=ns, labels=draw(kit.namespace_labels)), NamespaceSpec())
        for ns in (*namespaces, _ROOT_NAMESPACE)
    ]
    # Services are unique by namespace and name, ServiceEntry hosts by namespace and host:
    # istiod orders equals by registry order, which no input order can reproduce.
    found.extend(
        _draw_service(draw, kit, (namespace, app))
        for namespace, app in draw(limits["services"])
        if namespace in namespaces
    )
    used_hosts: set[tuple[str, str]] = set()
    found.extend(
        _draw_entry(draw, kit, namespaces, i, used_hosts) for i in range(draw(limits["entries"]))
    )
    if draw(kit.booleans):  # the root namespace's default Sidecar
        spec = draw_sidecar(draw, kit.root_sidecar, _ROOT_NAMESPACE)
        found.append(
            _networking("Sidecar", _mesh_meta(draw, kit, "default", _ROOT_NAMESPACE), spec)
        )
    found.extend(
        _draw_mesh_sidecar(draw, kit, namespaces, i) for i in range(draw(limits["sidecars"]))
    )
    found.extend(
        _draw_route(draw, kit, namespaces, i) for i in range(draw(limits["virtual_services"]))
    )
    found.extend(
        _draw_rule(draw, kit, namespaces, i) for i in range(draw(limits["destination_rules"]))
    )
    found.extend(_draw_pod(draw, kit, namespaces, i) for i in range(draw(limits["workloads"])))
    return found


def _mesh_meta(draw: Draw, kit: _MeshKit, name: str, namespace: str, **fields: Any) -> ObjectMeta:  # noqa: ANN401
    return ObjectMeta(
        name=name, namespace=namespace, creation_timestamp=draw(kit.created), **fields
    )


def _in(draw: Draw, kit: _MeshKit, namespaces: Sequence[str]) -> str:
    namespace: str = draw(kit.namespaces)
    return namespace if namespace in namespaces else namespaces[0]


def _draw_service(draw: Draw, kit: _MeshKit, key: tuple[str, str]) -> Resource[Any]:
    namespace, app = key
    ports = tuple(
        KubernetesServicePort(name=name, port=number, protocol="TCP")
        for number, name in draw(kit.ports)
    )
    export = draw(kit.export)
    annotations = {EXPORT_TO_ANNOTATION: ",".join(export)} if export else {}
    meta = _mesh_meta(draw, kit, app, namespace, annotations=annotations)
    return _core("Service", meta, KubernetesServiceSpec(ports=ports, selector={"app": app}))


def _draw_entry(
    draw: Draw,
    kit: _MeshKit,
    namespaces: Sequence[str],
    index: int,
    used_hosts: set[tuple[str, str]],
) -> Resource[Any]:
    namespace = _in(draw, kit, namespaces)
    hosts_ = [host for host in draw(kit.entry_hosts) if (namespace, host) not in used_hosts]
    used_hosts.update((namespace, host) for host in hosts_)
    ports = tuple(
        ServiceEntryPort(number=number, protocol=draw(kit.protocols), name=name or f"p{number}")
        for number, name in draw(kit.ports)
    )
    spec = ServiceEntrySpec(
        hosts=tuple(hosts_) or (f"se{index}.example.com",),
        ports=ports,
        location=draw(kit.locations),
        resolution=draw(kit.resolutions),
        export_to=draw(kit.entry_export),
    )
    meta = _mesh_meta(draw, kit, f"se{index}", namespace)
    return _networking("ServiceEntry", meta, spec)


def _draw_mesh_sidecar(
    draw: Draw, kit: _MeshKit, namespaces: Sequence[str], index: int
) -> Resource[Any]:
    namespace = _in(draw, kit, namespaces)
    spec = draw_sidecar(draw, kit.sidecar, namespace)
    if spec.workload_selector is not None:  # select the mesh's own workloads
        spec = attrs.evolve(
            spec, workload_selector=WorkloadSelector(labels={"app": draw(kit.apps)})
        )
    return _networking("Sidecar", _mesh_meta(draw, kit, f"sc{index}", namespace), spec)


def _draw_route(draw: Draw, kit: _MeshKit, namespaces: Sequence[str], index: int) -> Resource[Any]:
    source = draw(kit.source_namespaces)
    route = HTTPRoute(
        match=() if source is None else (RouteMatch(source_namespace=source),),
        route=(RouteDestination(destination=Destination(host=draw(kit.mesh_hosts))),),
    )
    spec = VirtualServiceSpec(
        hosts=(draw(kit.mesh_hosts),), export_to=draw(kit.export), http=(route,)
    )
    meta = _mesh_meta(draw, kit, f"vs{index}", _in(draw, kit, namespaces))
    return _networking("VirtualService", meta, spec)


def _draw_rule(draw: Draw, kit: _MeshKit, namespaces: Sequence[str], index: int) -> Resource[Any]:
    selector = None
    export = draw(kit.export)
    if draw(kit.booleans):
        selector = MatchLabelsSelector(match_labels={"app": draw(kit.apps)})
        export = draw(kit.dr_export)
    spec = DestinationRuleSpec(
        host=draw(kit.mesh_hosts),
        export_to=export,
        workload_selector=selector,
        subsets=(Subset(name="v1", labels={"version": "v1"}),),
    )
    meta = _mesh_meta(draw, kit, f"dr{index}", _in(draw, kit, namespaces))
    return _networking("DestinationRule", meta, spec)


def _draw_pod(draw: Draw, kit: _MeshKit, namespaces: Sequence[str], index: int) -> Resource[Any]:
    labels = {"app": draw(kit.apps)}
    version = draw(kit.versions)
    if version is not None:
        labels["version"] = version
    meta = _mesh_meta(draw, kit, f"pod{index}", _in(draw, kit, namespaces), labels=labels)
    return _core("Pod", meta, PodSpec())
