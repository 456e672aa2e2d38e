"""The model's own behaviour: durations, protocols, enums, defaults."""

from __future__ import annotations

import datetime as dt

import pytest

import sidecar_model as sm
from sidecar_model.model import DurationError


@pytest.mark.parametrize(
    ("text", "nanoseconds"),
    [
        ("1.5s", 1_500_000_000),
        ("30ms", 30_000_000),
        ("1h30m", 5_400_000_000_000),
        ("0", 0),
        ("0s", 0),
        ("-2s", -2_000_000_000),
        ("+1us", 1_000),
        ("1\u00b5s", 1_000),
        ("250ns", 250),
        (".5s", 500_000_000),
        ("1.s", 1_000_000_000),
        ("0.0005s", 500_000),
    ],
)
def test_duration_parses_go_and_protobuf_forms(text: str, nanoseconds: int) -> None:
    duration = sm.Duration.parse(text)
    assert duration.nanoseconds == nanoseconds
    assert str(duration) == text


@pytest.mark.parametrize("text", ["", "1", "s", "1x", "1.5", "-", "1h-2m", ".s", "10000000000h"])
def test_duration_rejects_what_istio_rejects(text: str) -> None:
    with pytest.raises(DurationError):
        sm.Duration.parse(text)


def test_duration_equality_ignores_spelling_and_canonical_form() -> None:
    assert sm.Duration.parse("1m") == sm.Duration.parse("60s")
    assert str(sm.Duration(nanoseconds=1_500_000_000)) == "1.5s"
    assert str(sm.Duration(nanoseconds=-1_000)) == "-0.000001s"
    assert str(sm.Duration(nanoseconds=7_000_000_000)) == "7s"
    assert sm.Duration.from_timedelta(dt.timedelta(milliseconds=5)).to_timedelta() == dt.timedelta(
        milliseconds=5
    )
    assert sm.Duration.parse("250ms").seconds == 0.25


@pytest.mark.parametrize(
    ("duration", "microseconds"),
    [
        (sm.Duration(nanoseconds=9_007_199_254_740_993_000), 9_007_199_254_740_993),
        (sm.Duration.parse("2562047h47m16.854775807s"), 9_223_372_036_854_775),
        (sm.Duration(nanoseconds=-1_999), -1),
    ],
)
def test_to_timedelta_is_exact_and_truncates(duration: sm.Duration, microseconds: int) -> None:
    assert duration.to_timedelta() == dt.timedelta(microseconds=microseconds)


@pytest.mark.parametrize(
    ("text", "protocol"),
    [
        ("HTTP", sm.Protocol.HTTP),
        ("http", sm.Protocol.HTTP),
        ("grpc-web", sm.Protocol.GRPC_WEB),
        ("MYSQL", sm.Protocol.MYSQL),
        ("mongo", sm.Protocol.MONGO),
        ("Redis", sm.Protocol.REDIS),
        ("http_proxy", sm.Protocol.HTTP_PROXY),
        ("", sm.Protocol.UNSUPPORTED),
        (None, sm.Protocol.UNSUPPORTED),
        ("DoubleHBONE", sm.Protocol.UNSUPPORTED),
        ("SCTP", sm.Protocol.UNSUPPORTED),
    ],
)
def test_protocol_parsing_is_case_insensitive(text: str | None, protocol: sm.Protocol) -> None:
    port = sm.Port(number=80, protocol=text)
    assert port.parsed_protocol is protocol
    assert port.protocol == text


def test_protocol_families() -> None:
    http = {p for p in sm.Protocol if p.is_http}
    tls = {p for p in sm.Protocol if p.is_tls}
    tcp = {p for p in sm.Protocol if p.is_tcp}
    assert http == {
        sm.Protocol.HTTP,
        sm.Protocol.HTTP2,
        sm.Protocol.HTTP_PROXY,
        sm.Protocol.GRPC,
        sm.Protocol.GRPC_WEB,
    }
    assert tls == {sm.Protocol.HTTPS, sm.Protocol.TLS}
    assert tls < tcp
    assert sm.Protocol.UDP not in tcp | http


def test_outbound_policy_without_mode_is_registry_only() -> None:
    assert sm.OutboundTrafficPolicy().effective_mode is sm.OutboundTrafficPolicyMode.REGISTRY_ONLY
    assert sm.OutboundTrafficPolicy.Mode is sm.OutboundTrafficPolicyMode
    assert sm.SidecarPort is sm.Port


def test_sequences_and_maps_become_immutable() -> None:
    listener = sm.IstioEgressListener(hosts=["./*"])
    selector = sm.WorkloadSelector(labels={"app": "a"})
    assert listener.hosts == ("./*",)
    assert hash(selector) == hash(sm.WorkloadSelector(labels={"app": "a"}))
    with pytest.raises(TypeError):
        selector.labels.update({"b": "c"})


def test_duration_error_is_a_library_error_and_a_value_error() -> None:
    assert issubclass(DurationError, sm.SidecarModelError)
    assert issubclass(DurationError, ValueError)
    with pytest.raises(sm.SidecarModelError):
        sm.Duration.parse("soon")


def test_public_modules_export_what_users_use() -> None:
    from sidecar_model import codec, errors, model, resources  # noqa: PLC0415 - under test

    assert {"ConnectionKeepalive", "TcpKeepalive", "DurationError"} <= set(model.__all__)
    assert "SourceError" in errors.__all__
    assert not {"register_kind", "spec_type_for", "str_map"} & set(resources.__all__)
    assert {"load_paths", "loads", "dumps", "Limits"} <= set(codec.__all__)
    for module in (codec, errors, model, resources):
        assert module.__all__ == sorted(module.__all__)
        assert all(hasattr(module, name) for name in module.__all__)
        assert not [name for name in module.__all__ if name.startswith("_")]


def test_empty_maps_share_one_frozen_map() -> None:
    from sidecar_model._collections import EMPTY, freeze, frozen_map  # noqa: PLC0415

    text = (
        "apiVersion: v1\nkind: List\nitems:\n"
        "- {apiVersion: v1, kind: ConfigMap, metadata: {name: a, labels: {}}, data: {}}\n"
        "- {apiVersion: v1, kind: ConfigMap, metadata: {name: b, labels: {}}, data: {}}\n"
    )
    first, second = sm.loads(text)
    assert first.metadata.labels is second.metadata.labels is EMPTY
    assert first.extra["data"] is second.extra["data"] is EMPTY
    assert freeze({"a": {}, "b": [{}]}) == {"a": {}, "b": ({},)}
    assert freeze({"a": {}})["a"] is EMPTY
    assert frozen_map({}) is frozen_map(()) is EMPTY
    assert frozen_map({"a": "b"}) == {"a": "b"}
    with pytest.raises(TypeError, match="immutable"):
        EMPTY["x"] = 1
