"""Server TLS settings of ingress listeners (V16, V25-V33)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from sidecar_model.errors import quoted
from sidecar_model.model import TLSMode, TLSProtocol
from sidecar_model.validation._schema import MAX_TLS_ITEMS

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sidecar_model.model import Port, ServerTLSSettings, TLSCertificate
    from sidecar_model.validation._report import Report


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


def check_ingress_tls(tls: ServerTLSSettings, port: Port, path: str, report: Report) -> None:
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
            f"protocol {quoted(port.protocol or '')}; set port.protocol to HTTPS or TLS, "
            "or remove tls",
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


def _check_tls_options(tls: ServerTLSSettings, mode: TLSMode, path: str, report: Report) -> None:
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


def _check_ciphers(tls: ServerTLSSettings, path: str, report: Report) -> None:
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


def _check_istio_mutual(tls: ServerTLSSettings, path: str, report: Report) -> None:
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
    tls: ServerTLSSettings, mode: TLSMode, path: str, report: Report
) -> None:
    """V32: what SIMPLE and MUTUAL TLS need."""
    prefix = "MUTUAL TLS" if mode in _MUTUAL_MODES else "SIMPLE TLS"
    if mode in _MUTUAL_MODES and not tls.ca_certificates:
        report.error("V32", path, f"{prefix} requires a client CA bundle: set caCertificates")
    if len(tls.tls_certificates) > MAX_TLS_ITEMS:
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
