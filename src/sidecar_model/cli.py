"""The ``sidecar-model`` command.

Every subcommand that reads a mesh takes files, directories (searched recursively for
``*.yaml``, ``*.yml`` and ``*.json``, skipping hidden files and folders) and ``-`` for standard
input, an optional ``--mesh-config FILE``, and ``--format text|json``; JSON output is the
results' ``to_dict()``.

- ``validate``: every Sidecar checked as Istio's admission webhook does, and the ``exportTo``
  lists of VirtualServices, DestinationRules and ServiceEntries, one line per diagnostic.
- ``explain``: which Sidecar a workload gets and why, its outbound listeners, one host.
- ``scope``: what a workload's proxy imports, per egress listener.
- ``analyze``: cross-resource checks (:func:`sidecar_model.analysis.analyze`).
- ``diff OLD NEW``: what changes for every workload between two mesh snapshots.
- ``graph``: which namespaces reach which, as text, DOT, Mermaid or JSON.
- ``demo``: ``explain`` on the bundled example mesh; ``seed`` and ``summary`` re-dump manifests.

Exit codes: 0 success with nothing to report, 1 findings (``validate`` and ``analyze`` found
errors, or warnings too with ``--fail-on warning``; ``diff --exit-code`` found changes), 2 bad
usage or input that does not load (the problems go to standard error, located as
``file:line:column``). ``docs/cli.md`` is the reference.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TextIO

import attrs

from sidecar_model import _cli_recommend, resolver
from sidecar_model.analysis import analyze, diff, reachability
from sidecar_model.codec import dumps, load, loads, read_yaml
from sidecar_model.errors import ManifestError, Problem, SidecarModelError
from sidecar_model.examples import MESH, SEED, mesh_text, seed_text
from sidecar_model.mesh import Mesh, MeshConfig, Workload
from sidecar_model.model import Sidecar
from sidecar_model.resources import DestinationRuleSpec, ServiceEntrySpec, VirtualServiceSpec
from sidecar_model.validation import Diagnostic, Severity, check_export_to, validate

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from sidecar_model.resolver import SidecarScope
    from sidecar_model.resources import Resource

__all__ = ["EXIT_FINDINGS", "EXIT_OK", "EXIT_USAGE", "main", "summarize"]

#: Success, and nothing to report.
EXIT_OK: Final = 0
#: Findings: errors (or, with ``--fail-on warning``, warnings) or, with ``--exit-code``, changes.
EXIT_FINDINGS: Final = 1
#: Bad usage, or input that cannot be read or loaded.
EXIT_USAGE: Final = 2

DEMO_WORKLOAD = "prod-us1/productpage"
DEMO_HOST = "mysql.foo.com"

#: File name endings a directory is searched for.
MANIFEST_SUFFIXES: Final = (".yaml", ".yml", ".json")
#: Loading more files than this shows progress on standard error (when it is a terminal).
PROGRESS_FILES: Final = 20
#: A mesh with more workloads and Sidecars than this shows what it is working on.
PROGRESS_OBJECTS: Final = 500
#: How many workloads an unknown ``--workload`` error lists.
_LISTED: Final = 20

_STDIN: Final = "-"
_RED, _YELLOW, _GREEN, _BOLD = "31", "33", "32", "1"


class _InputError(SidecarModelError):
    """An input that cannot be used, other than a manifest problem: a missing file, ..."""


# =========================================================================== presentation


def _terminal(stream: TextIO) -> bool:
    """Whether ``stream`` is a terminal that understands ANSI escapes."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty is not None and isatty()) and os.environ.get("TERM") != "dumb"


def _colour_wanted(stream: TextIO) -> bool:
    """Colour only on a terminal, never with ``NO_COLOR`` set (https://no-color.org)."""
    return not os.environ.get("NO_COLOR") and _terminal(stream)


class _Style:
    """ANSI colours, or none."""

    def __init__(self, *, colour: bool) -> None:
        self.colour = colour

    def paint(self, text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.colour else text

    def severity(self, severity: Severity) -> str:
        return self.paint(severity.value, _RED if severity is Severity.ERROR else _YELLOW)


class _Progress:
    """A one-line status on standard error, shown only when standard error is a terminal."""

    def __init__(self) -> None:
        self.enabled = _terminal(sys.stderr)
        self.shown = False

    def show(self, text: str, detail: str = "") -> None:
        """Show ``text``, then as much of the end of ``detail`` as the line has room for."""
        if not self.enabled:
            return
        try:
            columns = os.get_terminal_size(sys.stderr.fileno()).columns
        except (OSError, ValueError):
            columns = 0
        room = (columns or 80) - 1 - len(text)  # one line, or \r cannot erase it
        if len(detail) > room:
            cut = "..."
            detail = cut + detail[len(detail) - room + len(cut) :] if room > len(cut) else ""
        sys.stderr.write(f"\r\x1b[K{text}{detail}")
        sys.stderr.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
            self.shown = False


def _diagnostic_text(diagnostic: Diagnostic, style: _Style) -> str:
    """``file:line:col: severity code path: message``, then the caret excerpt, indented."""
    head = (
        f"{style.severity(diagnostic.severity)} {diagnostic.code} {diagnostic.path}: "
        f"{diagnostic.message}"
    )
    location = diagnostic.location
    text = f"{location}: {head}" if location else head
    if diagnostic.excerpt:
        text += "".join(f"\n    {line}" for line in diagnostic.excerpt.splitlines())
    return text


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _json(data: object) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


# =========================================================================== reading input


class _Reader:
    """Reads manifests from files, directories and standard input (once)."""

    def __init__(self, progress: _Progress) -> None:
        self.progress = progress
        self.stdin_read = False

    def files(self, paths: Iterable[str]) -> list[str]:
        """The manifest files named by ``paths``, directories expanded, each file once."""
        found: list[str] = []
        seen: set[Path] = set()
        for name in paths:
            if name == _STDIN:
                if self.stdin_read or _STDIN in found:
                    raise _InputError("standard input ('-') can be read only once")
                found.append(name)
                continue
            path = Path(name)
            if path.is_dir():
                inside = sorted(
                    file
                    for file in path.rglob("*")
                    if file.suffix.lower() in MANIFEST_SUFFIXES
                    and file.is_file()
                    and not any(part.startswith(".") for part in file.relative_to(path).parts)
                )
                if not inside:
                    suffixes = ", ".join(f"*{suffix}" for suffix in MANIFEST_SUFFIXES)
                    raise _InputError(f"{name}: no {suffixes} files in this directory")
            elif path.exists():
                inside = [path]
            else:
                raise _InputError(f"{name}: no such file or directory")
            for file in inside:
                if file.resolve() not in seen:
                    seen.add(file.resolve())
                    found.append(name if file is path else str(file))
        return found

    def text(self, name: str) -> str | bytes:
        """The content of a file, or of standard input for ``-``."""
        if name == _STDIN:
            self.stdin_read = True
            buffer = getattr(sys.stdin, "buffer", None)
            return buffer.read() if buffer is not None else sys.stdin.read()
        try:
            return Path(name).read_bytes()
        except OSError as error:
            raise _InputError(f"{name}: {error.strerror or error}") from error

    def resources(self, paths: Iterable[str]) -> list[Resource[Any]]:
        """Every object of every input; all loading problems together in one ManifestError."""
        files = self.files(paths)
        loaded: list[Resource[Any]] = []
        problems: list[Problem] = []
        for number, name in enumerate(files, 1):
            if len(files) > PROGRESS_FILES:
                self.progress.show(f"loading {number}/{len(files)}: ", name)
            content = self.text(name)
            source = "<stdin>" if name == _STDIN else name
            try:
                loaded.extend(loads(content, source=source))
            except ManifestError as error:
                problems.extend(error.problems)
        self.progress.clear()
        if problems:
            raise ManifestError(problems)
        return loaded

    def mesh_config(self, name: str | None) -> MeshConfig | None:
        """``--mesh-config``: MeshConfig YAML, or a manifest with the istio ConfigMap."""
        if name is None:
            return None
        content = self.text(name)
        source = "<stdin>" if name == _STDIN else name
        try:
            text = content.decode("utf-8-sig") if isinstance(content, bytes) else content
        except UnicodeDecodeError as error:
            raise _InputError(f"{source}: not UTF-8 text ({error.reason})") from error
        documents = read_yaml(text, source=source)
        first = documents[0] if documents else None
        if isinstance(first, dict) and "apiVersion" in first and "kind" in first:
            resources = loads(text, source=source)
            if not any(
                r.kind == "MeshConfig" or (r.kind == "ConfigMap" and r.name == "istio")
                for r in resources
            ):
                raise _InputError(
                    f"{source}: holds neither a MeshConfig nor the istio ConfigMap; "
                    "give MeshConfig YAML (rootNamespace: ..., outboundTrafficPolicy: ...)"
                )
            return Mesh.from_resources(resources).config
        try:
            return MeshConfig.from_yaml(text, source=source)
        except ManifestError as error:  # structuring names no source: name the file
            raise ManifestError(
                [attrs.evolve(p, source=p.source or source) for p in error.problems]
            ) from None

    def mesh(self, paths: Iterable[str], config: MeshConfig | None) -> Mesh:
        resources = self.resources(paths)
        return Mesh.from_resources(resources, config=config)


def _parse_labels(text: str) -> dict[str, str]:
    labels: dict[str, str] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise _InputError(f"--labels: {item!r} is not key=value (write app=web,version=v1)")
        labels[key.strip()] = value.strip()
    return labels


def _find_workload(mesh: Mesh, key: str) -> Workload:
    for workload in mesh.workloads:
        if str(workload) == key:
            return workload
    names = [str(w) for w in mesh.workloads]
    namespace = key.partition("/")[0]
    names.sort(key=lambda name: (not name.startswith(f"{namespace}/"), name))
    shown = ", ".join(names[:_LISTED]) or "no workloads"
    if len(names) > _LISTED:
        shown += f" and {len(names) - _LISTED} more"
    msg = f"no workload {key!r} in the mesh; it has: {shown}"
    raise _InputError(msg)


def _workload(mesh: Mesh, args: argparse.Namespace) -> Workload:
    if args.workload is not None:
        return _find_workload(mesh, args.workload)
    labels = _parse_labels(args.labels or "")
    return Workload(namespace=args.namespace, labels=labels)


# =========================================================================== subcommands


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


def _listeners_text(scope: SidecarScope) -> str:
    listeners = resolver.outbound_listeners(scope)
    if not listeners:
        return "outbound listeners: none"
    return "outbound listeners:\n" + "\n".join(f"  {listener}" for listener in listeners)


def explain(mesh: Mesh, workload_key: str, host: str | None) -> str:
    """The demo's report: selection, scope, outbound listeners and one host, as prose."""
    workload = _find_workload(mesh, workload_key)
    scope = resolver.compute_scope(mesh, workload)
    sections = [str(scope.selection), str(scope), _listeners_text(scope)]
    if host:
        sections.append(str(resolver.explain_host(scope, host)))
    return "\n\n".join(sections)


def _findings(
    errors: Sequence[Diagnostic], warnings: Sequence[Diagnostic], args: argparse.Namespace
) -> int:
    failing = bool(errors) or (args.fail_on == "warning" and bool(warnings))
    return EXIT_FINDINGS if failing else EXIT_OK


def _export_to_diagnostics(resource: Resource[Any]) -> list[Diagnostic]:
    spec = resource.spec
    if not isinstance(spec, VirtualServiceSpec | DestinationRuleSpec | ServiceEntrySpec):
        return []
    has_selector = isinstance(spec, DestinationRuleSpec) and spec.workload_selector is not None
    return check_export_to(
        spec.export_to,
        namespace=resource.namespace or "default",
        is_service_entry=isinstance(spec, ServiceEntrySpec),
        has_selector=has_selector,
        resource=resource,
    )


def _validate(args: argparse.Namespace, reader: _Reader, style: _Style) -> tuple[str, int]:
    resources = reader.resources(args.paths)
    errors: list[Diagnostic] = []
    warnings: list[Diagnostic] = []
    sidecars = 0
    for resource in resources:
        if isinstance(resource.spec, Sidecar):
            sidecars += 1
            result = validate(resource)
            errors.extend(result.errors)
            warnings.extend(result.warnings)
        else:
            errors.extend(_export_to_diagnostics(resource))
    ordered = sorted(
        [*errors, *warnings],
        key=lambda d: (d.source or "", d.line or 0, d.column or 0, d.severity is Severity.WARNING),
    )
    return _findings_report(
        args,
        style,
        errors,
        warnings,
        ordered,
        counts={"sidecars": sidecars, "objects": len(resources)},
        scope=f"{_plural(sidecars, 'Sidecar')} ({_plural(len(resources), 'object')} read)",
    )


def _analyze(args: argparse.Namespace, reader: _Reader, style: _Style) -> tuple[str, int]:
    mesh = reader.mesh(args.paths, reader.mesh_config(args.mesh_config))
    if len(mesh.sidecars) + len(mesh.workloads) > PROGRESS_OBJECTS:
        reader.progress.show(
            f"analysing {_plural(len(mesh.sidecars), 'Sidecar')}, "
            f"{_plural(len(mesh.services), 'service')}, "
            f"{_plural(len(mesh.workloads), 'workload')}..."
        )
    diagnostics = analyze(mesh)
    reader.progress.clear()
    errors = [d for d in diagnostics if d.severity is Severity.ERROR]
    warnings = [d for d in diagnostics if d.severity is not Severity.ERROR]
    return _findings_report(
        args,
        style,
        errors,
        warnings,
        diagnostics,
        counts={},
        scope=_plural(len(mesh.sidecars), "Sidecar"),
    )


def _findings_report(  # noqa: PLR0913 - one report shape for validate and analyze
    args: argparse.Namespace,
    style: _Style,
    errors: Sequence[Diagnostic],
    warnings: Sequence[Diagnostic],
    ordered: Sequence[Diagnostic],
    *,
    counts: dict[str, int],
    scope: str,
) -> tuple[str, int]:
    """The output and exit code of a command that reports diagnostics.

    JSON: ``ok``, any ``counts``, then the errors and warnings. Text: one line per
    diagnostic in ``ordered``, then "N errors, M warnings in <scope>".
    """
    code = _findings(errors, warnings, args)
    if args.format == "json":
        data = {
            "ok": not errors,
            **counts,
            "errors": [d.to_dict() for d in errors],
            "warnings": [d.to_dict() for d in warnings],
        }
        return _json(data), code
    lines = [_diagnostic_text(d, style) for d in ordered]
    lines.append(f"{_plural(len(errors), 'error')}, {_plural(len(warnings), 'warning')} in {scope}")
    return "\n".join(lines) + "\n", code


def _explain(args: argparse.Namespace, reader: _Reader, style: _Style) -> tuple[str, int]:
    mesh = reader.mesh(args.paths, reader.mesh_config(args.mesh_config))
    scope = resolver.compute_scope(mesh, _workload(mesh, args))
    host = None if args.host is None else resolver.explain_host(scope, args.host)
    if args.format == "json":
        data: dict[str, Any] = {
            "selection": scope.selection.to_dict(),
            "listeners": [listener.to_dict() for listener in resolver.outbound_listeners(scope)],
        }
        if host is not None:
            data["host"] = host.to_dict()
        return _json(data), EXIT_OK
    sections = [str(scope.selection), _listeners_text(scope)]
    if host is not None:
        verdict = str(host)
        head, _, rest = verdict.partition("\n")
        colour = _GREEN if host.imported else _YELLOW
        sections.append(style.paint(head, colour) + (f"\n{rest}" if rest else ""))
    return "\n\n".join(sections) + "\n", EXIT_OK


def _scope(args: argparse.Namespace, reader: _Reader, style: _Style) -> tuple[str, int]:
    mesh = reader.mesh(args.paths, reader.mesh_config(args.mesh_config))
    scope = resolver.compute_scope(mesh, _workload(mesh, args))
    rules = {
        service.hostname: scope.destination_rule(service.hostname)
        for egress in scope.egress
        for service in egress.services
    }
    if args.format == "json":
        data = scope.to_dict()
        for egress, entry in zip(scope.egress, data["egress"], strict=True):
            entry["destinationRules"] = [
                rule.to_dict()
                for rule in (rules[s.hostname] for s in egress.services)
                if rule is not None
            ]
        return _json(data), EXIT_OK
    text = str(scope).splitlines()
    lines = [style.paint(text[0], _BOLD)]
    for egress in scope.egress:
        lines.append(str(egress))
        lines.extend(
            f"    uses {rule}"
            for rule in (rules[s.hostname] for s in egress.services)
            if rule is not None
        )
    lines.append(text[-1])
    return "\n".join(lines) + "\n", EXIT_OK


def _diff(args: argparse.Namespace, reader: _Reader, style: _Style) -> tuple[str, int]:
    config = reader.mesh_config(args.mesh_config)
    old = reader.mesh([args.old], config)
    new = reader.mesh([args.new], config)
    if len(old.workloads) + len(new.workloads) > PROGRESS_OBJECTS:
        reader.progress.show(f"comparing {_plural(len(new.workloads), 'workload')}...")
    result = diff(old, new)
    reader.progress.clear()
    code = EXIT_FINDINGS if args.exit_code and result else EXIT_OK
    if args.format == "json":
        return _json(result.to_dict()), code
    lines = []
    for line in str(result).splitlines():
        if line.startswith("  + "):
            line = style.paint(line, _GREEN)  # noqa: PLW2901 - recoloured in place
        elif line.startswith("  - "):
            line = style.paint(line, _RED)  # noqa: PLW2901
        lines.append(line)
    return "\n".join(lines) + "\n", code


def _graph(args: argparse.Namespace, reader: _Reader, _style: _Style) -> tuple[str, int]:
    mesh = reader.mesh(args.paths, reader.mesh_config(args.mesh_config))
    if len(mesh.workloads) > PROGRESS_OBJECTS:
        reader.progress.show(f"resolving {_plural(len(mesh.workloads), 'workload')}...")
    graph = reachability(mesh)
    reader.progress.clear()
    render: dict[str, Callable[[], str]] = {
        "text": graph.__str__,
        "dot": graph.to_dot,
        "mermaid": graph.to_mermaid,
        "json": lambda: _json(graph.to_dict()).rstrip("\n"),
    }
    return render[args.format]() + "\n", EXIT_OK


def _demo(args: argparse.Namespace, _reader: _Reader, _style: _Style) -> tuple[str, int]:
    resources = loads(mesh_text(), source=MESH)
    mesh = Mesh.from_resources(resources)
    if args.format == "json":
        scope = resolver.compute_scope(mesh, _find_workload(mesh, args.workload))
        data: dict[str, Any] = {
            "resources": [summarize(resource) for resource in resources],
            "selection": scope.selection.to_dict(),
            "scope": scope.to_dict(),
            "listeners": [listener.to_dict() for listener in resolver.outbound_listeners(scope)],
        }
        if args.host:
            data["host"] = resolver.explain_host(scope, args.host).to_dict()
        return _json(data), EXIT_OK
    summaries = "\n".join(summarize(resource) for resource in resources)
    return f"{summaries}\n\n{explain(mesh, args.workload, args.host)}\n", EXIT_OK


def _dump(args: argparse.Namespace, reader: _Reader, _style: _Style) -> tuple[str, int]:
    if args.command == "seed":
        resources = loads(seed_text(), source=SEED)
    else:
        resources = []
        for name in args.files:
            if name == _STDIN:
                resources += loads(reader.text(name), source="<stdin>")
            else:
                resources += load(name)
    text = "".join(f"{summarize(resource)}\n" for resource in resources)
    if not args.no_dump:
        text += "\n" + dumps(resources, format=args.format)
    return text, EXIT_OK


_COMMANDS: Final[dict[str, Callable[[argparse.Namespace, _Reader, _Style], tuple[str, int]]]] = {
    "validate": _validate,
    "explain": _explain,
    "scope": _scope,
    "analyze": _analyze,
    "diff": _diff,
    "graph": _graph,
    "demo": _demo,
    "seed": _dump,
    "summary": _dump,
}


# =========================================================================== arguments


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sidecar-model",
        description="Know what Istio does with your Sidecar resources.",
        epilog="exit codes: 0 clean, 1 findings, 2 usage or input error",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    text_json = argparse.ArgumentParser(add_help=False)
    text_json.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format (text)"
    )
    config = argparse.ArgumentParser(add_help=False)
    config.add_argument(
        "--mesh-config",
        metavar="FILE",
        help="MeshConfig YAML, or a manifest with the istio ConfigMap (- for standard input)",
    )
    inputs = argparse.ArgumentParser(add_help=False, parents=[config])
    inputs.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="a YAML or JSON file, a directory (searched recursively), or - for standard input",
    )
    fail_on = argparse.ArgumentParser(add_help=False)
    fail_on.add_argument(
        "--fail-on",
        choices=("error", "warning"),
        default="error",
        help="the severity that makes the exit code 1 (error)",
    )
    workload = argparse.ArgumentParser(add_help=False)
    which = workload.add_mutually_exclusive_group()
    which.add_argument("--workload", metavar="NS/NAME", help="a workload of the mesh")
    which.add_argument("--namespace", metavar="NS", help="a hypothetical workload's namespace")
    workload.add_argument(
        "--labels", metavar="K=V,...", help="the hypothetical workload's labels (--namespace)"
    )

    commands.add_parser(
        "validate",
        parents=[inputs, text_json, fail_on],
        help="check Sidecars as Istio's admission webhook does",
        description="Check every Sidecar as Istio's admission webhook and CRD schema do, and "
        "the exportTo lists of VirtualServices, DestinationRules and ServiceEntries.",
    )
    explain_ = commands.add_parser(
        "explain",
        parents=[inputs, text_json, workload],
        help="which Sidecar a workload gets, its outbound listeners, one host",
        description="Explain which Sidecar applies to a workload (with every candidate), the "
        "outbound listeners of its proxy with their hosts, and optionally one host.",
    )
    explain_.add_argument("--host", metavar="HOST", help="explain this hostname as well")
    commands.add_parser(
        "scope",
        parents=[inputs, text_json, workload],
        help="what a workload's proxy imports, per egress listener",
        description="The services, VirtualServices and DestinationRules a workload's proxy "
        "imports, per egress listener.",
    )
    commands.add_parser(
        "analyze",
        parents=[inputs, text_json, fail_on],
        help="cross-resource checks (istioctl analyze's Sidecar checks and more)",
        description="Run istioctl analyze's Sidecar checks and sidecar-model's own checks.",
    )
    diff_ = commands.add_parser(
        "diff",
        parents=[config, text_json],
        help="what changes for every workload between two mesh snapshots",
        description="For every workload of two mesh snapshots: the Sidecar that applies, the "
        "outbound host:port pairs gained and lost, and the change in imported services.",
    )
    diff_.add_argument("old", metavar="OLD", help="the old snapshot: a file, directory or -")
    diff_.add_argument("new", metavar="NEW", help="the new snapshot: a file, directory or -")
    diff_.add_argument(
        "--exit-code", action="store_true", help="exit with 1 when some workload changes"
    )
    graph = commands.add_parser(
        "graph",
        parents=[inputs],
        help="which namespaces reach which",
        description="Which namespaces can reach which, after selection, exportTo and imports.",
    )
    graph.add_argument(
        "--format",
        choices=("text", "dot", "mermaid", "json"),
        default="text",
        help="output format (text)",
    )
    demo = commands.add_parser(
        "demo",
        parents=[text_json],
        help="explain the bundled example mesh for a workload",
        description="Explain the bundled example mesh for one workload.",
    )
    demo.add_argument("--workload", default=DEMO_WORKLOAD, help="NAMESPACE/NAME")
    demo.add_argument("--host", default=DEMO_HOST, help="a host to explain")
    _cli_recommend.add_commands(commands)
    seed = commands.add_parser("seed", help="summarise and re-dump the bundled seed examples")
    summary = commands.add_parser("summary", help="summarise and re-dump manifests")
    summary.add_argument("files", nargs="+", help="YAML or JSON files; - for standard input")
    for command in (seed, summary):
        command.add_argument("--format", choices=("yaml", "json"), default="yaml")
        command.add_argument("--no-dump", action="store_true", help="print only the summaries")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command with ``argv`` (default: ``sys.argv[1:]``); return its exit code.

    Results go to standard output, problems and progress to standard error.
    """
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # argparse: --help (0) or a usage error (2)
        return stop.code if isinstance(stop.code, int) else EXIT_USAGE
    if args.command in _cli_recommend.COMMANDS:
        return _cli_recommend.run(args)
    if args.command in {"explain", "scope"}:
        problem = None
        if args.labels is not None and args.namespace is None:
            problem = "--labels needs --namespace"
        elif args.workload is None and args.namespace is None:
            problem = "give --workload NS/NAME, or --namespace NS and --labels K=V,..."
        if problem is not None:
            print(f"{parser.prog} {args.command}: error: {problem}", file=sys.stderr)
            return EXIT_USAGE
    progress = _Progress()
    style = _Style(colour=_colour_wanted(sys.stdout))
    try:
        output, code = _COMMANDS[args.command](args, _Reader(progress), style)
    except SidecarModelError as error:
        progress.clear()
        print(error, file=sys.stderr)
        return EXIT_USAGE
    except OSError as error:  # summary FILE: a file that cannot be read
        progress.clear()
        print(f"{error.filename}: {error.strerror or error}", file=sys.stderr)
        return EXIT_USAGE
    try:
        sys.stdout.write(output)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (`sidecar-model demo | head`): stop quietly, as cat does,
        # pointing stdout at devnull so that the interpreter's final flush does not fail.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return code


if __name__ == "__main__":  # pragma: no cover - run through __main__.py or the script
    sys.exit(main())
