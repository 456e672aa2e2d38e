"""Round-trip properties of the codec over generated model values.

The fuller, public strategies come with ``sidecar_model.strategies``; these are just
enough to exercise every field and type the codec handles.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import sidecar_model as sm

T = TypeVar("T")

pytestmark = pytest.mark.property

text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)
label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)
maybe = st.none
uint32 = st.integers(0, 2**32 - 1)
int32 = st.integers(-(2**31), 2**31 - 1)
durations = st.builds(sm.Duration, nanoseconds=st.integers(-(10**15), 10**15))
strings = st.lists(text, max_size=3).map(tuple)


def opt(strategy: st.SearchStrategy[T]) -> st.SearchStrategy[T | None]:
    return st.none() | strategy


def enum_of(cls: type[T]) -> st.SearchStrategy[T | None]:
    return opt(st.sampled_from(list(cls)))  # type: ignore[call-overload]


def build(cls: type[T], **overrides: st.SearchStrategy[Any]) -> st.SearchStrategy[T]:
    """Every optional attribute unset or set; explicit strategies where types need them."""
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for attribute in attrs.fields(cls):  # type: ignore[arg-type]
        if attribute.name in overrides:
            fields[attribute.name] = overrides[attribute.name]
    return st.builds(cls, **fields)


ports = build(
    sm.Port, number=opt(uint32), protocol=opt(text), name=opt(text), target_port=opt(uint32)
)
keepalive = build(sm.TcpKeepalive, probes=opt(uint32), time=opt(durations), interval=opt(durations))
tcp = build(
    sm.TCPSettings,
    max_connections=opt(int32),
    connect_timeout=opt(durations),
    tcp_keepalive=opt(keepalive),
    max_connection_duration=opt(durations),
    idle_timeout=opt(durations),
)
http = build(
    sm.HTTPSettings,
    http1_max_pending_requests=opt(int32),
    http2_max_requests=opt(int32),
    max_requests_per_connection=opt(int32),
    max_retries=opt(int32),
    idle_timeout=opt(durations),
    h2_upgrade_policy=enum_of(sm.H2UpgradePolicy),
    use_client_protocol=opt(st.booleans()),
    max_concurrent_streams=opt(int32),
    http2_keep_alive=opt(
        build(sm.ConnectionKeepalive, interval=opt(durations), timeout=opt(durations))
    ),
)
pools = build(sm.ConnectionPoolSettings, tcp=opt(tcp), http=opt(http))
certificates = build(
    sm.TLSCertificate,
    server_certificate=opt(text),
    private_key=opt(text),
    ca_certificates=opt(text),
)
tls = build(
    sm.ServerTLSSettings,
    https_redirect=opt(st.booleans()),
    mode=enum_of(sm.TLSMode),
    server_certificate=opt(text),
    private_key=opt(text),
    ca_certificates=opt(text),
    ca_crl=opt(text),
    credential_name=opt(text),
    credential_names=strings,
    ca_cert_credential_name=opt(text),
    tls_certificates=st.lists(certificates, max_size=2).map(tuple),
    subject_alt_names=strings,
    verify_certificate_spki=strings,
    verify_certificate_hash=strings,
    min_protocol_version=enum_of(sm.TLSProtocol),
    max_protocol_version=enum_of(sm.TLSProtocol),
    cipher_suites=strings,
    insecure_skip_verify=opt(st.booleans()),
)
ingress = build(
    sm.IstioIngressListener,
    port=ports,
    bind=opt(text),
    capture_mode=enum_of(sm.CaptureMode),
    default_endpoint=opt(text),
    tls=opt(tls),
    connection_pool=opt(pools),
)
egress = build(
    sm.IstioEgressListener,
    port=opt(ports),
    bind=opt(text),
    capture_mode=enum_of(sm.CaptureMode),
    hosts=strings,
)
policies = build(
    sm.OutboundTrafficPolicy,
    mode=enum_of(sm.OutboundTrafficPolicyMode),
    egress_proxy=opt(
        build(
            sm.Destination,
            host=text,
            subset=opt(text),
            port=opt(build(sm.PortSelector, number=opt(uint32))),
        )
    ),
)
sidecars = build(
    sm.Sidecar,
    workload_selector=opt(
        build(sm.WorkloadSelector, labels=st.dictionaries(label, text, max_size=3))
    ),
    ingress=st.lists(ingress, max_size=2).map(tuple),
    egress=st.lists(egress, max_size=3).map(tuple),
    inbound_connection_pool=opt(pools),
    outbound_traffic_policy=opt(policies),
)
timestamps = st.datetimes(
    min_value=dt.datetime(1970, 1, 1),  # noqa: DTZ001 - made aware just below
    max_value=dt.datetime(2100, 1, 1),  # noqa: DTZ001
).map(lambda t: t.replace(microsecond=0, tzinfo=dt.timezone.utc))
resources = st.builds(
    sm.Resource,
    api_version=st.sampled_from(
        [f"networking.istio.io/{v}" for v in ("v1", "v1beta1", "v1alpha3")]
    ),
    kind=st.just("Sidecar"),
    metadata=st.builds(
        sm.ObjectMeta,
        name=opt(label),
        namespace=opt(label),
        labels=st.dictionaries(label, text, max_size=2),
        annotations=st.dictionaries(label, text, max_size=2),
        creation_timestamp=opt(timestamps),
    ),
    spec=sidecars,
)


@given(st.lists(resources, min_size=1, max_size=3), st.sampled_from(["yaml", "json"]))
def test_loads_dumps_round_trip(items: list[sm.Resource[sm.Sidecar]], fmt: str) -> None:
    text = sm.dumps(items, format=fmt)  # type: ignore[arg-type]
    assert sm.loads(text) == items
    assert sm.dumps(sm.loads(text), format=fmt) == text  # type: ignore[arg-type]


@given(sidecars)
def test_structure_unstructure_round_trip(sidecar: sm.Sidecar) -> None:
    assert sm.structure(sm.unstructure(sidecar), sm.Sidecar) == sidecar
