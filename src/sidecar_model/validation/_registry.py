"""Every validation rule as data: V1-V41 for Sidecars, X1-X5 for ``exportTo`` lists.

Each entry says what the rule checks, where it is enforced, which Istio function it follows,
and gives a manifest that breaks it and the same manifest fixed. The test suite loads every
example and checks that it yields exactly the codes in :attr:`Rule.expect` and that the fixed
one is clean. The rule reference of the documentation is rendered from this table (by
``docs/_ext/rules.py``), and a test keeps the page and the table in step.
"""

from __future__ import annotations

from typing import Final

from sidecar_model._collections import FrozenDict
from sidecar_model.validation._rule import Enforcement, Rule
from sidecar_model.validation.diagnostics import Severity

_E: Final = (Severity.ERROR,)
_W: Final = (Severity.WARNING,)
_VALIDATION: Final = "pkg/config/validation/validation.go"

_RULE_LIST: Final = (
    Rule(
        code="V1",
        title="istio.io/dry-run annotation",
        severities=_E,
        enforcement=Enforcement.VALIDATE,
        checks="Only AuthorizationPolicy may carry the `istio.io/dry-run` annotation, whatever "
        "its value. The metadata checks V1-V4 run first, and the first one that fails is "
        "the only finding.",
        istio=f"{_VALIDATION} checkDryRunAnnotation",
        invalid="""
            metadata:
              name: reviews
              namespace: shop
              annotations:
                istio.io/dry-run: "true"
            spec:
              egress:
              - hosts: ["./*"]
            """,
        fixed="""
            metadata:
              name: reviews
              namespace: shop
            spec:
              egress:
              - hosts: ["./*"]
            """,
        expect=("V1",),
    ),
    Rule(
        code="V2",
        title="webhook-always-reject annotation",
        severities=_E,
        enforcement=Enforcement.VALIDATE,
        checks="An object with the `internal.istio.io/webhook-always-reject` annotation is "
        "always rejected.",
        istio=f"{_VALIDATION} validateMetadata",
        invalid="""
            metadata:
              name: reviews
              namespace: shop
              annotations:
                internal.istio.io/webhook-always-reject: "true"
            spec:
              egress:
              - hosts: ["./*"]
            """,
        fixed="""
            metadata:
              name: reviews
              namespace: shop
            spec:
              egress:
              - hosts: ["./*"]
            """,
        expect=("V2",),
    ),
    Rule(
        code="V3",
        title="parent-namespace annotation",
        severities=_E,
        enforcement=Enforcement.VALIDATE,
        checks="`internal.istio.io/parent-namespace` is reserved for Istio and may not be set "
        "by users.",
        istio=f"{_VALIDATION} validateMetadata",
        invalid="""
            metadata:
              name: reviews
              namespace: shop
              annotations:
                internal.istio.io/parent-namespace: istio-system
            spec:
              egress:
              - hosts: ["./*"]
            """,
        fixed="""
            metadata:
              name: reviews
              namespace: shop
            spec:
              egress:
              - hosts: ["./*"]
            """,
        expect=("V3",),
    ),
    Rule(
        code="V4",
        title="parents annotation",
        severities=_E,
        enforcement=Enforcement.VALIDATE,
        checks="`internal.istio.io/parents` is reserved for Istio and may not be set by users.",
        istio=f"{_VALIDATION} validateMetadata",
        invalid="""
            metadata:
              name: reviews
              namespace: shop
              annotations:
                internal.istio.io/parents: Gateway/shop/main
            spec:
              egress:
              - hosts: ["./*"]
            """,
        fixed="""
            metadata:
              name: reviews
              namespace: shop
            spec:
              egress:
              - hosts: ["./*"]
            """,
        expect=("V4",),
    ),
    Rule(
        code="V5",
        title="empty selector key",
        severities=_E,
        enforcement=Enforcement.VALIDATE,
        checks="Every `workloadSelector` label needs a non-empty key.",
        istio=f"{_VALIDATION} ValidateAlphaWorkloadSelector",
        invalid="""
            spec:
              workloadSelector:
                labels:
                  "": reviews
              egress:
              - hosts: ["./*"]
            """,
        fixed="""
            spec:
              workloadSelector:
                labels:
                  app: reviews
              egress:
              - hosts: ["./*"]
            """,
        expect=("V5",),
    ),
    Rule(
        code="V6",
        title="wildcard in selector",
        severities=_E,
        enforcement=Enforcement.VALIDATE,
        checks="No `*` in a `workloadSelector` label key or value: selectors match exact "
        "values. (The CRD schema also forbids `*` in values; V6 reports both.)",
        istio=f"{_VALIDATION} ValidateAlphaWorkloadSelector",
        invalid="""
            spec:
              workloadSelector:
                labels:
                  app: "reviews-*"
              egress:
              - hosts: ["./*"]
            """,
        fixed="""
            spec:
              workloadSelector:
                labels:
                  app: reviews
              egress:
              - hosts: ["./*"]
            """,
        expect=("V6",),
    ),
    Rule(
        code="V7",
        title="selector errors stop validation",
        severities=(),
        enforcement=Enforcement.FLOW,
        checks="When V5 or V6 finds anything, Istio returns at once: those errors are the only "
        "findings, without warnings. Below, the short host name (V23) is not reported until "
        "the selector is fixed.",
        istio=f"{_VALIDATION} ValidateSidecar",
        invalid="""
            spec:
              workloadSelector:
                labels:
                  app: "*"
              egress:
              - hosts: ["shop/reviews"]
            """,
        fixed="""
            spec:
              workloadSelector:
                labels:
                  app: reviews
              egress:
              - hosts: ["shop/reviews.shop.svc.cluster.local"]
            """,
        expect=("V6",),
    ),
    Rule(
        code="V8",
        title="selector without labels",
        severities=_W,
        enforcement=Enforcement.VALIDATE,
        checks="A `workloadSelector` with no labels (`{}` or `labels: {}`) selects every "
        "workload of the namespace, yet outranks the namespace's selector-less Sidecar.",
        istio=f"{_VALIDATION} ValidateAlphaWorkloadSelector",
        invalid="""
            spec:
              workloadSelector: {}
              egress:
              - hosts: ["./*"]
            """,
        fixed="""
            spec:
              workloadSelector:
                labels:
                  app: reviews
              egress:
              - hosts: ["./*"]
            """,
        expect=("V8",),
    ),
    Rule(
        code="V9",
        title="empty configuration",
        severities=_E,
        enforcement=Enforcement.VALIDATE,
        checks="A Sidecar must set at least one of `ingress`, `egress`, `outboundTrafficPolicy` "
        "and `inboundConnectionPool` (a selector alone is not enough). This error is then the "
        "only finding: the V8 warning is dropped.",
        istio=f"{_VALIDATION} ValidateSidecar",
        invalid="""
            spec:
              workloadSelector:
                labels:
                  app: reviews
            """,
        fixed="""
            spec:
              workloadSelector:
                labels:
                  app: reviews
              egress:
              - hosts: ["./*", "istio-system/*"]
            """,
        expect=("V9",),
    ),
    Rule(
        code="V10",
        title="null ingress listener",
        severities=_E,
        enforcement=Enforcement.LOAD,
        checks="An `ingress` entry may not be null. Loading refuses it (`wrong-type`), so "
        "`validate()` never sees one.",
        istio=f"{_VALIDATION} ValidateSidecar",
        invalid="""
            spec:
              ingress:
              -
              egress:
              - hosts: ["./*"]
            """,
        fixed="""
            spec:
              egress:
              - hosts: ["./*"]
            """,
        expect=(),
    ),
    Rule(
        code="V11",
        title="ingress listener without port",
        severities=_E,
        enforcement=Enforcement.LOAD,
        checks="Every `ingress` entry needs a `port` (the CRD requires it too). Loading refuses "
        "an entry without one (`missing-field`).",
        istio=f"{_VALIDATION} ValidateSidecar",
        invalid="""
            spec:
              ingress:
              - defaultEndpoint: 127.0.0.1:8080
            """,
        fixed="""
            spec:
              ingress:
              - port:
                  number: 9080
                  protocol: HTTP
                  name: http
                defaultEndpoint: 127.0.0.1:8080
            """,
        expect=(),
    ),
    Rule(
        code="V12",
        title="ingress targetPort",
        severities=_E,
        enforcement=Enforcement.VALIDATE,
        checks="`port.targetPort` is deprecated and has no effect on Sidecars; a value above 0 "
        "is an error.",
        istio=f"{_VALIDATION} ValidateSidecar",
        invalid="""
            spec:
              ingress:
              - port:
                  number: 9080
                  protocol: HTTP
                  name: http
                  targetPort: 8080
                defaultEndpoint: 127.0.0.1:8080
            """,
        fixed="""
            spec:
              ingress:
              - port:
                  number: 9080
                  protocol: HTTP
                  name: http
                defaultEndpoint: 127.0.0.1:8080
            """,
        expect=("V12",),
    ),
    Rule(
        code="V13",
        title="ingress port and bind",
        severities=_E,
        enforcement=Enforcement.VALIDATE,
        checks="An ingress port name, when set, is a DNS-1123 label; the protocol, when set, is "
        "one Istio knows (any case); the number is 1..65535 (0 is only for egress sockets); "
        "`bind`, when set, is an IP address (Go `netip.ParseAddr`: zones allowed, no CIDR, "
        "no `unix://`).",
        istio=f"{_VALIDATION} validateSidecarIngressPortAndBind",
        invalid="""
            spec:
              ingress:
              - port:
                  number: 9080
                  protocol: HTTP
                  name: http_web
                defaultEndpoint: 127.0.0.1:8080
            """,
        fixed="""
            spec:
              ingress:
              - port:
                  number: 9080
                  protocol: HTTP
                  name: http-web
                defaultEndpoint: 127.0.0.1:8080
            """,
        expect=("V13",),
    ),
    Rule(
        code="V14",
        title="duplicate ingress port",
        severities=_E,
        enforcement=Enforcement.VALIDATE,
        checks="Port numbers are unique among ingress listeners, whatever their bind. An "
        "ingress and an egress listener may share a number.",
        istio=f"{_VALIDATION} ValidateSidecar",
        invalid="""
            spec:
              ingress:
              - port: {number: 9080, protocol: HTTP, name: http}
                defaultEndpoint: 127.0.0.1:8080
              - port: {number: 9080, protocol: GRPC, name: grpc}
                defaultEndpoint: 127.0.0.1:8081
            """,
        fixed="""
            spec:
              ingress:
              - port: {number: 9080, protocol: HTTP, name: http}
                defaultEndpoint: 127.0.0.1:8080
              - port: {number: 9081, protocol: GRPC, name: grpc}
                defaultEndpoint: 127.0.0.1:8081
            """,
        expect=("V14",),
    ),
    Rule(
        code="V15",
        title="defaultEndpoint",
        severities=_E,
        enforcement=Enforcement.VALIDATE,
        checks="`defaultEndpoint`, when set, is `127.0.0.1:PORT`, `0.0.0.0:PORT`, `[::1]:PORT`, "
        "`[::]:PORT`, `:PORT` (accepted, and behaves as if unset) or `unix:///absolute/path` "
        "(or `unix://@abstract`); the port is 1..65535. Where the text does not split into "
        "host and port, Istio also reports that the empty port is not a number; we report "
        "the split failure once.",
        istio=f"{_VALIDATION} ValidateSidecar, ValidateUnixAddress",
        invalid="""
            spec:
              ingress:
              - port: {number: 9080, protocol: HTTP, name: http}
                defaultEndpoint: localhost:8080
            """,
        fixed="""
            spec:
              ingress:
              - port: {number: 9080, protocol: HTTP, name: http}
                defaultEndpoint: 127.0.0.1:8080
            """,
        expect=("V15",),
    ),
    Rule(
        code="V16",
        title="ingress TLS settings",
        severities=_E,
        enforcement=Enforcement.VALIDATE,
        checks="Ingress `tls` may not use `subjectAltNames`, `httpsRedirect`, `credentialName`, "
        "`credentialNames` or `tlsCertificates`, nor mode `ISTIO_MUTUAL` or "
        "`AUTO_PASSTHROUGH`; and only an HTTPS or TLS port may have `tls` (an empty protocol "
        "is neither). A `tls` without `mode` means PASSTHROUGH, which is accepted. The TLS "
        "options V25-V33 are checked next.",
        istio=f"{_VALIDATION} ValidateSidecar",
        invalid="""
            spec:
              ingress:
              - port: {number: 9443, protocol: HTTP, name: web}
                defaultEndpoint: 127.0.0.1:8080
                tls:
                  mode: SIMPLE
                  serverCertificate: /etc/certs/cert.pem
                  privateKey: /etc/certs/key.pem
            """,
        fixed="""
            spec:
              ingress:
              - port: {number: 9443, protocol: HTTPS, name: web}
                defaultEndpoint: 127.0.0.1:8080
                tls:
                  mode: SIMPLE
                  serverCertificate: /etc/certs/cert.pem
                  privateKey: /etc/certs/key.pem
            """,
        expect=("V16",),
    ),
    Rule(
        code="V17",
        title="HTTP pool on a non-HTTP port",
        severities=_W,
        enforcement=Enforcement.VALIDATE,
        checks="An ingress `connectionPool.http` on a port whose protocol is not HTTP, HTTP2, "
        "HTTP_PROXY, GRPC or GRPC-Web (an empty protocol included) has no effect: only the "
        "`tcp` settings apply. The pool itself is checked by V34-V37.",
        istio=f"{_VALIDATION} ValidateSidecar",
        invalid="""
            spec:
              ingress:
              - port: {number: 9080, protocol: TCP, name: tcp}
                connectionPool:
                  http:
                    http1MaxPendingRequests: 64
            """,
        fixed="""
            spec:
              ingress:
              - port: {number: 9080, protocol: HTTP, name: http}
                connectionPool:
                  http:
                    http1MaxPendingRequests: 64
            """,
        expect=("V17",),
    ),
    Rule(
        code="V18",
        title="inbound connection pool",
        severities=(),
        enforcement=Enforcement.FLOW,
        checks="`inboundConnectionPool` is checked like every pool, by V34-V37; their "
        "diagnostics carry those codes.",
        istio=f"{_VALIDATION} ValidateSidecar, validateConnectionPool",
        invalid="""
            spec:
              inboundConnectionPool: {}
            """,
        fixed="""
            spec:
              inboundConnectionPool:
                tcp:
                  maxConnections: 100
            """,
        expect=("V34",),
    ),
    Rule(
        code="V19",
        title="null egress listener",
        severities=_E,
        enforcement=Enforcement.LOAD,
        checks="An `egress` entry may not be null. Loading refuses it (`wrong-type`).",
        istio=f"{_VALIDATION} ValidateSidecar",
        invalid="""
            spec:
              egress:
              - hosts: ["./*"]
              -
            """,
        fixed="""
            spec:
              egress:
              - hosts: ["./*"]
            """,
        expect=(),
    ),
    Rule(
        code="V20",
        title="catch-all egress listener not last",
        severities=_E,
        enforcement=Enforcement.VALIDATE,
        checks="An egress listener without `port` takes every port its hosts have, so it must "
        "be the last listener. Istio's 'only one port-less listener' error can never fire: "
        "each port-less listener before the last gets this error instead. The `bind` and "
        "`captureMode` of a port-less listener are not checked.",
        istio=f"{_VALIDATION} ValidateSidecar",
        invalid="""
            spec:
              egress:
              - hosts: ["./*"]
              - port: {number: 8080, protocol: HTTP, name: http}
                hosts: ["istio-system/*"]
            """,
        fixed="""
            spec:
              egress:
              - port: {number: 8080, protocol: HTTP, name: http}
                hosts: ["istio-system/*"]
              - hosts: ["./*"]
            """,
        expect=("V20",),
    ),
    Rule(
        code="V21",
        title="egress port, bind and capture mode",
        severities=_E,
        enforcement=Enforcement.VALIDATE,
        checks="For an egress listener with a port: no `targetPort`; a valid port name and "
        "protocol. Port number 0 (or none) makes a Unix domain socket listener: its `bind` "
        "must be `unix:///absolute/path` or `unix://@abstract`, its `captureMode` DEFAULT or "
        "NONE, and its bind unique among socket listeners. Any other number is 1..65535, "
        "unique among egress listeners (whatever their bind), with an IP address as `bind`.",
        istio=f"{_VALIDATION} validateSidecarEgressPortBindAndCaptureMode",
        invalid="""
            spec:
              egress:
              - port: {number: 0, protocol: HTTP, name: uds}
                hosts: ["./*"]
            """,
        fixed="""
            spec:
              egress:
              - port: {number: 0, protocol: HTTP, name: uds}
                bind: unix:///var/run/app/egress.sock
                hosts: ["./*"]
            """,
        expect=("V21",),
    ),
    Rule(
        code="V22",
        title="egress listener without hosts",
        severities=_E,
        enforcement=Enforcement.LOAD_AND_VALIDATE,
        checks="Every egress listener lists at least one host. A missing `hosts` is refused by "
        "loading (the CRD requires the field); an empty list by `validate()`.",
        istio=f"{_VALIDATION} ValidateSidecar",
        invalid="""
            spec:
              egress:
              - hosts: []
            """,
        fixed="""
            spec:
              egress:
              - hosts: ["./*"]
            """,
        expect=("V22",),
    ),
    Rule(
        code="V23",
        title="egress host syntax",
        severities=_E,
        enforcement=Enforcement.VALIDATE,
        checks="Each host reads `namespace/dnsName`. The namespace is `*`, `.`, a namespace "
        "name or empty, optionally after one `~` (an exclusion); the dnsName is `*` or a "
        "fully qualified name (upper case and a trailing dot are fine) whose first label may "
        "be `*`, `*x` or `*-x`, whose other labels are DNS-1123 labels, and whose last label "
        "is not all digits (so `ns/10.0.0.1` fails but `ns/10.0.0.1.` passes); a `*` "
        "elsewhere is a partial wildcard. The message draws a caret under the bad part. "
        "Istio repeats a domain error twice; we report it once.",
        istio="pkg/config/validation/agent/validation.go ValidateNamespaceSlashWildcardHostname",
        invalid="""
            spec:
              egress:
              - hosts: ["prod/*foo.com"]
            """,
        fixed="""
            spec:
              egress:
              - hosts: ["prod/*.foo.com"]
            """,
        expect=("V23",),
    ),
    Rule(
        code="V24",
        title="duplicated egress host",
        severities=_W,
        enforcement=Enforcement.VALIDATE,
        checks="Within one listener, a host already selected by an earlier entry of the same "
        "namespace (the same name, or `ns/*`) is a duplicate, and `*/*` next to other hosts "
        "makes them pointless. `.` stands for the Sidecar's namespace; `~` entries and "
        "overlaps across namespaces (`*/x` and `ns/x`) are not compared.",
        istio=f"{_VALIDATION} ValidateSidecar",
        invalid="""
            spec:
              egress:
              - hosts: ["./*", "./reviews.shop.svc.cluster.local"]
            """,
        fixed="""
            spec:
              egress:
              - hosts: ["./*"]
            """,
        expect=("V24",),
    ),
    Rule(
        code="V25",
        title="old TLS version without ciphers",
        severities=_W,
        enforcement=Enforcement.VALIDATE,
        checks="`minProtocolVersion` TLSV1_0 or TLSV1_1 needs explicit `cipherSuites`: the "
        "default ones no longer work with those versions.",
        istio=f"{_VALIDATION} validateTLSOptions",
        invalid="""
            spec:
              ingress:
              - port: {number: 9443, protocol: HTTPS, name: https}
                tls:
                  mode: SIMPLE
                  serverCertificate: /etc/certs/cert.pem
                  privateKey: /etc/certs/key.pem
                  minProtocolVersion: TLSV1_1
            """,
        fixed="""
            spec:
              ingress:
              - port: {number: 9443, protocol: HTTPS, name: https}
                tls:
                  mode: SIMPLE
                  serverCertificate: /etc/certs/cert.pem
                  privateKey: /etc/certs/key.pem
                  minProtocolVersion: TLSV1_2
            """,
        expect=("V25",),
    ),
    Rule(
        code="V26",
        title="invalid cipher suites",
        severities=_W,
        enforcement=Enforcement.VALIDATE,
        checks="Cipher suites must be among those Envoy supports (for example "
        "`ECDHE-RSA-AES128-GCM-SHA256`); unknown ones are ignored. `ALL`, the empty string "
        "and operator syntax (`-X`, `+X`, `!X`) pass unchecked.",
        istio="pkg/config/security/security.go IsValidCipherSuite",
        invalid="""
            spec:
              ingress:
              - port: {number: 9443, protocol: HTTPS, name: https}
                tls:
                  mode: SIMPLE
                  serverCertificate: /etc/certs/cert.pem
                  privateKey: /etc/certs/key.pem
                  cipherSuites: [TLS_AES_128_GCM_SHA256]
            """,
        fixed="""
            spec:
              ingress:
              - port: {number: 9443, protocol: HTTPS, name: https}
                tls:
                  mode: SIMPLE
                  serverCertificate: /etc/certs/cert.pem
                  privateKey: /etc/certs/key.pem
                  cipherSuites: [ECDHE-RSA-AES128-GCM-SHA256]
            """,
        expect=("V26",),
    ),
    Rule(
        code="V27",
        title="duplicate cipher suites",
        severities=_W,
        enforcement=Enforcement.VALIDATE,
        checks="A valid cipher suite listed twice is ignored the second time.",
        istio=f"{_VALIDATION} validateTLSOptions",
        invalid="""
            spec:
              ingress:
              - port: {number: 9443, protocol: HTTPS, name: https}
                tls:
                  mode: SIMPLE
                  serverCertificate: /etc/certs/cert.pem
                  privateKey: /etc/certs/key.pem
                  cipherSuites: [AES128-SHA, AES128-SHA]
            """,
        fixed="""
            spec:
              ingress:
              - port: {number: 9443, protocol: HTTPS, name: https}
                tls:
                  mode: SIMPLE
                  serverCertificate: /etc/certs/cert.pem
                  privateKey: /etc/certs/key.pem
                  cipherSuites: [AES128-SHA]
            """,
        expect=("V27",),
    ),
    Rule(
        code="V28",
        title="certificates with ISTIO_MUTUAL",
        severities=_E,
        enforcement=Enforcement.VALIDATE,
        checks="With mode ISTIO_MUTUAL (already an error on a Sidecar, V16), each of "
        "`serverCertificate`, `privateKey`, `caCertificates`, `tlsCertificates`, "
        "`credentialName`, `credentialNames` is one more error, and V29-V33 are skipped.",
        istio=f"{_VALIDATION} validateTLSOptions",
        invalid="""
            spec:
              ingress:
              - port: {number: 9443, protocol: HTTPS, name: https}
                tls:
                  mode: ISTIO_MUTUAL
                  serverCertificate: /etc/certs/cert.pem
            """,
        fixed="""
            spec:
              ingress:
              - port: {number: 9443, protocol: HTTPS, name: https}
                tls:
                  mode: SIMPLE
                  serverCertificate: /etc/certs/cert.pem
                  privateKey: /etc/certs/key.pem
            """,
        expect=("V16", "V28"),
    ),
    Rule(
        code="V29",
        title="certificates with PASSTHROUGH",
        severities=_W,
        enforcement=Enforcement.VALIDATE,
        checks="Modes PASSTHROUGH (the default when `mode` is unset) and AUTO_PASSTHROUGH do "
        "not terminate TLS, so certificates, keys, CA bundles and CRLs are ignored.",
        istio=f"{_VALIDATION} validateTLSOptions",
        invalid="""
            spec:
              ingress:
              - port: {number: 9443, protocol: HTTPS, name: https}
                tls:
                  serverCertificate: /etc/certs/cert.pem
                  privateKey: /etc/certs/key.pem
            """,
        fixed="""
            spec:
              ingress:
              - port: {number: 9443, protocol: HTTPS, name: https}
                tls:
                  mode: SIMPLE
                  serverCertificate: /etc/certs/cert.pem
                  privateKey: /etc/certs/key.pem
            """,
        expect=("V29",),
    ),
    Rule(
        code="V30",
        title="several certificate sources",
        severities=_E,
        enforcement=Enforcement.VALIDATE,
        checks="At most one certificate source: `serverCertificate` with `privateKey`, "
        "`credentialName`, `credentialNames` or `tlsCertificates`.",
        istio=f"{_VALIDATION} validateTLSOptions",
        invalid="""
            spec:
              ingress:
              - port: {number: 9443, protocol: HTTPS, name: https}
                tls:
                  mode: SIMPLE
                  serverCertificate: /etc/certs/cert.pem
                  privateKey: /etc/certs/key.pem
                  credentialName: reviews-cert
            """,
        fixed="""
            spec:
              ingress:
              - port: {number: 9443, protocol: HTTPS, name: https}
                tls:
                  mode: SIMPLE
                  serverCertificate: /etc/certs/cert.pem
                  privateKey: /etc/certs/key.pem
            """,
        expect=("V16", "V30"),
    ),
    Rule(
        code="V31",
        title="remote credentials stop the TLS checks",
        severities=(),
        enforcement=Enforcement.FLOW,
        checks="With mode SIMPLE, MUTUAL or OPTIONAL_MUTUAL and a `credentialName(s)`, the "
        "certificate is fetched remotely, so V32 and V33 are skipped (on a Sidecar the "
        "credential is already an error, V16).",
        istio=f"{_VALIDATION} validateTLSOptions",
        invalid="""
            spec:
              ingress:
              - port: {number: 9443, protocol: HTTPS, name: https}
                tls:
                  mode: SIMPLE
                  credentialName: reviews-cert
            """,
        fixed="""
            spec:
              ingress:
              - port: {number: 9443, protocol: HTTPS, name: https}
                tls:
                  mode: SIMPLE
                  serverCertificate: /etc/certs/cert.pem
                  privateKey: /etc/certs/key.pem
            """,
        expect=("V16",),
    ),
    Rule(
        code="V32",
        title="what SIMPLE and MUTUAL TLS need",
        severities=(Severity.ERROR, Severity.WARNING),
        enforcement=Enforcement.VALIDATE,
        checks="SIMPLE, MUTUAL and OPTIONAL_MUTUAL need a `serverCertificate` and a "
        "`privateKey` (checked per entry of `tlsCertificates` when that is set); MUTUAL and "
        "OPTIONAL_MUTUAL also need `caCertificates`. More than two `tlsCertificates` is a "
        "warning.",
        istio=f"{_VALIDATION} validateTLSOptions",
        invalid="""
            spec:
              ingress:
              - port: {number: 9443, protocol: HTTPS, name: https}
                tls:
                  mode: SIMPLE
                  serverCertificate: /etc/certs/cert.pem
            """,
        fixed="""
            spec:
              ingress:
              - port: {number: 9443, protocol: HTTPS, name: https}
                tls:
                  mode: SIMPLE
                  serverCertificate: /etc/certs/cert.pem
                  privateKey: /etc/certs/key.pem
            """,
        expect=("V32",),
    ),
    Rule(
        code="V33",
        title="CRL restrictions",
        severities=_E,
        enforcement=Enforcement.VALIDATE,
        checks="`caCrl` cannot be combined with `credentialName` (put the CRL in the "
        "credential) and is not supported with mode SIMPLE.",
        istio=f"{_VALIDATION} validateTLSOptions",
        invalid="""
            spec:
              ingress:
              - port: {number: 9443, protocol: HTTPS, name: https}
                tls:
                  mode: SIMPLE
                  serverCertificate: /etc/certs/cert.pem
                  privateKey: /etc/certs/key.pem
                  caCrl: /etc/certs/crl.pem
            """,
        fixed="""
            spec:
              ingress:
              - port: {number: 9443, protocol: HTTPS, name: https}
                tls:
                  mode: MUTUAL
                  serverCertificate: /etc/certs/cert.pem
                  privateKey: /etc/certs/key.pem
                  caCertificates: /etc/certs/ca.pem
                  caCrl: /etc/certs/crl.pem
            """,
        expect=("V33",),
    ),
    Rule(
        code="V34",
        title="empty connection pool",
        severities=_E,
        enforcement=Enforcement.VALIDATE,
        checks="A connection pool (`inboundConnectionPool` or an ingress `connectionPool`) "
        "sets `tcp` or `http`; nothing else in an empty one is checked.",
        istio=f"{_VALIDATION} validateConnectionPool",
        invalid="""
            spec:
              ingress:
              - port: {number: 9080, protocol: HTTP, name: http}
                connectionPool: {}
            """,
        fixed="""
            spec:
              ingress:
              - port: {number: 9080, protocol: HTTP, name: http}
                connectionPool:
                  http:
                    http2MaxRequests: 1000
            """,
        expect=("V34",),
    ),
    Rule(
        code="V35",
        title="HTTP pool settings",
        severities=_E,
        enforcement=Enforcement.VALIDATE,
        checks="`http1MaxPendingRequests`, `http2MaxRequests`, `maxRequestsPerConnection`, "
        "`maxRetries` and `maxConcurrentStreams` are not negative; `useClientProtocol: true` "
        "does not go with `h2UpgradePolicy: UPGRADE`; an `http2KeepAlive` sets both "
        "`interval` and `timeout`. Its durations are checked by V37.",
        istio=f"{_VALIDATION} validateConnectionPool",
        invalid="""
            spec:
              inboundConnectionPool:
                http:
                  maxRetries: -1
            """,
        fixed="""
            spec:
              inboundConnectionPool:
                http:
                  maxRetries: 3
            """,
        expect=("V35",),
    ),
    Rule(
        code="V36",
        title="TCP pool settings",
        severities=_E,
        enforcement=Enforcement.VALIDATE,
        checks="`maxConnections` is not negative. Its durations are checked by V37, except "
        "that an `idleTimeout` that truncates to 0 ms (`0s`, or anything under 1 ms) means "
        "'disabled' and is accepted.",
        istio=f"{_VALIDATION} validateConnectionPool",
        invalid="""
            spec:
              inboundConnectionPool:
                tcp:
                  maxConnections: -1
            """,
        fixed="""
            spec:
              inboundConnectionPool:
                tcp:
                  maxConnections: 100
                  idleTimeout: 0s
            """,
        expect=("V36",),
    ),
    Rule(
        code="V37",
        title="pool durations",
        severities=_E,
        enforcement=Enforcement.VALIDATE,
        checks="Pool durations (`connectTimeout`, `maxConnectionDuration`, `idleTimeout`, "
        "`tcpKeepalive.time`/`interval`, `http2KeepAlive.interval`/`timeout`) are at least "
        "1 ms and a whole number of milliseconds.",
        istio="pkg/config/validation/agent/validation.go ValidateDuration",
        invalid="""
            spec:
              inboundConnectionPool:
                tcp:
                  connectTimeout: 1500us
            """,
        fixed="""
            spec:
              inboundConnectionPool:
                tcp:
                  connectTimeout: 2ms
            """,
        expect=("V37",),
    ),
    Rule(
        code="V38",
        title="ALLOW_ANY_DYNAMIC_DNS on a Sidecar",
        severities=_E,
        enforcement=Enforcement.LOAD,
        checks="The outbound mode ALLOW_ANY_DYNAMIC_DNS (numeric 3) exists only in "
        "MeshConfig. The model's mode enum has only REGISTRY_ONLY and ALLOW_ANY, as the CRD, "
        "so loading refuses any other name or number (`unknown-enum`).",
        istio=f"{_VALIDATION} validateSidecarOutboundTrafficPolicy",
        invalid="""
            spec:
              outboundTrafficPolicy:
                mode: ALLOW_ANY_DYNAMIC_DNS
            """,
        fixed="""
            spec:
              outboundTrafficPolicy:
                mode: ALLOW_ANY
            """,
        expect=(),
    ),
    Rule(
        code="V39",
        title="egressProxy",
        severities=_E,
        enforcement=Enforcement.VALIDATE,
        checks="`egressProxy` needs mode ALLOW_ANY (an `outboundTrafficPolicy` without `mode` "
        "means REGISTRY_ONLY); its host is a fully qualified name; it needs a `port` with a "
        "number 1..65535; a `subset`, when set, is a DNS-1123 label. Istio checks the host "
        "twice (as an FQDN, then as a wildcard domain, which can only fail where the first "
        "check did); we report it once.",
        istio=f"{_VALIDATION} validateSidecarOutboundTrafficPolicy, validateDestination",
        invalid="""
            spec:
              outboundTrafficPolicy:
                egressProxy:
                  host: squid.proxy.svc.cluster.local
                  port: {number: 3128}
            """,
        fixed="""
            spec:
              outboundTrafficPolicy:
                mode: ALLOW_ANY
                egressProxy:
                  host: squid.proxy.svc.cluster.local
                  port: {number: 3128}
            """,
        expect=("V39",),
    ),
    Rule(
        code="V40",
        title="what Istio does not check",
        severities=(),
        enforcement=Enforcement.NOT_CHECKED,
        checks="Not checked, though used at run time: `bind` and `captureMode` of a port-less "
        "egress listener (every generated listener then uses them); that a `bind` comes with "
        "a port; that the egressProxy host is imported; duplicate port numbers across ingress "
        "and egress; that referenced namespaces and services exist; the egress port protocol "
        "against TLS; selectors on root-namespace Sidecars; several Sidecars per namespace or "
        "workload (the analyzer reports those); ingress `caCertCredentialName`. The first "
        "example is accepted as it stands.",
        istio=f"{_VALIDATION} ValidateSidecar",
        invalid="""
            spec:
              egress:
              - bind: not-an-address
                captureMode: IPTABLES
                hosts: ["./*"]
            """,
        fixed="""
            spec:
              egress:
              - hosts: ["./*"]
            """,
        expect=(),
    ),
    Rule(
        code="V41",
        title="CRD schema",
        severities=_E,
        enforcement=Enforcement.LOAD_AND_VALIDATE,
        checks="The API server checks the CRD schema before calling the webhook. Loading "
        "enforces required fields (`ingress[].port`, `egress[].hosts`, `egressProxy.host`), "
        "enum names, integer ranges and types. `validate()` enforces the rest, and reports "
        "it before the webhook's findings: at most 256 selector labels, each value at most "
        "63 characters (a `*` is reported by V6); at most one of `credentialNames` and "
        "`tlsCertificates`, and of `credentialName` and `credentialNames`; at most two "
        "`credentialNames` or `tlsCertificates`; and pool durations of at least 1 ms where "
        "the webhook stopped early (V7, V9) and so did not check them itself (V37). An empty "
        "`credentialNames: []` breaks the CRD's minimum of one item but is not caught: the "
        "model, like protobuf, cannot tell it from an absent list.",
        istio="istio/api kubernetes/customresourcedefinitions.gen.yaml (sidecars)",
        invalid="""
            spec:
              workloadSelector:
                labels:
                  app: reviews-v2-canary-with-a-label-value-that-is-longer-than-63-chars
              egress:
              - hosts: ["./*"]
            """,
        fixed="""
            spec:
              workloadSelector:
                labels:
                  app: reviews-v2-canary
              egress:
              - hosts: ["./*"]
            """,
        expect=("V41",),
    ),
    Rule(
        code="X1",
        title="duplicate exportTo entries",
        severities=_E,
        enforcement=Enforcement.EXPORT_TO,
        checks="No entry twice; `.` and the object's own namespace name count as the same.",
        istio=f"{_VALIDATION} validateExportTo",
        invalid="""
            kind: VirtualService
            metadata: {name: reviews, namespace: shop}
            spec:
              exportTo: [".", shop]
            """,
        fixed="""
            kind: VirtualService
            metadata: {name: reviews, namespace: shop}
            spec:
              exportTo: ["."]
            """,
        expect=("X1",),
    ),
    Rule(
        code="X2",
        title="exportTo entry syntax",
        severities=_E,
        enforcement=Enforcement.EXPORT_TO,
        checks="Entries are `.`, `*` or a namespace name (a DNS-1123 label); `~` (no one) is "
        "allowed only on ServiceEntries.",
        istio=f"{_VALIDATION} validateExportTo, pkg/config/visibility/visibility.go Validate",
        invalid="""
            kind: VirtualService
            metadata: {name: reviews, namespace: shop}
            spec:
              exportTo: ["~"]
            """,
        fixed="""
            kind: VirtualService
            metadata: {name: reviews, namespace: shop}
            spec:
              exportTo: ["."]
            """,
        expect=("X2",),
    ),
    Rule(
        code="X3",
        title="exportTo of a selector DestinationRule",
        severities=_E,
        enforcement=Enforcement.EXPORT_TO,
        checks="A DestinationRule with a `workloadSelector` may only be exported to its own "
        "namespace.",
        istio=f"{_VALIDATION} validateExportTo",
        invalid="""
            kind: DestinationRule
            metadata: {name: reviews, namespace: shop}
            spec:
              workloadSelector:
                matchLabels: {app: reviews}
              exportTo: ["*"]
            """,
        fixed="""
            kind: DestinationRule
            metadata: {name: reviews, namespace: shop}
            spec:
              workloadSelector:
                matchLabels: {app: reviews}
              exportTo: ["."]
            """,
        expect=("X3",),
    ),
    Rule(
        code="X4",
        title="'*' with other exportTo entries",
        severities=_E,
        enforcement=Enforcement.EXPORT_TO,
        checks="`*` already exports everywhere, so it stands alone.",
        istio=f"{_VALIDATION} validateExportTo",
        invalid="""
            kind: VirtualService
            metadata: {name: reviews, namespace: shop}
            spec:
              exportTo: ["*", team-a]
            """,
        fixed="""
            kind: VirtualService
            metadata: {name: reviews, namespace: shop}
            spec:
              exportTo: ["*"]
            """,
        expect=("X4",),
    ),
    Rule(
        code="X5",
        title="'~' with other exportTo entries",
        severities=_E,
        enforcement=Enforcement.EXPORT_TO,
        checks="A ServiceEntry exported to no one (`~`) cannot also be exported to someone.",
        istio=f"{_VALIDATION} validateExportTo",
        invalid="""
            kind: ServiceEntry
            metadata: {name: ledger, namespace: shop}
            spec:
              exportTo: ["~", team-a]
            """,
        fixed="""
            kind: ServiceEntry
            metadata: {name: ledger, namespace: shop}
            spec:
              exportTo: ["~"]
            """,
        expect=("X5",),
    ),
)

#: Every rule by code, in Istio's order: V1-V41, then X1-X5.
RULES: Final[FrozenDict[str, Rule]] = FrozenDict((rule.code, rule) for rule in _RULE_LIST)

#: The rules by family, in order: the sections of the rule reference.
FAMILIES: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    ("Metadata and workload selector", tuple(f"V{n}" for n in range(1, 10))),
    ("Ingress listeners", tuple(f"V{n}" for n in range(10, 19))),
    ("Egress listeners", tuple(f"V{n}" for n in range(19, 25))),
    ("Server TLS", tuple(f"V{n}" for n in range(25, 34))),
    ("Connection pools", tuple(f"V{n}" for n in range(34, 38))),
    ("Outbound traffic policy", ("V38", "V39")),
    ("What Istio does not check, and the CRD schema", ("V40", "V41")),
    ("exportTo lists", tuple(f"X{n}" for n in range(1, 6))),
)
