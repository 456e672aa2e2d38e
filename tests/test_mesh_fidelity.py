"""How a Mesh is built from resources, checked against istiod's own conversions.

Port protocols (§1.10.4, Istio's ``TestConvertProtocol``), named target ports (§4.2.6),
ServiceEntry hosts (§0.4), the exportTo annotation (§4.2.1), gateway detection (§3.6.1),
delegate VirtualServices (§4.3.5, Istio's ``TestMergeHttpRoutes``,
``TestMergeHTTPMatchRequests`` and ``TestHasConflict``) and malformed Pod status. Only the
public API is used: resources are loaded from YAML and read back through the mesh and the
resolver.
"""

from __future__ import annotations

import pytest

from sidecar_model import ManifestError, SidecarModelError, loads, resolver
from sidecar_model.mesh import Mesh, MeshService, ProxyType, Workload
from sidecar_model.model import Protocol
from sidecar_model.resolver import SelectionOrigin

CLUSTER = "svc.cluster.local"


def build(text: str) -> Mesh:
    return Mesh.from_resources(loads(text))


def only_service(mesh: Mesh, hostname: str) -> MeshService:
    (service,) = mesh.services_by_hostname[hostname]
    return service


def workload(mesh: Mesh, name: str) -> Workload:
    return next(w for w in mesh.workloads if w.name == name)


# --------------------------------------------------------------------------- §1.10.4


def service_port(port: str) -> str:
    return (
        "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: n}\n"
        f"spec: {{clusterIP: 10.0.0.1, ports: [{port}]}}\n"
    )


@pytest.mark.parametrize(
    ("port", "expected"),
    [
        # Nothing names a protocol: sniffed.
        ("{port: 8080}", Protocol.UNSUPPORTED),
        # UDP wins whatever the names say.
        ("{port: 8080, name: http, protocol: UDP, appProtocol: http}", Protocol.UDP),
        ("{port: 8080, name: http-something}", Protocol.HTTP),
        # appProtocol is preferred over the name, and then the name is not looked at.
        ("{port: 8080, name: http-something, appProtocol: https}", Protocol.HTTPS),
        ("{port: 8080, name: something-httpx, appProtocol: https}", Protocol.HTTPS),
        ("{port: 8080, name: http, appProtocol: custom}", Protocol.UNSUPPORTED),
        ("{port: 8080, name: http, appProtocol: ''}", Protocol.UNSUPPORTED),
        # appProtocol is cut at its first '-' like a name.
        ("{port: 8080, appProtocol: http-web}", Protocol.HTTP),
        ("{port: 8080, appProtocol: HTTP2-x}", Protocol.HTTP2),
        # grpc-web is recognised before the cut, and only with its hyphen.
        ("{port: 8080, name: grpc-web-x}", Protocol.GRPC_WEB),
        ("{port: 8080, name: GRPC-Web}", Protocol.GRPC_WEB),
        ("{port: 8080, name: grpcweb-x}", Protocol.UNSUPPORTED),
        # Unrecognised names on SMTP, DNS, MySQL and MongoDB ports are TCP, not sniffed.
        ("{port: 3306, name: random-name}", Protocol.TCP),
        ("{port: 25, name: mail}", Protocol.TCP),
        ("{port: 53, name: dns}", Protocol.TCP),
        ("{port: 27017}", Protocol.TCP),
        ("{port: 3306, name: mysql}", Protocol.MYSQL),
        ("{port: 3306, name: http}", Protocol.HTTP),
        # Kubernetes' own appProtocol values, exact and case-sensitive.
        ("{port: 3306, name: random-name, appProtocol: kubernetes.io/h2c}", Protocol.HTTP2),
        ("{port: 8080, appProtocol: kubernetes.io/ws}", Protocol.HTTP),
        ("{port: 8080, appProtocol: kubernetes.io/wss}", Protocol.HTTPS),
        ("{port: 8080, appProtocol: Kubernetes.io/h2c}", Protocol.UNSUPPORTED),
        ("{port: 8080, name: kubernetes.io/h2c}", Protocol.UNSUPPORTED),
    ],
)
def test_kubernetes_port_protocol_follows_convert_protocol(port: str, expected: Protocol) -> None:
    (converted,) = only_service(build(service_port(port)), f"s.n.{CLUSTER}").ports
    assert converted.protocol is expected


def test_well_known_port_gets_a_tcp_listener_not_a_sniffed_one() -> None:
    text = service_port("{port: 3306, name: db}") + (
        "---\napiVersion: v1\nkind: Pod\nmetadata: {name: client, namespace: n}\nspec: {}\n"
    )
    mesh = build(text)
    listeners = resolver.outbound_listeners(resolver.compute_scope(mesh, workload(mesh, "client")))
    (listener,) = [li for li in listeners if li.port == 3306]
    assert listener.protocol is Protocol.TCP
    assert listener.route is None


def test_service_entry_ports_ignore_the_kubernetes_rules() -> None:
    # A ServiceEntry port's protocol field alone decides; no well-known-port rule.
    text = (
        "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\n"
        "metadata: {name: db, namespace: n}\n"
        "spec: {hosts: [db.example.com], ports: [{number: 3306, name: tcp-db}]}\n"
    )
    (port,) = only_service(build(text), "db.example.com").ports
    assert port.protocol is Protocol.UNSUPPORTED


# --------------------------------------------------------------------------- §4.2.6

WEB_SERVICE = """\
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  clusterIP: 10.0.0.2
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http-web}]
---
"""


def deployment(name: str, pod_spec: str, labels: str = "{app: web}") -> str:
    return (
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: shop}}\n"
        f"spec:\n  template:\n    metadata: {{labels: {labels}}}\n    spec: {pod_spec}\n---\n"
    )


def inbound_ports(mesh: Mesh, name: str) -> list[int]:
    scope = resolver.compute_scope(mesh, workload(mesh, name))
    return [listener.port for listener in resolver.inbound_listeners(scope)]


def test_named_target_port_comes_from_the_pods_container_port() -> None:
    pod_spec = "{containers: [{name: app, ports: [{name: http-web, containerPort: 8080}]}]}"
    mesh = build(WEB_SERVICE + deployment("web", pod_spec))
    (port,) = only_service(mesh, f"web.shop.{CLUSTER}").ports
    assert (port.number, port.target_port, port.target_port_name) == (80, 8080, "http-web")
    assert inbound_ports(mesh, "web") == [8080]


def test_named_target_port_is_found_in_a_native_sidecar_init_container() -> None:
    pod_spec = (
        "{containers: [{name: app}], initContainers: ["
        "{name: once, ports: [{name: http-web, containerPort: 7070}]},"
        "{name: helper, restartPolicy: Always, ports: [{name: http-web, containerPort: 9090}]}]}"
    )
    mesh = build(WEB_SERVICE + deployment("web", pod_spec))
    assert inbound_ports(mesh, "web") == [9090]  # the plain init container does not count


def test_named_target_port_needs_the_same_kubernetes_protocol() -> None:
    pod_spec = (
        "{containers: [{name: app, ports: ["
        "{name: http-web, containerPort: 5353, protocol: UDP},"
        "{name: http-web, containerPort: 8081}]}]}"
    )
    mesh = build(WEB_SERVICE + deployment("web", pod_spec))
    assert inbound_ports(mesh, "web") == [8081]


@pytest.mark.parametrize(
    "others",
    [
        # No selected pod declares the name: istiod gives those pods no target for the port.
        deployment("web", "{containers: [{name: app, ports: [{name: other, containerPort: 1}]}]}"),
        # The selected pods disagree: each pod gets its own target, no single number.
        deployment("web", "{containers: [{name: a, ports: [{name: http-web, containerPort: 1}]}]}")
        + deployment(
            "web2", "{containers: [{name: a, ports: [{name: http-web, containerPort: 2}]}]}"
        ),
    ],
)
def test_unresolved_named_target_port_invents_no_number(others: str) -> None:
    (port,) = only_service(build(WEB_SERVICE + others), f"web.shop.{CLUSTER}").ports
    assert (port.target_port, port.target_port_name) == (None, "http-web")


# --------------------------------------------------------------------------- §0.4

LEGACY_DB = """\
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: legacy-db, namespace: shop}
spec:
  hosts: [legacy-db]
  ports: [{number: 5432, name: tcp, protocol: TCP}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: db, namespace: shop}
spec:
  hosts: [db.example.com]
  tcp: [{route: [{destination: {host: legacy-db, port: {number: 5432}}}]}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: legacy-db, namespace: shop}
spec: {host: legacy-db, trafficPolicy: {tls: {mode: DISABLE}}}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: shop}
spec: {}
"""


def test_service_entry_hosts_are_used_verbatim() -> None:
    mesh = build(LEGACY_DB)
    assert [s.hostname for s in mesh.services] == ["legacy-db"]
    scope = resolver.compute_scope(mesh, workload(mesh, "client"))
    assert scope.service("legacy-db") is not None  # imported by */*
    # The VirtualService and DestinationRule name legacy-db.shop.svc.cluster.local (§4.3.4,
    # §4.4.1): a different host, which no service declares.
    assert scope.service(f"legacy-db.shop.{CLUSTER}") is None
    assert scope.destination_rules("legacy-db") == ()


# --------------------------------------------------------------------------- §4.2.1


@pytest.mark.parametrize(
    ("annotation", "visible_to"),
    [
        (" ", set()),
        (" , ", set()),
        ("\t", set()),
        ("qa, ", {"qa"}),
        ("", {"n", "qa", "other"}),  # exactly empty: unset, the mesh default applies
    ],
)
def test_export_to_annotation_is_split_and_trimmed_not_validated(
    annotation: str, visible_to: set[str]
) -> None:
    text = (
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n  namespace: n\n"
        f"  annotations: {{networking.istio.io/exportTo: {annotation!r}}}\n"
        "spec: {clusterIP: 10.0.0.1, ports: [{port: 80, name: http}]}\n"
    )
    mesh = build(text.replace("'", '"'))
    service = only_service(mesh, f"s.n.{CLUSTER}")
    seen = {ns for ns in ("n", "qa", "other") if resolver.is_service_visible(mesh, service, ns)}
    assert seen == visible_to
    listed = {
        ns for ns in ("n", "qa", "other") if service in resolver.services_visible_to(mesh, ns)
    }
    assert listed == visible_to


# --------------------------------------------------------------------------- §3.6.1

ROOT_DEFAULT = """\
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: istio-system}
spec: {egress: [{hosts: [./*]}]}
---
"""


def gateway_deployment(meta: str, template_meta: str, pod_spec: str = "{}") -> str:
    return (
        "apiVersion: apps/v1\nkind: Deployment\n"
        f"metadata: {{name: gw, namespace: ingress, {meta}}}\n"
        f"spec:\n  template:\n    metadata: {template_meta}\n    spec: {pod_spec}\n"
    )


HELM_GATEWAY = gateway_deployment(
    "labels: {app: my-gw, istio: my-gw}",
    "{annotations: {inject.istio.io/templates: gateway, sidecar.istio.io/inject: 'true'}, "
    "labels: {app: my-gw, istio: my-gw, sidecar.istio.io/inject: 'true'}}",
    "{containers: [{name: istio-proxy, image: auto}]}",
)
GATEWAY_API_GATEWAY = gateway_deployment(
    "labels: {gateway.istio.io/managed: istio.io-gateway-controller}",
    "{labels: {gateway.istio.io/managed: istio.io-gateway-controller, "
    "sidecar.istio.io/inject: 'false'}}",
    "{containers: [{name: istio-proxy, image: proxyv2, args: [proxy, router, --domain, x]}]}",
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (HELM_GATEWAY, ProxyType.ROUTER),
        (GATEWAY_API_GATEWAY, ProxyType.ROUTER),
        # The managed label on the Deployment alone is enough.
        (
            gateway_deployment(
                "labels: {gateway.istio.io/managed: istio.io-gateway-controller}", "{}"
            ),
            ProxyType.ROUTER,
        ),
        # A waypoint, by its label or by its proxy command.
        (
            gateway_deployment(
                "labels: {gateway.istio.io/managed: istio.io-mesh-controller}",
                "{labels: {gateway.istio.io/managed: istio.io-mesh-controller}}",
            ),
            ProxyType.WAYPOINT,
        ),
        (
            gateway_deployment(
                "labels: {}", "{}", "{containers: [{name: istio-proxy, args: [proxy, waypoint]}]}"
            ),
            ProxyType.WAYPOINT,
        ),
        # Templates are applied in order: the last one setting the proxy command wins.
        (
            gateway_deployment(
                "labels: {}", "{annotations: {inject.istio.io/templates: 'sidecar, gateway'}}"
            ),
            ProxyType.ROUTER,
        ),
        (
            gateway_deployment(
                "labels: {}", "{annotations: {inject.istio.io/templates: 'gateway,sidecar'}}"
            ),
            ProxyType.SIDECAR,
        ),
        (
            gateway_deployment(
                "labels: {}", "{annotations: {inject.istio.io/templates: 'gateway,spire'}}"
            ),
            ProxyType.ROUTER,
        ),
        # An ordinary application container named like the proxy does not decide.
        (
            gateway_deployment("labels: {}", "{}", "{containers: [{name: app, args: [router]}]}"),
            ProxyType.SIDECAR,
        ),
    ],
)
def test_gateways_are_detected_as_istiod_runs_them(text: str, expected: ProxyType) -> None:
    mesh = build(ROOT_DEFAULT + text)
    gateway = workload(mesh, "gw")
    assert gateway.proxy_type is expected
    selection = resolver.select_sidecar(mesh, gateway)
    if expected is ProxyType.SIDECAR:
        assert selection.origin is SelectionOrigin.ROOT_DEFAULT
    else:
        assert (selection.sidecar, selection.origin) == (None, SelectionOrigin.GATEWAY_DEFAULT)


def test_uninjected_pod_ignores_its_template_annotation() -> None:
    text = (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: gw\n  namespace: ingress\n"
        "  labels: {sidecar.istio.io/inject: 'false'}\n"
        "  annotations: {inject.istio.io/templates: gateway}\nspec: {}\n"
    )
    assert workload(build(text), "gw").proxy_type is ProxyType.SIDECAR


# --------------------------------------------------------------------------- §4.3.5

SERVICES = """\
apiVersion: v1
kind: Service
metadata: {name: api, namespace: prod}
spec: {clusterIP: 10.0.0.10, ports: [{name: http, port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: canary, namespace: prod}
spec: {clusterIP: 10.0.0.11, ports: [{name: http, port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: shadow, namespace: prod}
spec: {clusterIP: 10.0.0.12, ports: [{name: http, port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: shadow, namespace: team}
spec: {clusterIP: 10.0.0.13, ports: [{name: http, port: 80}]}
---
"""
CLIENTS = """\
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: istio-system}
spec: {egress: [{hosts: [./*, prod/api.prod.svc.cluster.local]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: shop-client, namespace: shop}
spec: {}
---
apiVersion: v1
kind: Pod
metadata: {name: billing-client, namespace: billing}
spec: {}
---
"""


def delegation(root_route: str, delegate_spec: str) -> Mesh:
    text = (
        SERVICES + CLIENTS + "apiVersion: networking.istio.io/v1\nkind: VirtualService\n"
        "metadata: {name: api, namespace: prod}\n"
        f"spec:\n  hosts: [api]\n  http:\n  - {root_route}\n---\n"
        "apiVersion: networking.istio.io/v1\nkind: VirtualService\n"
        f"metadata: {{name: child, namespace: team}}\nspec: {delegate_spec}\n"
    )
    return build(text)


def reaches(mesh: Mesh, client: str, host: str) -> bool:
    """Whether ``host`` is in the client's scope (here only through VS destinations, §5.7)."""
    scope = resolver.compute_scope(mesh, workload(mesh, client))
    return scope.service(f"{host}.{CLUSTER}") is not None


def test_root_source_namespace_restricts_the_delegate_routes() -> None:
    mesh = delegation(
        "{match: [{sourceNamespace: billing}], delegate: {name: child, namespace: team}}",
        "{http: [{route: [{destination: {host: canary.prod.svc.cluster.local}}]}]}",
    )
    assert reaches(mesh, "billing-client", "canary.prod")
    assert not reaches(mesh, "shop-client", "canary.prod")


def test_a_virtual_service_with_hosts_is_no_delegate() -> None:
    mesh = delegation(
        "{delegate: {name: child, namespace: team}}",
        "{hosts: [child.example.com], "
        "http: [{route: [{destination: {host: canary.prod.svc.cluster.local}}]}]}",
    )
    assert not reaches(mesh, "shop-client", "canary.prod")


def test_root_mirror_is_inherited_with_the_roots_namespace() -> None:
    # The root's mirror "shadow" means shadow.prod (the root's namespace), even inside the
    # merged route of a delegate living in team; a delegate route's own mirror wins.
    inherits = delegation(
        "{mirror: {host: shadow}, delegate: {name: child, namespace: team}}",
        "{http: [{route: [{destination: {host: canary.prod.svc.cluster.local}}]}]}",
    )
    assert reaches(inherits, "shop-client", "shadow.prod")
    assert not reaches(inherits, "shop-client", "shadow.team")
    own = delegation(
        "{mirrors: [{destination: {host: shadow}}], delegate: {name: child, namespace: team}}",
        "{http: [{route: [{destination: {host: canary.prod.svc.cluster.local}}], "
        "mirrors: [{destination: {host: shadow}}]}]}",
    )
    assert reaches(own, "shop-client", "shadow.team")
    assert not reaches(own, "shop-client", "shadow.prod")


def test_the_root_mirror_counts_only_through_surviving_delegate_routes() -> None:
    mesh = delegation(
        "{match: [{uri: {prefix: /a}}], mirror: {host: shadow},"
        " delegate: {name: child, namespace: team}}",
        "{http: [{match: [{uri: {prefix: /b}}],"
        " route: [{destination: {host: canary.prod.svc.cluster.local}}]}]}",
    )
    assert not reaches(mesh, "shop-client", "canary.prod")
    assert not reaches(mesh, "shop-client", "shadow.prod")


def test_delegation_is_one_level_deep() -> None:
    # A delegate's own delegating route is merged like any other, but never followed.
    mesh = delegation(
        "{delegate: {name: child, namespace: team}}",
        "{http: [{delegate: {name: grandchild, namespace: team}}]}\n---\n"
        "apiVersion: networking.istio.io/v1\nkind: VirtualService\n"
        "metadata: {name: grandchild, namespace: team}\n"
        "spec: {http: [{route: [{destination: {host: canary.prod.svc.cluster.local}}]}]}",
    )
    assert not reaches(mesh, "shop-client", "canary.prod")


@pytest.mark.parametrize(
    ("root_match", "delegate_match", "kept"),
    [
        # uri: prefix narrowed by prefix or exact; regex on either side conflicts.
        ("{uri: {prefix: /productpage}}", "{uri: {exact: /productpage/v1}}", True),
        ("{uri: {prefix: /productpage}}", "{uri: {prefix: /productpage/v2}}", True),
        ("{uri: {prefix: /productpage/v2}}", "{uri: {prefix: /productpage}}", False),
        ("{uri: {prefix: /productpage/v2}}", "{uri: {exact: /productpage/v2}}", True),
        ("{uri: {prefix: /productpage}}", "{uri: {exact: /reviews}}", False),
        ("{uri: {exact: /a}}", "{uri: {exact: /a}}", True),
        ("{uri: {exact: /a}}", "{uri: {prefix: /a}}", False),
        ("{uri: {regex: ^/productpage}}", "{uri: {prefix: /productpage/v2}}", False),
        ("{uri: {prefix: /productpage}}", "{uri: {regex: ^/productpage}}", False),
        ("{uri: {regex: ^/productpage}}", "{headers: {v: {exact: a}}}", True),
        ("{headers: {v: {exact: a}}}", "{uri: {regex: ^/productpage}}", True),
        # headers, withoutHeaders and query parameters, key by key.
        ("{headers: {v: {exact: h1}}}", "{headers: {v: {exact: h2}}}", False),
        ("{headers: {v: {exact: h1}}}", "{headers: {v: {exact: h1}}}", True),
        ("{headers: {v: {prefix: h1}}}", "{headers: {v: {exact: h1-v1}}}", True),
        ("{headers: {v: {prefix: h1}}}", "{headers: {v: {prefix: h2}}}", False),
        ("{headers: {a: {exact: h1}}}", "{headers: {b: {exact: h2}}}", True),
        ("{withoutHeaders: {v: {prefix: h1}}}", "{withoutHeaders: {v: {exact: h2}}}", False),
        ("{queryParams: {v: {exact: a}}}", "{queryParams: {v: {exact: b}}}", False),
        # ports, case sensitivity, source labels and namespaces, gateways.
        ("{port: 8080}", "{port: 8090}", False),
        ("{port: 8080}", "{uri: {prefix: /}}", True),
        ("{uri: {prefix: /}}", "{port: 8080}", True),
        ("{ignoreUriCase: true}", "{uri: {prefix: /}}", False),
        ("{sourceLabels: {a: b}}", "{sourceLabels: {a: c}}", False),
        ("{sourceLabels: {a: b}}", "{sourceLabels: {c: d}}", True),
        ("{sourceNamespace: shop}", "{sourceNamespace: billing}", False),
        ("{sourceNamespace: shop}", "{uri: {prefix: /}}", False),
        ("{sourceNamespace: shop}", "{sourceNamespace: shop}", True),
        ("{gateways: [ingress-gateway]}", "{gateways: [ingress-gateway, mesh]}", False),
        ("{gateways: [ingress-gateway, mesh]}", "{gateways: [mesh]}", True),
        # Gateway names are compared resolved, each in its own VirtualService's namespace.
        ("{gateways: [prod/gw]}", "{gateways: [gw]}", False),
        ("{gateways: [team/gw]}", "{gateways: [./gw]}", True),
    ],
)
def test_conflicting_delegate_match_drops_the_route(
    root_match: str, delegate_match: str, *, kept: bool
) -> None:
    mesh = delegation(
        f"{{match: [{root_match}], delegate: {{name: child, namespace: team}}}}",
        f"{{http: [{{match: [{delegate_match}],"
        " route: [{destination: {host: canary.prod.svc.cluster.local}}]}]}",
    )
    assert reaches(mesh, "shop-client", "canary.prod") is kept


def test_one_delegate_block_conflicting_with_every_root_block_drops_the_route() -> None:
    # Istio's "url match" case: /reviews fits neither root block.
    delegate = (
        "{http: [{match: [{uri: {exact: /productpage/v1}}, {uri: {exact: /reviews}}],"
        " route: [{destination: {host: canary.prod.svc.cluster.local}}]}]}"
    )
    mesh = delegation(
        "{match: [{uri: {prefix: /productpage}}], delegate: {name: child, namespace: team}}",
        delegate,
    )
    assert not reaches(mesh, "shop-client", "canary.prod")
    both = delegation(
        "{match: [{uri: {prefix: /productpage}}, {uri: {prefix: /reviews}}],"
        " delegate: {name: child, namespace: team}}",
        delegate,
    )
    assert reaches(both, "shop-client", "canary.prod")


def test_merged_matches_keep_a_source_namespace_from_either_side() -> None:
    # The root matches shop or any namespace on /x; the delegate block for billing conflicts
    # with the shop block but merges with the other, so the merged route is billing-only.
    mesh = delegation(
        "{match: [{sourceNamespace: shop}, {uri: {prefix: /x}}],"
        " delegate: {name: child, namespace: team}}",
        "{http: [{match: [{sourceNamespace: billing, uri: {prefix: /x/y}}],"
        " route: [{destination: {host: canary.prod.svc.cluster.local}}]}]}",
    )
    assert reaches(mesh, "billing-client", "canary.prod")
    assert not reaches(mesh, "shop-client", "canary.prod")


# --------------------------------------------------------------------------- Pod status

POD = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: n}\nspec: {}\n"


@pytest.mark.parametrize(
    ("status", "path"),
    [
        ("status: {podIP: 5}", "status.podIP"),
        ("status: {podIPs: 7}", "status.podIPs"),
        ("status: {podIPs: [10.0.0.1]}", "status.podIPs[0]"),
        ("status: {podIPs: [{ip: 5}]}", "status.podIPs[0]"),
    ],
)
def test_malformed_pod_status_is_refused_with_its_location(status: str, path: str) -> None:
    resources = loads(POD + status + "\n", source="pods.yaml")
    with pytest.raises(ManifestError) as caught:
        Mesh.from_resources(resources)
    assert isinstance(caught.value, SidecarModelError)
    (problem,) = caught.value.problems
    assert (problem.source, problem.path, problem.line) == ("pods.yaml", path, 5)
    assert problem.message.startswith("Pod n/p: expected ")
    assert "tuple" not in problem.message  # said in the manifest's words: a list, an object


@pytest.mark.parametrize(
    ("status", "column", "found"),
    [("status: [1]", 1, "a list"), ("status: text", 9, "the string 'text'")],
)
def test_a_pod_status_that_is_no_object_is_refused_at_load(
    status: str, column: int, found: str
) -> None:
    # Loading refuses it before a Mesh is built: Kubernetes only ever writes an object there.
    with pytest.raises(ManifestError) as caught:
        loads(POD + status + "\n", source="pods.yaml")
    (problem,) = caught.value.problems
    assert (problem.source, problem.path, problem.line, problem.column) == (
        "pods.yaml",
        "status",
        5,
        column,
    )
    assert problem.message == f"expected a mapping, got {found}"


def test_well_formed_pod_status_still_gives_addresses() -> None:
    mesh = build(POD + "status: {podIP: 10.0.0.1, podIPs: [{ip: 10.0.0.1}, {ip: 'fd00::1'}]}\n")
    assert workload(mesh, "p").ip == "10.0.0.1"
    assert build(POD + "status: {}\n").workloads[0].ip is None
