"""Loading and writing back keeps every field, for YAML and JSON, across apiVersions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attrs
import pytest
import yaml

import sidecar_model as sm
from sidecar_model.examples import seed_text

FIXTURES = Path(__file__).parent / "fixtures"
EVERY_FIELD = FIXTURES / "every-field.yaml"


def _plain(text: str) -> list[Any]:
    """The documents of a YAML text as plain data, the way kubectl would read them."""
    return [d for d in yaml.safe_load_all(text) if d is not None]


def _without_timestamp_objects(data: Any) -> Any:
    # PyYAML's own loader turns unquoted timestamps into datetimes; ours keeps text.
    return json.loads(json.dumps(data, default=str))


@pytest.mark.parametrize(
    "text", [seed_text(), EVERY_FIELD.read_text()], ids=["seed", "every-field"]
)
def test_dump_keeps_every_field(text: str) -> None:
    resources = sm.loads(text)
    written = sm.dumps(resources)
    assert _without_timestamp_objects(_plain(written)) == _without_timestamp_objects(_plain(text))


@pytest.mark.parametrize(
    "text", [seed_text(), EVERY_FIELD.read_text()], ids=["seed", "every-field"]
)
@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_loads_of_dumps_is_identity(text: str, fmt: str) -> None:
    resources = sm.loads(text)
    assert sm.loads(sm.dumps(resources, format=fmt)) == resources  # type: ignore[arg-type]


def test_dumps_is_stable() -> None:
    resources = sm.loads(EVERY_FIELD.read_text())
    once = sm.dumps(resources)
    assert sm.dumps(sm.loads(once)) == once


def test_every_field_is_typed() -> None:
    first, beta, alpha, config_map, widget = sm.loads(EVERY_FIELD.read_text())
    spec = first.spec
    assert isinstance(spec, sm.Sidecar)
    assert spec.workload_selector == sm.WorkloadSelector(
        labels={"app": "checkout", "version": "1.10"}
    )
    https_in, tls_in = spec.ingress
    assert https_in.port == sm.Port(number=8443, protocol="HTTPS", name="https-in", target_port=0)
    assert https_in.port.parsed_protocol is sm.Protocol.HTTPS
    assert https_in.capture_mode is sm.CaptureMode.NONE
    assert https_in.tls is not None
    assert https_in.tls.mode is sm.TLSMode.MUTUAL
    assert https_in.tls.min_protocol_version is sm.TLSProtocol.TLSV1_2
    assert https_in.tls.insecure_skip_verify is False
    pool = https_in.connection_pool
    assert pool is not None
    assert pool.tcp is not None
    assert pool.tcp.connect_timeout == sm.Duration(nanoseconds=30_000_000)
    assert pool.tcp.tcp_keepalive == sm.TcpKeepalive(
        probes=3, time=sm.Duration.parse("2h"), interval=sm.Duration.parse("75s")
    )
    assert pool.tcp.idle_timeout == sm.Duration(nanoseconds=0)
    assert pool.http is not None
    assert pool.http.h2_upgrade_policy is sm.H2UpgradePolicy.UPGRADE
    assert pool.http.http2_keep_alive == sm.ConnectionKeepalive(
        interval=sm.Duration.parse("10s"), timeout=sm.Duration.parse("2s")
    )
    assert tls_in.tls is not None
    assert tls_in.tls.tls_certificates == (
        sm.TLSCertificate(
            server_certificate="/a.pem", private_key="/a.key", ca_certificates="/ca.pem"
        ),
    )
    uds, mysql, catch_all = spec.egress
    assert uds.port == sm.Port(number=0, protocol="HTTP", name="uds-out")
    assert uds.bind == "unix:///var/run/egress.sock"
    assert mysql.port is not None
    assert mysql.port.parsed_protocol is sm.Protocol.MYSQL
    assert catch_all.is_catch_all
    assert catch_all.hosts[-1] == "~/*.internal.example.com"
    assert spec.outbound_traffic_policy == sm.OutboundTrafficPolicy(
        mode=sm.OutboundTrafficPolicyMode.ALLOW_ANY,
        egress_proxy=sm.Destination(
            host="egress.istio-system.svc.cluster.local",
            subset="v1",
            port=sm.PortSelector(number=443),
        ),
    )
    assert first.metadata.extra["generation"] == 3
    assert first.metadata.extra["managedFields"][0]["manager"] == "kubectl"
    assert first.status is not None
    assert first.status["observedGeneration"] == 3
    assert [r.api_version for r in (first, beta, alpha)] == [
        "networking.istio.io/v1",
        "networking.istio.io/v1beta1",
        "networking.istio.io/v1alpha3",
    ]
    assert beta.spec.ingress[0].port.parsed_protocol is sm.Protocol.HTTP
    assert alpha.spec.workload_selector == sm.WorkloadSelector()
    assert alpha.spec.egress[0].bind == "::1"
    assert config_map.spec is None
    assert config_map.extra["data"]["mesh"].startswith("rootNamespace")
    assert widget.spec["template"]["metadata"]["labels"]["version"] == "1.10"


def test_all_api_versions_load_the_same_spec() -> None:
    body = "kind: Sidecar\nmetadata: {name: a}\nspec: {egress: [{hosts: ['./*']}]}\n"
    specs = {
        version: sm.loads(f"apiVersion: networking.istio.io/{version}\n{body}")[0].spec
        for version in ("v1", "v1beta1", "v1alpha3")
    }
    assert len(set(specs.values())) == 1
    assert isinstance(specs["v1"], sm.Sidecar)


def test_kubectl_list_output_loads_every_item() -> None:
    resources = sm.loads(EVERY_FIELD.read_text())
    listing = {
        "apiVersion": "v1",
        "kind": "SidecarList",
        "items": [sm.unstructure(r) for r in resources[:3]],
    }
    assert sm.loads(json.dumps(listing)) == resources[:3]
    assert sm.loads(yaml.safe_dump(listing)) == resources[:3]


def test_models_are_frozen_hashable_and_evolvable() -> None:
    resource = sm.loads(EVERY_FIELD.read_text())[0]
    assert hash(resource) == hash(sm.loads(EVERY_FIELD.read_text())[0])
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        resource.spec.egress = ()
    with pytest.raises(TypeError):
        resource.metadata.labels["team"] = "other"
    trimmed = attrs.evolve(resource.spec, egress=resource.spec.egress[-1:])
    assert len(trimmed.egress) == 1
    assert trimmed != resource.spec


def test_load_and_dump_files(tmp_path: Path) -> None:
    resources = sm.load(EVERY_FIELD)
    target = tmp_path / "out.json"
    sm.dump(resources, target)
    assert json.loads(target.read_text())["kind"] == "List"
    assert sm.load(target) == resources
    with target.open("rb") as handle:
        assert sm.load(handle) == resources
    yaml_target = tmp_path / "out.yaml"
    with yaml_target.open("w") as handle:
        sm.dump(resources[0], handle)
    assert sm.load(yaml_target) == resources[:1]
    assert resources[0].source is not None
    assert resources[0].source.name == str(EVERY_FIELD)


def test_multiline_strings_are_written_as_blocks() -> None:
    pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    spec = sm.Sidecar(
        ingress=(
            sm.IstioIngressListener(
                port=sm.Port(number=443, protocol="HTTPS"),
                tls=sm.ServerTLSSettings(mode=sm.TLSMode.SIMPLE, ca_certificates=pem),
            ),
        )
    )
    resource = sm.Resource(api_version="networking.istio.io/v1", kind="Sidecar", spec=spec)
    text = sm.dumps(resource)
    assert "caCertificates: |" in text
    assert sm.loads(text) == [resource]


def test_libyaml_and_pure_python_parsers_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    from sidecar_model.codec import _yaml  # noqa: PLC0415 - patched for this test only

    text = EVERY_FIELD.read_text()
    fast = sm.loads(text)
    monkeypatch.setattr(_yaml, "YAML_LOADER", yaml.SafeLoader)
    assert sm.loads(text) == fast
