"""Any value the model can hold, valid or not, for fuzzing."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from hypothesis import strategies as st

from sidecar_model.model import (
    CaptureMode,
    ConnectionKeepalive,
    ConnectionPoolSettings,
    Destination,
    Duration,
    H2UpgradePolicy,
    HTTPSettings,
    IstioEgressListener,
    IstioIngressListener,
    OutboundTrafficPolicy,
    OutboundTrafficPolicyMode,
    Port,
    PortSelector,
    ServerTLSSettings,
    Sidecar,
    TcpKeepalive,
    TCPSettings,
    TLSCertificate,
    TLSMode,
    TLSProtocol,
    WorkloadSelector,
)
from sidecar_model.resources import Resource
from sidecar_model.strategies._sidecars import object_metas
from sidecar_model.strategies._values import HOST_POOL, MAX_INT32, NETWORKING_API_VERSIONS

if TYPE_CHECKING:
    import enum


def _arbitrary_text() -> st.SearchStrategy[str]:
    # Any Unicode text that UTF-8 can encode (no lone surrogates), short.
    return st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)


def _tuples(strategy: st.SearchStrategy[Any], max_size: int = 3) -> st.SearchStrategy[Any]:
    return st.lists(strategy, max_size=max_size).map(tuple)


def _enum_or_none(cls: type[enum.Enum]) -> st.SearchStrategy[Any]:
    return st.sampled_from((None, *cls))


def arbitrary_sidecars() -> st.SearchStrategy[Sidecar]:
    """Sidecars of any shape the model can hold, valid or not: every field, any text.

    Every attribute has its declared type and every integer its wire range (so that the
    value can be written and loaded back), but nothing else holds: ports repeat, hosts are
    random text, durations may be negative. For fuzzing validation, and for codec round trips.
    """
    return _arbitrary_sidecars()


@functools.cache
def _arbitrary_sidecars() -> st.SearchStrategy[Sidecar]:
    text = _arbitrary_text()
    some_text = st.none() | text
    uint32 = st.none() | st.integers(0, 2**32 - 1)
    int32 = st.none() | st.integers(-(2**31), MAX_INT32)
    some_duration = st.none() | st.builds(Duration, nanoseconds=st.integers(-(10**15), 10**15))
    some_bool = st.none() | st.booleans()
    strings = _tuples(text)
    port = st.builds(Port, number=uint32, protocol=some_text, name=some_text, target_port=uint32)
    tcp = st.builds(
        TCPSettings,
        max_connections=int32,
        connect_timeout=some_duration,
        tcp_keepalive=st.none()
        | st.builds(TcpKeepalive, probes=uint32, time=some_duration, interval=some_duration),
        max_connection_duration=some_duration,
        idle_timeout=some_duration,
    )
    http = st.builds(
        HTTPSettings,
        http1_max_pending_requests=int32,
        http2_max_requests=int32,
        max_requests_per_connection=int32,
        max_retries=int32,
        idle_timeout=some_duration,
        h2_upgrade_policy=_enum_or_none(H2UpgradePolicy),
        use_client_protocol=some_bool,
        max_concurrent_streams=int32,
        http2_keep_alive=st.none()
        | st.builds(ConnectionKeepalive, interval=some_duration, timeout=some_duration),
    )
    pool = st.none() | st.builds(ConnectionPoolSettings, tcp=st.none() | tcp, http=st.none() | http)
    certificate = st.builds(
        TLSCertificate,
        server_certificate=some_text,
        private_key=some_text,
        ca_certificates=some_text,
    )
    tls = st.builds(
        ServerTLSSettings,
        https_redirect=some_bool,
        mode=_enum_or_none(TLSMode),
        server_certificate=some_text,
        private_key=some_text,
        ca_certificates=some_text,
        ca_crl=some_text,
        credential_name=some_text,
        credential_names=strings,
        ca_cert_credential_name=some_text,
        tls_certificates=_tuples(certificate),
        subject_alt_names=strings,
        verify_certificate_spki=strings,
        verify_certificate_hash=strings,
        min_protocol_version=_enum_or_none(TLSProtocol),
        max_protocol_version=_enum_or_none(TLSProtocol),
        cipher_suites=strings,
        insecure_skip_verify=some_bool,
    )
    capture = _enum_or_none(CaptureMode)
    ingress = st.builds(
        IstioIngressListener,
        port=port,
        bind=some_text,
        capture_mode=capture,
        default_endpoint=some_text,
        tls=st.none() | tls,
        connection_pool=pool,
    )
    egress = st.builds(
        IstioEgressListener,
        port=st.none() | port,
        bind=some_text,
        capture_mode=capture,
        hosts=_tuples(st.sampled_from(HOST_POOL).map("./".__add__) | text, max_size=4),
    )
    proxy = st.builds(
        Destination,
        host=text,
        subset=some_text,
        port=st.none() | st.builds(PortSelector, number=uint32),
    )
    policy = st.builds(
        OutboundTrafficPolicy,
        mode=_enum_or_none(OutboundTrafficPolicyMode),
        egress_proxy=st.none() | proxy,
    )
    return st.builds(
        Sidecar,
        workload_selector=st.none()
        | st.builds(WorkloadSelector, labels=st.dictionaries(text, text, max_size=3)),
        ingress=_tuples(ingress, max_size=2),
        egress=_tuples(egress),
        inbound_connection_pool=pool,
        outbound_traffic_policy=st.none() | policy,
    )


def arbitrary_resources() -> st.SearchStrategy[Resource[Sidecar]]:
    """Sidecar resources around :func:`arbitrary_sidecars`, with :func:`object_metas`."""
    return st.builds(
        Resource,
        api_version=st.sampled_from(NETWORKING_API_VERSIONS),
        kind=st.just("Sidecar"),
        metadata=object_metas(),
        spec=arbitrary_sidecars(),
    )
