"""The Istio ``Sidecar`` API (networking.istio.io v1, v1beta1, v1alpha3) as typed values.

Every message of §1.2 to §1.9 is a frozen, slotted, keyword-only attrs class
with snake_case attributes. The wire (Kubernetes JSON) name of each attribute is its
camelCase spelling; :mod:`sidecar_model.codec` owns that mapping, this module knows
nothing about serialisation.

Presence is kept for scalars and messages: an attribute is ``None`` when the manifest
did not set it, so a loaded object dumps back exactly as written. Lists and maps have
no presence in proto3, so an empty tuple or map means "not set" and is not written.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from typing import TYPE_CHECKING, ClassVar, Final

import attrs

from sidecar_model._collections import EMPTY, FrozenDict, frozen_map
from sidecar_model.errors import SidecarModelError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

__all__ = [
    "CaptureMode",
    "ConnectionKeepalive",
    "ConnectionPoolSettings",
    "Destination",
    "Duration",
    "DurationError",
    "H2UpgradePolicy",
    "HTTPSettings",
    "IstioEgressListener",
    "IstioIngressListener",
    "OutboundTrafficPolicy",
    "OutboundTrafficPolicyMode",
    "Port",
    "PortSelector",
    "Protocol",
    "ServerTLSSettings",
    "Sidecar",
    "SidecarPort",
    "TCPSettings",
    "TLSCertificate",
    "TLSMode",
    "TLSProtocol",
    "TcpKeepalive",
    "WorkloadSelector",
]

#: Field metadata key: the closed integer range the wire format allows (CRD schema, V41).
INT_RANGE: Final = "sidecar_model.int_range"
#: Field metadata key: the wire (JSON) name, where it is not the attribute's camelCase.
WIRE_NAME: Final = "sidecar_model.wire_name"
UINT32: Final = (0, 2**32 - 1)
INT32: Final = (-(2**31), 2**31 - 1)


def _uint32() -> int | None:
    field: int | None = attrs.field(default=None, metadata={INT_RANGE: UINT32})
    return field


def _int32() -> int | None:
    field: int | None = attrs.field(default=None, metadata={INT_RANGE: INT32})
    return field


# Converters that accept any iterable (or mapping) and store the immutable form. Each
# names its element type so that type checkers see precise __init__ parameters.


def _strings_tuple(value: Iterable[str]) -> tuple[str, ...]:
    return value if type(value) is tuple else tuple(value)


def _label_map(value: Mapping[str, str]) -> FrozenDict[str, str]:
    return frozen_map(value)


def _certificates_tuple(value: Iterable[TLSCertificate]) -> tuple[TLSCertificate, ...]:
    return value if type(value) is tuple else tuple(value)


def _ingress_tuple(value: Iterable[IstioIngressListener]) -> tuple[IstioIngressListener, ...]:
    return value if type(value) is tuple else tuple(value)


def _egress_tuple(value: Iterable[IstioEgressListener]) -> tuple[IstioEgressListener, ...]:
    return value if type(value) is tuple else tuple(value)


# --------------------------------------------------------------------------- enums


class CaptureMode(enum.Enum):
    """How traffic reaches a listener (§1.8)."""

    #: Use the environment's default capture (iptables redirection where it is set up).
    DEFAULT = "DEFAULT"
    #: Traffic is redirected to the listener by iptables.
    IPTABLES = "IPTABLES"
    #: No capture: the listener binds a real socket that applications must target.
    NONE = "NONE"


class OutboundTrafficPolicyMode(enum.Enum):
    """What the proxy does with traffic to hosts it does not know (§1.7, §5.16)."""

    #: Unknown hosts are black-holed. The proto zero value.
    REGISTRY_ONLY = "REGISTRY_ONLY"
    #: Unknown hosts are passed through (or sent to ``egressProxy``).
    ALLOW_ANY = "ALLOW_ANY"


class H2UpgradePolicy(enum.Enum):
    """Whether HTTP/1.1 connections to a destination are upgraded to HTTP/2."""

    DEFAULT = "DEFAULT"
    DO_NOT_UPGRADE = "DO_NOT_UPGRADE"
    UPGRADE = "UPGRADE"


class TLSMode(enum.Enum):
    """Server-side TLS mode (``ServerTLSSettings.TLSmode``); PASSTHROUGH is the proto zero value."""

    PASSTHROUGH = "PASSTHROUGH"
    SIMPLE = "SIMPLE"
    MUTUAL = "MUTUAL"
    AUTO_PASSTHROUGH = "AUTO_PASSTHROUGH"
    ISTIO_MUTUAL = "ISTIO_MUTUAL"
    OPTIONAL_MUTUAL = "OPTIONAL_MUTUAL"


class TLSProtocol(enum.Enum):
    """A TLS protocol version bound (``ServerTLSSettings.TLSProtocol``)."""

    TLS_AUTO = "TLS_AUTO"
    TLSV1_0 = "TLSV1_0"
    TLSV1_1 = "TLSV1_1"
    TLSV1_2 = "TLSV1_2"
    TLSV1_3 = "TLSV1_3"


class Protocol(enum.Enum):
    """A port protocol as istiod understands it (§1.10).

    Values are Istio's canonical spellings. :meth:`parse` is case-insensitive and
    maps anything it does not recognise, including the empty string, to
    ``UNSUPPORTED``, which at run time means "detect the protocol by sniffing".
    """

    TCP = "TCP"
    UDP = "UDP"
    GRPC = "GRPC"
    GRPC_WEB = "GRPC-Web"
    HTTP = "HTTP"
    HTTP_PROXY = "HTTP_PROXY"
    HTTP2 = "HTTP2"
    HTTPS = "HTTPS"
    TLS = "TLS"
    MONGO = "Mongo"
    REDIS = "Redis"
    MYSQL = "MySQL"
    UNSUPPORTED = "UnsupportedProtocol"

    @classmethod
    def parse(cls, text: str | None) -> Protocol:
        """Parse a port protocol name the way istiod does (case-insensitive, §1.10.1)."""
        if not text:
            return cls.UNSUPPORTED
        return _PROTOCOLS_BY_LOWER_NAME.get(text.lower(), cls.UNSUPPORTED)

    @property
    def is_http(self) -> bool:
        """True for the HTTP family: HTTP, HTTP2, HTTP_PROXY, GRPC, GRPC-Web (§1.10.3)."""
        return self in _HTTP_FAMILY

    @property
    def is_tls(self) -> bool:
        """True for the TLS family: HTTPS and TLS (§1.10.3)."""
        return self in _TLS_FAMILY

    @property
    def is_tcp(self) -> bool:
        """True for the TCP family: TCP, HTTPS, TLS, Mongo, Redis, MySQL (§1.10.3)."""
        return self in _TCP_FAMILY


_PROTOCOLS_BY_LOWER_NAME: Final = {
    p.value.lower(): p for p in Protocol if p is not Protocol.UNSUPPORTED
}
_HTTP_FAMILY: Final = frozenset(
    {Protocol.HTTP, Protocol.HTTP2, Protocol.HTTP_PROXY, Protocol.GRPC, Protocol.GRPC_WEB}
)
_TLS_FAMILY: Final = frozenset({Protocol.HTTPS, Protocol.TLS})
_TCP_FAMILY: Final = frozenset(
    {Protocol.TCP, Protocol.HTTPS, Protocol.TLS, Protocol.MONGO, Protocol.REDIS, Protocol.MYSQL}
)


# --------------------------------------------------------------------------- Duration

_NANOS_PER_UNIT: Final = {
    "ns": 1,
    "us": 1_000,
    "\u00b5s": 1_000,  # micro sign
    "\u03bcs": 1_000,  # Greek small letter mu
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
# One "<number><unit>" component of a Go duration; the number needs a digit on at
# least one side of its optional decimal point.
_DURATION_COMPONENT: Final = re.compile(r"(\d*)(?:\.(\d*))?([a-z\u00b5\u03bc]+)")
_MAX_NANOS: Final = 2**63 - 1


class DurationError(SidecarModelError):
    """A duration text that Istio would not accept; raised by :meth:`Duration.parse`."""


@attrs.frozen(kw_only=True)
class Duration:
    """A signed span of time with nanosecond precision, as Istio's duration fields hold it.

    Parse text with :meth:`Duration.parse`. It accepts what the Kubernetes API server
    and istiod accept for these fields: Go duration syntax (``"1h30m"``, ``"250ms"``,
    ``"1.5s"``, ``"0"``), of which protobuf's ``"<seconds>s"`` form is a subset.
    A duration keeps the text it was parsed from and writes it back unchanged; one
    built from numbers is written in protobuf form (``"0.250s"`` style, minimal digits).
    Two durations are equal when they last equally long, however they were written.
    """

    nanoseconds: int = attrs.field()
    text: str | None = attrs.field(default=None, eq=False, repr=False)

    @classmethod
    def parse(cls, text: str) -> Duration:
        """Parse Go/protobuf duration text; raise :class:`DurationError` if Istio would not."""
        body = text
        negative = body[:1] == "-"
        if body[:1] in "+-" and body:
            body = body[1:]
        if body == "0":
            return cls(nanoseconds=0, text=text)
        if not body:
            msg = f"invalid duration {text!r}: it is empty"
            raise DurationError(msg)
        total = 0
        position = 0
        while position < len(body):
            match = _DURATION_COMPONENT.match(body, position)
            if match is None or not (match.group(1) or match.group(2)):
                msg = (
                    f"invalid duration {text!r}: expected numbers with units such as "
                    "'1.5s', '250ms' or '1h30m'"
                )
                raise DurationError(msg)
            whole, fraction, unit = match.group(1), match.group(2) or "", match.group(3)
            scale = _NANOS_PER_UNIT.get(unit)
            if scale is None:
                msg = (
                    f"invalid duration {text!r}: unknown unit {unit!r} (use ns, us, ms, s, m or h)"
                )
                raise DurationError(msg)
            total += int(whole or "0") * scale + int(fraction or "0") * scale // 10 ** len(fraction)
            position = match.end()
        if total > _MAX_NANOS:
            msg = f"invalid duration {text!r}: longer than about 292 years"
            raise DurationError(msg)
        return cls(nanoseconds=-total if negative else total, text=text)

    @classmethod
    def from_timedelta(cls, value: dt.timedelta) -> Duration:
        """Build a duration from a :class:`datetime.timedelta`."""
        micros = (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds
        return cls(nanoseconds=micros * 1_000)

    def to_timedelta(self) -> dt.timedelta:
        """Return the duration as a :class:`datetime.timedelta` (microsecond precision)."""
        # Integer arithmetic, truncating toward zero: floats lose microseconds past 2**53 ns.
        micros = abs(self.nanoseconds) // 1_000
        return dt.timedelta(microseconds=-micros if self.nanoseconds < 0 else micros)

    @property
    def seconds(self) -> float:
        """The length in seconds, as a float."""
        return self.nanoseconds / 1e9

    def __str__(self) -> str:
        """The text this duration was parsed from, or its protobuf form."""
        if self.text is not None:
            return self.text
        sign = "-" if self.nanoseconds < 0 else ""
        whole, nanos = divmod(abs(self.nanoseconds), 1_000_000_000)
        if not nanos:
            return f"{sign}{whole}s"
        return f"{sign}{whole}.{nanos:09d}".rstrip("0") + "s"


# --------------------------------------------------------------------------- messages


@attrs.frozen(kw_only=True)
class Port:
    """A port of a Sidecar listener (``SidecarPort``, §1.5).

    ``protocol`` keeps the text as written; :attr:`parsed_protocol` is what istiod
    makes of it. ``number`` 0 is an egress Unix-domain-socket listener.
    ``target_port`` is deprecated and has no effect (validation rejects it, V12/V21).
    """

    number: int | None = _uint32()
    protocol: str | None = None
    name: str | None = None
    target_port: int | None = _uint32()

    @property
    def parsed_protocol(self) -> Protocol:
        """The protocol istiod derives from :attr:`protocol` (case-insensitive)."""
        return Protocol.parse(self.protocol)


#: The proto message is called ``SidecarPort``; both names refer to the same class.
SidecarPort = Port


@attrs.frozen(kw_only=True)
class WorkloadSelector:
    """Selects the workloads, in the Sidecar's own namespace, that carry all these labels."""

    labels: FrozenDict[str, str] = attrs.field(default=EMPTY, converter=_label_map)


@attrs.frozen(kw_only=True)
class TcpKeepalive:
    """TCP keepalive probing for connections of a pool."""

    probes: int | None = _uint32()
    time: Duration | None = None
    interval: Duration | None = None


@attrs.frozen(kw_only=True)
class TCPSettings:
    """Connection-pool settings common to TCP and HTTP connections."""

    max_connections: int | None = _int32()
    connect_timeout: Duration | None = None
    tcp_keepalive: TcpKeepalive | None = None
    max_connection_duration: Duration | None = None
    idle_timeout: Duration | None = None


@attrs.frozen(kw_only=True)
class ConnectionKeepalive:
    """HTTP/2 keepalive (PING) settings."""

    interval: Duration | None = None
    timeout: Duration | None = None


@attrs.frozen(kw_only=True)
class HTTPSettings:
    """Connection-pool settings for HTTP/1.1, HTTP/2 and gRPC connections."""

    http1_max_pending_requests: int | None = _int32()
    http2_max_requests: int | None = _int32()
    max_requests_per_connection: int | None = _int32()
    max_retries: int | None = _int32()
    idle_timeout: Duration | None = None
    h2_upgrade_policy: H2UpgradePolicy | None = None
    use_client_protocol: bool | None = None
    max_concurrent_streams: int | None = _int32()
    http2_keep_alive: ConnectionKeepalive | None = None


@attrs.frozen(kw_only=True)
class ConnectionPoolSettings:
    """Connection limits for inbound traffic (``ConnectionPoolSettings``, §1.9.2)."""

    tcp: TCPSettings | None = None
    http: HTTPSettings | None = None


@attrs.frozen(kw_only=True)
class TLSCertificate:
    """One server certificate, its key and optional CA bundle (``TLSCertificate``)."""

    server_certificate: str | None = None
    private_key: str | None = None
    ca_certificates: str | None = None


@attrs.frozen(kw_only=True)
class ServerTLSSettings:
    """TLS termination settings for an ingress listener (``ServerTLSSettings``, §1.9.3)."""

    https_redirect: bool | None = None
    mode: TLSMode | None = None
    server_certificate: str | None = None
    private_key: str | None = None
    ca_certificates: str | None = None
    ca_crl: str | None = None
    credential_name: str | None = None
    credential_names: tuple[str, ...] = attrs.field(default=(), converter=_strings_tuple)
    ca_cert_credential_name: str | None = None
    tls_certificates: tuple[TLSCertificate, ...] = attrs.field(
        default=(), converter=_certificates_tuple
    )
    subject_alt_names: tuple[str, ...] = attrs.field(default=(), converter=_strings_tuple)
    verify_certificate_spki: tuple[str, ...] = attrs.field(default=(), converter=_strings_tuple)
    verify_certificate_hash: tuple[str, ...] = attrs.field(default=(), converter=_strings_tuple)
    min_protocol_version: TLSProtocol | None = None
    max_protocol_version: TLSProtocol | None = None
    cipher_suites: tuple[str, ...] = attrs.field(default=(), converter=_strings_tuple)
    insecure_skip_verify: bool | None = None


@attrs.frozen(kw_only=True)
class PortSelector:
    """The port of a :class:`Destination`."""

    number: int | None = _uint32()


@attrs.frozen(kw_only=True)
class Destination:
    """A service (and optional subset and port) traffic is sent to (``Destination``)."""

    host: str
    subset: str | None = None
    port: PortSelector | None = None


@attrs.frozen(kw_only=True)
class OutboundTrafficPolicy:
    """How the proxy treats traffic to hosts outside its imports (§1.7, §5.16).

    An object without ``mode`` means REGISTRY_ONLY, the proto zero value; the
    mesh's ALLOW_ANY default applies only when the whole object is absent (T1).
    """

    Mode: ClassVar[type[OutboundTrafficPolicyMode]] = OutboundTrafficPolicyMode

    mode: OutboundTrafficPolicyMode | None = None
    egress_proxy: Destination | None = None

    @property
    def effective_mode(self) -> OutboundTrafficPolicyMode:
        """The mode istiod applies: ``mode``, or REGISTRY_ONLY when it is unset."""
        return self.mode or OutboundTrafficPolicyMode.REGISTRY_ONLY


@attrs.frozen(kw_only=True)
class IstioIngressListener:
    """An inbound listener: where the proxy accepts traffic for its workload (§1.3)."""

    port: Port
    bind: str | None = None
    capture_mode: CaptureMode | None = None
    default_endpoint: str | None = None
    tls: ServerTLSSettings | None = None
    connection_pool: ConnectionPoolSettings | None = None


@attrs.frozen(kw_only=True)
class IstioEgressListener:
    """An outbound listener and the hosts it imports (§1.4, §5).

    Without a ``port`` it is the catch-all listener, whose ports come from the
    services it imports; ``hosts`` entries read ``namespace/dnsName`` and, to
    exclude, ``~namespace/dnsName``.
    """

    port: Port | None = None
    bind: str | None = None
    capture_mode: CaptureMode | None = None
    hosts: tuple[str, ...] = attrs.field(converter=_strings_tuple)

    @property
    def is_catch_all(self) -> bool:
        """True when the listener names no port, so its ports come from its services."""
        return self.port is None


@attrs.frozen(kw_only=True)
class Sidecar:
    """The ``spec`` of an Istio ``Sidecar`` resource (§1.2).

    Without ``egress`` the proxy imports ``*/*``; without ``workload_selector`` the
    Sidecar applies to every workload of its namespace (§3).
    """

    workload_selector: WorkloadSelector | None = None
    ingress: tuple[IstioIngressListener, ...] = attrs.field(default=(), converter=_ingress_tuple)
    egress: tuple[IstioEgressListener, ...] = attrs.field(default=(), converter=_egress_tuple)
    inbound_connection_pool: ConnectionPoolSettings | None = None
    outbound_traffic_policy: OutboundTrafficPolicy | None = None
