"""``sidecar-model diff --exit-code`` as a CI gate: every observable change fails it.

Each case writes two real snapshots and runs the command in a subprocess; the library's
:func:`~sidecar_model.analysis.diff` is checked on the same snapshots.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import pytest

from sidecar_model import Mesh, loads, resolver
from sidecar_model import _cli_output as cli_output
from sidecar_model.analysis import ChangeKind, diff

if TYPE_CHECKING:
    from pathlib import Path

# shop/web-1 has its own Sidecar (an HTTP egress port 9080 for data, an ingress port with a
# loopback defaultEndpoint); data/reviews-1 gets the root namespace's default, REGISTRY_ONLY.
BASE = """\
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  clusterIP: 10.0.0.10
  selector: {app: web}
  ports: [{name: http, port: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: data}
spec:
  clusterIP: 10.0.0.30
  selector: {app: reviews}
  ports: [{name: http, port: 9080}]
---
apiVersion: v1
kind: Pod
metadata: {name: web-1, namespace: shop, labels: {app: web}}
spec: {}
status: {podIP: 10.1.0.5}
---
apiVersion: v1
kind: Pod
metadata: {name: reviews-1, namespace: data, labels: {app: reviews}}
spec: {}
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: istio-system}
spec:
  outboundTrafficPolicy: {mode: REGISTRY_ONLY}
  egress:
  - hosts: ["*/*"]
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: web, namespace: shop}
spec:
  workloadSelector: {labels: {app: web}}
  ingress:
  - port: {number: 8080, protocol: HTTP, name: http}
    defaultEndpoint: 127.0.0.1:8080
  egress:
  - port: {number: 9080, protocol: HTTP, name: http}
    hosts: ["data/*"]
  - hosts: ["./*"]
"""
ALLOW_ANY = BASE.replace("mode: REGISTRY_ONLY", "mode: ALLOW_ANY")
TCP_PORT = BASE.replace(
    "- port: {number: 9080, protocol: HTTP, name: http}",
    "- port: {number: 9080, protocol: TCP, name: tcp}",
)
POD_ENDPOINT = BASE.replace("defaultEndpoint: 127.0.0.1:8080", "defaultEndpoint: 0.0.0.0:8080")


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


def snapshots(tmp_path: Path, new: str) -> tuple[Path, Path]:
    old_path, new_path = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old_path.write_text(BASE, encoding="utf-8")
    new_path.write_text(new, encoding="utf-8")
    return old_path, new_path


def gate(tmp_path: Path, new: str) -> tuple[list[str], dict[str, Any]]:
    """Run ``diff --exit-code`` (text and JSON): it must fail; the lines and the JSON."""
    old_path, new_path = snapshots(tmp_path, new)
    text = run("diff", str(old_path), str(new_path), "--exit-code")
    assert text.returncode == 1, text.stdout + text.stderr
    data = run("diff", str(old_path), str(new_path), "--exit-code", "-o", "json")
    assert data.returncode == 1, data.stderr
    parsed: dict[str, Any] = json.loads(data.stdout)
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.Draft202012Validator(cli_output.schema("diff")).validate(parsed)
    return text.stdout.splitlines(), parsed


def test_switching_the_root_default_policy_fails_the_gate(tmp_path: Path) -> None:
    lines, data = gate(tmp_path, ALLOW_ANY)
    assert lines == [
        "1 workload(s) changed, 1 unchanged, 0 added, 0 removed",
        "by kind: outbound mode 1, outbound listeners 1",
        "data/reviews-1: outbound mode REGISTRY_ONLY -> ALLOW_ANY; imported services 2 -> 2 (+0)",
        # T7: each wildcard listener's fall-through follows the policy.
        "  ~ outbound listeners 0.0.0.0:8080: fallthrough BlackHoleCluster -> PassthroughCluster",
        "  ~ outbound listeners 0.0.0.0:9080: fallthrough BlackHoleCluster -> PassthroughCluster",
    ]
    (change,) = data["changed"]
    assert change["outboundMode"] == {"old": "REGISTRY_ONLY", "new": "ALLOW_ANY", "changed": True}
    assert data["byKind"] == {"outbound mode": 1, "outbound listeners": 1}


def test_an_egress_port_going_from_http_to_tcp_fails_the_gate(tmp_path: Path) -> None:
    # L4: the HTTP port is one sniffed wildcard listener with route "9080"; as TCP the
    # service gets its own listener on its address, with no route.
    lines, data = gate(tmp_path, TCP_PORT)
    assert lines == [
        "1 workload(s) changed, 1 unchanged, 0 added, 0 removed",
        "by kind: outbound listeners 1",
        "shop/web-1: imported services 2 -> 2 (+0)",
        "  ~ outbound listeners 0.0.0.0:9080: removed (auto-detect)",
        "  ~ outbound listeners 10.0.0.30:9080: added (TCP)",
    ]
    changes = data["changed"][0]["changes"]
    assert [(c["subject"], c["old"] is None) for c in changes] == [
        ("0.0.0.0:9080", False),
        ("10.0.0.30:9080", True),
    ]
    assert changes[0]["old"]["route"] == "9080"
    assert changes[1]["new"]["route"] is None


def test_an_ingress_default_endpoint_change_fails_the_gate(tmp_path: Path) -> None:
    lines, data = gate(tmp_path, POD_ENDPOINT)
    assert lines[1:] == [
        "by kind: inbound listeners 1",
        "shop/web-1: imported services 2 -> 2 (+0)",
        "  ~ inbound listeners 8080: forwardTo 127.0.0.1:8080 -> pod IP:8080",
    ]
    (change,) = data["changed"][0]["changes"]
    assert (change["kind"], change["fields"]) == ("inbound listeners", ["forwardTo"])


def test_identical_snapshots_pass_the_gate(tmp_path: Path) -> None:
    old_path, new_path = snapshots(tmp_path, BASE)
    result = run("diff", str(old_path), str(new_path), "--exit-code")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["0 workload(s) changed, 2 unchanged, 0 added, 0 removed"]


def test_a_destination_rule_change_is_a_change() -> None:
    rule = (
        "---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\n"
        "metadata: {name: reviews, namespace: data}\n"
        "spec:\n  host: reviews.data.svc.cluster.local\n"
    )
    result = diff(Mesh.from_resources(loads(BASE)), Mesh.from_resources(loads(BASE + rule)))
    assert {kind for w in result.changed for kind in w.kinds} == {ChangeKind.DESTINATION_RULES}
    assert result.by_kind == {ChangeKind.DESTINATION_RULES: 2}
    # Both workloads import reviews, so both now use the rule.
    assert [w.workload for w in result.changed] == ["data/reviews-1", "shop/web-1"]
    assert "  ~ destination rules reviews.data.svc.cluster.local: added" in str(result)


def test_listener_changes_compare_every_field_but_provenance() -> None:
    # A first egress listener for a port no service has renumbers the others: the same
    # listeners come from other egress entries, and no proxy behaviour changes.
    renumbered = BASE.replace(
        "  egress:\n  - port: {number: 9080",
        '  egress:\n  - port: {number: 7777, protocol: TCP, name: tcp}\n    hosts: ["data/*"]\n'
        "  - port: {number: 9080",
    )
    assert renumbered != BASE
    old, new = Mesh.from_resources(loads(BASE)), Mesh.from_resources(loads(renumbered))
    assert not diff(old, new), str(diff(old, new))
    web = next(w for w in new.workloads if w.name == "web-1")
    assert {
        li.egress_index for li in resolver.outbound_listeners(resolver.compute_scope(new, web))
    } == {1, 2}
