"""The ``sidecar-model`` command, run for real as ``python -m sidecar_model``.

The package must be importable by the child interpreter (installed, or on PYTHONPATH).
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import TYPE_CHECKING

import sidecar_model
from sidecar_model.cli import summarize
from sidecar_model.examples import mesh_text, seed_text

if TYPE_CHECKING:
    from pathlib import Path

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


def test_seed_json_without_dump() -> None:
    result = run("seed", "--format", "json", "--no-dump")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == SEED_OBJECTS
    assert all(line.startswith(("Sidecar ", "ServiceEntry ")) for line in lines)
    assert "{" not in result.stdout


def test_seed_json_dump_reads_back() -> None:
    result = run("seed", "--format", "json")
    assert result.returncode == 0, result.stderr
    _summaries, dumped = split_output(result.stdout)
    assert json.loads(dumped)["kind"] == "List"
    assert sidecar_model.loads(dumped) == sidecar_model.loads(seed_text())


def test_demo_explains_the_bundled_mesh_for_a_workload() -> None:
    result = run("demo")
    assert result.returncode == 0, result.stderr
    summaries, _, report = result.stdout.partition("\n\n")
    resources = sidecar_model.loads(mesh_text())
    assert summaries.splitlines() == [summarize(r) for r in resources]
    selection, scope, listeners, host = report.strip().split("\n\n")
    # Two selector Sidecars match productpage: the older one wins, the other is listed.
    assert selection.splitlines()[0] == (
        "workload prod-us1/productpage: Sidecar prod-us1/no-ip-tables applies (workload selector)"
    )
    assert "prod-us1/partial-ip-tables: lost" in selection
    assert "prod-us1/default: lost" in selection
    assert scope.startswith("scope of prod-us1/productpage")
    assert listeners.splitlines()[1].strip().startswith("127.0.0.1:3306 (MySQL")
    assert host.startswith("mysql.foo.com has a cluster in this scope")


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
