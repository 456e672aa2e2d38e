"""The CLI on GitOps input: namespace-less manifests, overlays, Helm charts, no Pods (#14).

Each test writes real files and runs ``python -m sidecar_model`` in a subprocess.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from sidecar_model.codec import SkippedFileWarning
from sidecar_model.mesh import DuplicateObjectWarning, Mesh

if TYPE_CHECKING:
    from pathlib import Path

#: Bookinfo's productpage and reviews as a repository holds them: no namespaces, no Pods.
BOOKINFO = """\
apiVersion: v1
kind: Service
metadata: {name: productpage, labels: {app: productpage}}
spec:
  ports: [{port: 9080, name: http}]
  selector: {app: productpage}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: productpage-v1}
spec:
  selector: {matchLabels: {app: productpage, version: v1}}
  template:
    metadata: {labels: {app: productpage, version: v1}}
    spec: {containers: [{name: productpage, image: productpage}]}
---
apiVersion: v1
kind: Service
metadata: {name: reviews}
spec:
  ports: [{port: 9080, name: http}]
  selector: {app: reviews}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: reviews-v1}
spec:
  selector: {matchLabels: {app: reviews, version: v1}}
  template:
    metadata: {labels: {app: reviews, version: v1}}
    spec: {containers: [{name: reviews, image: reviews}]}
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default}
spec:
  egress:
  - hosts: ["./*", "istio-system/*"]
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: productpage}
spec:
  workloadSelector: {labels: {app: productpage}}
  egress:
  - hosts: ["./reviews.bookinfo.svc.cluster.local"]
"""

CHART = {
    "Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
    "values.yaml": "replicas: 2\nimage: {repository: web, tag: latest}\n",
    "templates/deployment.yaml": (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n"
        "spec:\n  replicas: {{ .Values.replicas }}\n"
    ),
    "templates/service.yaml": (
        'apiVersion: v1\nkind: Service\nmetadata:\n  name: "{{ .Release.Name }}"\n'
        "spec:\n  ports: [{port: 80}]\n"
    ),
}


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "sidecar_model", *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
        timeout=60,
    )


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository: a base, an overlay that copies it, and a Helm chart."""
    root = tmp_path / "repo"
    write(root, "base/bookinfo.yaml", BOOKINFO)
    write(root, "overlays/prod/bookinfo.yaml", BOOKINFO)  # the same objects again
    for name, text in CHART.items():
        write(root, f"charts/web/{name}", text)
    return root


# --------------------------------------------------------------------------- 2: namespaces


def test_namespace_less_objects_take_the_namespace_of_n(repo: Path) -> None:
    base = str(repo / "base")
    result = run("explain", base, "-n", "bookinfo", "-w", "productpage-v1")
    assert result.returncode == 0, result.stderr
    assert "None/" not in result.stdout
    assert "Sidecar bookinfo/productpage" in result.stdout
    # Without -n, the namespace is kubectl's default.
    result = run("explain", base, "-w", "default/productpage-v1", "-o", "json")
    assert result.returncode == 0, result.stderr
    selection = json.loads(result.stdout)["selection"]
    assert "None/" not in json.dumps(selection)
    assert "default/productpage" in json.dumps(selection)
    analyzed = run("analyze", base, "-n", "bookinfo", "-o", "json")
    assert analyzed.returncode == 0, analyzed.stderr
    assert json.loads(analyzed.stdout)["errors"] == []
    listed = run("workloads", base, "-n", "bookinfo", "-o", "json")
    rows = {row["name"]: row for row in json.loads(listed.stdout)["workloads"]}
    assert rows["productpage-v1"]["namespace"] == "bookinfo"
    assert rows["productpage-v1"]["sidecar"] == "bookinfo/productpage"


def test_the_library_takes_the_namespace_too(repo: Path) -> None:
    mesh = Mesh.load(repo / "base", namespace="bookinfo")
    assert {s.namespace for s in mesh.sidecars} == {"bookinfo"}
    assert {w.namespace for w in mesh.workloads} == {"bookinfo"}
    assert {s.namespace for s in Mesh.load(repo / "base").sidecars} == {"default"}


# --------------------------------------------------------------------------- 3: duplicates


def test_an_overlay_copy_counts_once(repo: Path) -> None:
    base, overlay = str(repo / "base"), str(repo / "overlays")
    result = run("analyze", base, overlay, "-n", "bookinfo")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "IST0110" not in result.stdout
    assert "IST0111" not in result.stdout
    assert result.stderr == ""  # identical copies merge silently
    explained = run("explain", base, overlay, "-n", "bookinfo", "-w", "reviews-v1")
    assert explained.stdout.count("  - bookinfo/default: ") == 1, explained.stdout
    assert "lost: bookinfo/default comes first" not in explained.stdout


def test_a_differing_copy_keeps_the_last_read_with_a_warning(repo: Path) -> None:
    base = repo / "base/bookinfo.yaml"
    edited = write(repo, "edited.yaml", BOOKINFO.replace('"./*", ', ""))
    result = run("scope", str(base), str(edited), "-n", "bookinfo", "-w", "reviews-v1")
    assert result.returncode == 0, result.stderr
    assert "./*" not in result.stdout  # the edited copy, read last, is used
    line = BOOKINFO[: BOOKINFO.index("metadata: {name: default}")].count("\n") + 1
    assert f"{base}:{line} and in {edited}:{line}" in result.stderr
    assert "Sidecar bookinfo/default is defined twice" in result.stderr
    strict = run("scope", str(base), str(edited), "-n", "bookinfo", "-w", "reviews-v1", "--strict")
    assert strict.returncode == 2
    assert "defined twice" in strict.stderr


def test_the_library_warns_about_a_differing_copy(repo: Path) -> None:
    edited = write(repo, "edited.yaml", BOOKINFO.replace('"./*", ', ""))
    with pytest.warns(DuplicateObjectWarning, match=r"edited\.yaml:\d+; the later one is used"):
        mesh = Mesh.load(repo / "base", edited)
    (default,) = [s for s in mesh.sidecars if s.name == "default"]
    assert default.spec.egress[0].hosts == ("istio-system/*",)


# --------------------------------------------------------------------------- 5: non-manifests


def test_a_helm_chart_in_a_directory_is_skipped_with_a_warning_each(repo: Path) -> None:
    result = run("analyze", str(repo), "-n", "bookinfo")
    assert result.returncode == 0, result.stdout + result.stderr
    chart = repo / "charts/web"
    for name in CHART:
        assert f"warning: {chart / name}: skipped: " in result.stderr
    assert " in 2 Sidecars (4 files skipped)\n" in result.stdout
    assert result.stdout.startswith(f"{repo / 'base/bookinfo.yaml'}:")  # nothing from the chart
    strict = run("analyze", str(repo), "--strict")
    assert strict.returncode == 2
    assert "Chart.yaml: skipped: a Helm chart's Chart.yaml" in strict.stderr
    # A file named alone is not skipped: its problem is reported.
    alone = run("validate", str(chart / "values.yaml"))
    assert alone.returncode == 2
    assert "kind" in alone.stderr


def test_the_library_walks_directories_as_the_cli_does(repo: Path) -> None:
    with pytest.warns(SkippedFileWarning) as caught:
        mesh = Mesh.load(repo, namespace="bookinfo")
    assert len(caught) == len(CHART)
    assert len(mesh.sidecars) == 2


# --------------------------------------------------------------------------- 6: empty input


def test_empty_input_is_an_error_unless_allowed(tmp_path: Path) -> None:
    result = run("analyze", "-", stdin="")
    assert result.returncode == 2
    assert "no Kubernetes objects" in result.stderr
    assert run("analyze", "-", "--allow-empty", stdin="").returncode == 0
    only_chart = tmp_path / "chart"
    for name, text in CHART.items():
        write(only_chart, name, text)
    assert run("validate", str(only_chart)).returncode == 2


# --------------------------------------------------------------------------- 7: no Pods


def test_selector_sidecars_are_checked_against_pod_templates_without_pods(repo: Path) -> None:
    stray = (
        "---\napiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: stray}\n"
        "spec:\n  workloadSelector: {labels: {app: ratings}}\n"
        "  outboundTrafficPolicy: {egressProxy: {host: egress.example.com}}\n"
    )
    write(repo, "base/stray.yaml", stray)
    result = run("analyze", str(repo / "base"), "-n", "bookinfo")
    assert result.returncode == 1
    errors = [line for line in result.stdout.splitlines() if " error " in line]
    assert len(errors) == 1, result.stdout  # not the productpage Sidecar
    assert "IST0101" in errors[0]
    assert '"app=ratings" (the input has no Pods, and no pod template' in errors[0]
    assert "warning SM0007 Sidecar bookinfo/stray spec.outboundTrafficPolicy: " in result.stdout


# --------------------------------------------------------------------------- 8: workloads


POD = """\
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: productpage-v1-f7f65f3fc5
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: productpage-v1,
    controller: true, uid: a}]
spec:
  selector: {matchLabels: {app: productpage}}
  template:
    metadata: {labels: {app: productpage, version: v1, pod-template-hash: f7f65f3fc5}}
---
apiVersion: v1
kind: Pod
metadata:
  name: productpage-v1-f7f65f3fc5-pfw5d
  labels: {app: productpage, version: v1, pod-template-hash: f7f65f3fc5}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: productpage-v1-f7f65f3fc5,
    controller: true, uid: b}]
status: {podIP: 10.0.0.7}
"""


@pytest.mark.parametrize(
    "which",
    [
        ["-w", "bookinfo/productpage-v1-f7f65f3fc5-pfw5d"],
        ["-w", "bookinfo/productpage-v1-f7f65f3fc5"],
        ["-w", "bookinfo/productpage-v1"],
        ["-w", "productpage-v1-f7f65f3fc5-pfw5d"],
        ["-w", "bookinfo", "-l", "app=productpage"],
    ],
)
def test_workloads_by_pod_controller_or_labels(tmp_path: Path, which: list[str]) -> None:
    dump = write(tmp_path, "dump.yaml", BOOKINFO + POD)
    result = run("explain", str(dump), "-n", "bookinfo", *which)
    assert result.returncode == 0, result.stderr
    assert "Sidecar bookinfo/productpage" in result.stdout
    assert "applies" in result.stdout


def test_labels_that_select_different_workloads_are_refused(tmp_path: Path) -> None:
    dump = write(tmp_path, "dump.yaml", BOOKINFO)
    result = run("explain", str(dump), "-n", "bookinfo", "-w", "bookinfo", "-l", "version=v1")
    assert result.returncode == 2
    assert "stands for 2 workloads with different labels" in result.stderr


def test_two_sidecars_selecting_one_deployment_conflict_without_pods(repo: Path) -> None:
    twin = (
        "---\napiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: twin}\n"
        "spec:\n  workloadSelector: {labels: {version: v1, app: productpage}}\n"
    )
    write(repo, "base/twin.yaml", twin)
    result = run("analyze", str(repo / "base"), "-n", "bookinfo")
    assert result.returncode == 1
    conflicts = [line for line in result.stdout.splitlines() if "error IST0110" in line]
    assert len(conflicts) == 2, result.stdout
    assert 'select the same workload Deployment "productpage-v1"' in conflicts[0]


def test_find_workloads_follows_owners(tmp_path: Path) -> None:
    dump = write(tmp_path, "dump.yaml", BOOKINFO + POD)
    mesh = Mesh.load(dump, namespace="bookinfo")
    (deployment,) = mesh.find_workloads("bookinfo", "productpage-v1-f7f65f3fc5")
    assert deployment.source is not None
    assert (deployment.source.kind, deployment.name) == ("Deployment", "productpage-v1")
    (pod,) = mesh.find_workloads("bookinfo", "productpage-v1-f7f65f3fc5-pfw5d")
    assert (pod.ip, pod.labels["pod-template-hash"]) == ("10.0.0.7", "f7f65f3fc5")
    assert mesh.find_workloads("bookinfo", "nothing") == ()
    assert mesh.find_workloads("other", "productpage-v1") == ()


def test_a_deployment_name_finds_its_pods_in_a_pod_only_dump(tmp_path: Path) -> None:
    pod_only = POD[POD.index("apiVersion: v1\nkind: Pod") :]
    sidecar = BOOKINFO[BOOKINFO.index("apiVersion: networking.istio.io/v1\nkind: Sidecar") :]
    dump = write(tmp_path, "pods.yaml", sidecar + "---\n" + pod_only)
    result = run("explain", str(dump), "-n", "bookinfo", "-w", "bookinfo/productpage-v1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(
        "workload bookinfo/productpage-v1-f7f65f3fc5-pfw5d: Sidecar bookinfo/productpage applies"
    )
