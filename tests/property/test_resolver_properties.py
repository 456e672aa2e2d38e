"""The resolver on generated meshes: agreement with the reference, and metamorphic properties.

Each property builds a mesh from :func:`sidecar_model.strategies.mesh_resources`, changes
the input in a way whose effect the semantics pins down, and compares what the resolver
computes for every sidecar workload before and after.

A property whose precondition the drawn mesh lacks (no sidecar workload, no Sidecar with
egress that applies to one, no hidden service, no ported listener) would pass without
checking anything, so the mesh is completed to meet it: a Pod, a Sidecar or a Service is
added, written as a user would. ``event()`` records, per example, whether the precondition
held as drawn or was targeted; ``pytest --hypothesis-show-statistics`` shows the shares
(``nox -s property`` does), and every property checks something in every example.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import attrs
import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from sidecar_model import loads, resolver
from sidecar_model import strategies as sms
from sidecar_model.mesh import Mesh, MeshConfig, ProxyType, ServiceEntryVisibility, Workload
from sidecar_model.model import IstioEgressListener, Sidecar, WorkloadSelector
from sidecar_model.resources import ObjectMeta, Resource
from tests import resolver_reference as reference
from tests.test_resolver import CONFIGS, real

if TYPE_CHECKING:
    import random

pytestmark = pytest.mark.property

Resources = list[Resource[Any]]
configs = st.sampled_from(CONFIGS)


def _sidecar_workloads(mesh: Mesh) -> list[Workload]:
    return [w for w in mesh.workloads if w.proxy_type is ProxyType.SIDECAR]


_NAMESPACE_NAMES = st.sampled_from(["default", "shop", "web", "db"])
_APPS = st.sampled_from(["web", "api", "db", "cart"])
_EGRESS_HOSTS = st.sampled_from(
    ["./*", "*/*", "istio-system/*", "*/*.example.com", "shop/*", "~./*.example.com", "db/*"]
)


def _loaded(text: str) -> Resource[Any]:
    return loads(text)[0]


def _pod(namespace: str, app: str) -> Resource[Any]:
    return _loaded(
        "apiVersion: v1\nkind: Pod\n"
        f"metadata: {{name: targeted-{app}, namespace: {namespace}, labels: {{app: {app}}}}}\n"
        "spec: {}\n"
    )


def _with_workload(resources: Resources, data: st.DataObject) -> Resources:
    """``resources``, plus a Pod when no sidecar workload is among them."""
    if _sidecar_workloads(Mesh.from_resources(resources)):
        event("precondition: a sidecar workload, as drawn")
        return resources
    event("precondition: a sidecar workload, targeted")
    return [*resources, _pod(data.draw(_NAMESPACE_NAMES), data.draw(_APPS))]


def _sidecar_for(
    workload: Workload, data: st.DataObject, *, port: int | None = None
) -> Resource[Any]:
    """A Sidecar that selects ``workload`` first (oldest, smallest name, with a selector)."""
    hosts = data.draw(st.lists(_EGRESS_HOSTS, min_size=1, max_size=3, unique=True))
    listener = {"hosts": hosts}
    egress: list[dict[str, Any]] = [listener]
    if port is not None:
        egress.insert(0, {"port": {"number": port, "name": f"p{port}"}, "hosts": ["*/*"]})
    text = json.dumps(
        {
            "apiVersion": "networking.istio.io/v1",
            "kind": "Sidecar",
            "metadata": {"name": "0-targeted", "namespace": workload.namespace},
            "spec": {"workloadSelector": {"labels": dict(workload.labels)}, "egress": egress},
        }
    )
    return _loaded(text)


def _with_applied_sidecar(resources: Resources, data: st.DataObject) -> tuple[Resources, int]:
    """``resources`` where a Sidecar with egress applies to a workload, and that Sidecar's index."""
    resources = _with_workload(resources, data)
    mesh = Mesh.from_resources(resources)
    workloads = _sidecar_workloads(mesh)
    chosen = {id(resolver.select_sidecar(mesh, w).sidecar) for w in workloads}
    applied = [i for i in _sidecar_indexes(resources) if id(resources[i]) in chosen]
    if applied:
        event("precondition: a Sidecar with egress applies to a workload, as drawn")
        return resources, data.draw(st.sampled_from(applied))
    event("precondition: a Sidecar with egress applies to a workload, targeted")
    added = _sidecar_for(data.draw(st.sampled_from(workloads)), data)
    return [*resources, added], len(resources)


def _results(resources: Resources, config: MeshConfig) -> dict[tuple[str, str], dict[str, Any]]:
    mesh = Mesh.from_resources(resources, config=config)
    return {(w.namespace, w.name): real(mesh, w) for w in _sidecar_workloads(mesh)}


def _imports(resources: Resources, config: MeshConfig) -> dict[tuple[str, str], list[set[str]]]:
    """Per workload, the hostnames each egress listener imports."""
    mesh = Mesh.from_resources(resources, config=config)
    return {
        (w.namespace, w.name): [
            {s.hostname for s in egress.services}
            for egress in resolver.compute_scope(mesh, w).egress
        ]
        for w in _sidecar_workloads(mesh)
    }


@given(sms.mesh_resources(), configs, st.data())
def test_agrees_with_the_reference(
    resources: Resources, config: MeshConfig, data: st.DataObject
) -> None:
    mesh = Mesh.from_resources(_with_workload(resources, data), config=config)
    for workload in _sidecar_workloads(mesh):
        assert real(mesh, workload) == reference.scope(mesh, workload), workload


@given(sms.mesh_resources(), configs, st.randoms(use_true_random=False), st.data())
def test_input_order_never_changes_results(
    resources: Resources, config: MeshConfig, rng: random.Random, data: st.DataObject
) -> None:
    resources = _with_workload(resources, data)
    shuffled = list(resources)
    rng.shuffle(shuffled)
    assert _results(shuffled, config) == _results(resources, config)


@given(sms.mesh_resources(), configs, _NAMESPACE_NAMES)
def test_export_to_tilde_hides_a_service_from_every_namespace(
    resources: Resources, config: MeshConfig, namespace: str
) -> None:
    if any(s.export_to == frozenset({"~"}) for s in Mesh.from_resources(resources).services):
        event("precondition: a service exported to ~, as drawn")
    else:
        event("precondition: a service exported to ~, targeted")
        hidden_service = (
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: hidden\n"
            f"  namespace: {namespace}\n"
            "  annotations: {networking.istio.io/exportTo: '~'}\n"
            "spec: {ports: [{name: http, port: 80}], selector: {app: web}}\n"
        )
        resources = [*resources, _loaded(hidden_service)]
    mesh = Mesh.from_resources(resources, config=config)
    hidden = [s for s in mesh.services if s.export_to == frozenset({"~"})]
    assert hidden
    for client in mesh.namespaces:
        visible = resolver.services_visible_to(mesh, client)
        for service in hidden:
            assert not resolver.is_service_visible(mesh, service, client)
            assert all(v is not service for v in visible)


def _sidecar_indexes(resources: Resources) -> list[int]:
    return [i for i, r in enumerate(resources) if isinstance(r.spec, Sidecar) and r.spec.egress]


def _edit_host(resources: Resources, data: st.DataObject, edit: Any) -> tuple[Resources, Resources]:
    """A mesh and a copy in which ``edit`` changed the hosts of one egress listener of a
    Sidecar that applies to some workload (targeted when the drawn mesh has none)."""
    resources, index = _with_applied_sidecar(resources, data)
    resource = resources[index]
    spec: Sidecar = resource.spec
    which = data.draw(st.integers(0, len(spec.egress) - 1))
    listener = spec.egress[which]
    changed = attrs.evolve(listener, hosts=edit(listener.hosts))
    egress = (*spec.egress[:which], changed, *spec.egress[which + 1 :])
    edited = list(resources)
    edited[index] = attrs.evolve(resource, spec=attrs.evolve(spec, egress=egress))
    return resources, edited


_NAMESPACES = st.sampled_from([".", "*", "default", "shop", "web", "db", "istio-system"])
_HOSTS = st.sampled_from(
    ["*", "*.example.com", "api.example.com", "web.shop.svc.cluster.local", "*.svc.cluster.local"]
)


@given(sms.mesh_resources(), configs, st.data())
def test_adding_an_exclusion_never_adds_an_import(
    resources: Resources, config: MeshConfig, data: st.DataObject
) -> None:
    entry = f"~{data.draw(_NAMESPACES)}/{data.draw(_HOSTS)}"
    pair = _edit_host(resources, data, lambda hosts: (*hosts, entry))
    before, after = (_imports(r, config) for r in pair)
    for key, listeners in after.items():
        for new, old in zip(listeners, before[key], strict=True):
            assert new <= old, (key, entry, new - old)


@given(sms.mesh_resources(), configs, st.data())
def test_widening_an_egress_host_never_removes_an_import(
    resources: Resources, config: MeshConfig, data: st.DataObject
) -> None:
    def widen(hosts: tuple[str, ...]) -> tuple[str, ...]:
        i = data.draw(st.integers(0, len(hosts) - 1))
        namespace, _, _ = hosts[i].partition("/")
        if namespace.startswith("~"):
            return hosts
        return (*hosts[:i], f"{namespace}/*", *hosts[i + 1 :])

    pair = _edit_host(resources, data, widen)
    before, after = (_imports(r, config) for r in pair)
    for key, listeners in before.items():
        for old, new in zip(listeners, after[key], strict=True):
            assert old <= new, (key, old - new)


@given(sms.mesh_resources(), configs, st.sampled_from(["default", "shop", "web", "db"]), st.data())
def test_a_selector_sidecar_changes_only_the_workloads_it_selects(
    resources: Resources, config: MeshConfig, namespace: str, data: st.DataObject
) -> None:
    labels = {"app": data.draw(st.sampled_from(["web", "api", "db", "cart"]))}
    spec = Sidecar(
        workload_selector=WorkloadSelector(labels=labels),
        egress=(IstioEgressListener(hosts=("./*",)),),
    )
    added = Resource(
        api_version="networking.istio.io/v1",
        kind="Sidecar",
        metadata=ObjectMeta(name="added", namespace=namespace),
        spec=spec,
    )
    mesh = Mesh.from_resources(resources, config=config)
    others = [
        w
        for w in _sidecar_workloads(mesh)
        if not (w.namespace == namespace and w.labels.get("app") == labels["app"])
    ]
    if others:
        event("precondition: a workload the new Sidecar does not select, as drawn")
    else:
        event("precondition: a workload the new Sidecar does not select, targeted")
        other_app = "other"
        resources = [*resources, _pod(namespace, other_app)]
    before = _results(resources, config)
    after = _results([*resources, added], config)
    mesh = Mesh.from_resources(resources, config=config)
    checked = 0
    for workload in _sidecar_workloads(mesh):
        key = (workload.namespace, workload.name)
        selected = workload.namespace == namespace and workload.labels.get("app") == labels["app"]
        if not selected:
            checked += 1
            assert after[key] == before[key], key
    assert checked


def _with_ported_listener(resources: Resources, data: st.DataObject) -> Resources:
    """``resources`` where some workload gets an outbound listener from a ported egress."""
    resources = _with_workload(resources, data)
    mesh = Mesh.from_resources(resources)
    for workload in _sidecar_workloads(mesh):
        scope = resolver.compute_scope(mesh, workload)
        listeners = resolver.outbound_listeners(scope)
        if any(scope.egress[x.egress_index].port is not None for x in listeners):
            event("precondition: a listener of a ported egress listener, as drawn")
            return resources
    event("precondition: a listener of a ported egress listener, targeted")
    numbers = sorted({p.number for s in mesh.services for p in s.ports} - {0}) or [8080]
    port = data.draw(st.sampled_from(numbers))
    workload = data.draw(st.sampled_from(_sidecar_workloads(mesh)))
    service = (
        "apiVersion: v1\nkind: Service\nmetadata: {name: targeted, namespace: "
        f"{workload.namespace}}}\nspec: {{clusterIP: 10.200.0.1, ports: "
        f"[{{name: http, port: {port}}}], selector: {{app: targeted}}}}\n"
    )
    return [*resources, _loaded(service), _sidecar_for(workload, data, port=port)]


@given(sms.mesh_resources(), configs, st.data())
def test_a_ported_listener_shows_only_hosts_it_imports(
    resources: Resources, config: MeshConfig, data: st.DataObject
) -> None:
    mesh = Mesh.from_resources(_with_ported_listener(resources, data), config=config)
    checked = 0
    for workload in _sidecar_workloads(mesh):
        scope = resolver.compute_scope(mesh, workload)
        for listener in resolver.outbound_listeners(scope):
            egress = scope.egress[listener.egress_index]
            if egress.port is None:
                continue
            imported = {s.hostname for s in egress.services}
            imported.update(host for vs in egress.virtual_services for host in vs.hosts)
            assert set(listener.hosts) <= imported, (workload, str(listener))
            checked += 1
    assert checked


def _copied(mesh: Mesh) -> Mesh:
    """The same mesh made of equal copies of every value (no object shared but the config)."""
    return Mesh(
        config=mesh.config,
        services=tuple(attrs.evolve(s) for s in mesh.services),
        virtual_services=tuple(attrs.evolve(v) for v in mesh.virtual_services),
        destination_rules=tuple(attrs.evolve(d) for d in mesh.destination_rules),
        sidecars=tuple(attrs.evolve(s) for s in mesh.sidecars),
        workloads=tuple(attrs.evolve(w) for w in mesh.workloads),
        namespaces=mesh.namespaces,
        resources=mesh.resources,
    )


def _answers(mesh: Mesh, workload: Workload) -> dict[str, Any]:
    scope = resolver.compute_scope(mesh, workload)
    return {
        "scope": real(mesh, workload),
        "routes": [r.to_dict() for r in resolver.outbound_routes(scope)],
        "inbound": [i.to_dict() for i in resolver.inbound_listeners(scope)],
        "explained": [resolver.explain_host(scope, s.hostname).to_dict() for s in scope.services],
    }


@given(sms.mesh_resources(), configs)
def test_equal_values_give_equal_answers(resources: Resources, config: MeshConfig) -> None:
    # Every answer is a function of values: a mesh rebuilt from copies of the resources, or
    # made of copies of the first mesh's values, answers the same (§3.9, §4.2).
    mesh = Mesh.from_resources(resources, config=config)
    rebuilt = Mesh.from_resources([attrs.evolve(r) for r in resources], config=config)
    copied = _copied(mesh)
    for workload in _sidecar_workloads(mesh):
        expected = _answers(mesh, workload)
        assert _answers(rebuilt, attrs.evolve(workload)) == expected, workload
        assert _answers(copied, attrs.evolve(workload)) == expected, workload
    namespaces = {*mesh.namespaces, *(w.namespace for w in mesh.workloads), "elsewhere"}
    for namespace in namespaces:
        assert resolver.services_visible_to(copied, namespace) == resolver.services_visible_to(
            mesh, namespace
        )
        for service in mesh.services:
            visible = resolver.is_service_visible(mesh, service, namespace)
            assert resolver.is_service_visible(mesh, attrs.evolve(service), namespace) == visible
            assert resolver.is_service_visible(copied, service, namespace) == visible


@given(sms.mesh_resources())
def test_imported_copies_are_as_visible_as_their_services(resources: Resources) -> None:
    # 5.4 steps 4-5 import copies trimmed to the listener's port or aliases: visibility
    # (4.2.2, here with ServiceEntries capped to their namespace) and the visibility index
    # (4.2.4) see the same service in them.
    capped = ServiceEntryVisibility(apply_to_sidecars=True, default_visibility="NAMESPACE")
    mesh = Mesh.from_resources(resources, config=MeshConfig(service_entry_visibility=capped))
    namespaces = {*mesh.namespaces, *(w.namespace for w in mesh.workloads), "elsewhere"}
    by_key = {(s.hostname, s.namespace, s.address, s.name): s for s in mesh.services}
    for workload in _sidecar_workloads(mesh):
        for egress in resolver.compute_scope(mesh, workload).egress:
            for imported in egress.services:
                key = (imported.hostname, imported.namespace, imported.address, imported.name)
                stored = by_key[key]
                for namespace in namespaces:
                    assert resolver.is_service_visible(
                        mesh, imported, namespace
                    ) == resolver.is_service_visible(mesh, stored, namespace)
                    assert mesh.in_visibility_index(imported, namespace) == (
                        mesh.in_visibility_index(stored, namespace)
                    )
