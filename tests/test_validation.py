"""Validation with Istio admission-webhook parity (semantics §2, §4.5, §8)."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import textwrap
import types
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

import sidecar_model
from sidecar_model import (
    IstioEgressListener,
    ManifestError,
    OutboundTrafficPolicy,
    Sidecar,
    SidecarModelError,
    load,
    loads,
    validation,
)
from sidecar_model.errors import ValidationError
from sidecar_model.validation import (
    RULES,
    Diagnostic,
    Enforcement,
    Rule,
    Severity,
    ValidationResult,
    check_export_to,
    diagnostics,
    validate,
)
from sidecar_model.validation._registry import FAMILIES

if TYPE_CHECKING:
    from sidecar_model import Resource

ENVELOPE = "apiVersion: networking.istio.io/v1\nkind: Sidecar\n"
METADATA = "metadata:\n  name: reviews\n  namespace: shop\n"
DOCS = Path(__file__).parent.parent / "docs"


def manifest(fragment: str) -> str:
    """A whole Sidecar document around ``fragment`` (``spec:``, maybe ``metadata:``)."""
    fragment = textwrap.dedent(fragment).lstrip("\n")
    if not fragment.startswith("metadata:"):
        fragment = METADATA + fragment
    return ENVELOPE + fragment


def sidecar(fragment: str) -> Resource[Any]:
    (resource,) = loads(manifest(fragment))
    return resource


def check(fragment: str) -> ValidationResult:
    return validate(sidecar(fragment))


def codes(result: ValidationResult) -> list[str]:
    return [d.code for d in result.diagnostics]


def where(result: ValidationResult) -> list[tuple[str, str]]:
    return [(d.code, d.path) for d in result.diagnostics]


def only(result: ValidationResult, code: str) -> Diagnostic:
    (diagnostic,) = result.diagnostics
    assert diagnostic.code == code
    return diagnostic


# --------------------------------------------------------------------------- the registry


def _export_to_codes(text: str) -> list[str]:
    data = yaml.safe_load(text)
    spec = data["spec"]
    found = check_export_to(
        spec["exportTo"],
        namespace=data["metadata"]["namespace"],
        is_service_entry=data["kind"] == "ServiceEntry",
        has_selector="workloadSelector" in spec,
    )
    return [d.code for d in found]


@pytest.mark.parametrize("rule", RULES.values(), ids=list(RULES))
def test_invalid_example_yields_the_listed_codes(rule: Rule) -> None:
    if rule.enforcement is Enforcement.EXPORT_TO:
        assert _export_to_codes(rule.invalid) == list(rule.expect)
    elif rule.enforcement is Enforcement.LOAD:
        with pytest.raises(ManifestError):
            loads(manifest(rule.invalid))
    else:
        assert codes(validate(sidecar(rule.invalid))) == list(rule.expect)


@pytest.mark.parametrize("rule", RULES.values(), ids=list(RULES))
def test_fixed_example_is_clean(rule: Rule) -> None:
    if rule.enforcement is Enforcement.EXPORT_TO:
        assert _export_to_codes(rule.fixed) == []
    else:
        assert validate(sidecar(rule.fixed)).diagnostics == ()


def test_registry_covers_every_rule_in_order() -> None:
    assert list(RULES) == [f"V{n}" for n in range(1, 42)] + [f"X{n}" for n in range(1, 6)]
    for rule in RULES.values():
        if rule.enforcement in {Enforcement.VALIDATE, Enforcement.EXPORT_TO}:
            assert rule.code in rule.expect, rule.code
            assert rule.severities, rule.code
        if rule.enforcement is Enforcement.LOAD:
            assert rule.expect == (), rule.code


def _rules_tool(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the docs tool that renders the rule reference from the registry."""
    return subprocess.run(  # noqa: S603 - our own script
        [sys.executable, str(DOCS / "_ext" / "rules.py"), *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(Path(sidecar_model.__file__).parent.parent)},
    )


def test_rules_page_matches_the_registry() -> None:
    done = _rules_tool("--check", str(DOCS / "rules.md"))
    assert done.returncode == 0, done.stderr


def test_rule_families_cover_every_rule_once_in_order() -> None:
    assert [code for _, codes in FAMILIES for code in codes] == list(RULES)


def test_every_rule_has_its_anchor_on_the_rules_page() -> None:
    page = (DOCS / "rules.md").read_text(encoding="utf-8")
    for code in RULES:
        assert f"\n({code.lower()})=\n### {code}: " in page, code


def test_public_surface_is_what_all_says() -> None:
    public = {
        name
        for name, value in vars(validation).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert set(validation.__all__) == public
    defined = {
        name
        for name, value in vars(diagnostics).items()
        if not name.startswith("_") and getattr(value, "__module__", None) == diagnostics.__name__
    }
    assert set(diagnostics.__all__) == defined == {"Diagnostic", "Severity", "ValidationResult"}
    assert validation.Diagnostic is diagnostics.Diagnostic


def test_diagnostic_links_to_its_rule() -> None:
    result = check("spec:\n  egress:\n  - hosts: [shop/reviews]\n")
    assert result.errors[0].rule is RULES["V23"]


# --------------------------------------------------------------------------- results


BAD = """\
spec:
  workloadSelector: {}
  egress:
  - hosts:
    - ./*
    - prod/*foo.com
  - port: {number: 8080, protocol: HTTP, name: http}
    hosts: [istio-system/*]
"""


def test_result_locates_every_finding() -> None:
    result = check(BAD)
    assert not result.ok
    assert [(d.code, d.path, d.line, d.column) for d in result.errors] == [
        ("V20", "spec.egress[0]", 9, 5),
        ("V23", "spec.egress[0].hosts[1]", 11, 7),
    ]
    (warning,) = result.warnings
    assert (warning.code, warning.severity, warning.line) == ("V8", Severity.WARNING, 7)
    assert all(d.severity is Severity.ERROR for d in result.errors)


def test_result_str() -> None:
    text = str(check(BAD))
    assert text.splitlines()[0] == "2 errors, 1 warning"
    assert text.splitlines()[1].startswith("<string>:9:5: error V20 spec.egress[0]: ")
    assert "\n    prod/*foo.com\n         ^^^^^^^^\n" in text
    assert str(check("spec:\n  egress:\n  - hosts: ['./*']\n")) == "valid: no errors or warnings"


def test_file_name_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "reviews.yaml"
    path.write_text(manifest(BAD), encoding="utf-8")
    (resource,) = load(path)
    diagnostic = validate(resource).errors[1]
    assert diagnostic.source is not None
    assert diagnostic.source.endswith("reviews.yaml")
    assert diagnostic.location == f"{diagnostic.source}:11:7"
    assert str(diagnostic).startswith(f"{diagnostic.source}:11:7: error V23 ")


def test_to_dict_and_html() -> None:
    result = check(BAD)
    data = result.to_dict()
    assert data["ok"] is False
    assert data["errors"][1] == {
        "code": "V23",
        "severity": "error",
        "path": "spec.egress[0].hosts[1]",
        "message": result.errors[1].message,
        "source": None,
        "line": 11,
        "column": 7,
        "excerpt": "prod/*foo.com\n     ^^^^^^^^",
        "resource": {
            "apiVersion": "networking.istio.io/v1",
            "kind": "Sidecar",
            "namespace": "shop",
            "name": "reviews",
        },
    }
    assert data["warnings"][0]["code"] == "V8"
    page = result._repr_html_()
    assert "<table>" in page
    assert "<pre>prod/*foo.com" in page
    assert "2 errors, 1 warning" in page
    assert "V20" in result.errors[0]._repr_html_()


def test_clean_result() -> None:
    result = check("spec:\n  egress:\n  - hosts: ['./*']\n")
    assert result.ok
    assert result.diagnostics == ()
    assert result.to_dict() == {"ok": True, "errors": [], "warnings": []}
    assert result._repr_html_() == "<p>valid: no errors or warnings</p>"


def test_rules_page_can_be_regenerated(tmp_path: Path) -> None:
    target = tmp_path / "rules.md"
    assert _rules_tool(str(target)).returncode == 0
    page = (DOCS / "rules.md").read_text(encoding="utf-8")
    assert target.read_text(encoding="utf-8") == page
    printed = _rules_tool()
    assert (printed.returncode, printed.stdout) == (0, page)
    target.write_text(page.replace("### V23: ", "### V23 "), encoding="utf-8")
    stale = _rules_tool("--check", str(target))
    assert stale.returncode == 1
    assert "is stale" in stale.stderr


def test_raise_for_errors() -> None:
    clean = check("spec:\n  egress:\n  - hosts: ['./*']\n")
    assert clean.raise_for_errors() is clean
    result = check(BAD)
    with pytest.raises(ValidationError) as caught:
        result.raise_for_errors()
    error = caught.value
    assert isinstance(error, SidecarModelError)
    assert isinstance(error, ValueError)
    assert error.result is result
    assert [d.code for d in error.diagnostics] == ["V20", "V23"]
    assert str(error).startswith("2 errors:\n  <string>:9:5: error V20")
    assert "\n      prod/*foo.com\n" in str(error)


def test_validation_error_with_one_error_pickles() -> None:
    spec = Sidecar(egress=[IstioEgressListener(hosts=[])])
    with pytest.raises(ValidationError) as caught:
        validate(spec).raise_for_errors()
    copy = pickle.loads(pickle.dumps(caught.value))  # noqa: S301 - our own data
    assert str(copy) == str(caught.value)
    assert str(copy).startswith("error V22 spec.egress[0].hosts: ")


def test_bare_sidecar_has_no_location() -> None:
    spec = Sidecar(egress=[IstioEgressListener(hosts=["shop/reviews"])])
    diagnostic = only(validate(spec), "V23")
    assert (diagnostic.line, diagnostic.column, diagnostic.source) == (None, None, None)
    assert diagnostic.resource is None
    assert diagnostic.location == ""
    assert str(diagnostic).startswith("error V23 spec.egress[0].hosts[0]: short name")


def test_validate_refuses_other_kinds() -> None:
    (service,) = loads("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {}\n")
    with pytest.raises(TypeError, match="checks Sidecars"):
        validate(service)
    with pytest.raises(TypeError, match="checks Sidecars"):
        validate("spec: {}")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- loading
# V10, V11, V19, V38 and part of V41 are enforced by loading.


@pytest.mark.parametrize(
    ("fragment", "path", "code"),
    [
        ("spec:\n  ingress: [null]\n", "spec.ingress[0]", "wrong-type"),  # V10
        ("spec:\n  ingress: [{bind: 0.0.0.0}]\n", "spec.ingress[0]", "missing-field"),  # V11
        ("spec:\n  egress: [null]\n", "spec.egress[0]", "wrong-type"),  # V19
        ("spec:\n  egress: [{port: {number: 80}}]\n", "spec.egress[0]", "missing-field"),  # V41
        (
            "spec:\n  outboundTrafficPolicy: {mode: 3}\n",  # V38
            "spec.outboundTrafficPolicy.mode",
            "unknown-enum",
        ),
        (
            "spec:\n  outboundTrafficPolicy: {mode: ALLOW_ANY_DYNAMIC_DNS}\n",  # V38
            "spec.outboundTrafficPolicy.mode",
            "unknown-enum",
        ),
        (
            "spec:\n  outboundTrafficPolicy: {mode: ALLOW_ANY, egressProxy: {port: {number: 1}}}\n",
            "spec.outboundTrafficPolicy.egressProxy",  # V41: host is required
            "missing-field",
        ),
        (
            "spec:\n  egress: [{captureMode: iptables, hosts: ['./*']}]\n",  # V41 enum
            "spec.egress[0].captureMode",
            "unknown-enum",
        ),
        (
            "spec:\n  ingress: [{port: {number: 4294967296}}]\n",  # V41 uint32
            "spec.ingress[0].port.number",
            "out-of-range",
        ),
        (
            "spec:\n  inboundConnectionPool: {tcp: {maxConnections: 2147483648}}\n",  # int32
            "spec.inboundConnectionPool.tcp.maxConnections",
            "out-of-range",
        ),
    ],
)
def test_loading_enforces(fragment: str, path: str, code: str) -> None:
    with pytest.raises(ManifestError) as caught:
        loads(manifest(fragment))
    (problem,) = caught.value.problems
    assert (problem.path, problem.code, problem.line) == (path, code, 7)


# --------------------------------------------------------------------------- V1-V4


def test_only_the_first_metadata_problem_is_reported() -> None:
    result = check(
        """\
        metadata:
          name: reviews
          namespace: shop
          annotations:
            internal.istio.io/parents: x
            istio.io/dry-run: "false"
        spec:
          egress:
          - hosts: [shop/reviews]
        """
    )
    diagnostic = only(result, "V1")
    assert diagnostic.message.startswith("shop/reviews has the istio.io/dry-run annotation")
    assert (diagnostic.path, diagnostic.line) == ("metadata.annotations", 6)


def test_other_annotations_are_fine() -> None:
    result = check(
        """\
        metadata:
          name: reviews
          namespace: shop
          annotations: {sidecar.istio.io/inject: "true"}
        spec:
          egress:
          - hosts: ['./*']
        """
    )
    assert result.diagnostics == ()


# --------------------------------------------------------------------------- V5-V9


def test_empty_key_with_wildcard_value_breaks_both_rules() -> None:
    result = check("spec:\n  workloadSelector:\n    labels: {'': '*', app: x}\n")
    assert codes(result) == ["V5", "V6"]


def test_selector_errors_are_sorted_by_key() -> None:
    result = check("spec:\n  workloadSelector:\n    labels: {z: '*', a: '*'}\n")
    assert [d.message.split()[2] for d in result.errors] == ["a=*", "z=*"]


def test_selector_error_hides_everything_else() -> None:  # V7, §8.41
    result = check(
        """\
        spec:
          workloadSelector:
            labels: {'app*': reviews}
          ingress:
          - port: {number: 0}
        """
    )
    assert codes(result) == ["V6"]


@pytest.mark.parametrize("selector", ["{}", "{labels: {}}"])
def test_selector_without_labels_warns(selector: str) -> None:  # V8, §8.5
    result = check(f"spec:\n  workloadSelector: {selector}\n  egress:\n  - hosts: ['./*']\n")
    assert result.ok
    diagnostic = only(result, "V8")
    assert diagnostic.path == "spec.workloadSelector"
    assert diagnostic.line == 7


def test_null_selector_is_absent() -> None:
    result = check("spec:\n  workloadSelector: null\n  egress:\n  - hosts: ['./*']\n")
    assert result.diagnostics == ()


def test_empty_configuration_drops_the_selector_warning() -> None:  # V9, §8.41
    result = check("spec:\n  workloadSelector: {}\n  ingress: []\n  egress: []\n")
    assert codes(result) == ["V9"]
    assert result.warnings == ()
    assert only(check("spec: {}\n"), "V9").path == "spec"


@pytest.mark.parametrize(
    "fragment",
    [
        "spec:\n  outboundTrafficPolicy: {}\n",  # §8.7: REGISTRY_ONLY
        "spec:\n  inboundConnectionPool: {tcp: {maxConnections: 10}}\n",
        "spec:\n  ingress:\n  - port: {number: 9080}\n",
    ],
)
def test_any_section_makes_a_configuration(fragment: str) -> None:
    assert check(fragment).diagnostics == ()


# --------------------------------------------------------------------------- V12-V15 ingress


def test_ingress_port_rules() -> None:
    result = check(
        """\
        spec:
          ingress:
          - port: {number: 0, protocol: fancy, name: Web_1, targetPort: 80}
            bind: unix:///var/run/app.sock
          - port: {number: 70000, protocol: hTtP2, name: ok}
            bind: fe80::1%eth0
          - port: {targetPort: 0}
            bind: 10.0.0.0/8
        """
    )
    assert where(result) == [
        ("V12", "spec.ingress[0].port.targetPort"),
        ("V13", "spec.ingress[0].port.name"),
        ("V13", "spec.ingress[0].port.protocol"),
        ("V13", "spec.ingress[0].port.number"),
        ("V13", "spec.ingress[0].bind"),
        ("V13", "spec.ingress[1].port.number"),
        ("V13", "spec.ingress[2].port"),  # no number: the proto zero value 0
        ("V13", "spec.ingress[2].bind"),
        ("V14", "spec.ingress[2].port"),  # 0 again
    ]
    assert "unsupported protocol 'fancy'" in result.errors[2].message
    assert "port number 70000 must be in the range 1..65535" in result.errors[5].message
    assert "'unix:///var/run/app.sock' is not a valid IP address" in result.errors[4].message


def test_duplicate_ingress_port_points_at_the_second() -> None:  # V14
    result = check(
        """\
        spec:
          ingress:
          - port: {number: 9080, protocol: HTTP}
            bind: 10.0.0.1
          - port: {number: 9080, protocol: HTTP}
            bind: 10.0.0.2
        """
    )
    diagnostic = only(result, "V14")
    assert (diagnostic.path, diagnostic.line) == ("spec.ingress[1].port.number", 10)


def test_ingress_and_egress_may_share_a_port() -> None:  # V14, V40
    result = check(
        """\
        spec:
          ingress:
          - port: {number: 8080, protocol: HTTP}
          egress:
          - port: {number: 8080, protocol: HTTP}
            hosts: ['./*']
        """
    )
    assert result.diagnostics == ()


@pytest.mark.parametrize(
    "endpoint",
    [
        "127.0.0.1:8080",
        "0.0.0.0:8080",
        "'[::1]:8080'",
        "'[::]:8080'",
        "':8080'",  # §8.19: empty host passes
        "127.0.0.1:+8080",  # Go's Atoi takes a sign
        "unix:///var/run/app.sock",
        "unix://@abstract",
        "''",  # empty means unset
    ],
)
def test_default_endpoint_accepts(endpoint: str) -> None:
    result = check(
        f"spec:\n  ingress:\n  - port: {{number: 9080}}\n    defaultEndpoint: {endpoint}\n"
    )
    assert result.diagnostics == ()


@pytest.mark.parametrize(
    ("endpoint", "phrases"),
    [
        ("localhost:8080", ["names host 'localhost'"]),
        ("10.0.0.1:8080", ["names host '10.0.0.1'"]),
        ("127.0.0.1", ["is not host:port: it has no port"]),  # reported once, not twice
        ("'::1:8080'", ["too many colons"]),
        ("'[::1]'", ["it has no port"]),
        ("'[::1:8080'", ["'[' without ']'"]),
        ("'[::1]:80:90'", ["too many colons"]),
        ("'[::1]x:80'", ["it has no port"]),
        ("'[[::1]:80'", ["misplaced"]),
        ("'a]:80'", ["misplaced"]),
        ("127.0.0.1:http", ["port 'http' is not a number"]),
        ("127.0.0.1:0", ["port 0 must be in the range 1..65535"]),
        ("127.0.0.1:99999999999999999999", ["is not a number"]),
        ("localhost:x", ["names host 'localhost'", "port 'x' is not a number"]),
        ("unix://", ["must not be empty"]),
        ("unix://var/run/app.sock", ["'var/run/app.sock' is not an absolute path"]),
        ("unix:///var/run/", ["is not an absolute path"]),
    ],
)
def test_default_endpoint_rejects(endpoint: str, phrases: list[str]) -> None:  # V15
    result = check(
        f"spec:\n  ingress:\n  - port: {{number: 9080}}\n    defaultEndpoint: {endpoint}\n"
    )
    assert codes(result) == ["V15"] * len(phrases)
    for diagnostic, phrase in zip(result.errors, phrases, strict=True):
        assert phrase in diagnostic.message
        assert (diagnostic.path, diagnostic.line) == ("spec.ingress[0].defaultEndpoint", 9)


# --------------------------------------------------------------------------- V16-V17, V25-V33 TLS


def tls(protocol: str, block: str) -> ValidationResult:
    body = textwrap.indent(textwrap.dedent(block).strip("\n"), " " * 6)
    return check(
        f"spec:\n  ingress:\n  - port: {{number: 9443, protocol: {protocol}, name: p}}\n"
        f"    tls:\n{body}\n"
    )


CERT = "serverCertificate: /c.pem\nprivateKey: /k.pem\n"


@pytest.mark.parametrize("protocol", ["HTTPS", "TLS", "https", "tls"])
def test_tls_on_tls_ports(protocol: str) -> None:
    assert tls(protocol, "mode: SIMPLE\n" + CERT).diagnostics == ()


@pytest.mark.parametrize("protocol", ["HTTP", "TCP", "GRPC", "''"])
def test_tls_only_on_https_or_tls_ports(protocol: str) -> None:  # V16
    diagnostic = only(tls(protocol, "mode: SIMPLE\n" + CERT), "V16")
    assert diagnostic.path == "spec.ingress[0].tls"
    assert "need an HTTPS or TLS port" in diagnostic.message


def test_tls_without_mode_is_passthrough_and_accepted() -> None:  # §8.21
    assert tls("HTTPS", "minProtocolVersion: TLSV1_2").diagnostics == ()
    assert (
        check(
            "spec:\n  ingress:\n  - port: {number: 9443, protocol: HTTPS}\n    tls: {}\n"
        ).diagnostics
        == ()
    )


def test_unsupported_tls_fields() -> None:  # V16, then V30/V31
    result = tls(
        "HTTPS",
        """\
        mode: SIMPLE
        subjectAltNames: [a]
        httpsRedirect: true
        credentialName: c
        """,
    )
    assert where(result) == [
        ("V16", "spec.ingress[0].tls.subjectAltNames"),
        ("V16", "spec.ingress[0].tls.httpsRedirect"),
        ("V16", "spec.ingress[0].tls.credentialName"),
    ]
    assert tls("HTTPS", "mode: SIMPLE\nhttpsRedirect: false\n" + CERT).diagnostics == ()


@pytest.mark.parametrize("mode", ["ISTIO_MUTUAL", "AUTO_PASSTHROUGH"])
def test_modes_sidecars_cannot_use(mode: str) -> None:  # V16
    diagnostic = tls("HTTPS", f"mode: {mode}").errors[0]
    assert (diagnostic.code, diagnostic.path) == ("V16", "spec.ingress[0].tls.mode")
    assert f"mode {mode} cannot be used" in diagnostic.message


def test_istio_mutual_skips_later_checks_but_keeps_cipher_warnings() -> None:  # V28, §2.7
    result = tls(
        "HTTP",
        """\
        mode: ISTIO_MUTUAL
        minProtocolVersion: TLSV1_0
        serverCertificate: /c.pem
        privateKey: /k.pem
        caCertificates: /ca.pem
        caCrl: /crl.pem
        """,
    )
    assert where(result) == [
        ("V16", "spec.ingress[0].tls.mode"),
        ("V16", "spec.ingress[0].tls"),
        ("V28", "spec.ingress[0].tls.serverCertificate"),
        ("V28", "spec.ingress[0].tls.privateKey"),
        ("V28", "spec.ingress[0].tls.caCertificates"),
        ("V25", "spec.ingress[0].tls.minProtocolVersion"),
    ]


def test_passthrough_warnings() -> None:  # V29
    result = tls("TLS", "mode: AUTO_PASSTHROUGH\ncaCrl: /crl.pem")
    assert codes(result) == ["V16", "V29"]
    assert result.warnings[0].message.startswith("AUTO_PASSTHROUGH mode does not use")
    assert tls("TLS", "mode: PASSTHROUGH").diagnostics == ()


def test_one_certificate_source() -> None:  # V30
    result = tls(
        "HTTPS",
        """\
        mode: MUTUAL
        credentialNames: [a]
        tlsCertificates: [{serverCertificate: /c.pem, privateKey: /k.pem}]
        """,
    )
    assert codes(result) == ["V41", "V16", "V16", "V30"]
    # A certificate without its key is not a source.
    result = tls("HTTPS", "mode: SIMPLE\nserverCertificate: /c.pem\ncredentialName: c")
    assert codes(result) == ["V16"]  # and V31 then skips V32


def test_simple_and_mutual_requirements() -> None:  # V32
    result = tls("HTTPS", "mode: MUTUAL")
    assert [d.message for d in result.errors] == [
        "MUTUAL TLS requires a client CA bundle: set caCertificates",
        "MUTUAL TLS requires a server certificate: set serverCertificate",
        "MUTUAL TLS requires a private key: set privateKey",
    ]
    result = tls("HTTPS", "mode: OPTIONAL_MUTUAL\ncaCertificates: /ca.pem\n" + CERT)
    assert result.diagnostics == ()


def test_server_certificates_are_checked_per_entry() -> None:  # V32, V41
    result = tls(
        "HTTPS",
        """\
        mode: SIMPLE
        serverCertificate: /top-level-is-ignored.pem
        tlsCertificates:
        - {serverCertificate: /c.pem}
        - {privateKey: /k.pem}
        - {serverCertificate: /c.pem, privateKey: /k.pem}
        """,
    )
    assert where(result) == [
        ("V41", "spec.ingress[0].tls.tlsCertificates"),
        ("V16", "spec.ingress[0].tls.tlsCertificates"),
        ("V32", "spec.ingress[0].tls.tlsCertificates[0]"),
        ("V32", "spec.ingress[0].tls.tlsCertificates[1]"),
        ("V32", "spec.ingress[0].tls.tlsCertificates"),
    ]
    assert result.warnings[0].message == "SIMPLE TLS can use at most 2 server certificates"


def test_crl_rules() -> None:  # V33
    result = tls("HTTPS", "mode: PASSTHROUGH\ncredentialName: c\ncaCrl: /crl.pem")
    assert codes(result) == ["V16", "V33", "V29"]
    assert "put the CRL in the credential" in result.errors[1].message
    result = tls("HTTPS", "mode: MUTUAL\ncaCertificates: /ca.pem\ncaCrl: /crl.pem\n" + CERT)
    assert result.diagnostics == ()


def test_cipher_suite_warnings() -> None:  # V25-V27
    result = tls(
        "HTTPS",
        """\
        mode: SIMPLE
        serverCertificate: /c.pem
        privateKey: /k.pem
        minProtocolVersion: TLSV1_1
        cipherSuites: [AES128-SHA, bogus, AES128-SHA, bogus, -AES256-SHA, ALL, '', "\\u05d0x"]
        """,
    )
    assert codes(result) == ["V26", "V27"]  # ciphers are set, so no V25
    assert "['bogus']" in result.warnings[0].message
    assert "['AES128-SHA']" in result.warnings[1].message
    # Go reads the first byte as Latin-1: a lead byte 0xC3 is the letter 'Ã'.
    assert codes(tls("HTTPS", "mode: SIMPLE\ncipherSuites: ['\u00e9x']\n" + CERT)) == ["V26"]


def test_http_pool_on_non_http_port_warns() -> None:  # V17
    result = check(
        """\
        spec:
          ingress:
          - port: {number: 9080, name: web}
            connectionPool:
              http: {maxRetries: 1}
          - port: {number: 9081, protocol: gRPC}
            connectionPool:
              http: {maxRetries: 1}
        """
    )
    diagnostic = only(result, "V17")
    assert diagnostic.severity is Severity.WARNING
    assert diagnostic.path == "spec.ingress[0].connectionPool.http"
    assert "port 9080 ('web')" in diagnostic.message
    assert "protocol is not HTTP ('')" in diagnostic.message


# --------------------------------------------------------------------------- V34-V37 pools


def test_pool_rules() -> None:
    result = check(
        """\
        spec:
          inboundConnectionPool:
            http:
              http1MaxPendingRequests: -1
              http2MaxRequests: -2
              maxRequestsPerConnection: -3
              maxRetries: -4
              idleTimeout: 0.5ms
              h2UpgradePolicy: UPGRADE
              useClientProtocol: true
              maxConcurrentStreams: -5
              http2KeepAlive: {}
            tcp:
              maxConnections: -6
              connectTimeout: 1.5ms
              maxConnectionDuration: -1s
              idleTimeout: 0.2ms
              tcpKeepalive: {time: 0s, interval: 2ms}
          ingress:
          - port: {number: 9080, protocol: HTTP}
            connectionPool: {}
        """
    )
    base = "spec.inboundConnectionPool"
    assert where(result) == [
        ("V34", "spec.ingress[0].connectionPool"),
        ("V35", f"{base}.http.http1MaxPendingRequests"),
        ("V35", f"{base}.http.http2MaxRequests"),
        ("V35", f"{base}.http.maxRequestsPerConnection"),
        ("V35", f"{base}.http.maxRetries"),
        ("V37", f"{base}.http.idleTimeout"),
        ("V35", f"{base}.http.useClientProtocol"),
        ("V35", f"{base}.http.maxConcurrentStreams"),
        ("V35", f"{base}.http.http2KeepAlive"),
        ("V35", f"{base}.http.http2KeepAlive"),
        ("V36", f"{base}.tcp.maxConnections"),
        ("V37", f"{base}.tcp.connectTimeout"),
        ("V37", f"{base}.tcp.maxConnectionDuration"),
        ("V37", f"{base}.tcp.tcpKeepalive.time"),
    ]
    messages = [d.message for d in result.errors]
    assert "idleTimeout '0.5ms' is too short: durations must be at least 1ms" in messages
    assert any("'1.5ms' is more precise than a millisecond" in m for m in messages)
    assert "http2KeepAlive needs an interval" in messages
    assert "http2KeepAlive needs a timeout" in messages


@pytest.mark.parametrize("idle", ["0s", "'0'", "0.0005s", "999us", "-0.5ms", "1ms", "1h"])
def test_tcp_idle_timeout_below_one_millisecond_means_disabled(idle: str) -> None:  # V36
    result = check(f"spec:\n  inboundConnectionPool:\n    tcp: {{idleTimeout: {idle}}}\n")
    assert result.diagnostics == ()


@pytest.mark.parametrize(("idle", "phrase"), [("1500us", "more precise"), ("-2ms", "too short")])
def test_tcp_idle_timeout_otherwise_checked(idle: str, phrase: str) -> None:  # V36, V37
    result = check(f"spec:\n  inboundConnectionPool:\n    tcp: {{idleTimeout: {idle}}}\n")
    assert phrase in only(result, "V37").message


@pytest.mark.parametrize(
    "field",
    [
        "http: {idleTimeout: 0s}",
        "tcp: {connectTimeout: 0s}",
        "http: {http2KeepAlive: {interval: 1ms, timeout: 0.1ms}}",
    ],
)
def test_sub_millisecond_durations_rejected(field: str) -> None:  # V37
    result = check(f"spec:\n  inboundConnectionPool:\n    {field}\n")
    assert "at least 1ms" in only(result, "V37").message


def test_upgrade_without_client_protocol_is_fine() -> None:
    result = check(
        "spec:\n  inboundConnectionPool:\n    http: {h2UpgradePolicy: UPGRADE, "
        "useClientProtocol: false}\n"
    )
    assert result.diagnostics == ()


# --------------------------------------------------------------------------- V20-V22 egress


def test_catch_all_not_last_and_several_catch_alls() -> None:  # V20, §8.34
    result = check(
        """\
        spec:
          egress:
          - hosts: ['./*']
          - hosts: ['istio-system/*']
          - port: {number: 8080}
            hosts: ['./*']
        """
    )
    assert where(result) == [("V20", "spec.egress[0]"), ("V20", "spec.egress[1]")]
    # Two port-less listeners: only the first, not the last, is an error.
    result = check("spec:\n  egress:\n  - hosts: ['./*']\n  - hosts: ['istio-system/*']\n")
    assert where(result) == [("V20", "spec.egress[0]")]


def test_catch_all_bind_and_capture_mode_are_not_checked() -> None:  # V20, V40, §8.17
    result = check(
        "spec:\n  egress:\n  - bind: unix://relative\n    captureMode: IPTABLES\n"
        "    hosts: ['./*']\n"
    )
    assert result.diagnostics == ()


def test_unix_socket_listeners() -> None:  # V21
    result = check(
        """\
        spec:
          egress:
          - port: {number: 0, protocol: nope, name: a_b, targetPort: 1}
            bind: unix://relative.sock
            captureMode: IPTABLES
            hosts: ['./*']
          - port: {protocol: HTTP}
            bind: 127.0.0.1
            hosts: ['./*']
          - port: {number: 0}
            bind: unix:///var/run/a.sock
            hosts: ['./*']
          - port: {number: 0}
            bind: unix:///var/run/a.sock
            captureMode: NONE
            hosts: ['./*']
        """
    )
    assert where(result) == [
        ("V21", "spec.egress[0].port.targetPort"),
        ("V21", "spec.egress[0].port.name"),
        ("V21", "spec.egress[0].port.protocol"),
        ("V21", "spec.egress[0].bind"),
        ("V21", "spec.egress[0].captureMode"),
        ("V21", "spec.egress[1].bind"),  # no number: 0, so a socket listener
        ("V21", "spec.egress[3].bind"),  # the same socket twice
    ]
    assert "'relative.sock' is not an absolute path" in result.errors[3].message
    assert "needs a bind such as unix://" in result.errors[5].message


def test_ip_listeners() -> None:  # V21
    result = check(
        """\
        spec:
          egress:
          - port: {number: 8080}
            bind: unix:///var/run/a.sock
            hosts: ['./*']
          - port: {number: 8080}
            bind: 10.0.0.1
            hosts: ['./*']
          - port: {number: 65536}
            hosts: ['./*']
          - port: {number: 9090}
            bind: fe80::1%eth0
            captureMode: IPTABLES
            hosts: ['./*']
        """
    )
    assert where(result) == [
        ("V21", "spec.egress[0].bind"),
        ("V21", "spec.egress[1].port.number"),  # unique by number, whatever the bind
        ("V21", "spec.egress[2].port.number"),
    ]
    assert "a unix:// bind needs port number 0" in result.errors[0].message


def test_listener_needs_hosts() -> None:  # V22
    diagnostic = only(check("spec:\n  egress:\n  - hosts: []\n"), "V22")
    assert (diagnostic.path, diagnostic.line) == ("spec.egress[0].hosts", 8)


# --------------------------------------------------------------------------- V23-V24 hosts


def hosts_of(*entries: str, namespace: str = "shop") -> ValidationResult:
    listed = ", ".join(f"'{entry}'" for entry in entries)
    return check(
        f"metadata:\n  name: reviews\n  namespace: {namespace}\n"
        f"spec:\n  egress:\n  - hosts: [{listed}]\n"
    )


@pytest.mark.parametrize(
    "entry", ["shop/10.0.0.1.", "~/*", "~shop/*.example.com", "*/Reviews.Example.COM."]
)
def test_egress_hosts_accepted(entry: str) -> None:
    assert hosts_of("./*", entry).errors == ()


def test_egress_host_errors_are_located_with_a_caret() -> None:  # V23
    result = check(
        """\
        spec:
          egress:
          - hosts:
            - istio-system/*
            - shop/10.0.0.1
            - a/b/c
        """
    )
    assert where(result) == [
        ("V23", "spec.egress[0].hosts[1]"),  # once, although Istio says it twice (§8.35)
        ("V23", "spec.egress[0].hosts[2]"),
        ("V23", "spec.egress[0].hosts[2]"),
    ]
    first = result.errors[0]
    assert (first.line, first.column) == (10, 7)
    assert first.excerpt == "shop/10.0.0.1\n            ^"


def test_empty_namespace_part() -> None:  # V23 step 2
    diagnostic = only(hosts_of("/x.example.com"), "V23")
    assert "must not be empty" in diagnostic.message


@pytest.mark.parametrize(
    ("entries", "warned"),
    [
        (("./*", "./reviews.shop.svc.cluster.local"), [1]),
        (("shop/a.example.com", "./a.example.com"), [1]),  # '.' is the Sidecar's namespace
        (("x/a.example.com", "x/*"), [1]),
        (("x/*", "x/*"), [1]),
        (("x/a.example.com", "x/a.example.com", "x/a.example.com"), [1, 2]),
        (("*/foo.example.com", "bar/foo.example.com"), []),  # different keys
        (("./*", "~./reviews.shop.svc.cluster.local"), []),  # exclusions are not compared
        (("~x/a.example.com", "x/a.example.com"), []),
    ],
)
def test_duplicated_hosts_warn(entries: tuple[str, ...], warned: list[int]) -> None:  # V24
    result = hosts_of(*entries)
    assert result.ok
    assert [d.path for d in result.warnings] == [f"spec.egress[0].hosts[{i}]" for i in warned]


def test_star_star_with_other_hosts_warns_once_per_listener() -> None:  # V24
    result = hosts_of("*/*", "istio-system/*")
    assert where(result) == [("V24", "spec.egress[0].hosts")]
    assert "'*/*' already selects every host" in result.warnings[0].message
    assert hosts_of("*/*", "~shop/*").warnings == ()  # exclusions do not count


def test_dot_uses_the_namespace_argument_for_bare_sidecars() -> None:  # V24, §8.36
    spec = Sidecar(egress=[IstioEgressListener(hosts=["./a.example.com", "team/a.example.com"])])
    assert codes(validate(spec, namespace="team")) == ["V24"]
    assert codes(validate(spec)) == []
    (resource,) = loads(
        ENVELOPE + "metadata: {name: x}\nspec:\n  egress:\n"
        "  - hosts: ['./a.example.com', 'team/a.example.com']\n"
    )
    assert codes(validate(resource, namespace="team")) == ["V24"]
    in_shop = sidecar("spec:\n  egress:\n  - hosts: ['./a.example.com', 'team/a.example.com']\n")
    assert codes(validate(in_shop, namespace="team")) == []  # metadata.namespace wins


# --------------------------------------------------------------------------- V39


def policy(block: str) -> ValidationResult:
    body = textwrap.indent(textwrap.dedent(block).strip("\n"), "    ")
    return check(f"spec:\n  outboundTrafficPolicy:\n{body}\n")


def test_egress_proxy_needs_allow_any() -> None:  # V39, §8.7
    result = policy("egressProxy: {host: squid.proxy.svc.cluster.local, port: {number: 3128}}")
    diagnostic = only(result, "V39")
    assert "mode is not set, so REGISTRY_ONLY" in diagnostic.message
    assert diagnostic.path == "spec.outboundTrafficPolicy.egressProxy"
    result = policy("mode: REGISTRY_ONLY\negressProxy: {host: bad_host}")
    assert "mode is REGISTRY_ONLY" in only(result, "V39").message  # and nothing else


def test_egress_proxy_destination() -> None:  # V39
    result = policy("mode: ALLOW_ANY\negressProxy: {host: '*'}")
    assert where(result) == [
        ("V39", "spec.outboundTrafficPolicy.egressProxy.host"),
        ("V39", "spec.outboundTrafficPolicy.egressProxy"),  # no port: stop
    ]
    result = policy("mode: ALLOW_ANY\negressProxy: {host: squid, subset: v_1, port: {}}")
    assert where(result) == [
        ("V39", "spec.outboundTrafficPolicy.egressProxy.subset"),
        ("V39", "spec.outboundTrafficPolicy.egressProxy.port"),
    ]
    result = policy("mode: ALLOW_ANY\negressProxy: {host: squid, port: {number: 70000}}")
    assert "port number 70000" in only(result, "V39").message


def test_outbound_policy_without_proxy_is_fine() -> None:
    assert policy("mode: REGISTRY_ONLY").diagnostics == ()
    spec = Sidecar(outbound_traffic_policy=OutboundTrafficPolicy())
    assert validate(spec).diagnostics == ()


# --------------------------------------------------------------------------- V41 schema


def selector(labels: str) -> ValidationResult:
    return check(
        f"spec:\n  workloadSelector:\n    labels: {{{labels}}}\n  egress: [{{hosts: [x/*]}}]\n"
    )


def test_selector_label_limits() -> None:  # V41
    result = selector(", ".join(f"k{i}: v" for i in range(257)))
    assert "257 labels" in only(result, "V41").message
    assert selector(", ".join(f"k{i}: v" for i in range(256))).diagnostics == ()
    result = selector(f"app: {'v' * 64}")
    assert "64 characters long" in only(result, "V41").message
    assert only(result, "V41").line == 8
    assert selector(f"app: {'v' * 63}").diagnostics == ()


def test_tls_cel_rules() -> None:  # V41
    result = tls("HTTPS", "credentialName: a\ncredentialNames: [a, b, c]")
    assert [d.message for d in result.errors if d.code == "V41"] == [
        "set only one of credentialName and credentialNames, not both",
        "credentialNames has 3 items; the CRD allows one or two",
    ]
    assert result.errors[0].code == "V41"  # schema findings come first


def test_schema_durations_only_when_the_webhook_stopped_early() -> None:  # V41, V37
    fragment = """\
        spec:
          workloadSelector:
            labels: {app: '*'}
          inboundConnectionPool:
            tcp:
              connectTimeout: 0.5ms
              idleTimeout: 0s
              tcpKeepalive: {time: 1ms, interval: 0s}
            http: {http2KeepAlive: {interval: 1.5ms, timeout: 1us}}
          ingress:
          - port: {number: 9080}
            connectionPool: {tcp: {maxConnectionDuration: 0s}}
        """
    result = check(fragment)
    assert where(result) == [
        ("V41", "spec.inboundConnectionPool.http.http2KeepAlive.timeout"),
        ("V41", "spec.inboundConnectionPool.tcp.connectTimeout"),
        ("V41", "spec.inboundConnectionPool.tcp.tcpKeepalive.interval"),
        ("V41", "spec.ingress[0].connectionPool.tcp.maxConnectionDuration"),
        ("V6", "spec.workloadSelector.labels"),
    ]
    assert "must be a valid duration of at least 1ms" in result.errors[0].message
    result = check(fragment.replace("'*'", "reviews"))
    assert codes(result) == ["V37"] * 5


# --------------------------------------------------------------------------- X1-X5


def export(*entries: str, service_entry: bool = False, selector: bool = False) -> list[str]:
    found = check_export_to(
        list(entries), namespace="shop", is_service_entry=service_entry, has_selector=selector
    )
    return [f"{d.code} {d.path}" for d in found]


def test_export_to_accepts() -> None:
    assert export() == []
    assert export(".") == []
    assert export("*") == []
    assert export(".", "team-a", "team-b") == []
    assert export("~", service_entry=True) == []
    assert export(".", selector=True) == []
    assert export("shop", selector=True) == []


def test_export_to_duplicates() -> None:  # X1
    assert export("team", "team") == ["X1 spec.exportTo[1]"]
    assert export(".", "shop") == ["X1 spec.exportTo[1]"]
    assert export("shop", ".") == ["X1 spec.exportTo[1]"]
    (diagnostic,) = check_export_to(["shop", "."], namespace="shop", is_service_entry=False)
    assert "'.' repeats the object's own namespace 'shop'" in diagnostic.message


def test_export_to_entry_syntax() -> None:  # X2
    assert export("~") == ["X2 spec.exportTo[0]"]
    assert export("Team_A", "-x") == ["X2 spec.exportTo[0]", "X2 spec.exportTo[1]"]
    assert export("~", "~") == ["X2 spec.exportTo[0]", "X2 spec.exportTo[1]"]  # never kept
    assert export("~", service_entry=True) == []


def test_export_to_selector_destination_rule() -> None:  # X3
    assert export("*", selector=True) == ["X3 spec.exportTo"]
    assert export(".", "team", selector=True) == ["X3 spec.exportTo"]
    assert export("team", selector=True) == ["X3 spec.exportTo"]


def test_export_to_public_and_none_stand_alone() -> None:  # X4, X5
    assert export("*", "team") == ["X4 spec.exportTo"]
    assert export("*", "*") == ["X1 spec.exportTo[1]", "X4 spec.exportTo"]
    assert export("~", "team", service_entry=True) == ["X5 spec.exportTo"]
    assert export("~", "~", service_entry=True) == ["X1 spec.exportTo[1]", "X5 spec.exportTo"]


def test_export_to_locates_in_a_resource() -> None:
    (resource,) = loads(
        "apiVersion: networking.istio.io/v1\nkind: VirtualService\n"
        "metadata: {name: r, namespace: shop}\nspec:\n  hosts: [r]\n  exportTo: ['.', '*']\n"
    )
    (diagnostic,) = check_export_to(
        resource.spec.export_to, namespace="shop", is_service_entry=False, resource=resource
    )
    assert (diagnostic.code, diagnostic.line, diagnostic.column) == ("X4", 6, 3)


# --------------------------------------------------------------------------- the corpus


def test_benchmark_corpus_is_valid() -> None:
    import sys  # noqa: PLC0415

    sys.path.insert(0, str(Path(__file__).parent.parent / "benchmarks"))
    try:
        from corpus import sidecar_documents, yaml_text  # noqa: PLC0415
    finally:
        sys.path.pop(0)
    results = [validate(resource) for resource in loads(yaml_text(sidecar_documents(300)))]
    assert all(result.ok for result in results)
    assert {d.code for result in results for d in result.warnings} == {"V8"}
