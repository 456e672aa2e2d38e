"""The ``sidecar-model`` command.

``sidecar-model demo`` loads the bundled seed examples, prints a one-line summary per
object and writes them back; ``sidecar-model summary FILE...`` does the same for your
own manifests (``-`` reads standard input). Exit codes: 0 success, 2 bad input.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Any

from sidecar_model.codec import dumps, load, loads
from sidecar_model.errors import SidecarModelError
from sidecar_model.examples import SEED, seed_text
from sidecar_model.model import Sidecar

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sidecar_model.resources import Resource

__all__ = ["main", "summarize"]


def summarize(resource: Resource[Any]) -> str:
    """One line about a resource: kind, namespace/name and, for a Sidecar, its shape."""
    where = f"{resource.namespace or '-'}/{resource.name or '-'}"
    line = f"{resource.kind} {where} ({resource.api_version})"
    spec = resource.spec
    if isinstance(spec, Sidecar):
        selector = spec.workload_selector
        applies = (
            "all workloads of the namespace"
            if selector is None
            else "workloads with "
            + (",".join(f"{k}={v}" for k, v in selector.labels.items()) or "any labels")
        )
        ports = [str(e.port.number) for e in spec.egress if e.port is not None]
        line += (
            f": applies to {applies}; {len(spec.ingress)} ingress, {len(spec.egress)} egress"
            f" listener(s)" + (f" (egress ports {', '.join(ports)})" if ports else "")
        )
    return line


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sidecar-model", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="summarise and re-dump the bundled seed examples")
    summary = commands.add_parser("summary", help="summarise and re-dump manifests")
    summary.add_argument("files", nargs="+", help="YAML or JSON files; - for standard input")
    for command in (commands.choices["demo"], summary):
        command.add_argument("--format", choices=("yaml", "json"), default="yaml")
        command.add_argument("--no-dump", action="store_true", help="print only the summaries")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; return its exit code."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "demo":
            resources = loads(seed_text(), source=SEED)
        else:
            resources = []
            for name in args.files:
                resources += (
                    loads(sys.stdin.read(), source="<stdin>") if name == "-" else load(name)
                )
    except SidecarModelError as error:
        print(error, file=sys.stderr)
        return 2
    try:
        for resource in resources:
            print(summarize(resource))
        if not args.no_dump:
            print()
            sys.stdout.write(dumps(resources, format=args.format))
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (`sidecar-model demo | head`): stop quietly, as cat does,
        # pointing stdout at devnull so that the interpreter's final flush does not fail.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


if __name__ == "__main__":  # pragma: no cover - run through __main__.py or the script
    sys.exit(main())
