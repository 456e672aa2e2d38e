"""A scope and a workload's inbound side, checked against istiod's own rules and tests.

Service target ports on the proxy's own ports (§6.2a, Istio's ``TestInboundListenerConfig``
"services target port conflict with static listener"), named target ports resolved per pod
(§4.2.6, ``GetProxyServiceTargetsByPod``), which changes a scope depends on (§5.0.1 D1 to D4,
Istio's ``TestContainsEgressDependencies``, ``TestRootNsSidecarDependencies`` and
``TestProxyNeedsPush``) and partial-wildcard VirtualService hosts (§5.1.6). Only the public API
is used: resources are loaded from YAML and read back through the mesh and the resolver.
"""

from __future__ import annotations

import pytest

from sidecar_model import loads, resolver
from sidecar_model.mesh import Mesh, MeshConfig, ProxyType, Workload

CLUSTER = "svc.cluster.local"
ROOT = "istio-system"


def build(text: str, config: MeshConfig | None = None) -> Mesh:
    return Mesh.from_resources(loads(text), config=config)


def workload(mesh: Mesh, name: str) -> Workload:
    return next(w for w in mesh.workloads if w.name == name)


def inbound_ports(mesh: Mesh, name: str) -> list[int]:
    scope = resolver.compute_scope(mesh, workload(mesh, name))
    return [listener.port for listener in resolver.inbound_listeners(scope)]


def pod(
    name: str, namespace: str, labels: str, pod_spec: str = "{containers: [{name: app}]}"
) -> str:
    return (
        f"apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: {namespace}, "
        f"labels: {labels}}}\nspec: {pod_spec}\n---\n"
    )


def service(name: str, namespace: str, ports: str, selector: str = "{app: web}") -> str:
    return (
        f"apiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: {namespace}}}\n"
        f"spec: {{clusterIP: 10.0.0.9, selector: {selector}, ports: {ports}}}\n---\n"
    )


def istio(kind: str, namespace: str, name: str, spec: str) -> str:
    return (
        f"apiVersion: networking.istio.io/v1\nkind: {kind}\n"
        f"metadata: {{name: {name}, namespace: {namespace}}}\nspec: {spec}\n---\n"
    )


# --------------------------------------------------------------------------- §6.2a


@pytest.mark.parametrize("target", [15001, 15006, 15021, 15090])
@pytest.mark.parametrize("protocol_name", ["http", "tcp", "unnamed"])
def test_a_service_target_port_on_a_proxy_port_gets_no_inbound_listener(
    target: int, protocol_name: str
) -> None:
    # Istio's "services target port conflict with static listener": no chain for 15021
    # on the virtual inbound listener. The check is made against the wildcard address, so it
    # holds whatever the port's protocol (unlike an ingress entry's, §6.4).
    ports = (
        f"[{{name: {protocol_name}, port: 80, targetPort: {target}}}, {{name: web, port: 8080}}]"
    )
    mesh = build(service("web", "shop", ports) + pod("web", "shop", "{app: web}"))
    assert inbound_ports(mesh, "web") == [8080]


def test_the_mesh_listen_ports_are_the_configured_ones() -> None:
    # §6.2a: proxyListenPort and proxyInboundListenPort come from MeshConfig.
    config = MeshConfig(proxy_listen_port=16001, proxy_inbound_listen_port=16006)
    ports = (
        "[{name: a, port: 1, targetPort: 15001}, {name: b, port: 2, targetPort: 16001}, "
        "{name: c, port: 3, targetPort: 16006}, {name: d, port: 4, targetPort: 15006}]"
    )
    mesh = build(service("web", "shop", ports) + pod("web", "shop", "{app: web}"), config)
    assert inbound_ports(mesh, "web") == [15001, 15006]


def test_a_proxy_port_skipped_does_not_take_the_port_from_a_later_service() -> None:
    # The skip comes before "oldest service wins": nothing is built on 15021 whoever asks.
    text = (
        service("old", "shop", "[{name: http, port: 80, targetPort: 15021}]")
        + service("new", "shop", "[{name: tcp, port: 81, targetPort: 15021}]")
        + pod("web", "shop", "{app: web}")
    )
    assert inbound_ports(build(text), "web") == []


def test_an_ingress_entry_is_checked_against_the_status_ports_only() -> None:
    # §6.4: Sidecar ingress entries are checked without the mesh listen ports.
    spec = (
        "{ingress: [{port: {number: 15001, protocol: HTTP}}, "
        "{port: {number: 15021, protocol: HTTP}}]}"
    )
    mesh = build(istio("Sidecar", "shop", "default", spec) + pod("web", "shop", "{app: web}"))
    assert inbound_ports(mesh, "web") == [15001]


# --------------------------------------------------------------------------- §4.2.6

NAMED = "[{name: http, port: 80, targetPort: http-web}]"


def named_pod(name: str, container_port: int | None) -> str:
    declared = (
        "[]" if container_port is None else f"[{{name: http-web, containerPort: {container_port}}}]"
    )
    return pod(name, "shop", "{app: web}", f"{{containers: [{{name: app, ports: {declared}}}]}}")


def test_pods_that_disagree_on_a_named_target_port_each_get_their_own() -> None:
    # GetProxyServiceTargetsByPod runs FindPort on each pod: one Service, two container ports.
    mesh = build(service("web", "shop", NAMED) + named_pod("a", 8081) + named_pod("b", 8082))
    assert inbound_ports(mesh, "a") == [8081]
    assert inbound_ports(mesh, "b") == [8082]


def test_a_pod_without_the_named_port_gets_no_target_for_it() -> None:
    # FindPort fails for that pod: the service port contributes nothing to it, even when
    # another pod of the same Service declares the name.
    text = service("web", "shop", NAMED + "") + named_pod("a", 8081) + named_pod("b", None)
    mesh = build(text)
    assert inbound_ports(mesh, "a") == [8081]
    assert inbound_ports(mesh, "b") == []


def test_a_named_target_port_resolved_per_pod_finds_its_connection_pool() -> None:
    # §6.8 level 3: the DR pool of the service port applies to the pod's own target port.
    rule = istio(
        "DestinationRule",
        "shop",
        "web",
        "{host: web.shop.svc.cluster.local, "
        "trafficPolicy: {connectionPool: {tcp: {maxConnections: 7}}}}",
    )
    mesh = build(service("web", "shop", NAMED) + named_pod("a", 8081) + named_pod("b", 8082) + rule)
    scope = resolver.compute_scope(mesh, workload(mesh, "b"))
    (listener,) = resolver.inbound_listeners(scope)
    assert listener.connection_pool is not None
    assert listener.connection_pool.source == (
        f"DestinationRule for web.shop.{CLUSTER} in shop (from shop/web)"
    )
    assert scope.inbound_connection_pool(80).source == "Envoy defaults"


def test_a_named_target_port_on_a_proxy_port_is_skipped_after_resolution() -> None:
    # §4.2.6 then §6.2a: the resolved number is what is checked against the proxy's ports.
    mesh = build(service("web", "shop", NAMED) + named_pod("a", 15090))
    assert inbound_ports(mesh, "a") == []


# --------------------------------------------------------------------------- §5.0.1

DEPENDENCIES = (
    service("svc1", "ns", "[{name: http, port: 80}]")
    + istio("VirtualService", "ns", "vs1", "{hosts: [svc1.ns.svc.cluster.local]}")
    + istio("DestinationRule", "ns", "dr1", "{host: svc1.ns.svc.cluster.local}")
    + service("nomatch", "nomatch", "[{name: http, port: 80}]")
    + pod("client", "default", "{app: client}")
)
D1_KINDS = (
    "AuthorizationPolicy",
    "EnvoyFilter",
    "RequestAuthentication",
    "Telemetry",
    "TrafficExtension",
    "WasmPlugin",
)


def client_scope(sidecar: str = "") -> resolver.SidecarScope:
    mesh = build(DEPENDENCIES + sidecar)
    return resolver.compute_scope(mesh, workload(mesh, "client"))


@pytest.mark.parametrize("kind", D1_KINDS)
def test_d1_namespace_wide_kinds_matter_in_the_proxy_and_root_namespaces(kind: str) -> None:
    # TestRootNsSidecarDependencies and TestContainsEgressDependencies "clusterScope resource".
    scope = client_scope(istio("Sidecar", ROOT, "foo", "{egress: [{hosts: ['*/*']}]}"))
    assert scope.depends_on(kind, "default", "any-name")
    assert scope.depends_on(kind, ROOT, "any-name")
    assert not scope.depends_on(kind, "ns1", "any-name")


@pytest.mark.parametrize(
    ("hosts", "namespace", "expected"),
    [
        # TestContainsEgressDependencies, case by case.
        ("['*/*']", "ns", True),
        ("['ns/*', '*/*']", "ns", True),
        ("['ns/*']", "ns", True),
        ("['ns/*']", "other-ns", False),
        (None, "ns", True),
        (None, "other-ns", False),
    ],
)
def test_d2_recorded_dependencies(hosts: str | None, namespace: str, expected: bool) -> None:  # noqa: FBT001
    sidecar = (
        ""
        if hosts is None
        else istio("Sidecar", "default", "foo", f"{{egress: [{{hosts: {hosts}}}]}}")
    )
    scope = client_scope(sidecar)
    hostname = f"svc1.ns.{CLUSTER}"
    assert scope.depends_on("ServiceEntry", namespace, hostname) is expected
    assert scope.depends_on("Endpoints", namespace, hostname) is expected
    assert scope.depends_on("VirtualService", namespace, "vs1") is expected
    assert scope.depends_on("DestinationRule", namespace, "dr1") is expected


def test_d2_only_the_selected_sidecar_is_a_dependency() -> None:
    # convertToSidecarScope records the Sidecar it was built from, nothing else.
    other = istio("Sidecar", "default", "other", "{workloadSelector: {labels: {app: x}}}")
    scope = client_scope(istio("Sidecar", "default", "foo", "{}") + other)
    assert scope.depends_on("Sidecar", "default", "foo")
    assert not scope.depends_on("Sidecar", "default", "other")
    assert not scope.depends_on("Sidecar", ROOT, "default")


def test_d3_gateways_never_matter_to_a_sidecar_and_unknown_kinds_always_do() -> None:
    # TestProxyNeedsPush: "gateway config for sidecar" and "invalid config for sidecar".
    scope = client_scope()
    assert not scope.depends_on("Gateway", "default", "gw")
    assert scope.depends_on("ConfigMap", "elsewhere", "x")
    assert scope.depends_on("Pod", "elsewhere", "x")


def test_d4_a_change_to_a_service_the_proxy_backs_always_counts() -> None:
    # filterRelevantUpdates: the proxy's own service targets, keyed by hostname.
    text = (
        DEPENDENCIES
        + service("backend", "default", "[{name: http, port: 80}]", selector="{app: client}")
        + istio("Sidecar", "default", "foo", "{egress: [{hosts: [ns/*]}]}")
    )
    mesh = build(text)
    scope = resolver.compute_scope(mesh, workload(mesh, "client"))
    assert scope.service(f"backend.default.{CLUSTER}") is None  # not imported
    assert scope.depends_on("ServiceEntry", "default", f"backend.default.{CLUSTER}")
    assert not scope.depends_on("Endpoints", "default", f"backend.default.{CLUSTER}")


def test_d4_router_proxies() -> None:
    # TestProxyNeedsPush: "sidecar config for gateway", "gateway config for gateway"; services
    # only when the gateway scope has them; everything else always.
    mesh = build(DEPENDENCIES)
    router = Workload(
        namespace="ns", labels={"istio": "ingressgateway"}, proxy_type=ProxyType.ROUTER
    )
    scope = resolver.compute_scope(mesh, router)
    assert not scope.depends_on("Sidecar", "ns", "default")
    assert scope.depends_on("Gateway", "ns", "gw")
    assert scope.depends_on("AuthorizationPolicy", "elsewhere", "x")
    assert scope.depends_on("ServiceEntry", "ns", f"svc1.ns.{CLUSTER}")
    assert not scope.depends_on("ServiceEntry", "ns", "unknown.example.com")


def test_d4_waypoints_take_every_change() -> None:
    # DefaultProxyNeedsPush: scoping does not apply to waypoint proxies.
    mesh = build(DEPENDENCIES)
    waypoint = Workload(namespace="ns", proxy_type=ProxyType.WAYPOINT)
    scope = resolver.compute_scope(mesh, waypoint)
    assert scope.depends_on("Sidecar", "ns", "default")
    assert scope.depends_on("ServiceEntry", "ns", "unknown.example.com")


# --------------------------------------------------------------------------- §5.1.6

PARTIAL = (
    istio(
        "ServiceEntry",
        "ext",
        "barfoo",
        "{hosts: [barfoo.com], ports: [{number: 80, name: http, protocol: HTTP}], resolution: DNS}",
    )
    + istio(
        "VirtualService",
        "ext",
        "partial",
        "{hosts: ['*foo.com'], http: [{route: [{destination: {host: barfoo.com}}]}]}",
    )
    + pod("client", "default", "{app: client}")
)


def egress_virtual_services(hosts: str) -> list[str]:
    sidecar = istio("Sidecar", "default", "default", f"{{egress: [{{hosts: {hosts}}}]}}")
    mesh = build(PARTIAL + sidecar)
    (egress,) = resolver.compute_scope(mesh, workload(mesh, "client")).egress
    return [vs.name for vs in egress.virtual_services]


@pytest.mark.parametrize(
    ("hosts", "expected"),
    [
        ("['*/barfoo.com']", ["partial"]),
        ("['*/a.barfoo.com']", ["partial"]),
        ("['ext/foo.com']", ["partial"]),
        ("['*/*.barfoo.com']", ["partial"]),
        ("['*/*.com']", ["partial"]),
        ("['*/barfoo.org']", []),
        ("['*/oo.com']", []),
    ],
)
def test_a_partial_wildcard_virtual_service_host_is_matched_by_suffix(
    hosts: str, expected: list[str]
) -> None:
    # §5.1.6: `*foo.com` covers every name ending in `foo.com` (Matches on plain suffixes).
    assert egress_virtual_services(hosts) == expected


def test_a_partial_wildcard_virtual_service_routes_the_service_it_covers() -> None:
    # §5.1.6 then §5.10: the VS attaches to the service `barfoo.com`.
    sidecar = istio("Sidecar", "default", "default", "{egress: [{hosts: ['*/barfoo.com']}]}")
    mesh = build(PARTIAL + sidecar)
    (egress,) = resolver.compute_scope(mesh, workload(mesh, "client")).egress
    assert [s.hostname for s in egress.services] == ["barfoo.com"]
    chosen = egress.virtual_service_for("barfoo.com")
    assert chosen is not None
    assert chosen.name == "partial"


def test_d2_a_delegate_change_arrives_as_a_change_of_its_root() -> None:
    # D2: istiod merges delegates into their root and pushes the root's key when one changes.
    text = (
        DEPENDENCIES
        + istio(
            "VirtualService",
            "ns",
            "root",
            "{hosts: [svc1.ns.svc.cluster.local], http: [{delegate: {name: leaf}}]}",
        )
        + istio("VirtualService", "ns", "leaf", "{http: [{route: [{destination: {host: svc1}}]}]}")
        + istio("VirtualService", "ns", "unused", "{http: [{route: [{destination: {host: x}}]}]}")
    )
    mesh = build(text)
    scope = resolver.compute_scope(mesh, workload(mesh, "client"))
    assert scope.depends_on("VirtualService", "ns", "root")
    assert scope.depends_on("VirtualService", "ns", "leaf")
    assert not scope.depends_on("VirtualService", "ns", "unused")
