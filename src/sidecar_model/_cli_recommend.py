"""The ``recommend`` and ``size`` commands of ``sidecar-model``.

``cli.py`` registers them with :func:`add_commands` and hands parsed arguments of these
commands to :func:`run`, which writes results to standard output and the savings table and
problems to standard error.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TextIO

from sidecar_model import resolver
from sidecar_model.codec import dumps, loads
from sidecar_model.errors import SidecarModelError
from sidecar_model.mesh import Mesh, ProxyType
from sidecar_model.recommendation import recommend, savings_text
from sidecar_model.resolver._size import FIELDS, config_size
from sidecar_model.traffic import Traffic

if TYPE_CHECKING:
    import argparse

    from sidecar_model.recommendation import Recommendation

__all__ = ["COMMANDS", "add_commands", "run"]

COMMANDS: Final = frozenset({"recommend", "size"})
EXIT_OK: Final = 0
EXIT_USAGE: Final = 2
#: Problems in the evidence printed one by one before "and N more".
SHOWN_PROBLEMS: Final = 20


def add_commands(commands: argparse._SubParsersAction[Any]) -> None:
    """Add ``recommend`` and ``size`` to the ``sidecar-model`` sub-commands."""
    rec = commands.add_parser(
        "recommend",
        help="the smallest Sidecars that keep every observed call, and what they save",
        description="Recommend Sidecars from traffic evidence (Envoy access logs, a "
        "Prometheus query result, or declared dependencies): apply-ready YAML on standard "
        "output (or one file per namespace with --out), the savings table on standard error.",
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
    rec.add_argument("-o", "--output", choices=("yaml", "json"), default="yaml")
    _mesh_paths(rec)
    size = commands.add_parser(
        "size",
        help="the estimated proxy configuration size of every workload",
        description="Estimated outbound clusters, listeners, routes, virtual hosts and "
        "endpoints of every workload's proxy, largest first: where Sidecars matter most.",
    )
    size.add_argument("--sort", choices=FIELDS, default="clusters", help="(clusters)")
    size.add_argument("-o", "--output", choices=("text", "json"), default="text")
    _mesh_paths(size)


def _mesh_paths(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "mesh",
        nargs="*",
        metavar="MESH",
        default=["-"],
        help="mesh manifests: files, directories, or - for standard input (the default)",
    )


def run(
    args: argparse.Namespace, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    """Run ``recommend`` or ``size``; return the exit code."""
    out = sys.stdout if stdout is None else stdout
    err = sys.stderr if stderr is None else stderr
    try:
        mesh = _load_mesh(args.mesh)
        if args.command == "size":
            out.write(_size(mesh, args.sort, args.output))
            return EXIT_OK
        return _recommend(mesh, args, out, err)
    except SidecarModelError as error:
        print(error, file=err)
        return EXIT_USAGE
    except OSError as error:
        print(f"{error.filename}: {error.strerror or error}", file=err)
        return EXIT_USAGE


def _load_mesh(paths: list[str]) -> Mesh:
    if paths == ["-"]:
        return Mesh.from_resources(loads(sys.stdin.read()))
    return Mesh.load(*paths)


def _recommend(mesh: Mesh, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
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
    elif args.output == "json":
        out.write(json.dumps(result.to_dict(), indent=2) + "\n")
    elif result.sidecars:
        out.write(dumps(list(result.sidecars)))
    return EXIT_OK


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
    if output == "json":
        data = [{"workload": name, **size.to_dict()} for name, size in rows]
        return json.dumps(data, indent=2) + "\n"
    width = max([len("workload"), *(len(name) for name, _ in rows)])
    header = f"{'workload':<{width}}  " + "  ".join(f"{f.replace('_', ' '):>13}" for f in FIELDS)
    lines = [header]
    lines.extend(
        f"{name:<{width}}  " + "  ".join(f"{getattr(size, f):>13}" for f in FIELDS)
        for name, size in rows
    )
    return "\n".join(lines) + "\n"
