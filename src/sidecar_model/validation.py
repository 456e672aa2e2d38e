"""Validating a Sidecar as Istio's admission webhook does (semantics §2).

:func:`validate` runs every rule of ``istio-sidecar-semantics.md`` §2, V1 to V41, in Istio's
order and with its early returns, and sorts what it finds into errors (the API server would
reject the object) and warnings (it would accept it and print the warning). Each finding is a
:class:`Diagnostic` with a stable code (the rule number, such as ``V23``), the YAML path of the
field in wire names, a message that names the value and says what is allowed, and, for a
resource loaded from text, the file, line and column.

Some rules are enforced earlier, by loading (:func:`sidecar_model.loads` raises
:class:`~sidecar_model.ManifestError`): null list entries (V10, V19), a missing ingress port
(V11), the numeric outbound mode 3 (V38), and the CRD schema's required fields, enum names
and integer ranges (V41). :data:`RULES` says for every rule where it is enforced;
``docs/rules.md`` is generated from it.

The API server checks the CRD schema before it calls the webhook. Schema findings that
loading cannot make (V41: selector label values, TLS CEL rules, list sizes, and durations
below 1 ms where the webhook stopped early) come first in :attr:`ValidationResult.errors`.

:func:`check_export_to` applies the ``exportTo`` list rules X1 to X5 (§4.5) that
VirtualService, DestinationRule and ServiceEntry validation share.
"""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING, Any, Final

import attrs

from sidecar_model import hosts
from sidecar_model._rules import RULES, Enforcement, Rule, Severity
from sidecar_model.errors import ValidationError
from sidecar_model.model import (
    CaptureMode,
    H2UpgradePolicy,
    OutboundTrafficPolicyMode,
    Protocol,
    Sidecar,
    TLSMode,
    TLSProtocol,
)
from sidecar_model.resources import Resource

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sidecar_model.model import (
        ConnectionPoolSettings,
        Duration,
        HTTPSettings,
        IstioEgressListener,
        IstioIngressListener,
        OutboundTrafficPolicy,
        Port,
        ServerTLSSettings,
        TCPSettings,
        TLSCertificate,
    )

__all__ = [
    "RULES",
    "Diagnostic",
    "Enforcement",
    "Rule",
    "Severity",
    "ValidationResult",
    "check_export_to",
    "validate",
]


# --------------------------------------------------------------------------- results


@attrs.frozen(kw_only=True)
class Diagnostic:
    """One finding about a resource: what is wrong, how bad, and where.

    ``path`` is the YAML path in wire names (``spec.egress[1].hosts[0]``); ``excerpt``, when
    set, shows the offending text with a caret line under the bad part. :attr:`line`,
    :attr:`column` and :attr:`source` are looked up in the text ``resource`` was loaded from,
    on first use, so that findings nobody prints cost nothing to locate.
    """

    code: str
    severity: Severity
    path: str
    message: str
    resource: Resource[Any] | None = attrs.field(default=None, repr=False)
    excerpt: str | None = attrs.field(default=None, repr=False)

    @property
    def line(self) -> int | None:
        """The 1-based line of :attr:`path` in the source text, if known."""
        position = self._position()
        return None if position is None else position[0]

    @property
    def column(self) -> int | None:
        """The 1-based column of :attr:`path` in the source text, if known."""
        position = self._position()
        return None if position is None else position[1]

    @property
    def source(self) -> str | None:
        """The name of the file the resource was loaded from, if it came from a file."""
        if self.resource is None or self.resource.source is None:
            return None
        return self.resource.source.name

    @property
    def rule(self) -> Rule | None:
        """The registry entry of :attr:`code` (what it checks, with examples), if it has one."""
        return RULES.get(self.code)

    @property
    def location(self) -> str:
        """``file:line:column`` as far as known; empty for an object not loaded from text."""
        if self.resource is None or self.resource.source is None:
            return ""
        parts = [self.source or "<string>"]
        position = self._position()
        if position is not None:
            parts.extend(str(number) for number in position)
        return ":".join(parts)

    def _position(self) -> tuple[int, int] | None:
        if self.resource is None or not self.path:
            return None
        return self.resource.locate(self.path)

    def __str__(self) -> str:
        """``file:line:col: severity code path: message``, then the excerpt, indented."""
        head = f"{self.severity.value} {self.code} {self.path}: {self.message}"
        location = self.location
        text = f"{location}: {head}" if location else head
        if self.excerpt:
            text += "".join(f"\n    {line}" for line in self.excerpt.splitlines())
        return text

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary of every field, location included."""
        resource = self.resource
        return {
            "code": self.code,
            "severity": self.severity.value,
            "path": self.path,
            "message": self.message,
            "source": self.source,
            "line": self.line,
            "column": self.column,
            "excerpt": self.excerpt,
            "resource": None if resource is None else _resource_ref(resource),
        }

    def _repr_html_(self) -> str:
        return _html_table((self,))


@attrs.frozen(kw_only=True)
class ValidationResult:
    """What :func:`validate` found: errors reject the object, warnings do not."""

    errors: tuple[Diagnostic, ...] = ()
    warnings: tuple[Diagnostic, ...] = ()

    @property
    def ok(self) -> bool:
        """True when there are no errors (warnings may remain)."""
        return not self.errors

    @property
    def diagnostics(self) -> tuple[Diagnostic, ...]:
        """Errors, then warnings."""
        return self.errors + self.warnings

    def raise_for_errors(self) -> ValidationResult:
        """Raise :class:`~sidecar_model.errors.ValidationError` on errors; else return self."""
        if self.errors:
            raise ValidationError(self)
        return self

    def __str__(self) -> str:
        """A count, then one finding per line."""
        if not self.errors and not self.warnings:
            return "valid: no errors or warnings"
        lines = [_count_summary(len(self.errors), len(self.warnings))]
        lines.extend(str(diagnostic) for diagnostic in self.diagnostics)
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary: ``ok``, ``errors`` and ``warnings``."""
        return {
            "ok": self.ok,
            "errors": [diagnostic.to_dict() for diagnostic in self.errors],
            "warnings": [diagnostic.to_dict() for diagnostic in self.warnings],
        }

    def _repr_html_(self) -> str:
        if not self.errors and not self.warnings:
            return "<p>valid: no errors or warnings</p>"
        summary = html.escape(_count_summary(len(self.errors), len(self.warnings)))
        return f"<p>{summary}</p>{_html_table(self.diagnostics)}"


def _count_summary(errors: int, warnings: int) -> str:
    def plural(count: int, noun: str) -> str:
        return f"{count} {noun}" if count == 1 else f"{count} {noun}s"

    return f"{plural(errors, 'error')}, {plural(warnings, 'warning')}"


def _resource_ref(resource: Resource[Any]) -> dict[str, str | None]:
    return {
        "apiVersion": resource.api_version,
        "kind": resource.kind,
        "namespace": resource.namespace,
        "name": resource.name,
    }


def _html_table(diagnostics: Sequence[Diagnostic]) -> str:
    rows = []
    for diagnostic in diagnostics:
        message = html.escape(diagnostic.message)
        if diagnostic.excerpt:
            message += f"<pre>{html.escape(diagnostic.excerpt)}</pre>"
        cells = (
            html.escape(diagnostic.location),
            html.escape(diagnostic.severity.value),
            html.escape(diagnostic.code),
            f"<code>{html.escape(diagnostic.path)}</code>",
            message,
        )
        rows.append("<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>")
    header = "".join(
        f"<th>{name}</th>" for name in ("where", "severity", "code", "path", "message")
    )
    return f"<table><tr>{header}</tr>{''.join(rows)}</table>"


# --------------------------------------------------------------------------- collecting


class _Report:
    """Findings of one run, in the order they were found."""

    __slots__ = ("errors", "resource", "warnings")

    def __init__(self, resource: Resource[Any] | None) -> None:
        self.resource = resource
        self.errors: list[Diagnostic] = []
        self.warnings: list[Diagnostic] = []

    def error(self, code: str, path: str, message: str, excerpt: str | None = None) -> None:
        self.errors.append(self._diagnostic(Severity.ERROR, code, path, message, excerpt))

    def warning(self, code: str, path: str, message: str) -> None:
        self.warnings.append(self._diagnostic(Severity.WARNING, code, path, message, None))

    def _diagnostic(
        self, severity: Severity, code: str, path: str, message: str, excerpt: str | None
    ) -> Diagnostic:
        return Diagnostic(
            code=code,
            severity=severity,
            path=path,
            message=message,
            resource=self.resource,
            excerpt=excerpt,
        )


class _Stop(Exception):  # noqa: N818 - control flow, not an error
    """Raised when Istio returns early (V1-V4, V7, V9): later rules are not evaluated."""


# --------------------------------------------------------------------------- entry point


def validate(obj: Resource[Sidecar] | Sidecar, *, namespace: str | None = None) -> ValidationResult:
    """Check ``obj`` as Istio's admission webhook and the CRD schema would.

    ``obj`` is a loaded ``Resource`` whose spec is a :class:`~sidecar_model.Sidecar`, or a
    bare ``Sidecar``. ``namespace`` stands in for ``metadata.namespace`` when the object has
    none; it is what ``.`` means in egress hosts (V24). Raises :class:`TypeError` for any
    other kind of object.
    """
    if isinstance(obj, Resource):
        resource: Resource[Any] | None = obj
        spec = obj.spec
        own_namespace = obj.namespace or namespace or ""
    else:
        resource = None
        spec = obj
        own_namespace = namespace or ""
    if not isinstance(spec, Sidecar):
        msg = f"validate() checks Sidecars, not {type(spec).__name__} ({type(obj).__name__})"
        raise TypeError(msg)
    schema = _Report(resource)
    _check_schema(spec, schema)
    webhook = _Report(resource)
    try:
        if resource is not None:
            _check_metadata(resource, own_namespace, webhook)
        _check_sidecar(spec, own_namespace, webhook)
    except _Stop:
        # The webhook never looked at the pools, so the schema's duration rule speaks (V41).
        _check_schema_durations(spec, schema)
    return ValidationResult(
        errors=(*schema.errors, *webhook.errors), warnings=tuple(webhook.warnings)
    )


# --------------------------------------------------------------------------- V41 schema

_MAX_SELECTOR_LABELS: Final = 256
_MAX_LABEL_VALUE: Final = 63
_MAX_TLS_ITEMS: Final = 2
_MILLISECOND: Final = 1_000_000


def _check_schema(spec: Sidecar, report: _Report) -> None:
    """The CRD schema rules that loading does not enforce (V41)."""
    selector = spec.workload_selector
    if selector is not None:
        labels = selector.labels
        if len(labels) > _MAX_SELECTOR_LABELS:
            report.error(
                "V41",
                "spec.workloadSelector.labels",
                f"the workload selector has {len(labels)} labels; the CRD allows at most 256",
            )
        for key, value in labels.items():
            # A '*' in a value also breaks a CRD rule, but V6 reports it (and always runs).
            if len(value) > _MAX_LABEL_VALUE:
                report.error(
                    "V41",
                    "spec.workloadSelector.labels",
                    f"the value of selector label {key!r} is {len(value)} characters long; "
                    "label values are at most 63 characters",
                )
    for index, listener in enumerate(spec.ingress):
        if listener.tls is not None:
            _check_tls_schema(listener.tls, f"spec.ingress[{index}].tls", report)


def _check_tls_schema(tls: ServerTLSSettings, path: str, report: _Report) -> None:
    # The CRD's CEL rules test presence: an empty list counts as absent here, as it does in
    # the model (proto3), so `credentialNames: []` is not caught.
    names = bool(tls.credential_names)
    certificates = bool(tls.tls_certificates)
    if names and certificates:
        report.error("V41", path, "set only one of credentialNames and tlsCertificates, not both")
    if names and tls.credential_name is not None:
        report.error("V41", path, "set only one of credentialName and credentialNames, not both")
    for field, items in (
        ("credentialNames", tls.credential_names),
        ("tlsCertificates", tls.tls_certificates),
    ):
        if len(items) > _MAX_TLS_ITEMS:
            report.error(
                "V41",
                f"{path}.{field}",
                f"{field} has {len(items)} items; the CRD allows one or two",
            )


def _check_schema_durations(spec: Sidecar, report: _Report) -> None:
    """The CRD's "at least 1ms" rule on pool durations (V41; tcp idleTimeout is exempt)."""
    pools = [("spec.inboundConnectionPool", spec.inbound_connection_pool)]
    pools.extend(
        (f"spec.ingress[{index}].connectionPool", listener.connection_pool)
        for index, listener in enumerate(spec.ingress)
    )
    for path, pool in pools:
        if pool is None:
            continue
        for field, duration in _pool_durations(pool):
            if duration.nanoseconds < _MILLISECOND:
                report.error(
                    "V41",
                    f"{path}.{field}",
                    f"{field} {str(duration)!r} must be a valid duration of at least 1ms",
                )


def _pool_durations(pool: ConnectionPoolSettings) -> list[tuple[str, Duration]]:
    """The durations of ``pool`` that the CRD's CEL rules check, with their relative paths."""
    found: list[tuple[str, Duration | None]] = []
    http = pool.http
    if http is not None:
        found.append(("http.idleTimeout", http.idle_timeout))
        keepalive = http.http2_keep_alive
        if keepalive is not None:
            found.append(("http.http2KeepAlive.interval", keepalive.interval))
            found.append(("http.http2KeepAlive.timeout", keepalive.timeout))
    tcp = pool.tcp
    if tcp is not None:
        found.append(("tcp.connectTimeout", tcp.connect_timeout))
        found.append(("tcp.maxConnectionDuration", tcp.max_connection_duration))
        keepalive_tcp = tcp.tcp_keepalive
        if keepalive_tcp is not None:
            found.append(("tcp.tcpKeepalive.time", keepalive_tcp.time))
            found.append(("tcp.tcpKeepalive.interval", keepalive_tcp.interval))
    return [(field, duration) for field, duration in found if duration is not None]


# --------------------------------------------------------------------------- V1-V4

_METADATA_ANNOTATIONS: Final = (
    ("V2", "internal.istio.io/webhook-always-reject", "makes Istio reject every object"),
    ("V3", "internal.istio.io/parent-namespace", "is reserved for Istio and may not be set"),
    ("V4", "internal.istio.io/parents", "is reserved for Istio and may not be set"),
)


def _check_metadata(resource: Resource[Any], namespace: str, report: _Report) -> None:
    """V1-V4: annotations that reject the object outright; the first one found is reported."""
    annotations = resource.metadata.annotations
    if not annotations:
        return
    if "istio.io/dry-run" in annotations:  # V1
        report.error(
            "V1",
            "metadata.annotations",
            f"{namespace}/{resource.name or ''} has the istio.io/dry-run annotation, which only "
            "AuthorizationPolicy supports; remove the annotation",
        )
        raise _Stop
    for code, name, reason in _METADATA_ANNOTATIONS:  # V2-V4
        if name in annotations:
            report.error(code, "metadata.annotations", f"the annotation {name} {reason}; remove it")
            raise _Stop


# --------------------------------------------------------------------------- the spec


def _check_sidecar(spec: Sidecar, namespace: str, report: _Report) -> None:
    _check_selector(spec, report)
    if (
        not spec.egress
        and not spec.ingress
        and spec.outbound_traffic_policy is None
        and spec.inbound_connection_pool is None
    ):  # V9: only this error is reported, the V8 warning included
        report.warnings.clear()
        report.error(
            "V9",
            "spec",
            "the Sidecar configures nothing: set at least one of ingress, egress, "
            "outboundTrafficPolicy or inboundConnectionPool",
        )
        raise _Stop
    ports: set[int] = set()
    for index, listener in enumerate(spec.ingress):
        _check_ingress(listener, f"spec.ingress[{index}]", ports, report)
    if spec.inbound_connection_pool is not None:  # V18
        _check_pool(spec.inbound_connection_pool, "spec.inboundConnectionPool", report)
    _check_egress_listeners(spec.egress, namespace, report)
    if spec.outbound_traffic_policy is not None:
        _check_outbound_policy(spec.outbound_traffic_policy, report)


def _check_selector(spec: Sidecar, report: _Report) -> None:
    selector = spec.workload_selector
    if selector is None:
        return
    found = False
    # Istio walks a Go map, in random order; sorting keeps our output stable.
    for key, value in sorted(selector.labels.items()):
        if key == "":  # V5
            report.error(
                "V5",
                "spec.workloadSelector.labels",
                f"a selector label has an empty key (and the value {value!r}); give every "
                "label a name",
            )
            found = True
        if "*" in key or "*" in value:  # V6
            report.error(
                "V6",
                "spec.workloadSelector.labels",
                f"selector label {key}={value} contains '*'; selectors match exact label "
                "values, so list the labels to match without wildcards",
            )
            found = True
    if found:  # V7: no other finding, not even a warning
        raise _Stop
    if not selector.labels:  # V8
        report.warning(
            "V8",
            "spec.workloadSelector",
            "workload selector specified without labels: the Sidecar applies to every "
            "workload in the namespace; add labels, or remove workloadSelector",
        )


# --------------------------------------------------------------------------- ports and binds

_PROTOCOL_NAMES: Final = (
    "TCP, UDP, HTTP, HTTP2, HTTPS, GRPC, GRPC-Web, HTTP_PROXY, TLS, Mongo, Redis or MySQL"
)
_MAX_PORT: Final = 65535


def _check_port_name(port: Port, path: str, code: str, report: _Report) -> None:
    name = port.name
    if name and not hosts.is_dns1123_label(name):
        report.error(
            code,
            f"{path}.name",
            f"invalid port name {name!r}: a port name is a DNS-1123 label (letters, digits "
            "and '-', starting and ending with a letter or digit, at most 63 characters)",
        )


def _check_protocol(port: Port, path: str, code: str, report: _Report) -> None:
    text = port.protocol
    if text and Protocol.parse(text) is Protocol.UNSUPPORTED:
        report.error(
            code,
            f"{path}.protocol",
            f"unsupported protocol {text!r}: use {_PROTOCOL_NAMES} (in any case), or leave "
            "it empty to have the protocol detected",
        )


def _check_port_number(port: Port, path: str, code: str, report: _Report, hint: str) -> None:
    number = port.number or 0
    if not 1 <= number <= _MAX_PORT:
        where = f"{path}.number" if port.number is not None else path
        report.error(code, where, f"port number {number} must be in the range 1..65535{hint}")


def _check_ip_bind(bind: str | None, path: str, code: str, report: _Report, hint: str) -> None:
    if bind and not hosts.is_ip_address(bind):
        report.error(
            code,
            f"{path}.bind",
            f"bind {bind!r} is not a valid IP address: write an IPv4 or IPv6 address such as "
            f"0.0.0.0, 127.0.0.1 or ::1{hint}",
        )


def _check_target_port(port: Port, path: str, code: str, report: _Report) -> None:
    if port.target_port:
        report.error(
            code,
            f"{path}.targetPort",
            f"targetPort {port.target_port} has no effect on Sidecars; remove it",
        )


# --------------------------------------------------------------------------- V12-V17 ingress


def _check_ingress(
    listener: IstioIngressListener, path: str, ports: set[int], report: _Report
) -> None:
    port = listener.port
    port_path = f"{path}.port"
    _check_target_port(port, port_path, "V12", report)
    _check_port_name(port, port_path, "V13", report)
    _check_protocol(port, port_path, "V13", report)
    _check_port_number(port, port_path, "V13", report, "; ingress listeners need a real port")
    _check_ip_bind(listener.bind, path, "V13", report, "; Unix sockets are not allowed here")
    number = port.number or 0
    if number in ports:  # V14
        report.error(
            "V14",
            f"{port_path}.number" if port.number is not None else port_path,
            f"port {number} is already used by an earlier ingress listener; ports of "
            "ingress listeners must be unique",
        )
    ports.add(number)
    if listener.default_endpoint:
        _check_default_endpoint(listener.default_endpoint, f"{path}.defaultEndpoint", report)
    if listener.tls is not None:
        _check_ingress_tls(listener.tls, port, f"{path}.tls", report)
    pool = listener.connection_pool
    if pool is not None:
        _check_pool(pool, f"{path}.connectionPool", report)
        if pool.http is not None and not port.parsed_protocol.is_http:  # V17
            report.warning(
                "V17",
                f"{path}.connectionPool.http",
                f"HTTP connection pool settings are configured for port {number} "
                f"({port.name or ''!r}) but its protocol is not HTTP ({port.protocol or ''!r}); "
                "only the tcp settings will apply",
            )


_ENDPOINT_HOSTS: Final = frozenset({"", "127.0.0.1", "0.0.0.0", "::1", "::"})  # noqa: S104
_GO_INT: Final = re.compile(r"[+-]?[0-9]+")
_UNIX_PREFIX: Final = "unix://"


def _split_host_port(text: str) -> tuple[str, str] | str:  # noqa: PLR0911 - as Go's, case by case
    """Go's ``net.SplitHostPort``: ``(host, port)``, or why the text does not split."""
    colon = text.rfind(":")
    if colon < 0:
        return "it has no port"
    if text[:1] == "[":
        end = text.find("]")
        if end < 0:
            return "it has a '[' without ']'"
        if end + 1 == len(text):
            return "it has no port"
        if end + 1 != colon:
            return "it has too many colons" if text[end + 1] == ":" else "it has no port"
        host, start = text[1:end], end + 1
        if "[" in text[1:] or "]" in text[start:]:
            return "it has a misplaced '[' or ']'"
    else:
        host = text[:colon]
        if ":" in host:
            return "it has too many colons (write an IPv6 address in brackets, as [::1]:8080)"
        if "[" in text or "]" in text:
            return "it has a misplaced '[' or ']'"
    return host, text[colon + 1 :]


def _check_default_endpoint(endpoint: str, path: str, report: _Report) -> None:
    """V15: loopback or unspecified address with a port, or a unix:// socket path."""
    if endpoint.startswith(_UNIX_PREFIX):
        for message in hosts.check_unix_address(endpoint[len(_UNIX_PREFIX) :]):
            report.error("V15", path, f"defaultEndpoint {endpoint!r}: {message}")
        return
    split = _split_host_port(endpoint)
    if isinstance(split, str):
        # Istio then also complains that the (empty) port is not a number; once is enough.
        report.error(
            "V15",
            path,
            f"defaultEndpoint {endpoint!r} is not host:port: {split}; write 127.0.0.1:PORT, "
            "0.0.0.0:PORT, [::1]:PORT, [::]:PORT or unix:///path",
        )
        return
    host, port_text = split
    if host not in _ENDPOINT_HOSTS:
        report.error(
            "V15",
            path,
            f"defaultEndpoint {endpoint!r} names host {host!r}: the host must be 127.0.0.1, "
            "0.0.0.0, [::1] or [::] (or be left out, as in :8080); or use unix:///path",
        )
    if _GO_INT.fullmatch(port_text) is None or abs(int(port_text)) >= 2**63:
        report.error(
            "V15", path, f"defaultEndpoint port {port_text!r} is not a number: write 1..65535"
        )
    elif not 1 <= int(port_text) <= _MAX_PORT:
        report.error(
            "V15", path, f"defaultEndpoint port {int(port_text)} must be in the range 1..65535"
        )


# --------------------------------------------------------------------------- V16, V25-V33 TLS

_UNSUPPORTED_TLS_FIELDS: Final = (
    ("subjectAltNames", "subject_alt_names"),
    ("httpsRedirect", "https_redirect"),
    ("credentialName", "credential_name"),
    ("credentialNames", "credential_names"),
    ("tlsCertificates", "tls_certificates"),
)
_MUTUAL_MODES: Final = frozenset({TLSMode.MUTUAL, TLSMode.OPTIONAL_MUTUAL})
_TERMINATING_MODES: Final = frozenset({TLSMode.SIMPLE, TLSMode.MUTUAL, TLSMode.OPTIONAL_MUTUAL})
_PASSTHROUGH_MODES: Final = frozenset({TLSMode.PASSTHROUGH, TLSMode.AUTO_PASSTHROUGH})
_OLD_TLS: Final = frozenset({TLSProtocol.TLSV1_0, TLSProtocol.TLSV1_1})
_VALID_CIPHERS: Final = frozenset(
    {
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305",
        "ECDHE-RSA-CHACHA20-POLY1305",
        "ECDHE-ECDSA-AES128-SHA",
        "ECDHE-RSA-AES128-SHA",
        "ECDHE-ECDSA-AES256-SHA",
        "ECDHE-RSA-AES256-SHA",
        "AES128-GCM-SHA256",
        "AES256-GCM-SHA384",
        "AES128-SHA",
        "AES256-SHA",
        "DES-CBC3-SHA",
    }
)


def _check_ingress_tls(tls: ServerTLSSettings, port: Port, path: str, report: _Report) -> None:
    """V16, then the TLS options (V25-V33)."""
    for wire, attribute in _UNSUPPORTED_TLS_FIELDS:
        if getattr(tls, attribute):
            report.error(
                "V16",
                f"{path}.{wire}",
                f"{wire} is not supported on Sidecar ingress TLS; remove it",
            )
    mode = tls.mode or TLSMode.PASSTHROUGH
    if mode in {TLSMode.ISTIO_MUTUAL, TLSMode.AUTO_PASSTHROUGH}:
        report.error(
            "V16",
            f"{path}.mode",
            f"mode {mode.value} cannot be used for Sidecar ingress TLS; use SIMPLE or MUTUAL",
        )
    if not port.parsed_protocol.is_tls:
        report.error(
            "V16",
            path,
            f"TLS settings need an HTTPS or TLS port, and port {port.number or 0} has "
            f"protocol {port.protocol or ''!r}; set port.protocol to HTTPS or TLS, or remove tls",
        )
    _check_tls_options(tls, mode, path, report)


def _is_valid_cipher(suite: str) -> bool:
    # V26: like IsValidCipherSuite, which lets operator syntax (-X, +X, !X) through unread. Go
    # looks at the first byte as a Latin-1 character, so we do too.
    if suite in {"", "ALL"}:
        return True
    first = chr(suite.encode("utf-8", "surrogatepass")[0])
    if not (first.isalpha() or first.isnumeric()):
        return True
    return suite in _VALID_CIPHERS


def _check_tls_options(tls: ServerTLSSettings, mode: TLSMode, path: str, report: _Report) -> None:
    """validateTLSOptions: V25-V27 warnings, then V28 or V29-V33."""
    _check_ciphers(tls, path, report)
    if mode is TLSMode.ISTIO_MUTUAL:
        _check_istio_mutual(tls, path, report)
        return  # V28: nothing else is checked
    if mode in _PASSTHROUGH_MODES and (
        tls.ca_crl
        or tls.server_certificate
        or tls.private_key
        or tls.ca_certificates
        or tls.tls_certificates
        or tls.credential_name
        or tls.credential_names
    ):  # V29
        report.warning(
            "V29", path, f"{mode.value} mode does not use certificates: they will be ignored"
        )
    sources = (
        bool(tls.server_certificate and tls.private_key),
        bool(tls.credential_name),
        bool(tls.credential_names),
        bool(tls.tls_certificates),
    )
    if sum(sources) > 1:  # V30
        report.error(
            "V30",
            path,
            "give only one certificate source: credentialName, credentialNames, "
            "serverCertificate with privateKey, or tlsCertificates",
        )
    if mode in _TERMINATING_MODES:
        if tls.credential_name or tls.credential_names:
            return  # V31: the credential is fetched remotely; nothing more to check
        _check_server_certificates(tls, mode, path, report)
    if tls.ca_crl:  # V33
        if tls.credential_name:
            report.error(
                "V33",
                f"{path}.caCrl",
                "caCrl cannot be used with credentialName: put the CRL in the credential",
            )
        if mode is TLSMode.SIMPLE:
            report.error(
                "V33", f"{path}.caCrl", "caCrl is not supported with SIMPLE TLS; remove it"
            )


def _check_ciphers(tls: ServerTLSSettings, path: str, report: _Report) -> None:
    """V25-V27: TLS versions and cipher suites (warnings only)."""
    if tls.min_protocol_version in _OLD_TLS and not tls.cipher_suites:  # V25
        report.warning(
            "V25",
            f"{path}.minProtocolVersion",
            f"minProtocolVersion {tls.min_protocol_version.value} needs cipherSuites that "
            "work with it: the default ciphers no longer include any",
        )
    invalid: set[str] = set()
    valid: set[str] = set()
    duplicates: set[str] = set()
    for suite in tls.cipher_suites:
        if not _is_valid_cipher(suite):
            invalid.add(suite)
        elif suite in valid:
            duplicates.add(suite)
        else:
            valid.add(suite)
    if invalid:  # V26
        report.warning(
            "V26",
            f"{path}.cipherSuites",
            f"ignoring invalid cipher suites {sorted(invalid)}: Envoy supports, for example, "
            "ECDHE-RSA-AES128-GCM-SHA256 and ECDHE-ECDSA-AES256-GCM-SHA384",
        )
    if duplicates:  # V27
        report.warning(
            "V27", f"{path}.cipherSuites", f"ignoring duplicate cipher suites {sorted(duplicates)}"
        )


def _check_istio_mutual(tls: ServerTLSSettings, path: str, report: _Report) -> None:
    """V28: ISTIO_MUTUAL brings its own certificates."""
    for wire, value in (
        ("serverCertificate", tls.server_certificate),
        ("privateKey", tls.private_key),
        ("caCertificates", tls.ca_certificates),
        ("tlsCertificates", tls.tls_certificates),
        ("credentialName", tls.credential_name),
        ("credentialNames", tls.credential_names),
    ):
        if value:
            report.error(
                "V28",
                f"{path}.{wire}",
                f"ISTIO_MUTUAL TLS uses Istio's own certificates: remove {wire}",
            )


def _check_server_certificates(
    tls: ServerTLSSettings, mode: TLSMode, path: str, report: _Report
) -> None:
    """V32: what SIMPLE and MUTUAL TLS need."""
    prefix = "MUTUAL TLS" if mode in _MUTUAL_MODES else "SIMPLE TLS"
    if mode in _MUTUAL_MODES and not tls.ca_certificates:
        report.error("V32", path, f"{prefix} requires a client CA bundle: set caCertificates")
    if len(tls.tls_certificates) > _MAX_TLS_ITEMS:
        report.warning(
            "V32", f"{path}.tlsCertificates", f"{prefix} can use at most 2 server certificates"
        )
    certificates: Sequence[TLSCertificate | ServerTLSSettings] = tls.tls_certificates or (tls,)
    for index, certificate in enumerate(certificates):
        where = f"{path}.tlsCertificates[{index}]" if tls.tls_certificates else path
        if not certificate.server_certificate:
            report.error(
                "V32", where, f"{prefix} requires a server certificate: set serverCertificate"
            )
        if not certificate.private_key:
            report.error("V32", where, f"{prefix} requires a private key: set privateKey")


# --------------------------------------------------------------------------- V34-V37 pools


def _check_duration(duration: Duration, path: str, field: str, report: _Report) -> None:
    """V37: at least 1ms, in whole milliseconds."""
    nanoseconds = duration.nanoseconds
    if nanoseconds < _MILLISECOND:
        report.error(
            "V37", path, f"{field} {str(duration)!r} is too short: durations must be at least 1ms"
        )
    elif nanoseconds % _MILLISECOND:
        report.error(
            "V37",
            path,
            f"{field} {str(duration)!r} is more precise than a millisecond: write a whole "
            f"number of milliseconds, such as '{max(1, round(nanoseconds / _MILLISECOND))}ms'",
        )


def _check_pool(pool: ConnectionPoolSettings, path: str, report: _Report) -> None:
    """validateConnectionPool: V34, then V35 and V36 (with V37 on their durations)."""
    if pool.http is None and pool.tcp is None:  # V34
        report.error(
            "V34", path, "a connection pool needs tcp or http settings; remove it if empty"
        )
        return
    if pool.http is not None:
        _check_http_pool(pool.http, f"{path}.http", report)
    if pool.tcp is not None:
        _check_tcp_pool(pool.tcp, f"{path}.tcp", report)


def _check_http_pool(http: HTTPSettings, path: str, report: _Report) -> None:
    """V35 (and V37 on its durations)."""
    for wire, limit in (
        ("http1MaxPendingRequests", http.http1_max_pending_requests),
        ("http2MaxRequests", http.http2_max_requests),
        ("maxRequestsPerConnection", http.max_requests_per_connection),
        ("maxRetries", http.max_retries),
    ):
        _check_non_negative(limit, path, wire, "V35", report)
    if http.idle_timeout is not None:
        _check_duration(http.idle_timeout, f"{path}.idleTimeout", "idleTimeout", report)
    if http.h2_upgrade_policy is H2UpgradePolicy.UPGRADE and http.use_client_protocol:
        report.error(
            "V35",
            f"{path}.useClientProtocol",
            "useClientProtocol must not be true when h2UpgradePolicy is UPGRADE; "
            "keep only one of them",
        )
    _check_non_negative(http.max_concurrent_streams, path, "maxConcurrentStreams", "V35", report)
    keepalive = http.http2_keep_alive
    if keepalive is None:
        return
    for wire, article, duration in (
        ("interval", "an", keepalive.interval),
        ("timeout", "a", keepalive.timeout),
    ):
        if duration is None:
            report.error("V35", f"{path}.http2KeepAlive", f"http2KeepAlive needs {article} {wire}")
        else:
            _check_duration(duration, f"{path}.http2KeepAlive.{wire}", wire, report)


def _check_tcp_pool(tcp: TCPSettings, path: str, report: _Report) -> None:
    """V36 (and V37 on its durations)."""
    _check_non_negative(tcp.max_connections, path, "maxConnections", "V36", report)
    durations = [
        ("connectTimeout", tcp.connect_timeout),
        ("maxConnectionDuration", tcp.max_connection_duration),
    ]
    idle = tcp.idle_timeout
    # An idleTimeout that truncates to 0ms (0s, or anything within 1ms of it) means "disabled".
    if idle is not None and abs(idle.nanoseconds) >= _MILLISECOND:
        durations.append(("idleTimeout", idle))
    if tcp.tcp_keepalive is not None:
        durations.append(("tcpKeepalive.time", tcp.tcp_keepalive.time))
        durations.append(("tcpKeepalive.interval", tcp.tcp_keepalive.interval))
    for wire, duration in durations:
        if duration is not None:
            _check_duration(duration, f"{path}.{wire}", wire.rpartition(".")[2], report)


def _check_non_negative(
    value: int | None, path: str, field: str, code: str, report: _Report
) -> None:
    if value is not None and value < 0:
        report.error(code, f"{path}.{field}", f"{field} {value} must not be negative")


# --------------------------------------------------------------------------- V20-V24 egress

_UDS_CAPTURE_MODES: Final = frozenset({CaptureMode.DEFAULT, CaptureMode.NONE})


def _check_egress_listeners(
    listeners: tuple[IstioEgressListener, ...], namespace: str, report: _Report
) -> None:
    seen = _EgressSeen()
    last = len(listeners) - 1
    for index, listener in enumerate(listeners):
        path = f"spec.egress[{index}]"
        if listener.port is None:
            # V20: Istio records the catch-all only at the last index, so its "at most one"
            # branch can never run: each earlier catch-all gets this error instead.
            if index != last:
                report.error(
                    "V20",
                    path,
                    "an egress listener without a port catches all remaining ports, so it "
                    "must be the last listener; move it to the end",
                )
        else:
            _check_egress_port(listener, listener.port, path, seen, report)
        _check_hosts(listener.hosts, f"{path}.hosts", namespace, report)


class _EgressSeen:
    """The port numbers and socket binds of the egress listeners checked so far (V21)."""

    __slots__ = ("ports", "sockets")

    def __init__(self) -> None:
        self.ports: set[int] = set()
        self.sockets: set[str] = set()


def _check_egress_port(
    listener: IstioEgressListener, port: Port, path: str, seen: _EgressSeen, report: _Report
) -> None:
    """V21: the port, bind and capture mode of an egress listener with a port."""
    port_path = f"{path}.port"
    bind = listener.bind or ""
    _check_target_port(port, port_path, "V21", report)
    _check_port_name(port, port_path, "V21", report)
    _check_protocol(port, port_path, "V21", report)
    if not port.number:  # a Unix domain socket listener
        if not bind.startswith(_UNIX_PREFIX):
            report.error(
                "V21",
                f"{path}.bind" if listener.bind else path,
                f"port number 0 makes a Unix domain socket listener, which needs a bind such "
                f"as unix:///var/run/app.sock, not {bind!r}; or give the port a number",
            )
        else:
            for message in hosts.check_unix_address(bind[len(_UNIX_PREFIX) :]):
                report.error("V21", f"{path}.bind", f"bind {bind!r}: {message}")
        mode = listener.capture_mode or CaptureMode.DEFAULT
        if mode not in _UDS_CAPTURE_MODES:
            report.error(
                "V21",
                f"{path}.captureMode",
                f"captureMode {mode.value} is not allowed on a Unix domain socket listener; "
                "use DEFAULT or NONE",
            )
        if bind in seen.sockets:
            report.error(
                "V21",
                f"{path}.bind" if listener.bind else path,
                f"Unix domain socket {bind!r} is already used by an earlier egress listener; "
                "each socket listener needs its own bind",
            )
        seen.sockets.add(bind)
        return
    _check_port_number(port, port_path, "V21", report, "")
    _check_ip_bind(listener.bind, path, "V21", report, "; a unix:// bind needs port number 0")
    if port.number in seen.ports:
        report.error(
            "V21",
            f"{port_path}.number",
            f"port {port.number} is already used by an earlier egress listener; ports of "
            "egress listeners must be unique, whatever their bind",
        )
    seen.ports.add(port.number)


def _check_hosts(hosts_: tuple[str, ...], path: str, namespace: str, report: _Report) -> None:
    """V22-V24 on one listener's hosts."""
    if not hosts_:  # V22
        report.error(
            "V22",
            path,
            "an egress listener needs at least one host, such as './*' or 'istio-system/*'",
        )
        return
    seen: dict[str, set[str]] = {}
    for index, text in enumerate(hosts_):
        host_path = f"{path}[{index}]"
        namespace_part, slash, dns_name = text.partition("/")
        if slash and not namespace_part.startswith("~"):  # V24
            key = namespace if namespace_part == "." else namespace_part
            names = seen.setdefault(key, set())
            if (dns_name != "*" and (dns_name in names or "*" in names)) or (
                dns_name == "*" and names
            ):
                report.warning(
                    "V24",
                    host_path,
                    f"duplicated egress host: {text!r} is already selected by an earlier "
                    "host of this listener; remove it",
                )
            names.add(dns_name)
        for problem in hosts.check_egress_host(text):  # V23
            report.error("V23", host_path, problem.message, problem.caret(text))
    if "*" in seen.get("*", ()) and len(seen) != 1:  # V24
        report.warning(
            "V24",
            path,
            "'*/*' already selects every host, so the other hosts of this listener add nothing",
        )


# --------------------------------------------------------------------------- V38-V39


def _check_outbound_policy(policy: OutboundTrafficPolicy, report: _Report) -> None:
    # V38 (numeric mode 3) cannot be loaded: the model's enum has only the two CRD names.
    proxy = policy.egress_proxy
    if proxy is None:
        return
    path = "spec.outboundTrafficPolicy.egressProxy"
    if policy.effective_mode is not OutboundTrafficPolicyMode.ALLOW_ANY:
        mode = "is not set, so REGISTRY_ONLY" if policy.mode is None else f"is {policy.mode.value}"
        report.error(
            "V39",
            path,
            f"egressProxy is only used with mode ALLOW_ANY, and mode {mode}; set "
            "mode: ALLOW_ANY or remove egressProxy",
        )
        return
    for message in hosts.check_fqdn(proxy.host):
        report.error("V39", f"{path}.host", f"egressProxy host: {message}")
    if proxy.port is None:
        report.error("V39", path, "egressProxy needs a port: set port.number")
        return
    # validateDestination: its host checks ('*', wildcard domain) can only fail where the
    # FQDN check above already did, so they are not reported twice.
    if proxy.subset and not hosts.is_dns1123_label(proxy.subset):
        report.error(
            "V39",
            f"{path}.subset",
            f"subset name {proxy.subset!r} is invalid: a subset name is a DNS-1123 label",
        )
    number = proxy.port.number or 0
    if not 1 <= number <= _MAX_PORT:
        where = f"{path}.port.number" if proxy.port.number is not None else f"{path}.port"
        report.error("V39", where, f"port number {number} must be in the range 1..65535")


# --------------------------------------------------------------------------- X1-X5


def check_export_to(
    export_to: Sequence[str],
    *,
    namespace: str,
    is_service_entry: bool,
    has_selector: bool = False,
    resource: Resource[Any] | None = None,
) -> list[Diagnostic]:
    """Errors in an ``exportTo`` list (§4.5, X1-X5), for VirtualService, DestinationRule, ...

    ``namespace`` is the object's own namespace; ``is_service_entry`` allows ``~`` (alone);
    ``has_selector`` marks a DestinationRule with a workload selector. The diagnostics point
    at ``spec.exportTo`` and its items in ``resource``, when given.

    >>> [d.code for d in check_export_to([".", "*"], namespace="shop", is_service_entry=False)]
    ['X4']
    """
    report = _Report(resource)
    if not export_to:
        return []
    keys: set[str] = set()
    for index, entry in enumerate(export_to):
        key = namespace if entry == "." else entry
        problem = _export_entry_problem(
            entry, key, keys, namespace=namespace, is_service_entry=is_service_entry
        )
        if problem is None:
            keys.add(key)  # Istio keeps only entries that pass
        else:
            report.error(problem[0], f"spec.exportTo[{index}]", problem[1])
    path = "spec.exportTo"
    if has_selector and keys and keys != {namespace}:  # X3
        message = (
            "a DestinationRule with a workload selector can only be exported to its own "
            "namespace: keep just '.'"
            if namespace in keys
            else "a DestinationRule with a workload selector cannot be exported beyond its "
            "own namespace: use exportTo: ['.']"
        )
        report.error("X3", path, message)
    if "*" in keys and len(export_to) > 1:  # X4
        report.error("X4", path, "'*' already exports to every namespace: remove the other entries")
    if "~" in keys and len(export_to) > 1:  # X5
        report.error("X5", path, "'~' (visible to no one) cannot be combined with other entries")
    return report.errors


def _export_entry_problem(
    entry: str, key: str, keys: set[str], *, namespace: str, is_service_entry: bool
) -> tuple[str, str] | None:
    """X1-X2 on one entry: its (code, message), or None when it is fine."""
    if key in keys:  # X1
        if entry in {".", namespace}:
            detail = (
                f"{entry!r} repeats the object's own namespace {namespace!r} ('.' means it too)"
            )
        else:
            detail = f"{entry!r} is listed twice"
        return "X1", f"duplicate entries in exportTo: {detail}; list it once"
    if entry == "~" and is_service_entry:
        return None
    if key == "~":  # X2
        return "X2", "exportTo '~' (visible to no one) is only allowed on ServiceEntries"
    if key not in {".", "*"} and not hosts.is_dns1123_label(key):  # X2
        return "X2", (
            f"exportTo entry {entry!r} is invalid: use '.', '*', or a namespace name "
            "(a DNS-1123 label)"
        )
    return None
