"""Every Python example of README.md runs, in order, on files this test writes.

The README promises that every example is executed. Its blocks read ``sidecars.yaml`` and
``cluster-dump.yaml``; the test writes both into a temporary folder (the first holds the
Sidecar whose egress hosts the first example prints, the second a small cluster dump),
runs the blocks in one namespace as a reader would paste them, and checks what they print
against the README's own ``# ...`` comments where those state a value.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pytest

README = Path(__file__).resolve().parent.parent / "README.md"

SIDECARS = """\
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: prod-us1}
spec:
  egress:
  - hosts: ["prod-us1/*", "istio-system/*"]
"""

CLUSTER_DUMP = """\
apiVersion: v1
kind: Pod
metadata: {name: reviews-v1, namespace: prod, labels: {app: reviews}}
spec: {}
status: {podIP: 10.1.0.7}
---
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: prod}
spec:
  clusterIP: 10.96.0.10
  selector: {app: reviews}
  ports: [{name: http, port: 9080}]
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: prod}
spec:
  egress:
  - hosts: ["./*"]
"""

FILES = {"sidecars.yaml": SIDECARS, "cluster-dump.yaml": CLUSTER_DUMP}


def python_blocks(text: str) -> list[str]:
    """The fenced ``python`` blocks of a Markdown text, in order."""
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)


def stated_outputs(block: str) -> list[str]:
    """The values a block's ``print(...)  # value`` lines state, when the comment is a literal."""
    found = []
    for line in block.splitlines():
        match = re.match(r"\s*print\(.*\)\s+#\s+(\(.*\)|'.*'|\d+)\s*$", line)
        if match:
            found.append(match.group(1))
    return found


def test_the_readme_has_python_examples() -> None:
    blocks = python_blocks(README.read_text(encoding="utf-8"))
    assert len(blocks) >= 2
    for name in re.findall(r"""["']([\w.-]+\.ya?ml)["']""", "".join(blocks)):
        assert name in FILES, f"README.md reads {name}; write it in this test"


def test_every_readme_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, text in FILES.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "readme"}
    for block in python_blocks(README.read_text(encoding="utf-8")):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(block, str(README), "exec"), namespace)  # noqa: S102 - the README's own code
        printed = out.getvalue().splitlines()
        for value in stated_outputs(block):
            assert value in printed, (value, printed[:5])
