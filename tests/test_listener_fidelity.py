"""Outbound listener fidelity: chain conflicts, unix sockets, VIPs, routes, unmatched traffic.

Each case is written from the rule it checks (L6, L6a, L6b, §5.15, §4.2.6, R1, R3, MSP3,
§5.16.1 T5 to T9) and, where istiod has one, from its own test of the same behaviour:
``TestOutboundListenerConflict_TCPWithCurrentTCP`` and ``TestOutboundListenerConflict`` for
colliding chains, ``TestSidecarOutboundHTTPRouteConfig`` for VirtualService hosts on routes.
Only the public API is used.
"""

from __future__ import annotations

import pytest

from sidecar_model import Mesh, loads, resolver
from sidecar_model.mesh import MeshConfig, MeshOutboundMode, Workload
from sidecar_model.model import Protocol

CLUSTER = "svc.cluster.local"
ANY = "0.0.0.0"  # noqa: S104 - the wildcard address istiod writes, nothing binds here


def service_entry(name: str, port: str, *, age: int, extra: str = "") -> str:
    return (
        "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\n"
        f"metadata: {{name: {name}, namespace: x, creationTimestamp: '2024-01-01T00:00:0{age}Z'}}\n"
        f"spec: {{hosts: [{name}.example.com], resolution: DNS, ports: [{port}]{extra}}}\n---\n"
    )


def sidecar(spec: str) -> str:
    return (
        "apiVersion: networking.istio.io/v1\nkind: Sidecar\n"
        f"metadata: {{name: default, namespace: n}}\nspec: {spec}\n---\n"
    )


def kube_service(name: str, spec: str, namespace: str = "x") -> str:
    return (
        f"apiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: {namespace}}}\n"
        f"spec: {spec}\n---\n"
    )


def scope_of(text: str, config: MeshConfig | None = None, **workload: str) -> resolver.SidecarScope:
    mesh = Mesh.from_resources(loads(text), config=config)
    return resolver.compute_scope(mesh, Workload(namespace="n", name="w", **workload))  # type: ignore[arg-type]


def by_key(scope: resolver.SidecarScope) -> dict[tuple[str, int], resolver.OutboundListener]:
    return {(x.address, x.port): x for x in resolver.outbound_listeners(scope)}


# --------------------------------------------------------------------------- L6, L6a, L6b

TCP_5432 = "{number: 5432, name: tcp, protocol: TCP}"


def test_colliding_tcp_chains_keep_the_oldest_service() -> None:
    # L6a; istiod's TestOutboundListenerConflict_TCPWithCurrentTCP: one chain, the oldest.
    text = service_entry("db-b", TCP_5432, age=2) + service_entry("db-a", TCP_5432, age=1)
    listener = by_key(scope_of(text))[ANY, 5432]
    assert listener.hosts == ("db-a.example.com",)
    assert listener.dropped == ("db-b.example.com",)
    assert listener.route is None
    assert "dropped" in str(listener)
    assert "db-b.example.com" in str(listener)
    assert listener.to_dict()["dropped"] == ["db-b.example.com"]


@pytest.mark.parametrize(
    ("first", "second", "route"),
    [
        # L6b, specific key: HTTP first keeps its match-all HTTP chain and drops the TCP one;
        # TCP first keeps its TCP chain, drops the HTTP one, and the listener has no route.
        ("HTTP", "TCP", "8080"),
        ("TCP", "HTTP", None),
    ],
)
def test_http_and_tcp_collide_on_an_explicit_bind(
    first: str, second: str, route: str | None
) -> None:
    text = (
        sidecar("{egress: [{hosts: ['*/*'], bind: 127.0.0.1}]}")
        + service_entry("a", f"{{number: 8080, name: p, protocol: {first}}}", age=1)
        + service_entry("b", f"{{number: 8080, name: p, protocol: {second}}}", age=2)
    )
    listener = by_key(scope_of(text))["127.0.0.1", 8080]
    assert listener.protocol is Protocol.UNSUPPORTED
    assert listener.hosts == ("a.example.com",)
    assert listener.dropped == ("b.example.com",)
    assert listener.route == route


def test_tls_chains_on_the_wildcard_are_told_apart_by_sni() -> None:
    # L6a, L6b: TLS, TLS on the wildcard key: both chains, chosen by SNI.
    tls = "{number: 443, name: tls, protocol: TLS}"
    text = service_entry("a", tls, age=1) + service_entry("b", tls, age=2)
    listener = by_key(scope_of(text))[ANY, 443]
    assert listener.hosts == ("a.example.com", "b.example.com")
    assert listener.dropped == ()


# --------------------------------------------------------------------------- §5.15


def test_unix_socket_listener_with_tcp_protocol_proxies_the_first_service() -> None:
    text = (
        sidecar(
            "{egress: [{port: {number: 0, protocol: TCP, name: uds}, "
            "bind: 'unix:///var/run/db.sock', hosts: ['x/*']}]}"
        )
        + service_entry("a", TCP_5432, age=1)
        + service_entry("b", TCP_5432, age=2)
    )
    listener = by_key(scope_of(text))["unix:///var/run/db.sock", 0]
    assert listener.route is None
    assert listener.route_egress_index is None
    assert listener.hosts == ("a.example.com",)
    assert listener.dropped == ("b.example.com",)
    assert all(
        r.name != "unix:///var/run/db.sock" for r in resolver.outbound_routes(scope_of(text))
    )


# --------------------------------------------------------------------------- §4.2.6


def test_service_without_cluster_ip_has_a_vip_not_yet_known() -> None:
    text = kube_service("db", "{ports: [{port: 5432, name: tcp}]}")
    mesh = Mesh.from_resources(loads(text))
    (service,) = mesh.services_by_hostname[f"db.x.{CLUSTER}"]
    assert service.resolution == "STATIC"
    assert service.address.startswith("<VIP")
    (listener,) = resolver.outbound_listeners(scope_of(text))
    assert str(listener).startswith("<VIP")
    assert listener.port == 5432
    assert listener.hosts == (f"db.x.{CLUSTER}",)


def test_two_services_without_cluster_ip_do_not_share_a_listener() -> None:
    text = kube_service("a", "{ports: [{port: 5432, name: tcp}]}") + kube_service(
        "b", "{ports: [{port: 5432, name: tcp}]}"
    )
    listeners = resolver.outbound_listeners(scope_of(text))
    assert sorted(x.hosts for x in listeners) == [(f"a.x.{CLUSTER}",), (f"b.x.{CLUSTER}",)]


def test_cluster_ip_none_is_still_headless() -> None:
    text = kube_service("db", "{clusterIP: None, ports: [{port: 5432, name: tcp}]}")
    (service,) = Mesh.from_resources(loads(text)).services
    assert service.resolution == "NONE"


# --------------------------------------------------------------------------- R1, MSP3


def test_sniffed_route_on_a_vip_is_owned_by_the_ported_listener() -> None:
    # R1, MSP3: route "<host>:P" is resolved like route "P" (GetEgressListenerForRDS).
    text = sidecar(
        "{egress: [{port: {number: 9000, protocol: HTTP, name: h}, hosts: [./*]},"
        " {hosts: ['*/*']}]}"
    ) + kube_service("s", "{clusterIP: 10.0.0.5, ports: [{port: 9000}]}")
    listener = by_key(scope_of(text))["10.0.0.5", 9000]
    assert listener.route == f"s.x.{CLUSTER}:9000"
    assert listener.route_egress_index == 0


def test_sniffed_route_on_a_vip_without_a_ported_listener_is_the_catch_alls() -> None:
    text = sidecar("{egress: [{hosts: ['*/*']}]}") + kube_service(
        "s", "{clusterIP: 10.0.0.5, ports: [{port: 9000}]}"
    )
    assert by_key(scope_of(text))["10.0.0.5", 9000].route_egress_index == 0


# --------------------------------------------------------------------------- R3


def test_virtual_service_hosts_that_are_not_services_join_every_http_port() -> None:
    # R3; istiod's TestSidecarOutboundHTTPRouteConfig: example.com next to test-headless.com
    # on route "8888". Here bookinfo.example.com joins reviews on route "9080".
    text = (
        kube_service(
            "reviews",
            "{clusterIP: 10.0.0.9, ports: [{port: 9080, name: http}, {port: 5000, name: tcp}]}",
            namespace="n",
        )
        + "apiVersion: networking.istio.io/v1\nkind: VirtualService\n"
        "metadata: {name: r, namespace: n}\n"
        f"spec: {{hosts: [reviews.n.{CLUSTER}, bookinfo.example.com], "
        f"http: [{{route: [{{destination: {{host: reviews.n.{CLUSTER}}}}}]}}]}}\n---\n"
    )
    routes = {r.name: r for r in resolver.outbound_routes(scope_of(text))}
    assert routes["9080"].hosts == (f"reviews.n.{CLUSTER}", "bookinfo.example.com")
    assert "5000" not in routes  # a TCP port gets no route, so no virtual host either


# --------------------------------------------------------------------------- §5.16.1


HTTP_80 = "{number: 80, name: http, protocol: HTTP}"


def test_wildcard_http_listener_falls_through_by_policy() -> None:
    # T5, T7: a wildcard HTTP listener only matches HTTP; other traffic falls through.
    text = service_entry("web", HTTP_80, age=1)
    assert by_key(scope_of(text))[ANY, 80].fallthrough == "PassthroughCluster"
    strict = text + sidecar("{outboundTrafficPolicy: {mode: REGISTRY_ONLY}}")
    assert by_key(scope_of(strict))[ANY, 80].fallthrough == "BlackHoleCluster"
    proxied = text + sidecar(
        "{outboundTrafficPolicy: {mode: ALLOW_ANY, egressProxy: "
        "{host: egress.example.com, subset: s, port: {number: 443}}}}"
    )
    listener = by_key(scope_of(proxied))[ANY, 80]
    assert listener.fallthrough == "outbound|443|s|egress.example.com"  # T3
    assert "unmatched traffic: outbound|443|s|egress.example.com" in str(listener)


def test_a_listener_with_a_match_all_chain_does_not_fall_through() -> None:
    # L6a: the match-all chain is the default chain.
    text = service_entry("db", TCP_5432, age=1)
    listener = by_key(scope_of(text))[ANY, 5432]
    assert listener.fallthrough is None
    assert listener.to_dict()["fallthrough"] is None


def test_route_catch_all_virtual_host() -> None:
    # T8
    text = service_entry("web", HTTP_80, age=1)
    (route,) = resolver.outbound_routes(scope_of(text))
    assert (route.catch_all, route.catch_all_target) == ("allow_any", "PassthroughCluster")
    assert str(route).endswith("other hosts: allow_any (PassthroughCluster)")
    strict = text + sidecar("{outboundTrafficPolicy: {mode: REGISTRY_ONLY}}")
    (route,) = resolver.outbound_routes(scope_of(strict))
    assert route.catch_all == "block_all"
    assert "502" in (route.catch_all_target or "")
    dynamic = MeshConfig.from_yaml("outboundTrafficPolicy: {mode: ALLOW_ANY_DYNAMIC_DNS}")
    (route,) = resolver.outbound_routes(scope_of(text, dynamic))
    assert (route.catch_all, route.catch_all_target) == (
        "allow_any_dynamic_dns",
        "AllowAnyDynamicDNSCluster",
    )
    assert resolver.outbound_routes(scope_of(text))[0].to_dict()["catchAll"] == "allow_any"


def test_traffic_no_listener_claims() -> None:
    # T6, T9
    text = service_entry("web", HTTP_80, age=1)
    unmatched = resolver.unmatched_traffic(scope_of(text))
    assert unmatched.captured
    assert unmatched.listener == "0.0.0.0:15001"
    assert unmatched.target == "PassthroughCluster"
    strict = resolver.unmatched_traffic(
        scope_of(text + sidecar("{outboundTrafficPolicy: {mode: REGISTRY_ONLY}}"))
    )
    assert strict.target == "BlackHoleCluster"
    assert "BlackHoleCluster" in str(strict)
    bypass = resolver.unmatched_traffic(scope_of(text, interception_mode="NONE"))
    assert not bypass.captured
    assert bypass.listener is None
    assert "bypasses the proxy" in str(bypass)
    dynamic = MeshConfig.from_yaml("outboundTrafficPolicy: {mode: ALLOW_ANY_DYNAMIC_DNS}")
    assert resolver.unmatched_traffic(scope_of(text, dynamic)).http_target == (
        "AllowAnyDynamicDNSCluster"
    )
    assert MeshOutboundMode.ALLOW_ANY_DYNAMIC_DNS.value in str(
        resolver.unmatched_traffic(scope_of(text, dynamic)).to_dict()
    )


@pytest.mark.parametrize(
    ("first", "second", "hosts", "dropped", "route"),
    [
        # L6b, specific key (rows "auto, TCP", "auto, auto", "HTTP, auto" of the table)
        ("''", "TCP", ("a.example.com",), ("b.example.com",), "a.example.com:8080"),
        ("''", "''", ("a.example.com",), ("b.example.com",), "a.example.com:8080"),
        ("HTTP", "''", ("b.example.com",), (), "b.example.com:8080"),
    ],
)
def test_sniffed_services_collide_on_an_explicit_bind(
    first: str, second: str, hosts: tuple[str, ...], dropped: tuple[str, ...], route: str
) -> None:
    text = (
        sidecar("{egress: [{hosts: ['*/*'], bind: 127.0.0.1}]}")
        + service_entry("a", f"{{number: 8080, name: p, protocol: {first}}}", age=1)
        + service_entry("b", f"{{number: 8080, name: p, protocol: {second}}}", age=2)
    )
    listener = by_key(scope_of(text))["127.0.0.1", 8080]
    assert (listener.hosts, listener.dropped, listener.route) == (hosts, dropped, route)
