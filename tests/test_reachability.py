"""Reachability of any host string: listeners, wildcards, short names and the outbound policy.

``resolver.explain_host`` and ``sidecar-model explain --host`` give one answer: which
listener carries the host, or what the outbound traffic policy does with traffic nothing
claims (T5..T9).
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import pytest

from sidecar_model import Mesh, MeshConfig, loads, resolver
from sidecar_model import _cli_output as cli_output

if TYPE_CHECKING:
    from pathlib import Path

    from sidecar_model.resolver import HostExplanation

# shop/web-1 imports its own namespace, httpbin, data and a wildcard ServiceEntry.
MESH = """\
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: shop}
spec:
  clusterIP: 10.0.0.50
  selector: {app: reviews}
  ports: [{name: http, port: 9080}]
---
apiVersion: v1
kind: Service
metadata: {name: httpbin, namespace: httpbin}
spec:
  clusterIP: 10.0.0.40
  selector: {app: httpbin}
  ports: [{name: http, port: 8000}]
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: data}
spec:
  clusterIP: 10.0.0.20
  selector: {app: db}
  ports: [{name: tcp-db, port: 5432}]
---
apiVersion: v1
kind: Service
metadata: {name: legacy, namespace: shop}
spec:
  type: ExternalName
  externalName: reviews.shop.svc.cluster.local
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: partner, namespace: partner}
spec:
  hosts: ["*.partner.example.com"]
  location: MESH_EXTERNAL
  resolution: NONE
  ports: [{number: 443, name: tls, protocol: TLS}]
---
apiVersion: v1
kind: Pod
metadata: {name: web-1, namespace: shop, labels: {app: web}}
spec: {}
status: {podIP: 10.1.0.5}
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: shop}
spec:
  outboundTrafficPolicy: {mode: REGISTRY_ONLY}
  egress:
  - hosts: ["./*", "httpbin/*", "partner/*", "data/*"]
"""
ANY = "0.0.0.0"  # noqa: S104 - the wildcard listener address, not a socket we bind
ALLOW_ANY = MESH.replace("mode: REGISTRY_ONLY}", "mode: ALLOW_ANY}")
EGRESS_PROXY = MESH.replace(
    "mode: REGISTRY_ONLY}",
    "mode: ALLOW_ANY, egressProxy: {host: egress.istio-system.svc.cluster.local,"
    " port: {number: 443}}}",
)
NOT_CAPTURED = MESH.replace(
    "labels: {app: web}}",
    "labels: {app: web}, annotations: {sidecar.istio.io/interceptionMode: NONE}}",
)


def explain(text: str, host: str) -> HostExplanation:
    mesh = Mesh.from_resources(loads(text))
    web = next(w for w in mesh.workloads if w.name == "web-1")
    return resolver.explain_host(resolver.compute_scope(mesh, web), host)


# --------------------------------------------------------------------------- the policy


def test_an_unknown_host_is_blackholed_under_registry_only() -> None:
    answer = explain(MESH, "www.google.com")
    assert (answer.fate, answer.policy, answer.imported) == ("blackhole", "REGISTRY_ONLY", False)
    assert answer.steps[-1].startswith("no outbound listener claims it: under REGISTRY_ONLY")
    assert "BlackHoleCluster" in answer.steps[-1]
    assert "(T5, T6)" in answer.steps[-1]


def test_an_unknown_host_passes_through_under_allow_any() -> None:
    answer = explain(ALLOW_ANY, "www.google.com")
    assert (answer.fate, answer.policy) == ("passthrough", "ALLOW_ANY")
    assert "PassthroughCluster" in answer.steps[-1]


def test_an_unknown_host_on_an_http_route_port_gets_the_catch_all() -> None:
    # T8: port 9080 has an HTTP route; its catch-all virtual host answers 502 or passes.
    blocked = explain(MESH, "www.google.com:9080")
    assert (blocked.fate, blocked.port) == ("502", 9080)
    assert 'route "9080"' in blocked.steps[-1]
    assert "(T8)" in blocked.steps[-1]
    assert explain(ALLOW_ANY, "www.google.com:9080").fate == "passthrough"


def test_the_egress_proxy_replaces_passthrough() -> None:
    answer = explain(EGRESS_PROXY, "www.google.com")
    assert answer.fate == "egress proxy"
    assert "outbound|443||egress.istio-system.svc.cluster.local (T3)" in answer.steps[-1]
    portless = EGRESS_PROXY.replace(", port: {number: 443}}}", "}}")
    assert portless != EGRESS_PROXY
    assert (
        "outbound|0||egress.istio-system.svc.cluster.local" in explain(portless, "x.io").steps[-1]
    )


def test_dynamic_dns_sends_http_to_the_dynamic_forward_proxy() -> None:
    # T4: the mesh mode applies to a Sidecar without a policy; T6/T8 name its cluster.
    config = MeshConfig.from_yaml("outboundTrafficPolicy: {mode: ALLOW_ANY_DYNAMIC_DNS}")
    mesh = Mesh.from_resources(
        loads(MESH.replace("  outboundTrafficPolicy: {mode: REGISTRY_ONLY}\n", "")),
        config=config,
    )
    scope = resolver.compute_scope(mesh, next(w for w in mesh.workloads if w.name == "web-1"))
    on_route = resolver.explain_host(scope, "www.google.com:9080")
    assert (on_route.fate, on_route.policy) == ("dynamic DNS", "ALLOW_ANY_DYNAMIC_DNS")
    anywhere = resolver.explain_host(scope, "www.google.com")
    assert anywhere.fate == "passthrough"
    assert "plain-text HTTP goes to AllowAnyDynamicDNSCluster" in anywhere.steps[-1]


def test_a_proxy_capturing_nothing_is_bypassed() -> None:
    answer = explain(NOT_CAPTURED, "www.google.com")
    assert answer.fate == "bypass"
    assert "(T9)" in answer.steps[-1]


def test_the_virtual_outbound_port_is_always_blackholed() -> None:
    assert explain(ALLOW_ANY, "www.google.com:15001").fate == "blackhole"


# --------------------------------------------------------------------------- host forms


def test_a_wildcard_service_entry_serves_a_name_it_covers() -> None:
    answer = explain(MESH, "api.partner.example.com")
    assert answer.fate == "listener"
    assert answer.wildcard == "*.partner.example.com"
    assert [(li.address, li.port) for li in answer.listeners] == [(ANY, 443)]
    assert str(answer).startswith(
        "api.partner.example.com is served in this scope by the wildcard host *.partner.example.com"
    )
    assert "(W5)" in answer.steps[-1]
    # A name the wildcard does not cover is decided by the policy.
    assert explain(MESH, "api.other.example.com").fate == "blackhole"


@pytest.mark.parametrize(
    ("asked", "resolved"),
    [
        ("httpbin.httpbin", "httpbin.httpbin.svc.cluster.local"),
        ("reviews", "reviews.shop.svc.cluster.local"),
        ("reviews.shop.svc.cluster.local.", "reviews.shop.svc.cluster.local"),
        ("missing", "missing.shop.svc.cluster.local"),
    ],
)
def test_short_names_resolve_as_the_workloads_namespace_would(asked: str, resolved: str) -> None:
    answer = explain(MESH, asked)
    assert answer.hostname == resolved
    assert answer.query == asked


def test_short_names_reach_the_listener_of_their_service() -> None:
    answer = explain(MESH, "httpbin.httpbin")
    assert (answer.imported, answer.fate) == (True, "listener")
    assert answer.steps[0] == (
        "httpbin.httpbin resolves to httpbin.httpbin.svc.cluster.local from namespace shop "
        "(the pod's DNS search path)"
    )
    assert [(li.address, li.port) for li in answer.listeners] == [(ANY, 8000)]


def test_host_and_port_restrict_the_answer_to_that_port() -> None:
    carried = explain(MESH, "reviews:9080")
    assert (carried.hostname, carried.port, carried.fate) == (
        "reviews.shop.svc.cluster.local",
        9080,
        "listener",
    )
    elsewhere = explain(MESH, "reviews:7777")
    assert (elsewhere.imported, elsewhere.fate, elsewhere.listeners) == (True, "blackhole", ())


def test_an_ip_address_finds_the_listener_on_it() -> None:
    answer = explain(MESH, "10.0.0.20:5432")
    assert (answer.hostname, answer.port, answer.fate) == ("10.0.0.20", 5432, "listener")
    assert "10.0.0.20 is the address of db.data.svc.cluster.local (data)" in answer.steps
    assert explain(MESH, "8.8.8.8:53").fate == "blackhole"
    assert explain(ALLOW_ANY, "[2001:db8::1]:443").hostname == "2001:db8::1"


# --------------------------------------------------------------------------- aliases, #12.7


def test_an_external_name_alias_has_no_cluster_and_says_so_once() -> None:
    answer = explain(MESH, "legacy.shop.svc.cluster.local")
    assert not answer.imported  # istiod builds no cluster for an alias (L4)
    assert answer.alias_for == "reviews.shop.svc.cluster.local"
    text = str(answer)
    assert "has a cluster" not in text
    assert text.startswith(
        "legacy.shop.svc.cluster.local is an alias of reviews.shop.svc.cluster.local in this "
        "scope, with no cluster of its own"
    )
    assert answer.fate == "listener"  # the routes of reviews carry its name
    assert answer.to_dict()["aliasFor"] == "reviews.shop.svc.cluster.local"
    assert "with no cluster of its own" in answer._repr_html_()


# --------------------------------------------------------------------------- the CLI


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "sidecar_model", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
        timeout=60,
        env={"NO_COLOR": "1", "PATH": "", "PYTHONPATH": ":".join(sys.path)},
    )


def cli_host(tmp_path: Path, text: str, host: str) -> tuple[str, dict[str, Any]]:
    path = tmp_path / "mesh.yaml"
    path.write_text(text, encoding="utf-8")
    args = ("explain", str(path), "--workload", "shop/web-1", "--host", host)
    prose = run(*args)
    assert prose.returncode == 0, prose.stderr
    data = run(*args, "-o", "json")
    assert data.returncode == 0, data.stderr
    parsed: dict[str, Any] = json.loads(data.stdout)
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.Draft202012Validator(cli_output.schema("explain")).validate(parsed)
    return prose.stdout, parsed["host"]


@pytest.mark.parametrize(
    ("text", "fate", "words"),
    [
        (MESH, "blackhole", "under REGISTRY_ONLY, the virtual outbound listener blackholes it"),
        (ALLOW_ANY, "passthrough", "under ALLOW_ANY, the virtual outbound listener passes it"),
    ],
    ids=["registry-only", "allow-any"],
)
def test_cli_says_what_the_policy_does_with_an_unknown_host(
    tmp_path: Path, text: str, fate: str, words: str
) -> None:
    prose, host = cli_host(tmp_path, text, "www.google.com")
    assert words in prose
    assert host["fate"] == fate
    assert host["steps"][-1] == explain(text, "www.google.com").steps[-1]


def test_cli_names_the_wildcard_and_the_short_name(tmp_path: Path) -> None:
    prose, host = cli_host(tmp_path, MESH, "api.partner.example.com")
    assert "served in this scope by the wildcard host *.partner.example.com" in prose
    assert (host["wildcard"], host["fate"]) == ("*.partner.example.com", "listener")
    assert host["listeners"][0]["port"] == 443
    _, short = cli_host(tmp_path, MESH, "httpbin.httpbin:8000")
    assert (short["hostname"], short["query"], short["port"]) == (
        "httpbin.httpbin.svc.cluster.local",
        "httpbin.httpbin:8000",
        8000,
    )
    assert short["imported"]
