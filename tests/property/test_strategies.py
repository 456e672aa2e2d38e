"""The public strategies: building blocks are valid, knobs work, examples shrink small."""

from __future__ import annotations

import types

import pytest
from hypothesis import find, given
from hypothesis import strategies as st

import sidecar_model as sm
from sidecar_model import hosts
from sidecar_model import strategies as sms
from sidecar_model.mesh import Mesh

pytestmark = pytest.mark.property


def test_public_surface_is_what_all_says() -> None:
    public = {
        name
        for name, value in vars(sms).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert set(sms.__all__) == public


@given(sms.dns_labels())
def test_dns_labels(label: str) -> None:
    assert hosts.is_dns1123_label(label)
    assert label == label.lower()


@given(sms.fqdns())
def test_fqdns(name: str) -> None:
    assert hosts.check_fqdn(name) == []


@given(sms.wildcard_hosts() | sms.hosts())
def test_hosts_and_wildcards(name: str) -> None:
    assert hosts.check_wildcard_domain(name) == []


@given(sms.egress_hosts())
def test_egress_host_entries(entry: str) -> None:
    assert hosts.check_egress_host(entry) == ()


@given(sms.ip_addresses())
def test_ip_addresses(address: str) -> None:
    assert hosts.is_ip_address(address)


@given(sms.unix_binds())
def test_unix_binds(bind: str) -> None:
    assert bind.startswith("unix://")
    assert hosts.check_unix_address(bind.removeprefix("unix://")) == []


@given(sms.durations())
def test_durations_are_whole_milliseconds(duration: sm.Duration) -> None:
    assert duration.nanoseconds >= 1_000_000
    assert duration.nanoseconds % 1_000_000 == 0


@given(sms.port_numbers(), sms.protocols())
def test_ports_and_protocols(number: int, protocol: str) -> None:
    assert 1 <= number <= 65535
    assert sm.Protocol.parse(protocol) is not sm.Protocol.UNSUPPORTED


@given(sms.label_maps())
def test_label_maps(labels: dict[str, str]) -> None:
    assert all("*" not in key + value and len(value) <= 63 for key, value in labels.items())


@given(
    sms.sidecars(
        max_ingress=0,
        selector=True,
        connection_pools=False,
        outbound_policy=False,
        unix_sockets=False,
        exclusions=False,
        namespaces=["shop"],
        host_names=["api.example.com"],
    )
)
def test_knobs_leave_features_out(sidecar: sm.Sidecar) -> None:
    assert not sidecar.ingress
    assert sidecar.workload_selector is not None
    assert sidecar.workload_selector.labels
    assert sidecar.inbound_connection_pool is None
    assert sidecar.outbound_traffic_policy is None
    for listener in sidecar.egress:
        assert listener.port is None or listener.port.number != 0
        for entry in listener.hosts:
            namespace, _, name = entry.partition("/")
            assert namespace in {".", "*", "shop"}
            assert name in {"*", "api.example.com"}


@given(sms.sidecars(tls=False, max_egress=1, selector=False))
def test_more_knobs(sidecar: sm.Sidecar) -> None:
    assert all(listener.tls is None for listener in sidecar.ingress)
    assert len(sidecar.egress) <= 1
    assert sidecar.workload_selector is None


def test_examples_shrink_to_small_readable_values() -> None:
    assert find(sms.sidecars(), lambda _: True) == sm.Sidecar(
        egress=(sm.IstioEgressListener(hosts=("./*",)),)
    )
    assert find(sms.fqdns(), lambda _: True) == "a.com"
    assert find(sms.dns_labels(), lambda _: True) == "a"
    listener = find(sms.sidecars(), lambda s: bool(s.ingress)).ingress[0]
    assert listener == sm.IstioIngressListener(port=sm.Port(number=80))


def test_unknown_rules_are_refused() -> None:
    with pytest.raises(ValueError, match="V99"):
        sms.sidecars(valid=False, rules=["V99"])
    with pytest.raises(ValueError, match="V1"):
        sms.sidecars(valid=False, rules=["V1"])  # metadata: resources(valid=False) breaks it


@given(st.from_type(sm.Sidecar), st.from_type(sm.Resource[sm.Sidecar]))
def test_from_type_yields_valid_objects(
    sidecar: sm.Sidecar, resource: sm.Resource[sm.Sidecar]
) -> None:
    assert not sm.validate(sidecar).diagnostics
    assert not sm.validate(resource).diagnostics


@given(st.from_type(sm.IstioEgressListener), st.from_type(sm.Port), st.from_type(sm.Duration))
def test_from_type_knows_the_parts(
    listener: sm.IstioEgressListener, port: sm.Port, duration: sm.Duration
) -> None:
    assert not sm.validate(sm.Sidecar(egress=(listener,))).diagnostics
    assert not sm.validate(
        sm.Sidecar(egress=(sm.IstioEgressListener(port=port, hosts=("./*",)),))
    ).diagnostics
    assert duration.nanoseconds >= 1_000_000


@given(sms.mesh_resources())
def test_meshes_have_what_they_promise(resources: list[sm.Resource[object]]) -> None:
    mesh = Mesh.from_resources(resources)
    assert "istio-system" in mesh.namespaces
    assert len(mesh.sidecars) == sum(r.kind == "Sidecar" for r in resources)
    assert len(mesh.workloads) == sum(r.kind == "Pod" for r in resources)
    for sidecar in mesh.sidecars:
        assert not sm.validate(sidecar).diagnostics
