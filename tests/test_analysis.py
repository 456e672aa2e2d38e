"""Mesh analysis (semantics §7 and our SM checks), what-if diffs and namespace reachability."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from sidecar_model import loads
from sidecar_model.analysis import (
    CHECKS,
    MeshDiff,
    ReachabilityGraph,
    analyze,
    diff,
    reachability,
)
from sidecar_model.mesh import Mesh, MeshService, ServicePort, Workload
from sidecar_model.model import Protocol
from sidecar_model.resolver import SelectionOrigin
from sidecar_model.validation import Diagnostic, Severity

DOCS = Path(__file__).parent.parent / "docs"

SERVICES = """
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: prod}
spec:
  clusterIP: 10.0.0.11
  selector: {app: reviews}
  ports: [{name: http, port: 9080}]
---
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: qa}
spec:
  clusterIP: 10.0.0.12
  ports: [{name: http, port: 9080}]
---
apiVersion: v1
kind: Service
metadata: {name: cart, namespace: shop}
spec:
  clusterIP: 10.0.0.13
  selector: {app: cart}
  ports: [{name: http, port: 8080}]
---
apiVersion: v1
kind: Pod
metadata:
  name: cart-1
  namespace: shop
  labels: {app: cart, version: v1}
spec: {}
"""


def sidecar(name: str, namespace: str, spec: str) -> str:
    """A Sidecar document; ``spec`` is its indented body (two spaces) or empty."""
    body = f"spec:\n{spec}" if spec.strip() else "spec: {}\n"
    return (
        "---\napiVersion: networking.istio.io/v1\nkind: Sidecar\n"
        f"metadata:\n  name: {name}\n  namespace: {namespace}\n{body}"
    )


def build(*documents: str) -> tuple[Mesh, str]:
    text = "".join(documents)
    return Mesh.from_resources(loads(text)), text


def found(mesh: Mesh, code: str) -> list[Diagnostic]:
    return [d for d in analyze(mesh) if d.code == code]


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """The 1-based line of the ``occurrence``-th line containing ``needle``."""
    hits = [i for i, line in enumerate(text.splitlines(), start=1) if needle in line]
    return hits[occurrence - 1]


def names(diagnostics: list[Diagnostic]) -> list[str | None]:
    return [d.resource.name if d.resource is not None else None for d in diagnostics]


# =========================================================================== IST0101


def test_ist0101_selector_matching_no_pod() -> None:
    mesh, text = build(
        SERVICES,
        sidecar("ghost", "shop", "  workloadSelector:\n    labels: {zone: a, app: ghost}\n"),
    )
    (diagnostic,) = found(mesh, "IST0101")
    assert diagnostic.severity is Severity.ERROR
    assert names([diagnostic]) == ["ghost"]
    assert diagnostic.path == "spec.workloadSelector.labels.app"  # first key, sorted
    assert diagnostic.line == line_of(text, "labels: {zone: a, app: ghost}")
    assert '"app=ghost,zone=a"' in diagnostic.message


def test_ist0101_not_reported_when_a_pod_matches() -> None:
    mesh, _ = build(
        SERVICES, sidecar("cart", "shop", "  workloadSelector:\n    labels: {app: cart}\n")
    )
    assert found(mesh, "IST0101") == []


def test_ist0101_only_counts_pods_of_the_same_namespace_and_not_workload_entries() -> None:
    entry = (
        "---\napiVersion: networking.istio.io/v1\nkind: WorkloadEntry\n"
        "metadata: {name: vm, namespace: prod}\nspec: {address: 10.1.1.1, labels: {app: cart}}\n"
    )
    mesh, _ = build(
        SERVICES, entry, sidecar("cart", "prod", "  workloadSelector:\n    labels: {app: cart}\n")
    )
    assert names(found(mesh, "IST0101")) == ["cart"]


def test_ist0101_names_a_controller_whose_pods_were_not_loaded() -> None:
    deployment = (
        "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\n"
        "spec:\n  template:\n    metadata: {labels: {app: web}}\n    spec: {}\n"
    )
    mesh, _ = build(
        SERVICES,
        deployment,
        sidecar("web", "shop", "  workloadSelector:\n    labels: {app: web}\n"),
    )
    (diagnostic,) = found(mesh, "IST0101")
    assert "Deployment web matches" in diagnostic.message


def test_ist0101_hand_made_workloads_count_as_pods() -> None:
    resources = loads(sidecar("web", "shop", "  workloadSelector:\n    labels: {app: web}\n"))
    lonely = Mesh.from_resources(resources)
    assert [d.code for d in analyze(lonely)] == ["IST0101"]
    served = Mesh.from_resources(
        resources, workloads=[Workload(namespace="shop", labels={"app": "web"})]
    )
    assert analyze(served) == ()


# =========================================================================== IST0110


def test_ist0110_once_per_pod_and_sidecar() -> None:
    second_pod = SERVICES.replace("name: cart-1", "name: cart-2")
    mesh, text = build(
        SERVICES,
        "---\n" + second_pod.split("---\n")[-1],
        sidecar("b-cart", "shop", "  workloadSelector:\n    labels: {app: cart}\n"),
        sidecar("a-cart", "shop", "  workloadSelector:\n    labels: {version: v1}\n"),
    )
    diagnostics = found(mesh, "IST0110")
    assert names(diagnostics) == ["a-cart", "a-cart", "b-cart", "b-cart"]
    first = diagnostics[0]
    assert first.severity is Severity.ERROR
    assert first.path == "metadata.name"
    assert first.line == line_of(text, "name: a-cart")
    assert '[a-cart b-cart] in namespace "shop"' in first.message
    assert {'pod "cart-1"' in d.message for d in diagnostics} == {True, False}


def test_ist0110_not_reported_for_one_sidecar_or_disjoint_selectors() -> None:
    mesh, _ = build(
        SERVICES,
        sidecar("cart", "shop", "  workloadSelector:\n    labels: {app: cart}\n"),
        sidecar("v2", "shop", "  workloadSelector:\n    labels: {version: v2}\n"),
    )
    assert found(mesh, "IST0110") == []


# =========================================================================== IST0111


def test_ist0111_counts_an_empty_selector_as_namespace_wide() -> None:
    mesh, text = build(
        SERVICES,
        sidecar("default", "shop", "  egress: [{hosts: ['./*']}]\n"),
        sidecar("empty", "shop", "  workloadSelector: {}\n"),
    )
    diagnostics = found(mesh, "IST0111")
    assert names(diagnostics) == ["default", "empty"]
    assert {d.severity for d in diagnostics} == {Severity.ERROR}
    assert [d.path for d in diagnostics] == ["metadata.name"] * 2
    assert diagnostics[1].line == line_of(text, "name: empty")
    assert '[default empty] in namespace "shop"' in diagnostics[0].message


def test_ist0111_not_reported_for_one_namespace_wide_sidecar_per_namespace() -> None:
    mesh, _ = build(
        SERVICES,
        sidecar("default", "shop", "  egress: [{hosts: ['./*']}]\n"),
        sidecar("default", "prod", "  egress: [{hosts: ['./*']}]\n"),
    )
    assert found(mesh, "IST0111") == []


# =========================================================================== IST0167

AMBIENT_NAMESPACE = """
---
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels: {istio.io/dataplane-mode: ambient}
"""


def test_ist0167_for_a_sidecar_selecting_an_ambient_pod_instead_of_ist0110() -> None:
    ambient = SERVICES.replace(
        "  labels: {app: cart, version: v1}",
        "  labels: {app: cart, version: v1}\n"
        "  annotations: {ambient.istio.io/redirection: enabled}",
    )
    mesh, text = build(
        ambient,
        sidecar("a", "shop", "  workloadSelector:\n    labels: {app: cart}\n"),
        sidecar("b", "shop", "  workloadSelector:\n    labels: {version: v1}\n"),
    )
    assert found(mesh, "IST0110") == []
    diagnostics = found(mesh, "IST0167")
    assert names(diagnostics) == ["a", "b"]
    assert diagnostics[0].severity is Severity.WARNING
    assert diagnostics[0].path == "metadata.name"
    assert diagnostics[0].line == line_of(text, "name: a")
    assert "ambient mode (pod shop/cart-1)" in diagnostics[0].message


def test_ist0167_for_namespace_wide_sidecars_in_an_ambient_namespace_instead_of_ist0111() -> None:
    mesh, _ = build(
        SERVICES,
        AMBIENT_NAMESPACE,
        sidecar("one", "shop", "  egress: [{hosts: ['./*']}]\n"),
        sidecar("two", "shop", "  egress: [{hosts: ['./*']}]\n"),
    )
    assert found(mesh, "IST0111") == []
    diagnostics = found(mesh, "IST0167")
    assert names(diagnostics) == ["one", "two"]
    assert "namespace is in ambient mode" in diagnostics[0].message


def test_ist0167_not_reported_when_injection_overrides_ambient() -> None:
    injected = AMBIENT_NAMESPACE.replace(
        "{istio.io/dataplane-mode: ambient}",
        "{istio.io/dataplane-mode: ambient, istio-injection: enabled}",
    )
    mesh, _ = build(SERVICES, injected, sidecar("one", "shop", "  egress: [{hosts: ['./*']}]\n"))
    assert found(mesh, "IST0167") == []


# =========================================================================== IST0002


def test_ist0002_egress_proxy_is_deprecated() -> None:
    mesh, text = build(
        SERVICES,
        sidecar(
            "proxy",
            "shop",
            "  outboundTrafficPolicy:\n    mode: ALLOW_ANY\n"
            "    egressProxy: {host: egress.example.com, port: {number: 443}}\n",
        ),
    )
    (diagnostic,) = found(mesh, "IST0002")
    assert diagnostic.severity is Severity.WARNING
    assert diagnostic.path == "spec.outboundTrafficPolicy.egressProxy"
    assert diagnostic.line == line_of(text, "egressProxy:")
    assert names([diagnostic]) == ["proxy"]


def test_ist0002_not_reported_without_egress_proxy() -> None:
    mesh, _ = build(
        SERVICES, sidecar("plain", "shop", "  outboundTrafficPolicy: {mode: ALLOW_ANY}\n")
    )
    assert found(mesh, "IST0002") == []


# =========================================================================== SM0001


def test_sm0001_an_egress_host_that_imports_nothing() -> None:
    mesh, text = build(
        SERVICES, sidecar("default", "shop", "  egress:\n  - hosts: ['./*', 'nowhere/*']\n")
    )
    (diagnostic,) = found(mesh, "SM0001")
    assert diagnostic.severity is Severity.WARNING
    assert diagnostic.path == "spec.egress[0].hosts[1]"
    assert diagnostic.line == line_of(text, "nowhere/*")
    assert "no service or VirtualService in namespace nowhere" in diagnostic.message


def test_sm0001_says_when_services_match_but_lack_the_port() -> None:
    mesh, _ = build(
        SERVICES,
        sidecar(
            "default",
            "shop",
            "  egress:\n  - port: {number: 9090, protocol: HTTP, name: http}\n"
            "    hosts: ['prod/*']\n  - hosts: ['./*']\n",
        ),
    )
    (diagnostic,) = found(mesh, "SM0001")
    assert diagnostic.path == "spec.egress[0].hosts[0]"
    assert "has port 9090" in diagnostic.message


def test_sm0001_not_reported_for_hosts_importing_a_service_or_a_virtual_service() -> None:
    routing = (
        "---\napiVersion: networking.istio.io/v1\nkind: VirtualService\n"
        "metadata: {name: r, namespace: routing}\nspec: {hosts: [reviews.prod.svc.cluster.local]}\n"
    )
    mesh, _ = build(
        SERVICES,
        routing,
        sidecar(
            "default", "shop", "  egress:\n  - hosts: ['./*', 'prod/*', 'routing/*', '~qa/*']\n"
        ),
    )
    assert found(mesh, "SM0001") == []


# =========================================================================== SM0002


def test_sm0002_root_namespace_sidecar_with_a_selector() -> None:
    mesh, text = build(
        SERVICES,
        sidecar("gw", "istio-system", "  workloadSelector:\n    labels: {app: x}\n"),
    )
    (diagnostic,) = found(mesh, "SM0002")
    assert diagnostic.severity is Severity.WARNING
    assert diagnostic.path == "spec.workloadSelector"
    assert diagnostic.line == line_of(text, "workloadSelector:")
    assert "never the mesh-wide default" in diagnostic.message


def test_sm0002_not_reported_for_the_root_default_or_other_namespaces() -> None:
    mesh, _ = build(
        SERVICES,
        sidecar("default", "istio-system", "  egress: [{hosts: ['./*']}]\n"),
        sidecar("cart", "shop", "  workloadSelector:\n    labels: {app: cart}\n"),
    )
    assert found(mesh, "SM0002") == []


# =========================================================================== SM0003


def test_sm0003_empty_selector_outranks_the_namespace_default() -> None:
    mesh, text = build(
        SERVICES,
        sidecar("default", "shop", "  egress: [{hosts: ['./*']}]\n"),
        sidecar("all", "shop", "  workloadSelector: {labels: {}}\n"),
    )
    (diagnostic,) = found(mesh, "SM0003")
    assert diagnostic.severity is Severity.WARNING
    assert names([diagnostic]) == ["all"]
    assert diagnostic.path == "spec.workloadSelector"
    assert diagnostic.line == line_of(text, "workloadSelector: {labels: {}}")
    assert "it outranks default" in diagnostic.message


def test_sm0003_not_reported_for_a_selector_with_labels_or_none() -> None:
    mesh, _ = build(
        SERVICES,
        sidecar("default", "shop", "  egress: [{hosts: ['./*']}]\n"),
        sidecar("cart", "shop", "  workloadSelector: {labels: {app: cart}}\n"),
    )
    assert found(mesh, "SM0003") == []


# =========================================================================== SM0004

E2 = "  egress:\n  - port: {number: 9080, protocol: HTTP, name: http}\n    hosts: ['prod/*']\n"


def test_sm0004_ported_listener_hides_catch_all_hosts_on_its_port() -> None:
    mesh, text = build(SERVICES, sidecar("default", "shop", E2 + "  - hosts: ['*/*']\n"))
    (diagnostic,) = found(mesh, "SM0004")
    assert diagnostic.severity is Severity.WARNING
    assert diagnostic.path == "spec.egress[0].port"
    assert diagnostic.line == line_of(text, "port: {number: 9080")
    assert "reviews.qa.svc.cluster.local" in diagnostic.message
    assert "reviews.prod.svc.cluster.local" not in diagnostic.message
    assert "cart.shop" not in diagnostic.message  # port 8080: not hidden


def test_sm0004_not_reported_for_tcp_services_on_their_own_address() -> None:
    legacy = (
        "---\napiVersion: v1\nkind: Service\nmetadata: {name: legacy, namespace: other}\n"
        "spec: {clusterIP: 10.0.0.7, ports: [{name: tcp, port: 9080}]}\n"
    )
    mesh, _ = build(SERVICES, legacy, sidecar("default", "shop", E2 + "  - hosts: ['*/*']\n"))
    (diagnostic,) = found(mesh, "SM0004")
    assert "legacy.other" not in diagnostic.message  # MSP3: its own (10.0.0.7, 9080) listener
    assert "1 host(s)" in diagnostic.message


def test_sm0004_not_reported_when_the_ported_listener_carries_them_or_no_catch_all() -> None:
    wide = E2.replace("['prod/*']", "['*/*']")
    mesh, _ = build(SERVICES, sidecar("default", "shop", wide + "  - hosts: ['*/*']\n"))
    assert found(mesh, "SM0004") == []
    mesh, _ = build(SERVICES, sidecar("default", "shop", E2))
    assert found(mesh, "SM0004") == []


# =========================================================================== SM0005

ROUTING_VS = """
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews-route, namespace: routing}
spec:
  hosts: [reviews.prod.svc.cluster.local]
  http: [{route: [{destination: {host: reviews.prod.svc.cluster.local}}]}]
"""


def test_sm0005_virtual_service_not_imported_although_its_host_is() -> None:
    mesh, text = build(
        SERVICES, ROUTING_VS, sidecar("default", "shop", "  egress:\n  - hosts: ['prod/*']\n")
    )
    (diagnostic,) = found(mesh, "SM0005")
    assert diagnostic.severity is Severity.WARNING
    assert diagnostic.path == "spec.egress[0].hosts"
    assert diagnostic.line == line_of(text, "hosts: ['prod/*']")
    assert "routing/reviews-route" in diagnostic.message
    assert "'routing/reviews.prod.svc.cluster.local'" in diagnostic.message


def test_sm0005_one_finding_per_listener() -> None:
    edge = ROUTING_VS.replace("name: reviews-route, namespace: routing", "name: e, namespace: edge")
    mesh, _ = build(
        SERVICES,
        ROUTING_VS,
        edge,
        sidecar("default", "shop", "  egress:\n  - hosts: ['prod/*', 'qa/*']\n"),
    )
    (diagnostic,) = found(mesh, "SM0005")
    assert "reviews.prod.svc.cluster.local (edge/e, routing/reviews-route)" in diagnostic.message
    assert "1 host(s)" in diagnostic.message


@pytest.mark.parametrize("extra", ["routing/*", "*/reviews.prod.svc.cluster.local"])
def test_sm0005_not_reported_once_the_virtual_service_is_imported(extra: str) -> None:
    mesh, _ = build(
        SERVICES,
        ROUTING_VS,
        sidecar("default", "shop", f"  egress:\n  - hosts: ['prod/*', '{extra}']\n"),
    )
    assert found(mesh, "SM0005") == []


def test_sm0005_not_reported_for_a_virtual_service_hidden_by_export_to() -> None:
    private = ROUTING_VS.replace("  hosts: [reviews", "  exportTo: ['.']\n  hosts: [reviews")
    mesh, _ = build(
        SERVICES, private, sidecar("default", "shop", "  egress:\n  - hosts: ['prod/*']\n")
    )
    assert found(mesh, "SM0005") == []


# =========================================================================== SM0006

PRIVATE_RATINGS = """
---
apiVersion: v1
kind: Service
metadata:
  name: ratings
  namespace: prod
  annotations: {networking.istio.io/exportTo: "."}
spec:
  clusterIP: 10.0.0.14
  ports: [{name: http, port: 9080}]
"""


def test_sm0006_export_to_hides_an_exact_host_the_sidecar_asks_for() -> None:
    mesh, text = build(
        SERVICES,
        PRIVATE_RATINGS,
        sidecar(
            "default",
            "shop",
            "  egress:\n  - hosts: ['./*', 'prod/ratings.prod.svc.cluster.local']\n",
        ),
    )
    (diagnostic,) = found(mesh, "SM0006")
    assert found(mesh, "SM0001") == []  # the more specific finding only
    assert diagnostic.severity is Severity.WARNING
    assert diagnostic.path == "spec.egress[0].hosts[1]"
    assert diagnostic.line == line_of(text, "prod/ratings")
    assert "its exportTo (.) hides it from shop" in diagnostic.message


def test_sm0006_not_reported_when_the_service_is_exported_to_the_namespace() -> None:
    shared = PRIVATE_RATINGS.replace('exportTo: "."', 'exportTo: ".,shop"')
    mesh, _ = build(
        SERVICES,
        shared,
        sidecar(
            "default", "shop", "  egress:\n  - hosts: ['prod/ratings.prod.svc.cluster.local']\n"
        ),
    )
    assert analyze(mesh) == ()


# =========================================================================== root default elsewhere


def pod(name: str, namespace: str, app: str) -> str:
    """A Pod document labelled ``app``."""
    return (
        "---\napiVersion: v1\nkind: Pod\n"
        f"metadata: {{name: {name}, namespace: {namespace}, labels: {{app: {app}}}}}\nspec: {{}}\n"
    )


ROOT_DEFAULT = sidecar(
    "default",
    "istio-system",
    "  egress:\n  - hosts: ['./*', './cart.shop.svc.cluster.local', "
    "'prod/ratings.prod.svc.cluster.local']\n",
)


def covered(diagnostics: list[Diagnostic]) -> list[tuple[str, str]]:
    """(namespace evaluated in, path) of findings on the root default in other namespaces."""
    pairs = []
    for diagnostic in diagnostics:
        match = re.match(r"in namespace (\S+): ", diagnostic.message)
        if match:
            pairs.append((match.group(1), diagnostic.path))
    return pairs


def test_root_default_is_checked_in_each_namespace_it_covers() -> None:
    mesh, text = build(
        SERVICES,
        PRIVATE_RATINGS.replace('exportTo: "."', 'exportTo: ".,shop"'),
        pod("web-1", "web", "web"),
        pod("web-2", "web", "web"),
        ROOT_DEFAULT,
    )
    sm0001 = found(mesh, "SM0001")
    assert all(d.resource is not None and d.resource.name == "default" for d in sm0001)
    assert all(d.resource is not None and d.resource.namespace == "istio-system" for d in sm0001)
    # shop imports both '.' entries; web (no Sidecar of its own) imports neither, once each.
    assert covered(sm0001) == [
        ("web", "spec.egress[0].hosts[0]"),
        ("web", "spec.egress[0].hosts[1]"),
    ]
    first = next(d for d in sm0001 if d.message.startswith("in namespace web: './*'"))
    assert first.line == line_of(text, "./cart.shop")
    assert "imports nothing in web" in first.message
    # ratings is exported to shop, not to web (nor to the root namespace itself).
    sm0006 = found(mesh, "SM0006")
    assert covered(sm0006) == [("web", "spec.egress[0].hosts[2]")]
    assert "hides it from web" in sm0006[-1].message
    assert [d.message.startswith("in namespace") for d in sm0006] == [False, True]
    assert analyze(mesh) == analyze(mesh)


def test_root_default_not_checked_where_a_namespace_sidecar_selects_the_workloads() -> None:
    own = sidecar("own", "own", "  workloadSelector:\n    labels: {app: own}\n")
    shop = sidecar("default", "shop", "  egress:\n  - hosts: ['./*']\n")
    mesh, _ = build(SERVICES, pod("own-1", "own", "own"), own, shop, ROOT_DEFAULT)
    assert covered(list(analyze(mesh))) == []
    # A pod its namespace's selector Sidecar misses falls to the root default (3.4 step 2).
    mesh, _ = build(
        SERVICES, pod("own-1", "own", "own"), pod("x-1", "own", "x"), own, shop, ROOT_DEFAULT
    )
    assert {namespace for namespace, _ in covered(list(analyze(mesh)))} == {"own"}


# =========================================================================== the whole run


def test_analyze_orders_findings_by_resource_then_code_and_path() -> None:
    mesh, _ = build(
        SERVICES,
        sidecar("z", "shop", "  egress:\n  - hosts: ['nowhere/*', 'gone/*']\n"),
        sidecar("a", "shop", "  workloadSelector: {}\n"),
        sidecar("gw", "istio-system", "  workloadSelector:\n    labels: {app: gw}\n"),
    )
    result = analyze(mesh)
    assert [(d.resource.namespace if d.resource else None, d.code, d.path) for d in result] == [
        ("istio-system", "IST0101", "spec.workloadSelector.labels.app"),
        ("istio-system", "SM0002", "spec.workloadSelector"),
        ("shop", "IST0111", "metadata.name"),
        ("shop", "SM0003", "spec.workloadSelector"),
        ("shop", "IST0111", "metadata.name"),
        ("shop", "SM0001", "spec.egress[0].hosts[0]"),
        ("shop", "SM0001", "spec.egress[0].hosts[1]"),
    ]
    assert analyze(mesh) == result
    assert all(d.severity is CHECKS[d.code].severity for d in result)


def test_findings_print_and_serialise_with_their_location() -> None:
    mesh, text = build(SERVICES, sidecar("z", "shop", "  egress:\n  - hosts: ['nowhere/*']\n"))
    (diagnostic,) = analyze(mesh)
    line = line_of(text, "nowhere/*")
    assert str(diagnostic).startswith(f"<string>:{line}:")
    data = json.loads(json.dumps(diagnostic.to_dict()))
    assert data["code"] == "SM0001"
    assert data["line"] == line
    assert data["resource"]["name"] == "z"


def test_an_empty_mesh_has_no_findings() -> None:
    assert analyze(Mesh()) == ()


def test_every_check_is_documented() -> None:
    page = (DOCS / "analysis.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^### (\w+\d{4})", page, flags=re.MULTILINE))
    assert documented == set(CHECKS)
    assert all(str(check).startswith(code) for code, check in CHECKS.items())


# =========================================================================== diff

OLD_SHOP = sidecar("default", "shop", "  egress:\n  - hosts: ['./*', 'prod/*']\n")


def test_diff_reports_hosts_ports_and_services_lost() -> None:
    old, _ = build(SERVICES, OLD_SHOP)
    new, _ = build(SERVICES, sidecar("default", "shop", "  egress:\n  - hosts: ['./*']\n"))
    result = diff(old, new)
    assert isinstance(result, MeshDiff)
    assert bool(result)
    (change,) = result.changed
    assert change.workload == "shop/cart-1"
    assert change.lost == (("reviews.prod.svc.cluster.local", 9080),)
    assert change.gained == ()
    assert (change.old_services, change.new_services, change.services_delta) == (2, 1, -1)
    assert not change.selection_changed
    assert result.workload("shop/cart-1") is change
    assert result.workload("shop/none") is None
    assert str(result) == (
        "1 workload(s) changed, 0 unchanged, 0 added, 0 removed\n"
        "by kind: outbound listeners 1, services 1\n"
        "shop/cart-1: imported services 2 -> 1 (-1)\n"
        "  - reviews.prod.svc.cluster.local:9080"
    )


def test_diff_reports_selection_changes_and_gains() -> None:
    old, _ = build(SERVICES, OLD_SHOP)
    narrow = sidecar(
        "cart",
        "shop",
        "  workloadSelector:\n    labels: {app: cart}\n  egress:\n  - hosts: ['*/*']\n",
    )
    new, _ = build(SERVICES, OLD_SHOP, narrow)
    (change,) = diff(old, new).changed
    assert change.selection_changed
    assert (change.old_sidecar, change.old_origin) == (
        "shop/default",
        SelectionOrigin.NAMESPACE_DEFAULT,
    )
    assert (change.new_sidecar, change.new_origin) == (
        "shop/cart",
        SelectionOrigin.WORKLOAD_SELECTOR,
    )
    assert change.gained == (("reviews.qa.svc.cluster.local", 9080),)
    assert change.services_delta == 1
    assert str(change).startswith(
        "shop/cart-1: Sidecar shop/default (namespace default) -> shop/cart (workload selector)"
    )
    data = json.loads(json.dumps(change.to_dict()))
    assert data["selection"]["new"] == {"sidecar": "shop/cart", "origin": "WORKLOAD_SELECTOR"}
    assert data["gained"] == [{"host": "reviews.qa.svc.cluster.local", "port": 9080}]
    assert data["services"] == {"old": 2, "new": 3, "delta": 1}
    assert "<pre>" in change._repr_html_()


def test_diff_of_identical_meshes_and_added_removed_workloads() -> None:
    old, _ = build(SERVICES, OLD_SHOP)
    same, _ = build(SERVICES, OLD_SHOP)
    result = diff(old, same)
    assert not result
    assert (result.changed, result.unchanged) == ((), 1)
    moved = Mesh.from_resources(
        [r for r in loads(SERVICES + OLD_SHOP) if r.kind != "Pod"],
        workloads=[Workload(namespace="shop", name="cart-2", labels={"app": "cart"})],
    )
    result = diff(old, moved)
    assert (result.added, result.removed) == (("shop/cart-2",), ("shop/cart-1",))
    assert "added: shop/cart-2\nremoved: shop/cart-1" in str(result)
    assert result.to_dict() == {
        "changed": [],
        "byKind": {},
        "unchanged": 0,
        "added": ["shop/cart-2"],
        "removed": ["shop/cart-1"],
    }
    assert result._repr_html_().startswith("<pre>")


# =========================================================================== reachability


def test_reachability_follows_imports_and_export_to() -> None:
    prod_pod = (
        "---\napiVersion: v1\nkind: Pod\nmetadata: {name: reviews-1, namespace: prod, "
        "labels: {app: reviews}}\nspec: {}\n"
    )
    private_cart = SERVICES.replace(
        "metadata: {name: cart, namespace: shop}",
        "metadata:\n  name: cart\n  namespace: shop\n"
        "  annotations: {networking.istio.io/exportTo: '.'}",
    )
    mesh, _ = build(private_cart, prod_pod, OLD_SHOP)
    graph = reachability(mesh)
    assert isinstance(graph, ReachabilityGraph)
    assert graph.namespaces == ("prod", "qa", "shop")
    assert [(e.source, e.target, e.services, e.workloads) for e in graph.edges] == [
        ("prod", "qa", 1, 1),
        ("shop", "prod", 1, 1),
    ]
    assert graph.reaches("shop", "prod")
    assert not graph.reaches("prod", "shop")  # cart is exported to shop only
    assert not graph.reaches("shop", "qa")  # the Sidecar imports ./* and prod/* only
    assert graph.targets("prod") == ("qa",)
    assert str(graph) == (
        "3 namespaces, 2 reachability edges\n  prod -> qa\n  qa -> (none)\n  shop -> prod"
    )
    assert graph.to_dot().splitlines()[-2:] == ['  "shop" -> "prod" [label="1"];', "}"]
    assert graph.to_mermaid().splitlines() == [
        "flowchart LR",
        '  n0["prod"]',
        '  n1["qa"]',
        '  n2["shop"]',
        "  n0 -->|1| n1",
        "  n2 -->|1| n0",
    ]
    assert '<pre class="mermaid">flowchart LR' in graph._repr_html_()
    data = json.loads(json.dumps(graph.to_dict()))
    assert data["edges"][1] == {"source": "shop", "target": "prod", "services": 1, "workloads": 1}
    assert str(graph.edges[1]) == "shop -> prod (1 service(s), 1 workload(s))"


def test_reachability_counts_hand_made_services_and_workloads() -> None:
    service = MeshService(
        hostname="api.example.com",
        namespace="ext",
        ports=(ServicePort(name="https", number=443, protocol=Protocol.TLS),),
    )
    mesh = Mesh.from_resources(
        [], services=[service], workloads=[Workload(namespace="a", name="w")]
    )
    graph = reachability(mesh)
    assert graph.namespaces == ("a", "ext")
    assert graph.reaches("a", "ext")
    assert graph.to_dot().startswith("digraph reachability {")
