"""The ``recommend`` and ``size`` commands of ``sidecar-model``.

``cli.py`` registers them with :func:`add_commands` and runs them with :func:`run`, as it
runs its other commands: the result goes to standard output (pure YAML or JSON), the savings
table and the evidence's problems to standard error.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Protocol, TextIO

from sidecar_model import resolver
from sidecar_model._cli_output import json_text, yaml_text
from sidecar_model.codec import dumps
from sidecar_model.mesh import Mesh, MeshConfig, ProxyType
from sidecar_model.recommendation import recommend, savings_text
from sidecar_model.resolver._size import FIELDS, config_size
from sidecar_model.traffic import Traffic

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Sequence

    from sidecar_model.recommendation import Recommendation

__all__ = ["COMMANDS", "OUTPUTS", "add_commands", "run"]

COMMANDS: Final = frozenset({"recommend", "size"})
#: The ``-o`` formats of each command; the first is the default.
OUTPUTS: Final[dict[str, tuple[str, ...]]] = {
    "recommend": ("yaml", "json"),
    "size": ("text", "json", "yaml"),
}
EXIT_OK: Final = 0
#: Problems in the evidence printed one by one before "and N more".
SHOWN_PROBLEMS: Final = 20


def add_commands(
    command: Callable[..., argparse.ArgumentParser], parents: list[argparse.ArgumentParser]
) -> None:
    """Add ``recommend`` and ``size`` with ``cli.py``'s ``command`` helper (``-o`` per OUTPUTS).

    ``parents`` give the options every mesh-reading command has (``--mesh-config``).
    """
    rec = command(
        "recommend",
        parents,
        help="the smallest Sidecars that keep every observed call, and what they save",
        description="Recommend Sidecars from traffic evidence (Envoy access logs, a "
        "Prometheus query result, or declared dependencies): apply-ready YAML on standard "
        "output (or one file per namespace with --out), the savings table on standard error. "
        "-o json prints the whole recommendation instead: Sidecars, sizes, savings, and the "
        "calls kept and not kept.",
    )
    rec.add_argument(
        "--traffic",
        metavar="FILE",
        action="append",
        required=True,
        help="evidence: a file, or a folder of NS/POD.log access logs (repeatable)",
    )
    rec.add_argument("-n", "--namespace", action="append", metavar="NS", help="only these")
    rec.add_argument("--per", choices=("namespace", "workload"), default="namespace")
    rec.add_argument("--out", metavar="DIR", help="write one NS.yaml file per namespace here")
    _mesh_paths(rec)
    size = command(
        "size",
        parents,
        help="the estimated proxy configuration size of every workload",
        description="Estimated outbound clusters, listeners, routes, virtual hosts and "
        "endpoints of every workload's proxy, largest first: where Sidecars matter most.",
    )
    size.add_argument("--sort", choices=FIELDS, default="clusters", help="(clusters)")
    _mesh_paths(size)


def _mesh_paths(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="MESH",
        default=["-"],
        help="mesh manifests: files, directories (searched recursively), or - for standard "
        "input (the default)",
    )


class MeshReader(Protocol):
    """How the ``sidecar-model`` command reads a mesh (its files, folders and standard input)."""

    def mesh_config(self, name: str | None) -> MeshConfig | None:
        """The MeshConfig of ``--mesh-config``, or None."""

    def mesh(
        self, paths: Sequence[str], config: MeshConfig | None, args: argparse.Namespace
    ) -> Mesh:
        """The mesh of ``paths``, read with the command's input options (``-n``, ...)."""


def run(args: argparse.Namespace, reader: MeshReader, _style: object) -> tuple[str, int]:
    """Run ``recommend`` or ``size``: the text for standard output, and the exit code.

    The savings table and the evidence's problems go to standard error as they come.
    """
    mesh = reader.mesh(args.paths, reader.mesh_config(args.mesh_config), args)
    if args.command == "size":
        return _size(mesh, args.sort, args.output), EXIT_OK
    return _recommend(mesh, args, sys.stderr)


def _recommend(mesh: Mesh, args: argparse.Namespace, err: TextIO) -> tuple[str, int]:
    traffic = Traffic.merge(Traffic.load(path) for path in args.traffic)
    result = recommend(mesh, traffic, per=args.per, namespaces=args.namespace)
    _report(traffic, result, err)
    if args.out is not None:
        folder = Path(args.out)
        folder.mkdir(parents=True, exist_ok=True)
        by_namespace: dict[str, list[Any]] = {}
        for sidecar in result.sidecars:
            by_namespace.setdefault(sidecar.namespace or "default", []).append(sidecar)
        for namespace, sidecars in sorted(by_namespace.items()):
            target = folder / f"{namespace}.yaml"
            target.write_text(dumps(sidecars), encoding="utf-8")
            print(f"wrote {target}", file=err)
    if args.output == "json":
        return json_text(result.to_dict()), EXIT_OK
    if args.out is None and result.sidecars:
        return dumps(list(result.sidecars)), EXIT_OK
    return "", EXIT_OK


def _report(traffic: Traffic, result: Recommendation, err: TextIO) -> None:
    """Evidence problems, the savings table, and the calls not kept, on standard error."""
    if traffic.problems:
        print(f"{len(traffic.problems)} unreadable records in the evidence:", file=err)
        for problem in traffic.problems[:SHOWN_PROBLEMS]:
            print(f"  {problem}", file=err)
        if len(traffic.problems) > SHOWN_PROBLEMS:
            print(f"  and {len(traffic.problems) - SHOWN_PROBLEMS} more", file=err)
    print(savings_text(result), file=err)
    if result.not_kept:
        print(f"{len(result.not_kept)} observed calls not kept:", file=err)
        for item in result.not_kept:
            print(f"  {item}", file=err)
    if result.unobserved:
        names = ", ".join(f"{w.namespace}/{w.name}" for w in result.unobserved)
        print(f"no call observed from {names}: they keep only what the evidence imports", file=err)


def _size(mesh: Mesh, sort: str, output: str) -> str:
    rows = []
    for workload in mesh.workloads:
        if workload.proxy_type is ProxyType.SIDECAR:
            size = config_size(resolver.compute_scope(mesh, workload))
            rows.append((f"{workload.namespace}/{workload.name}", size))
    rows.sort(key=lambda row: (-getattr(row[1], sort), row[0]))
    if output != "text":
        data = {
            "sortedBy": sort,
            "workloads": [{"workload": name, **size.to_dict()} for name, size in rows],
        }
        return json_text(data) if output == "json" else yaml_text(data)
    width = max([len("workload"), *(len(name) for name, _ in rows)])
    header = f"{'workload':<{width}}  " + "  ".join(f"{f.replace('_', ' '):>13}" for f in FIELDS)
    lines = [header]
    lines.extend(
        f"{name:<{width}}  " + "  ".join(f"{getattr(size, f):>13}" for f in FIELDS)
        for name, size in rows
    )
    return "\n".join(lines) + "\n"
