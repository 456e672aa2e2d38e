"""Config sizes, recommended Sidecars and the ``recommend``/``size`` commands."""

from __future__ import annotations

import json
from importlib import resources
from typing import TYPE_CHECKING

import attrs
import pytest

import sidecar_model as sm
from sidecar_model import resolver
from sidecar_model._recommend import _plan
from sidecar_model.cli import main
from sidecar_model.mesh import (
    DuplicateObjectWarning,
    Mesh,
    MeshService,
    Registry,
    ServicePort,
    Workload,
)
from sidecar_model.model import IstioEgressListener, Protocol
from sidecar_model.recommendation import RecommendationError, savings_table
from sidecar_model.traffic import Call, Outcome, Traffic

if TYPE_CHECKING:
    from pathlib import Path

TRIM = resources.files("sidecar_model.examples") / "trim"


def _trim_mesh() -> Mesh:
    return Mesh.from_resources(sm.loads((TRIM / "mesh.yaml").read_text(encoding="utf-8")))


def _trim_traffic() -> Traffic:
    with resources.as_file(TRIM) as folder:
        return Traffic.merge(
            Traffic.load(folder / name) for name in ("logs", "metrics.json", "declared.yaml")
        )


def _mesh(text: str) -> Mesh:
    return Mesh.from_resources(sm.loads(text))


def _workload(mesh: Mesh, name: str) -> Workload:
    return next(w for w in mesh.workloads if f"{w.namespace}/{w.name}" == name)


def _declared(text: str) -> Traffic:
    return Traffic.from_text(text, source="deps.yaml")


# --------------------------------------------------------------------------- config size


def test_config_size_counts_clusters_subsets_and_endpoints() -> None:
    api = MeshService(
        hostname="api.shop.svc.cluster.local",
        namespace="shop",
        name="api",
        ports=(
            ServicePort(name="http", number=8080, protocol=Protocol.HTTP),
            ServicePort(name="grpc", number=9090, protocol=Protocol.GRPC),
        ),
        selector={"app": "api"},
        address="10.96.0.10",
    )
    stripe = MeshService(
        hostname="api.stripe.com",
        namespace="shop",
        ports=(ServicePort(name="tls", number=443, protocol=Protocol.TLS),),
        registry=Registry.EXTERNAL,
        resolution="DNS",
    )
    rule = sm.loads(
        "apiVersion: networking.istio.io/v1\nkind: DestinationRule\n"
        "metadata: {name: api, namespace: shop}\n"
        "spec:\n  host: api\n"
        "  subsets: [{name: v1, labels: {v: '1'}}, {name: v2, labels: {v: '2'}}]\n"
    )
    workloads = [
        Workload(namespace="shop", name=f"api-{i}", labels={"app": "api"}) for i in range(3)
    ]
    mesh = Mesh.from_resources(rule, services=[api, stripe], workloads=workloads)
    scope = resolver.compute_scope(mesh, workloads[0])
    size = resolver.config_size(scope)
    # api: 2 ports x (1 + 2 subsets); stripe: 1 port.
    assert size.clusters == 2 * 3 + 1
    # api: 3 selected workloads per port; stripe: its DNS host.
    assert size.endpoints == 2 * 3 + 1
    listeners = resolver.outbound_listeners(scope)
    assert size.listeners == len(listeners)
    routes = {listener.route for listener in listeners if listener.route}
    assert size.routes == len(routes) > 0
    assert size.virtual_hosts >= size.routes
    assert resolver.config_size(resolver.compute_scope(mesh, workloads[1])) == size
    assert size.to_dict()["virtualHosts"] == size.virtual_hosts
    assert "7 clusters" in str(size)


def test_config_size_arithmetic() -> None:
    small = resolver.ConfigSize(clusters=1, listeners=2, routes=3, virtual_hosts=4, endpoints=5)
    assert small + small == resolver.ConfigSize(
        clusters=2, listeners=4, routes=6, virtual_hosts=8, endpoints=10
    )
    assert small.fits_in(small + small)
    assert not (small + small).fits_in(small)


# --------------------------------------------------------------------------- the bundled example


def test_the_bundled_example_keeps_every_routed_call_and_shrinks_every_proxy() -> None:
    mesh = _trim_mesh()
    result = sm.recommend(mesh, _trim_traffic())
    assert [(s.namespace, s.name) for s in result.sidecars] == [
        ("billing", "default"),
        ("shop", "default"),
    ]
    shop = result.sidecars[1].spec
    assert shop.egress == (
        IstioEgressListener(
            hosts=(
                "billing/payments.billing.svc.cluster.local",
                "shop/cart.shop.svc.cluster.local",
                "shop/catalog.shop.svc.cluster.local",
                "shop/redis.shop.svc.cluster.local",
            )
        ),
    )
    kept = {(str(k.workload.name), k.hostname, k.ports) for k in result.kept}
    assert ("frontend-7c9f8-x2k4q", "catalog.shop.svc.cluster.local", (8080,)) in kept
    assert ("catalog-v1-5d6b7-abcde", "redis.shop.svc.cluster.local", (6379,)) in kept
    # Metrics name the Deployment and carry no port: every port of the service.
    assert ("payments-4c3b2-pqrst", "api.stripe.com", (443,)) in kept
    [blocked] = result.not_kept
    assert blocked.call.outcome is Outcome.BLOCKED
    assert "blocked today" in blocked.reason
    for size in result.sizes:
        assert size.after.fits_in(size.before)
        assert size.after.clusters < size.before.clusters
    rows = savings_table(result)
    assert [row["namespace"] for row in rows] == ["billing", "shop", "total"]
    assert rows[-1]["clustersBefore"] == sum(r["clustersBefore"] for r in rows[:-1])
    assert result.before["shop/frontend-7c9f8-x2k4q"].clusters == rows[1]["clustersBefore"] // 5
    for sidecar in result.sidecars:
        assert sm.validate(sidecar).ok


def test_recommending_again_on_the_applied_mesh_is_idempotent() -> None:
    mesh = _trim_mesh()
    traffic = _trim_traffic()
    first = sm.recommend(mesh, traffic)
    applied = Mesh.from_resources([*mesh.resources, *first.sidecars])
    second = sm.recommend(applied, traffic)
    assert second.sidecars == first.sidecars
    for size in second.sizes:
        assert size.after == size.before


# --------------------------------------------------------------------------- calls not kept

UNDECLARED_MESH = """
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec: {selector: {app: api}, ports: [{name: http, port: 8080}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
status: {podIP: 10.0.0.5}
---
apiVersion: v1
kind: Pod
metadata: {name: gw, namespace: shop, labels: {app: gw, istio: ingressgateway}}
"""


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ("REGISTRY_ONLY", "REGISTRY_ONLY blocks it today and still will"),
        ("ALLOW_ANY", "passes through PassthroughCluster under ALLOW_ANY"),
    ],
)
def test_undeclared_hosts_are_not_kept_and_say_why(policy: str, expected: str) -> None:
    sidecar = (
        "---\napiVersion: networking.istio.io/v1\nkind: Sidecar\n"
        "metadata: {name: default, namespace: shop}\n"
        f"spec:\n  outboundTrafficPolicy: {{mode: {policy}}}\n  egress: [{{hosts: ['./*']}}]\n"
    )
    mesh = _mesh(UNDECLARED_MESH + sidecar)
    result = sm.recommend(mesh, _declared("shop/web:\n- api:8080\n- example.com:443\n"))
    [item] = result.not_kept
    assert item.call.host == "example.com"
    assert expected in item.reason
    [recommended] = result.sidecars
    kept_policy = recommended.spec.outbound_traffic_policy
    assert kept_policy is not None
    assert kept_policy.mode is not None
    assert kept_policy.mode.name == policy


def test_callers_by_pod_address_unknown_callers_gateways_and_missing_ports() -> None:
    mesh = _mesh(UNDECLARED_MESH)
    traffic = Traffic(
        calls=(
            Call(namespace=None, caller=None, caller_ip="10.0.0.5", host="api.shop", port=8080),
            Call(namespace=None, caller=None, caller_ip="10.9.9.9", host="api.shop", port=8080),
            Call(namespace="shop", caller="gw", host="api", port=8080),
            Call(namespace="shop", caller="web", host="api", port=9999),
            Call(namespace="nowhere", caller="x", host="api", port=8080),
        )
    )
    result = sm.recommend(mesh, traffic)
    assert [(k.workload.name, k.hostname) for k in result.kept] == [
        ("web", "api.shop.svc.cluster.local")
    ]
    reasons = sorted(item.reason for item in result.not_kept)
    assert any("no Pod of the mesh has the address 10.9.9.9" in r for r in reasons)
    assert any("gateway" in r for r in reasons)
    assert any("has no port 9999 (its ports: 8080)" in r for r in reasons)
    assert any("no workload of the mesh is nowhere/x" in r for r in reasons)


# --------------------------------------------------------------------------- Sidecars kept in shape

SHAPED_MESH = """
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: prod}
spec: {selector: {app: reviews}, ports: [{name: http, port: 9080}]}
---
apiVersion: v1
kind: Service
metadata: {name: ratings, namespace: prod}
spec: {selector: {app: ratings}, ports: [{name: http, port: 9080}]}
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: data}
spec: {selector: {app: db}, ports: [{name: tcp, port: 5432}]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews-canary, namespace: prod}
spec:
  hosts: [reviews.example.com]
  http: [{route: [{destination: {host: ratings.prod.svc.cluster.local}}]}]
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: edge, namespace: prod, labels: {team: web}}
spec:
  ingress:
  - port: {number: 9080, protocol: HTTP, name: http}
    defaultEndpoint: 127.0.0.1:8080
  egress:
  - hosts: ["prod/*", "data/*"]
  outboundTrafficPolicy: {mode: REGISTRY_ONLY}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: prod, labels: {app: web}}
---
apiVersion: v1
kind: Pod
metadata: {name: batch, namespace: prod, labels: {app: batch}}
"""


def test_an_existing_sidecar_is_replaced_keeping_ingress_policy_and_labels() -> None:
    mesh = _mesh(SHAPED_MESH)
    result = sm.recommend(mesh, _declared("prod/web:\n- reviews:9080\n"))
    [sidecar] = result.sidecars
    assert (sidecar.namespace, sidecar.name) == ("prod", "edge")
    assert sidecar.metadata.labels == {"team": "web"}
    old = next(s for s in mesh.sidecars if s.name == "edge")
    assert sidecar.spec.ingress == old.spec.ingress
    assert sidecar.spec.outbound_traffic_policy == old.spec.outbound_traffic_policy
    assert sidecar.spec.egress[0].hosts == ("prod/reviews.prod.svc.cluster.local",)
    assert [w.name for w in result.unobserved] == ["batch"]


def test_a_virtual_service_host_and_its_destination_both_stay_reachable() -> None:
    mesh = _mesh(SHAPED_MESH)
    line = (
        '[2026-05-04T09:12:01.113Z] "GET / HTTP/1.1" 200 - via_upstream - "-" 0 1 1 1 "-" "c" '
        '"id" "reviews.example.com" "10.0.0.9:9080" outbound|9080||ratings.prod.svc.cluster.local '
        "10.0.0.5:1 10.96.0.9:9080 10.0.0.5:2 - default"
    )
    result = sm.recommend(mesh, Traffic.from_text(line, workload="prod/web"))
    [sidecar] = result.sidecars
    assert set(sidecar.spec.egress[0].hosts) == {
        "prod/ratings.prod.svc.cluster.local",
        "prod/reviews.example.com",
    }
    with pytest.warns(DuplicateObjectWarning, match="Sidecar prod/edge is defined twice"):
        after = Mesh.from_resources([*mesh.resources, sidecar])  # applied: replaces prod/edge
    scope = resolver.compute_scope(after, _workload(after, "prod/web"))
    assert resolver.explain_host(scope, "ratings.prod.svc.cluster.local").imported
    assert any(v.name == "reviews-canary" for e in scope.egress for v in e.virtual_services)


def test_per_workload_gives_a_workload_that_needs_little_its_own_sidecar() -> None:
    mesh = _mesh(SHAPED_MESH)
    deps = (
        "prod/web:\n- reviews:9080\n- ratings:9080\n- db.data:5432\nprod/batch:\n- db.data:5432\n"
    )
    shared = sm.recommend(mesh, _declared(deps))
    split = sm.recommend(mesh, _declared(deps), per="workload")
    assert len(shared.sidecars) == 1
    assert [(s.name, s.spec.workload_selector) for s in split.sidecars] == [
        ("batch", sm.WorkloadSelector(labels={"app": "batch"})),
        ("edge", None),
    ]
    assert split.sidecars[0].spec.egress[0].hosts == ("data/db.data.svc.cluster.local",)
    sizes = {s.workload.name: s.after for s in split.sizes}
    assert sizes["batch"].clusters == 1
    assert sizes["web"].clusters == 3


def test_a_set_that_breaks_a_call_carried_today_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Whatever the rounds try, a mesh that drops a call carried today is never returned."""
    mesh = _mesh(SHAPED_MESH)
    [edge] = mesh.sidecars
    cut = attrs.evolve(
        edge,
        spec=attrs.evolve(
            edge.spec, egress=(IstioEgressListener(hosts=("data/db.data.svc.cluster.local",)),)
        ),
    )
    monkeypatch.setattr(_plan, "_applied", lambda *_: (cut,))
    with pytest.raises(RecommendationError, match="would break") as raised:
        sm.recommend(mesh, _declared("prod/web:\n- reviews:9080\n"))
    assert raised.value.failures == (
        "prod/web -> reviews:9080 (routed) (reviews.prod.svc.cluster.local port 9080)",
    )


def test_namespaces_limit_the_recommendation() -> None:
    mesh = _trim_mesh()
    result = sm.recommend(mesh, _trim_traffic(), namespaces={"billing"})
    assert [s.namespace for s in result.sidecars] == ["billing"]
    with pytest.raises(ValueError, match="per must be"):
        sm.recommend(mesh, _trim_traffic(), per="pod")  # type: ignore[arg-type]


def test_recommendation_renders_as_text_and_json() -> None:
    result = sm.recommend(_trim_mesh(), _trim_traffic())
    text = str(result)
    assert text.startswith("2 Sidecars, ")
    assert "total" in text
    data = json.loads(json.dumps(result.to_dict()))
    assert data["sidecars"][0]["kind"] == "Sidecar"
    assert data["savings"][-1]["namespace"] == "total"
    assert attrs.has(type(result))


# --------------------------------------------------------------------------- commands


def test_recommend_command_writes_pure_yaml_and_the_table_to_stderr(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with resources.as_file(TRIM) as folder:
        code = main(
            [
                "recommend",
                "--traffic",
                str(folder / "logs"),
                "--traffic",
                str(folder / "metrics.json"),
                str(folder / "mesh.yaml"),
            ]
        )
    out, err = capsys.readouterr()
    assert code == 0
    loaded = sm.loads(out)
    assert [(r.kind, r.namespace) for r in loaded] == [("Sidecar", "billing"), ("Sidecar", "shop")]
    assert "clusters" in err
    assert "total" in err
    assert "2 unreadable records" in err
    assert "not kept" in err


def test_recommend_command_out_dir_and_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with resources.as_file(TRIM) as folder:
        args = ["recommend", "--traffic", str(folder / "logs"), str(folder / "mesh.yaml")]
        assert main([*args, "--out", str(tmp_path / "out"), "-n", "shop"]) == 0
        assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["shop.yaml"]
        capsys.readouterr()
        assert main([*args, "-o", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"sidecars", "sizes", "savings", "kept", "notKept"} <= set(data)


def test_recommend_command_reports_unreadable_evidence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with resources.as_file(TRIM) as folder:
        code = main(
            ["recommend", "--traffic", str(tmp_path / "none.log"), str(folder / "mesh.yaml")]
        )
    assert code == 2
    assert "cannot read traffic evidence" in capsys.readouterr().err


def test_size_command_sorts_and_speaks_json(capsys: pytest.CaptureFixture[str]) -> None:
    with resources.as_file(TRIM) as folder:
        assert main(["size", str(folder / "mesh.yaml"), "--sort", "listeners", "-o", "json"]) == 0
        data = json.loads(capsys.readouterr().out)
        assert data["sortedBy"] == "listeners"
        rows = data["workloads"]
        assert len(rows) == 7
        listeners = [row["listeners"] for row in rows]
        assert listeners == sorted(listeners, reverse=True)
        assert main(["size", str(folder / "mesh.yaml")]) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[0].split()[:2] == ["workload", "clusters"]


SELECTOR_MESH = """\
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec: {clusterIP: 10.0.0.1, selector: {app: api}, ports: [{name: http, port: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: data}
spec: {clusterIP: 10.0.0.2, selector: {app: db}, ports: [{name: tcp, port: 5432}]}
---
apiVersion: v1
kind: Service
metadata: {name: cache, namespace: data}
spec: {clusterIP: 10.0.0.3, selector: {app: cache}, ports: [{name: tcp, port: 6379}]}
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: web, namespace: shop}
spec:
  workloadSelector: {labels: {app: web}}
  egress: [{hosts: ["data/*"]}]
---
apiVersion: v1
kind: Pod
metadata: {name: web-1, namespace: shop, labels: {app: web}}
spec: {}
---
apiVersion: v1
kind: Pod
metadata: {name: api-1, namespace: shop, labels: {app: api}}
spec: {}
---
apiVersion: v1
kind: Pod
metadata: {name: api-2, namespace: shop, labels: {app: api}}
spec: {}
---
apiVersion: v1
kind: Pod
metadata: {name: db-1, namespace: data, labels: {app: db}}
spec: {}
"""


def test_sizes_cover_exactly_the_workloads_a_recommended_sidecar_governs() -> None:
    mesh = Mesh.from_resources(sm.loads(SELECTOR_MESH))
    result = sm.recommend(mesh, _declared("shop/api-1:\n- db.data:5432\n"))
    # The new namespace-wide Sidecar governs both api Pods (one unobserved); web-1 keeps
    # the selector Sidecar nothing rewrote, so its size is not reported.
    assert sorted(result.before) == ["shop/api-1", "shop/api-2"]
    assert [f"{w.namespace}/{w.name}" for w in result.unobserved] == ["shop/api-2"]
    for name in ("shop/api-1", "shop/api-2"):
        assert result.after[name].fits_in(result.before[name])
        assert result.after[name].clusters < result.before[name].clusters
        # The size after is the one of the mesh with the recommended Sidecars applied.
        applied = Mesh.from_resources([*mesh.resources, *result.sidecars])
        workload = next(w for w in applied.workloads if f"{w.namespace}/{w.name}" == name)
        assert result.after[name] == resolver.config_size(resolver.compute_scope(applied, workload))
