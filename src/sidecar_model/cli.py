"""The ``sidecar-model`` command.

``sidecar-model demo`` explains the bundled example mesh for one workload: which Sidecar
applies and why the others lost, what its proxy imports, the outbound listeners per port
and the hosts each carries, and why one host is reachable or not. ``sidecar-model seed``
loads the bundled seed examples and writes them back; ``sidecar-model summary FILE...``
does that for your own manifests (``-`` reads standard input).

Exit codes: 0 success, 2 bad input or usage.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Any

from sidecar_model import resolver
from sidecar_model.codec import dumps, load, loads
from sidecar_model.errors import SidecarModelError
from sidecar_model.examples import MESH, SEED, mesh_text, seed_text
from sidecar_model.mesh import Mesh
from sidecar_model.model import Sidecar

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sidecar_model.resources import Resource

__all__ = ["main", "summarize"]

DEMO_WORKLOAD = "prod-us1/productpage"
DEMO_HOST = "mysql.foo.com"


def summarize(resource: Resource[Any]) -> str:
    """One line about a resource: kind, namespace/name and, for a Sidecar, its shape."""
    where = f"{resource.namespace or '-'}/{resource.name or '-'}"
    line = f"{resource.kind} {where} ({resource.api_version})"
    spec = resource.spec
    if isinstance(spec, Sidecar):
        selector = spec.workload_selector
        if selector is None:
            applies = "all workloads of the namespace"
        else:
            labels = ",".join(f"{k}={v}" for k, v in selector.labels.items())
            applies = f"workloads with {labels or 'any labels'}"
        ports = [str(e.port.number) for e in spec.egress if e.port is not None]
        line += (
            f": applies to {applies}; {len(spec.ingress)} ingress, {len(spec.egress)} egress"
            " listener(s)" + (f" (egress ports {', '.join(ports)})" if ports else "")
        )
    return line


def explain(mesh: Mesh, workload_key: str, host: str | None) -> str:
    """The demo's report: selection, scope, outbound listeners and one host, as prose."""
    namespace, _, name = workload_key.partition("/")
    matches = [w for w in mesh.workloads if w.namespace == namespace and w.name == name]
    if not matches:
        known = ", ".join(f"{w.namespace}/{w.name}" for w in mesh.workloads)
        msg = f"no workload {workload_key!r} in the mesh; it has: {known}"
        raise SidecarModelError(msg)
    workload = matches[0]
    scope = resolver.compute_scope(mesh, workload)
    sections = [
        str(scope.selection),
        str(scope),
        "outbound listeners:\n"
        + "\n".join(f"  {listener}" for listener in resolver.outbound_listeners(scope)),
    ]
    if host:
        sections.append(str(resolver.explain_host(scope, host)))
    return "\n\n".join(sections)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sidecar-model", description="Know what Istio does with your Sidecar resources."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="explain the bundled example mesh for a workload")
    demo.add_argument("--workload", default=DEMO_WORKLOAD, help="NAMESPACE/NAME")
    demo.add_argument("--host", default=DEMO_HOST, help="a host to explain")
    seed = commands.add_parser("seed", help="summarise and re-dump the bundled seed examples")
    summary = commands.add_parser("summary", help="summarise and re-dump manifests")
    summary.add_argument("files", nargs="+", help="YAML or JSON files; - for standard input")
    for command in (seed, summary):
        command.add_argument("--format", choices=("yaml", "json"), default="yaml")
        command.add_argument("--no-dump", action="store_true", help="print only the summaries")
    return parser


def _run(args: argparse.Namespace) -> str:
    if args.command == "demo":
        resources = loads(mesh_text(), source=MESH)
        mesh = Mesh.from_resources(resources)
        summaries = "\n".join(summarize(resource) for resource in resources)
        return f"{summaries}\n\n{explain(mesh, args.workload, args.host)}\n"
    if args.command == "seed":
        resources = loads(seed_text(), source=SEED)
    else:
        resources = []
        for name in args.files:
            resources += loads(sys.stdin.read(), source="<stdin>") if name == "-" else load(name)
    text = "".join(f"{summarize(resource)}\n" for resource in resources)
    if not args.no_dump:
        text += "\n" + dumps(resources, format=args.format)
    return text


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; return its exit code."""
    args = _parser().parse_args(argv)
    try:
        output = _run(args)
    except SidecarModelError as error:
        print(error, file=sys.stderr)
        return 2
    try:
        sys.stdout.write(output)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (`sidecar-model demo | head`): stop quietly, as cat does,
        # pointing stdout at devnull so that the interpreter's final flush does not fail.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


if __name__ == "__main__":  # pragma: no cover - run through __main__.py or the script
    sys.exit(main())
