"""The ``sidecar-model`` command.

Every subcommand that reads a mesh takes files, directories (searched recursively for
``*.yaml``, ``*.yml`` and ``*.json``, skipping hidden files and folders) and ``-`` for standard
input, an optional ``--mesh-config FILE``, and ``-o``/``--output``: ``text`` for people, or
``json`` / ``yaml`` for programs, pure documents whose shape is a JSON Schema shipped in
``sidecar_model/schemas``. ``validate`` and ``analyze`` also write ``sarif`` (SARIF 2.1.0) and
``junit`` (JUnit XML).

- ``validate``: every Sidecar checked as Istio's admission webhook does, and the ``exportTo``
  lists of VirtualServices, DestinationRules and ServiceEntries, one line per diagnostic.
- ``explain``: which Sidecar a workload gets and why, its outbound listeners, one host.
- ``scope``: what a workload's proxy imports, per egress listener.
- ``workloads``: one row per workload: its Sidecar, outbound mode, services and listeners.
- ``analyze``: cross-resource checks (:func:`sidecar_model.analysis.analyze`).
- ``diff OLD NEW``: what changes for every workload between two mesh snapshots.
- ``graph``: which namespaces reach which, as text, DOT, Mermaid, JSON or YAML.
- ``demo``: ``explain`` on the bundled example mesh; ``seed`` and ``summary`` re-dump manifests.

Every rule a text output cites is listed at its end with its docs anchor
(``docs: how-istiod-decides#rule-l4``); JSON and YAML carry the same as a ``rules`` field.

Exit codes: 0 success with nothing to report, 1 findings (``validate`` and ``analyze`` found
errors, or warnings too with ``--fail-on warning``; ``diff --exit-code`` found changes), 2 bad
usage or input that does not load (the problems go to standard error, located as
``file:line:column``). ``docs/cli.md`` is the reference.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import sys
import warnings
from typing import TYPE_CHECKING, Any, Final, TextIO

from sidecar_model import _cli_recommend, _cli_runtime, _rule_links, resolver
from sidecar_model._cli_output import HOSTS_SHOWN as _HOSTS_SHOWN
from sidecar_model._cli_output import json_text as _json_text
from sidecar_model._cli_output import junit as _junit
from sidecar_model._cli_output import rule_footer as _rule_footer
from sidecar_model._cli_output import rules_field as _rules_field
from sidecar_model._cli_output import sarif as _sarif
from sidecar_model._cli_output import shorten as _shorten
from sidecar_model._cli_output import user_protocols as _user_protocols
from sidecar_model._cli_output import wrap as _wrap
from sidecar_model._cli_output import yaml_text as _yaml_text
from sidecar_model._results import resource_name
from sidecar_model.analysis import analyze, diff, reachability
from sidecar_model.codec import dumps, loads, read_yaml
from sidecar_model.codec._files import SkippedPath, load_paths, read_path
from sidecar_model.errors import SidecarModelError, SidecarModelWarning
from sidecar_model.examples import MESH, SEED, mesh_text, seed_text
from sidecar_model.mesh import Mesh, MeshConfig, MeshService, ServicePort, Workload
from sidecar_model.mesh._applied import DEFAULT_NAMESPACE, as_applied
from sidecar_model.model import Protocol, Sidecar
from sidecar_model.resources import DestinationRuleSpec, ServiceEntrySpec, VirtualServiceSpec
from sidecar_model.validation import Diagnostic, Severity, check_export_to, validate

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from sidecar_model.resolver import (
        HostExplanation,
        MergedDestinationRule,
        OutboundListener,
        SidecarScope,
        SidecarSelection,
    )
    from sidecar_model.resources import Resource

__all__ = ["EXIT_FINDINGS", "EXIT_OK", "EXIT_USAGE", "OUTPUTS", "main", "summarize"]

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
__version__: Final = importlib.metadata.version("sidecar-model")
_RED, _YELLOW, _GREEN, _BOLD = "31", "33", "32", "1"
_WILDCARDS: Final = frozenset({"0.0.0.0", "::"})  # noqa: S104 - addresses compared, not bound


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


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


# =========================================================================== reading input


class _Reader:
    """Reads manifests from files, directories and standard input (once).

    Paths are walked by :func:`~sidecar_model.codec.load_paths`, as the library walks
    them; the objects are then taken as a cluster holds them (:func:`as_applied`):
    namespace-less ones in ``-n/--namespace``, each identity once. Skipped files and
    differing duplicates are warnings on standard error, errors with ``--strict``; no
    objects at all is an error unless ``--allow-empty``.
    """

    def __init__(self, progress: _Progress) -> None:
        self.progress = progress
        self.stdin_read = False
        #: The files skipped so far, for the summary.
        self.skipped: list[SkippedPath] = []
        #: How many warnings about the input were printed (skipped files, duplicates).
        self.noted = 0

    def text(self, name: str) -> str | bytes:
        """The content of a file, or of standard input for ``-``."""
        if name == _STDIN and self.stdin_read:
            raise _InputError("standard input ('-') can be read only once")
        self.stdin_read = self.stdin_read or name == _STDIN
        # bounded (--max-size); SourceError for closed stdin and OS failures
        return read_path(name, _cli_runtime.limits())

    def resources(self, paths: Sequence[str], args: argparse.Namespace) -> list[Resource[Any]]:
        """Every object of every input as applied; all loading problems in one ManifestError."""
        if _STDIN in paths and self.stdin_read:
            raise _InputError("standard input ('-') can be read only once")
        for name in paths:
            if name != _STDIN and not os.path.lexists(name):
                raise _InputError(f"{name}: no such file or directory")
        self.stdin_read = self.stdin_read or _STDIN in paths
        strict = getattr(args, "strict", False)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", SidecarModelWarning)
            loaded = load_paths(paths, limits=_cli_runtime.limits(), progress=self._loading)
            self.progress.clear()
            self._skip(loaded.skipped, strict=strict)
            resources = as_applied(loaded.resources, namespace=_namespace(args))
        self._warn([str(w.message) for w in caught], strict=strict)
        if not resources and not getattr(args, "allow_empty", False):
            named = " ".join(paths)
            raise _InputError(
                f"{named}: no Kubernetes objects in the input; an empty input is refused so "
                "that a failed export does not pass (--allow-empty accepts it)"
            )
        return resources

    def _loading(self, number: int, count: int, name: str) -> None:
        if count > PROGRESS_FILES:
            self.progress.show(f"loading {number}/{count}: ", name)

    def _skip(self, skipped: Sequence[SkippedPath], *, strict: bool) -> None:
        if strict and skipped:
            lines = [str(s) for s in skipped]
            raise _InputError("\n".join([*lines, "--strict: every file must be a manifest"]))
        for path in skipped:
            print(f"warning: {path}", file=sys.stderr)
        self.noted += len(skipped)
        self.skipped.extend(skipped)

    def _warn(self, messages: Sequence[str], *, strict: bool) -> None:
        if strict and messages:
            raise _InputError("\n".join([*messages, "--strict: warnings about the input fail"]))
        for message in messages:
            print(f"warning: {message}", file=sys.stderr)
        self.noted += len(messages)

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
        return MeshConfig.from_yaml(text, source=source)

    def mesh(
        self, paths: Sequence[str], config: MeshConfig | None, args: argparse.Namespace
    ) -> Mesh:
        """The mesh of ``paths``, read as :meth:`resources` reads them.

        It comes from the cache of loaded meshes when the inputs are unchanged; a load that
        warned (skipped files, duplicate objects) is not cached, so its warnings, and
        ``--strict``, apply again on the next run.
        """
        namespace = _namespace(args)

        def load() -> Mesh:
            resources = self.resources(paths, args)
            return Mesh.from_resources(resources, config=config, namespace=namespace)

        return _cli_runtime.build_mesh(
            paths,
            config,
            load,
            self.progress.show,
            variant=namespace,
            cacheable=lambda: self.noted == 0,
        )

    def skipped_count(self) -> dict[str, int]:
        """``{"skippedFiles": N}`` for JSON output when files were skipped, else nothing."""
        return {"skippedFiles": len(self.skipped)} if self.skipped else {}

    def skipped_note(self) -> str:
        """``; 2 files skipped`` for a summary line, or nothing."""
        return f"; {_plural(len(self.skipped), 'file')} skipped" if self.skipped else ""


def _namespace(args: argparse.Namespace) -> str:
    """``-n/--namespace``: the namespace of namespace-less objects, as for kubectl."""
    return getattr(args, "namespace", None) or DEFAULT_NAMESPACE


def _parse_labels(text: str, flag: str = "-l/--labels") -> dict[str, str]:
    labels: dict[str, str] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise _InputError(f"{flag}: {item!r} is not key=value (write app=web,version=v1)")
        labels[key.strip()] = value.strip()
    return labels


def _find_workload(mesh: Mesh, key: str, namespace: str = DEFAULT_NAMESPACE) -> Workload:
    """The workload ``key`` names: ``NS/NAME`` or ``NAME`` in ``namespace``.

    NAME is a workload, a Pod, or a controller of the mesh (see :meth:`Mesh.find_workloads`).
    """
    home, slash, name = key.rpartition("/")
    home = home if slash else namespace
    found = mesh.find_workloads(home, name)
    if not found:
        names = [str(w) for w in mesh.workloads]
        names.sort(key=lambda text: (not text.startswith(f"{home}/"), text))
        shown = ", ".join(names[:_LISTED]) or "no workloads"
        if len(names) > _LISTED:
            shown += f" and {len(names) - _LISTED} more"
        wanted = f"{home}/{name}"
        msg = (
            f"no workload {wanted!r} in the mesh; it has: {shown} (or name one of their Pods "
            "or controllers)"
        )
        raise _InputError(msg)
    return _one_workload(found, f"{home}/{name}")


#: Labels that tell apart the pods of one controller's revisions; selection ignores them.
_REVISION_LABELS: Final = frozenset({"pod-template-hash", "controller-revision-hash"})


def _one_workload(found: Sequence[Workload], what: str) -> Workload:
    """The first of ``found`` when all carry the same labels (revision hashes aside)."""
    ordered = sorted(found, key=str)
    kinds = {
        frozenset((k, v) for k, v in w.labels.items() if k not in _REVISION_LABELS) for w in ordered
    }
    if len(kinds) > 1:
        names = ", ".join(str(w) for w in ordered[:_LISTED])
        more = f" and {len(ordered) - _LISTED} more" if len(ordered) > _LISTED else ""
        msg = (
            f"{what} stands for {len(ordered)} workloads with different labels: "
            f"{names}{more}; name one of them"
        )
        raise _InputError(msg)
    return ordered[0]


def _selected_workload(mesh: Mesh, namespace: str, text: str) -> Workload:
    """``-w NS -l K=V,...``: the workload of ``namespace`` whose labels include these."""
    wanted = _parse_labels(text)
    found = [
        w for w in mesh.workloads if w.namespace == namespace and wanted.items() <= w.labels.items()
    ]
    if not found:
        msg = f"no workload in namespace {namespace} has the labels {text}"
        raise _InputError(msg)
    return _one_workload(found, f"-l {text} in {namespace}")


def _workload(mesh: Mesh, args: argparse.Namespace) -> Workload:
    """The workload of ``-w``/``-n``/``-l``: found in the mesh, or hypothetical."""
    namespace = _namespace(args)
    if args.workload is not None and args.labels is not None:
        return _selected_workload(mesh, args.workload.rstrip("/"), args.labels)
    if args.workload is not None:
        return _find_workload(mesh, args.workload, namespace)
    labels = _parse_labels(args.labels or "")
    return Workload(namespace=namespace, labels=labels)


# =========================================================================== rendering


def _data_output(args: argparse.Namespace, data: object) -> str:
    """JSON or YAML of ``data``, as ``-o`` asks."""
    data = _user_protocols(data)
    return _yaml_text(data) if args.output == "yaml" else _json_text(data)


def _position(diagnostic: Diagnostic) -> tuple[int, int] | None:
    """Where a diagnostic points, as (line, column).

    For a missing field: its nearest present parent, else the object's ``kind`` line, so that
    a Sidecar without ``spec:`` still has a line to point at.
    """
    resource = diagnostic.resource
    if resource is None or resource.source is None:
        return None
    path = diagnostic.path
    while path:
        found = resource.locate(path)
        if found is not None:
            return found
        path = path.rpartition("[")[0] if path.endswith("]") else path.rpartition(".")[0]
    return resource.locate("kind")


def _diagnostic_text(diagnostic: Diagnostic, style: _Style) -> str:
    """``file:line:col: severity code Kind ns/name path: message``, then the excerpt."""
    resource = diagnostic.resource
    what = "" if resource is None else f"{resource.kind} {resource_name(resource)} "
    head = (
        f"{style.severity(diagnostic.severity)} {diagnostic.code} {what}{diagnostic.path}: "
        f"{diagnostic.message}"
    )
    location = ""
    if diagnostic.source or (resource is not None and resource.source is not None):
        position = _position(diagnostic)
        parts = [diagnostic.source or "<string>", *(str(n) for n in position or ())]
        location = ":".join(parts)
    text = f"{location}: {head}" if location else head
    if diagnostic.excerpt:
        text += "".join(f"\n    {line}" for line in diagnostic.excerpt.splitlines())
    return text


def _protocol(listener: OutboundListener) -> str:
    """The listener's protocol as a user says it: ``auto-detect`` for sniffing, else its name."""
    if listener.protocol is Protocol.UNSUPPORTED:
        return "auto-detect"
    return str(listener.protocol.value)


def _protocol_reason(scope: SidecarScope, listener: OutboundListener) -> str | None:
    """Why a listener detects its protocol, when it does (L4, L6, §1.5)."""
    if listener.protocol is not Protocol.UNSUPPORTED:
        return None
    egress = next((e for e in scope.egress if e.index == listener.egress_index), None)
    port = None if egress is None else egress.listener.port
    wildcard = listener.address in _WILDCARDS
    if port is not None and port.number:
        declared = port.parsed_protocol
        if declared is Protocol.UNSUPPORTED:
            return "the egress port names no known protocol, so it is detected (1.5)"
        if declared.is_http and wildcard:
            return f"declared {port.protocol}, but a wildcard HTTP listener is sniffed (L4)"
        return "services of different protocols share this address and port (L6)"
    if wildcard:
        return "HTTP services on the wildcard address are sniffed (L4)"
    return (
        "a service port here names no known protocol, or services of different protocols "
        "share this address and port (§1.5, L6)"
    )


def _listener_dict(scope: SidecarScope, listener: OutboundListener) -> dict[str, Any]:
    data = listener.to_dict()
    data["protocol"] = _protocol(listener)
    data["protocolReason"] = _protocol_reason(scope, listener)
    return data


def _listener_text(scope: SidecarScope, listener: OutboundListener, *, wide: bool) -> str:
    reason = _protocol_reason(scope, listener)
    proto = _protocol(listener) + (f": {reason}" if reason else "")
    socket = ", binds a socket" if listener.binds_socket else ""
    route = f', route "{listener.route}"' if listener.route else ""
    owner = listener.route_egress_index
    if owner is not None and owner != listener.egress_index:
        route += f" of egress[{owner}]"
    head = (
        f"  {listener.address}:{listener.port} ({proto}; from egress[{listener.egress_index}]"
        f"{route}{socket}): "
    )
    hosts = _plural(len(listener.hosts), "host")
    text = _wrap(
        head, f"{hosts}: {_shorten(listener.hosts, wide=wide)}" if listener.hosts else "no hosts"
    )
    if listener.shadowed:
        text += "\n" + _wrap("      shadowed: ", _shorten(listener.shadowed, wide=wide), "        ")
    return text


def _listeners_text(scope: SidecarScope, *, wide: bool) -> str:
    listeners = resolver.outbound_listeners(scope)
    if not listeners:
        return "outbound listeners: none"
    lines = [f"outbound listeners ({len(listeners)}):"]
    lines.extend(_listener_text(scope, listener, wide=wide) for listener in listeners)
    return "\n".join(lines)


def _host_dict(host: HostExplanation, scope: SidecarScope) -> dict[str, Any]:
    data = host.to_dict()
    data["steps"] = list(host.steps)
    data["stepRules"] = [list(_rule_links.cited(step)) for step in data["steps"]]
    if host.service is not None:
        data["service"]["kind"] = host.service.kind
    data["listeners"] = [_listener_dict(scope, listener) for listener in host.listeners]
    return data


def _host_text(host: HostExplanation, style: _Style) -> str:
    head = style.paint(f"{host.hostname} {host.verdict}", _GREEN if host.imported else _YELLOW)
    return "\n".join([head, *(f"  - {step}" for step in host.steps)])


def _selection_dict(selection: SidecarSelection) -> dict[str, Any]:
    """The selection's ``to_dict()``, each candidate with the ids of the rules its reason cites."""
    data = selection.to_dict()
    for candidate in data["candidates"]:
        candidate["rules"] = list(_rule_links.cited(candidate["reason"]))
    return data


def _with_rules(args: argparse.Namespace, data: dict[str, Any], *texts: str) -> str:
    """JSON/YAML output with a ``rules`` field: where each rule cited in ``texts`` is explained."""
    data["rules"] = _rules_field(*texts)
    return _data_output(args, data)


def _with_footer(text: str) -> str:
    """Text output followed by the links to every rule it cites."""
    footer = _rule_footer(text)
    return text + ("\n\n" + "\n".join(footer) if footer else "") + "\n"


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


def explain(mesh: Mesh, workload_key: str, host: str | None) -> str:
    """The demo's report: selection, scope, outbound listeners and one host, as prose."""
    workload = _find_workload(mesh, workload_key)
    scope = resolver.compute_scope(mesh, workload)
    sections = [
        str(scope.selection),
        _scope_text(scope, wide=False),
        _listeners_text(scope, wide=False),
    ]
    if host:
        sections.append(_host_text(resolver.explain_host(scope, host), _Style(colour=False)))
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
    resources = reader.resources(args.paths, args)
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
        _unique([*errors, *warnings]),
        key=lambda d: (d.source or "", d.line or 0, d.column or 0, d.severity is Severity.WARNING),
    )
    return _findings_report(
        args,
        style,
        _unique(errors),
        _unique(warnings),
        ordered,
        checked=resources,
        counts={"sidecars": sidecars, "objects": len(resources), **reader.skipped_count()},
        scope=f"{_plural(sidecars, 'Sidecar')} ({_plural(len(resources), 'object')} read"
        f"{reader.skipped_note()})",
    )


def _unique(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Each finding once: the same code, object, path and message is one finding."""
    seen: set[tuple[object, ...]] = set()
    out = []
    for diagnostic in diagnostics:
        resource = diagnostic.resource
        key = (
            diagnostic.code,
            diagnostic.path,
            diagnostic.message,
            diagnostic.source,
            None if resource is None else (resource.kind, resource.namespace, resource.name),
        )
        if key not in seen:
            seen.add(key)
            out.append(diagnostic)
    return out


def _analyze(args: argparse.Namespace, reader: _Reader, style: _Style) -> tuple[str, int]:
    mesh = reader.mesh(args.paths, reader.mesh_config(args.mesh_config), args)
    if len(mesh.sidecars) + len(mesh.workloads) > PROGRESS_OBJECTS:
        reader.progress.show(
            f"analysing {_plural(len(mesh.sidecars), 'Sidecar')}, "
            f"{_plural(len(mesh.services), 'service')}, "
            f"{_plural(len(mesh.workloads), 'workload')}..."
        )
    diagnostics = _unique(analyze(mesh))
    reader.progress.clear()
    errors = [d for d in diagnostics if d.severity is Severity.ERROR]
    warnings = [d for d in diagnostics if d.severity is not Severity.ERROR]
    return _findings_report(
        args,
        style,
        errors,
        warnings,
        diagnostics,
        checked=mesh.sidecars,
        counts={"sidecars": len(mesh.sidecars), **reader.skipped_count()},
        scope=_plural(len(mesh.sidecars), "Sidecar")
        + (f" ({reader.skipped_note()[2:]})" if reader.skipped else ""),
    )


def _diagnostic_dict(diagnostic: Diagnostic) -> dict[str, Any]:
    data = diagnostic.to_dict()
    position = _position(diagnostic)
    if data["line"] is None and position is not None:
        data["line"], data["column"] = position
    page, name = _rule_links.anchor(diagnostic.code)
    data["docs"] = f"{page}.html#{name}"
    return data


def _findings_report(  # noqa: PLR0913 - one report shape for validate and analyze
    args: argparse.Namespace,
    style: _Style,
    errors: Sequence[Diagnostic],
    warnings: Sequence[Diagnostic],
    ordered: Sequence[Diagnostic],
    *,
    checked: Iterable[Resource[Any]],
    counts: dict[str, int],
    scope: str,
) -> tuple[str, int]:
    """The output and exit code of a command that reports diagnostics.

    JSON and YAML: ``ok``, the ``counts``, then the errors and warnings. SARIF: one result per
    diagnostic. JUnit: one test case per checked object. Text: one line per diagnostic in
    ``ordered``, "N errors, M warnings in <scope>", then where each code is explained.
    """
    code = _findings(errors, warnings, args)
    if args.output in {"json", "yaml"}:
        data = {
            "ok": not errors,
            **counts,
            "errors": [_diagnostic_dict(d) for d in errors],
            "warnings": [_diagnostic_dict(d) for d in warnings],
        }
        return _data_output(args, data), code
    if args.output == "sarif":
        positions = {id(d): _position(d) for d in ordered}
        return _json_text(_sarif(ordered, version=__version__, positions=positions)), code
    if args.output == "junit":
        failing = frozenset(
            {Severity.ERROR, Severity.WARNING} if args.fail_on == "warning" else {Severity.ERROR}
        )
        return _junit(args.command, checked, ordered, failing=failing), code
    lines = [_diagnostic_text(d, style) for d in ordered]
    lines.append(f"{_plural(len(errors), 'error')}, {_plural(len(warnings), 'warning')} in {scope}")
    codes = " ".join(dict.fromkeys(d.code for d in ordered))
    footer = _rule_footer(codes)
    return "\n".join(lines + footer) + "\n", code


def _explain(args: argparse.Namespace, reader: _Reader, style: _Style) -> tuple[str, int]:
    mesh = reader.mesh(args.paths, reader.mesh_config(args.mesh_config), args)
    scope = resolver.compute_scope(mesh, _workload(mesh, args))
    host = None if args.host is None else resolver.explain_host(scope, args.host)
    if args.output != "text":
        data: dict[str, Any] = {
            "selection": _selection_dict(scope.selection),
            "listeners": [
                _listener_dict(scope, listener) for listener in resolver.outbound_listeners(scope)
            ],
        }
        texts = [str(scope.selection)]
        if host is not None:
            data["host"] = _host_dict(host, scope)
            texts.extend(host.steps)
        texts.extend(str(listener["protocolReason"]) for listener in data["listeners"])
        return _with_rules(args, data, *texts), EXIT_OK
    sections = [str(scope.selection), _listeners_text(scope, wide=args.wide)]
    if host is not None:
        sections.append(_host_text(host, style))
    return _with_footer("\n\n".join(sections)), EXIT_OK


def _rules_by_service(scope: SidecarScope) -> dict[str, MergedDestinationRule]:
    return {
        service.hostname: rule
        for service in scope.services
        if (rule := scope.destination_rule(service.hostname)) is not None
    }


def _scope_text(scope: SidecarScope, *, wide: bool) -> str:
    """Per egress listener: what it imports and routes with, host lists summarised."""
    lines = [str(scope).splitlines()[0]]
    rules = _rules_by_service(scope)
    for egress in scope.egress:
        lines.append(str(egress).splitlines()[0])
        lines.append(_service_lines(egress.services, wide=wide))
        if egress.virtual_services:
            names = [f"{v.namespace}/{v.name}" for v in egress.virtual_services]
            lines.append(_wrap("    routes with ", _shorten(names, wide=wide)))
        used: dict[str, list[str]] = {}
        for service in egress.services:
            rule = rules.get(service.hostname)
            if rule is not None:
                used.setdefault(_rule_text(rule), []).append(service.hostname)
        for rule_text, hosts in used.items():
            lines.append(_wrap(f"    {rule_text} applies to ", _shorten(hosts, wide=wide)))
    hosts = [s.hostname for s in scope.services]
    lines.append(
        _wrap(f"  {_plural(len(hosts), 'service')} get clusters: ", _shorten(hosts, wide=wide))
    )
    return "\n".join(lines)


def _rule_text(rule: MergedDestinationRule) -> str:
    names = ", ".join(f"{r.namespace}/{r.name}" for r in rule.rules)
    return f"DestinationRule {names} (host {rule.host})"


def _service_lines(services: Sequence[MeshService], *, wide: bool) -> str:
    if not services:
        return "    imports nothing"
    shown = services if wide or len(services) <= _HOSTS_SHOWN else services[:_HOSTS_SHOWN]
    lines = [
        f"    imports {s.hostname} ({s.namespace}, {s.kind}, ports "
        f"{', '.join(_port_text(p) for p in s.ports) or 'none'})"
        for s in shown
    ]
    if len(shown) < len(services):
        lines.append(
            f"    ... and {len(services) - len(shown)} more services (--wide or -o json for all)"
        )
    return "\n".join(lines)


def _port_text(port: ServicePort) -> str:
    """``9080/HTTP (http)``, ``9080/auto-detect (tcp-x)`` for a port istiod sniffs."""
    protocol = "auto-detect" if port.protocol is Protocol.UNSUPPORTED else port.protocol.value
    return f"{port.number}/{protocol}" + (f" ({port.name})" if port.name else "")


def _scope(args: argparse.Namespace, reader: _Reader, style: _Style) -> tuple[str, int]:
    mesh = reader.mesh(args.paths, reader.mesh_config(args.mesh_config), args)
    scope = resolver.compute_scope(mesh, _workload(mesh, args))
    if args.output != "text":
        rules = _rules_by_service(scope)
        data = scope.to_dict()
        for egress, entry in zip(scope.egress, data["egress"], strict=True):
            for service, service_data in zip(egress.services, entry["services"], strict=True):
                service_data["kind"] = service.kind
                rule = rules.get(service.hostname)
                service_data["destinationRule"] = None if rule is None else rule.to_dict()
            used = {
                id(rule): rule
                for rule in (rules.get(service.hostname) for service in egress.services)
                if rule is not None
            }
            entry["destinationRules"] = [rule.to_dict() for rule in used.values()]
        return _with_rules(args, data, str(scope)), EXIT_OK
    head, _, rest = _scope_text(scope, wide=args.wide).partition("\n")
    return _with_footer(f"{style.paint(head, _BOLD)}\n{rest}"), EXIT_OK


def _workloads(args: argparse.Namespace, reader: _Reader, _style: _Style) -> tuple[str, int]:
    mesh = reader.mesh(args.paths, reader.mesh_config(args.mesh_config), args)
    wanted = _parse_labels(args.labels or "", flag="-l/--labels")
    chosen = sorted(
        (
            w
            for w in mesh.workloads
            if (args.namespace is None or w.namespace == args.namespace)  # kubectl's -n
            and all(w.labels.get(k) == v for k, v in wanted.items())
        ),
        key=lambda w: (w.namespace, w.name),
    )
    if len(chosen) > PROGRESS_OBJECTS:
        reader.progress.show(f"resolving {_plural(len(chosen), 'workload')}...")
    rows = [_workload_row(mesh, workload) for workload in chosen]
    reader.progress.clear()
    if args.output != "text":
        return _data_output(args, {"workloads": rows}), EXIT_OK
    if not rows:
        return "no workloads\n", EXIT_OK
    table = [list(_WORKLOAD_COLUMNS.values())]
    table.extend([str(row[key]) for key in _WORKLOAD_COLUMNS] for row in rows)
    widths = [max(len(line[i]) for line in table) for i in range(len(_WORKLOAD_COLUMNS))]
    text = "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in table
    )
    return text + "\n", EXIT_OK


#: The ``workloads`` table: JSON key and text heading of each column, in order.
_WORKLOAD_COLUMNS: Final = {
    "namespace": "NAMESPACE",
    "name": "NAME",
    "kind": "KIND",
    "sidecar": "SIDECAR",
    "origin": "ORIGIN",
    "outboundMode": "OUTBOUND",
    "importedServices": "SERVICES",
    "outboundListeners": "LISTENERS",
}


def _workload_row(mesh: Mesh, workload: Workload) -> dict[str, Any]:
    scope = resolver.compute_scope(mesh, workload)
    return {
        "namespace": workload.namespace,
        "name": workload.name,
        "kind": "Pod" if workload.source is None else workload.source.kind,
        "sidecar": resource_name(scope.sidecar) if scope.sidecar is not None else "-",
        "origin": scope.origin.value,
        "outboundMode": scope.outbound_mode,
        "importedServices": len(scope.services),
        "outboundListeners": len(resolver.outbound_listeners(scope)),
    }


def _diff(args: argparse.Namespace, reader: _Reader, style: _Style) -> tuple[str, int]:
    config = reader.mesh_config(args.mesh_config)
    old = reader.mesh([args.old], config, args)
    new = reader.mesh([args.new], config, args)
    if len(old.workloads) + len(new.workloads) > PROGRESS_OBJECTS:
        reader.progress.show(f"comparing {_plural(len(new.workloads), 'workload')}...")
    result = diff(old, new)
    reader.progress.clear()
    code = EXIT_FINDINGS if args.exit_code and result else EXIT_OK
    if args.output != "text":
        return _data_output(args, result.to_dict()), code
    kinds = result.kinds_text()
    lines = [result.summary(), *([kinds] if kinds else [])]
    for workload in result.changed:
        lines.extend(_changed_lines(str(workload), style, wide=args.wide))
    lines.extend(f"added: {name}" for name in result.added)
    lines.extend(f"removed: {name}" for name in result.removed)
    return "\n".join(lines) + "\n", code


def _changed_lines(text: str, style: _Style, *, wide: bool) -> list[str]:
    """One workload's change: its head, at most 8 gained and 8 lost pairs, counted, the rest."""
    pair_lines = ("  + ", "  - ")
    head = [line for line in text.splitlines() if not line.startswith((*pair_lines, "  ~ "))]
    out = list(head)
    for sign, colour, word in (("+", _GREEN, "gained"), ("-", _RED, "lost")):
        pairs = [line for line in text.splitlines() if line.startswith(f"  {sign} ")]
        shown = pairs if wide else pairs[:_HOSTS_SHOWN]
        out.extend(style.paint(line, colour) for line in shown)
        if len(shown) < len(pairs):
            out.append(
                f"  {sign} ... and {len(pairs) - len(shown)} more {word} "
                "(--wide or -o json for all)"
            )
    out.extend(style.paint(line, _YELLOW) for line in text.splitlines() if line.startswith("  ~ "))
    return out


def _graph(args: argparse.Namespace, reader: _Reader, _style: _Style) -> tuple[str, int]:
    mesh = reader.mesh(args.paths, reader.mesh_config(args.mesh_config), args)
    if len(mesh.workloads) > PROGRESS_OBJECTS:
        reader.progress.show(f"resolving {_plural(len(mesh.workloads), 'workload')}...")
    graph = reachability(mesh)
    reader.progress.clear()
    if args.output in {"json", "yaml"}:
        return _data_output(args, graph.to_dict()), EXIT_OK
    render: dict[str, Callable[[], str]] = {
        "text": lambda: "\n".join(_wrap("", line) for line in str(graph).splitlines()),
        "dot": graph.to_dot,
        "mermaid": graph.to_mermaid,
    }
    return render[args.output]() + "\n", EXIT_OK


def _demo(args: argparse.Namespace, _reader: _Reader, style: _Style) -> tuple[str, int]:
    resources = loads(mesh_text(), source=MESH)
    mesh = Mesh.from_resources(resources)
    scope = resolver.compute_scope(mesh, _find_workload(mesh, args.workload))
    host = resolver.explain_host(scope, args.host) if args.host else None
    if args.output != "text":
        data: dict[str, Any] = {
            "resources": [summarize(resource) for resource in resources],
            "selection": _selection_dict(scope.selection),
            "scope": scope.to_dict(),
            "listeners": [
                _listener_dict(scope, listener) for listener in resolver.outbound_listeners(scope)
            ],
        }
        texts = [str(scope.selection), str(scope)]
        if host is not None:
            data["host"] = _host_dict(host, scope)
            texts.extend(host.steps)
        return _with_rules(args, data, *texts), EXIT_OK
    summaries = "\n".join(summarize(resource) for resource in resources)
    sections = [
        summaries,
        str(scope.selection),
        _scope_text(scope, wide=args.wide),
        _listeners_text(scope, wide=args.wide),
    ]
    if host is not None:
        sections.append(_host_text(host, style))
    return _with_footer("\n\n".join(sections)), EXIT_OK


def _dump(args: argparse.Namespace, reader: _Reader, _style: _Style) -> tuple[str, int]:
    if args.command == "seed":
        resources = loads(seed_text(), source=SEED)
    else:
        resources = reader.resources(args.paths, args)
    if args.output == "yaml":
        return dumps(resources, format="yaml"), EXIT_OK
    if args.output == "json":
        items = [json.loads(dumps(resource, format="json")) for resource in resources]
        return _json_text({"apiVersion": "v1", "kind": "List", "items": items}), EXIT_OK
    text = "".join(f"{summarize(resource)}\n" for resource in resources)
    if not args.no_dump:
        text += "\n" + dumps(resources, format="yaml")
    return text, EXIT_OK


_COMMANDS: Final[dict[str, Callable[[argparse.Namespace, _Reader, _Style], tuple[str, int]]]] = {
    "validate": _validate,
    "explain": _explain,
    "scope": _scope,
    "workloads": _workloads,
    "analyze": _analyze,
    "diff": _diff,
    "graph": _graph,
    "demo": _demo,
    "seed": _dump,
    "summary": _dump,
    "recommend": _cli_recommend.run,
    "size": _cli_recommend.run,
}

#: The ``-o`` formats of each command; the first is the default.
OUTPUTS: Final[dict[str, tuple[str, ...]]] = {
    "validate": ("text", "json", "yaml", "sarif", "junit"),
    "analyze": ("text", "json", "yaml", "sarif", "junit"),
    "explain": ("text", "json", "yaml"),
    "scope": ("text", "json", "yaml"),
    "workloads": ("text", "json", "yaml"),
    "diff": ("text", "json", "yaml"),
    "graph": ("text", "json", "yaml", "dot", "mermaid"),
    "demo": ("text", "json", "yaml"),
    "seed": ("text", "json", "yaml"),
    "summary": ("text", "json", "yaml"),
    **_cli_recommend.OUTPUTS,
}


# =========================================================================== arguments


def _output_option(parser: argparse.ArgumentParser, command: str) -> None:
    choices = OUTPUTS[command]
    parser.add_argument(
        "-o",
        "--output",
        choices=choices,
        default=choices[0],
        help=f"output format: {', '.join(choices)} (default {choices[0]})",
    )
    # The name of this option before 0.2; kept so that existing scripts go on working.
    parser.add_argument("--format", dest="output", choices=choices, help=argparse.SUPPRESS)


def _wide_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--wide",
        action="store_true",
        help=f"list every host; text output otherwise shows {_HOSTS_SHOWN} and a count",
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sidecar-model",
        description="Know what Istio does with your Sidecar resources.",
        epilog="exit codes: 0 clean, 1 findings, 2 usage or input error. "
        "NO_COLOR=1 or --no-color turns colours off.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--no-color", action="store_true", help="never colour the output (as NO_COLOR=1)"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    config = argparse.ArgumentParser(add_help=False)
    _cli_runtime.add_options(config)
    config.add_argument(
        "--mesh-config",
        metavar="FILE",
        help="MeshConfig YAML, or a manifest with the istio ConfigMap (- for standard input)",
    )
    reading = argparse.ArgumentParser(add_help=False)
    reading.add_argument(
        "-n",
        "--namespace",
        metavar="NS",
        help="the namespace of objects that name none, as for kubectl apply (default: "
        "default); with -w/--workload NAME or -l/--labels, also the workload's namespace",
    )
    reading.add_argument(
        "--strict",
        action="store_true",
        help="fail (exit 2) on input that is otherwise a warning: a file of a directory that "
        "is no manifest, two different objects with one kind, namespace and name",
    )
    reading.add_argument(
        "--allow-empty",
        action="store_true",
        help="accept input without any object (otherwise an error, exit 2)",
    )
    paths = argparse.ArgumentParser(add_help=False, parents=[reading])
    paths.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="a YAML or JSON file, a directory (searched recursively), or - for standard input",
    )
    inputs = argparse.ArgumentParser(add_help=False, parents=[config, paths])
    fail_on = argparse.ArgumentParser(add_help=False)
    fail_on.add_argument(
        "--fail-on",
        choices=("error", "warning"),
        default="error",
        help="the severity that makes the exit code 1 (error)",
    )
    workload = argparse.ArgumentParser(add_help=False)
    workload.add_argument(
        "-w",
        "--workload",
        metavar="NS/NAME",
        help="a workload of the mesh: NS/NAME of a Pod, of its controller (Deployment, "
        "ReplicaSet, ...) or of a WorkloadEntry; NAME alone is in -n/--namespace; with "
        "-l/--labels, NS alone: the workload of NS those labels select",
    )
    workload.add_argument(
        "-l",
        "--labels",
        metavar="K=V,...",
        help="with -w/--workload NS: select the workload by labels; with -n/--namespace "
        "alone: a hypothetical workload with exactly these labels",
    )

    def command(
        name: str,
        parents: list[argparse.ArgumentParser],
        *,
        help: str,  # noqa: A002 - argparse's own keyword
        description: str,
    ) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, parents=parents, help=help, description=description)
        _output_option(sub, name)
        return sub

    command(
        "validate",
        [inputs, fail_on],
        help="check Sidecars as Istio's admission webhook does",
        description="Check every Sidecar as Istio's admission webhook and CRD schema do, and "
        "the exportTo lists of VirtualServices, DestinationRules and ServiceEntries.",
    )
    explain_ = command(
        "explain",
        [inputs, workload],
        help="which Sidecar a workload gets, its outbound listeners, one host",
        description="Explain which Sidecar applies to a workload (with every candidate), the "
        "outbound listeners of its proxy with their hosts, and optionally one host.",
    )
    explain_.add_argument(
        "--host",
        metavar="HOST",
        help="explain this host as well: a name, a short name, host:port or an IP; says which "
        "listener carries it or what the outbound traffic policy does with it",
    )
    _wide_option(explain_)
    scope = command(
        "scope",
        [inputs, workload],
        help="what a workload's proxy imports, per egress listener",
        description="The services, VirtualServices and DestinationRules a workload's proxy "
        "imports, per egress listener.",
    )
    _wide_option(scope)
    workloads = command(
        "workloads",
        [inputs],
        help="every workload: its Sidecar, outbound mode, services and listeners",
        description="One row per workload of the mesh, sorted by namespace and name: the "
        "Sidecar that applies and why, the outbound traffic mode, how many services its proxy "
        "imports and how many outbound listeners it gets.",
    )
    workloads.add_argument(
        "-l", "--labels", "--selector", metavar="K=V,...", help="only workloads with these labels"
    )
    command(
        "analyze",
        [inputs, fail_on],
        help="cross-resource checks (istioctl analyze's Sidecar checks and more)",
        description="Run istioctl analyze's Sidecar checks and sidecar-model's own checks.",
    )
    diff_ = command(
        "diff",
        [config, reading],
        help="what changes for every workload between two mesh snapshots",
        description="For every workload of two mesh snapshots: the Sidecar that applies, the "
        "outbound mode, the outbound host:port pairs gained and lost, every outbound and inbound "
        "listener that changes, the imported services and their ports, and the DestinationRules "
        "used; a summary counts the workloads per kind of change.",
    )
    diff_.add_argument("old", metavar="OLD", help="the old snapshot: a file, directory or -")
    diff_.add_argument("new", metavar="NEW", help="the new snapshot: a file, directory or -")
    diff_.add_argument(
        "--exit-code",
        action="store_true",
        help="exit with 1 when anything observable changes (or a workload is added or removed)",
    )
    _wide_option(diff_)
    command(
        "graph",
        [inputs],
        help="which namespaces reach which",
        description="Which namespaces can reach which, after selection, exportTo and imports.",
    )
    demo = command(
        "demo",
        [],
        help="explain the bundled example mesh for a workload",
        description="Explain the bundled example mesh for one workload.",
    )
    demo.add_argument("-w", "--workload", default=DEMO_WORKLOAD, help="NAMESPACE/NAME")
    demo.add_argument("--host", default=DEMO_HOST, help="a host to explain")
    _wide_option(demo)
    _cli_recommend.add_commands(command, [config])
    seed = command(
        "seed",
        [],
        help="summarise and re-dump the bundled seed examples",
        description="Text: one line per object, then the objects re-dumped as YAML. "
        "JSON and YAML: only the re-dumped objects.",
    )
    summary = command(
        "summary",
        [paths],
        help="summarise and re-dump manifests",
        description="Text: one line per object, then the objects re-dumped as YAML. "
        "JSON and YAML: only the re-dumped objects.",
    )
    for sub in (seed, summary):
        sub.add_argument("--no-dump", action="store_true", help="text: print only the summaries")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command with ``argv`` (default: ``sys.argv[1:]``); return its exit code.

    Results go to standard output, problems and progress to standard error.
    """
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # argparse: --help, --version (0) or a usage error (2)
        return stop.code if isinstance(stop.code, int) else EXIT_USAGE
    problem = _usage_problem(args)
    if problem is not None:
        print(f"{parser.prog} {args.command}: error: {problem}", file=sys.stderr)
        return EXIT_USAGE
    progress = _Progress()
    style = _Style(colour=not args.no_color and _colour_wanted(sys.stdout))
    _cli_runtime.start(args)
    try:
        with _cli_runtime.work(args.command):
            output, code = _COMMANDS[args.command](args, _Reader(progress), style)
    except SidecarModelError as error:
        progress.clear()
        print(error, file=sys.stderr)
        return EXIT_USAGE
    progress.clear()
    try:
        with _cli_runtime.phase("render"):
            sys.stdout.write(output)
            sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (`sidecar-model demo | head`): stop quietly, as cat does,
        # pointing stdout at devnull so that the interpreter's final flush does not fail.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    _cli_runtime.finish()
    return code


def _usage_problem(args: argparse.Namespace) -> str | None:
    """A combination of options argparse cannot reject by itself."""
    if args.command in {"explain", "scope"}:
        if args.labels is not None and args.namespace is None and args.workload is None:
            return "-l/--labels needs -n/--namespace NS, or -w/--workload NS"
        if args.labels is not None and args.workload is not None and "/" in args.workload:
            return (
                "-l/--labels needs -n/--namespace NS, or -w/--workload NS (a namespace: "
                f"{args.workload!r} already names a workload)"
            )
        if args.workload is None and args.namespace is None:
            return (
                "give -w/--workload NS/NAME, or -n/--namespace NS and -l/--labels K=V,... "
                "(NAME: a workload, Pod or controller; -w NS -l K=V,... selects one by labels)"
            )
    if args.command in {"seed", "summary"} and args.no_dump and args.output != "text":
        return f"--no-dump only applies to text output, not -o {args.output}"
    return None


if __name__ == "__main__":  # pragma: no cover - run through __main__.py or the script
    sys.exit(main())
