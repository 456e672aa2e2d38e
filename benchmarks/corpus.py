"""A deterministic corpus of varied, valid Istio ``Sidecar`` manifests for the benchmarks.

:func:`sidecar_documents` builds plain Kubernetes-shaped dictionaries (camelCase field
names, as ``kubectl`` shows them) from a seeded :class:`random.Random`, so the same
``(n, seed)`` always gives the same corpus. :func:`yaml_text` renders them as one
multi-document YAML stream and :func:`json_text` as one ``kind: List`` JSON object.

Every document is meant to pass istiod's Sidecar validation (no errors; at most the
"workload selector without labels" warning that ``workloadSelector: {}`` earns):

* ingress port numbers are unique within a Sidecar, and so are the egress ones;
* TLS blocks appear only on HTTPS/TLS ingress ports, in mode SIMPLE with a
  certificate and key; HTTP pool settings appear only on HTTP-family ingress ports;
* a Unix-domain-socket egress listener has port number 0, a ``unix://`` bind and
  capture mode DEFAULT or NONE, and each socket path is used once;
* the catch-all egress listener (no port) is always the last one;
* every duration is at least 1ms and a whole number of milliseconds;
* ``egressProxy`` appears only with mode ALLOW_ANY and always names a port;
* every Sidecar sets at least one of ingress, egress, outboundTrafficPolicy or
  inboundConnectionPool.
"""

from __future__ import annotations

import json
import random
import uuid
from typing import Final

import yaml

__all__ = ["JsonObject", "json_text", "sidecar_documents", "yaml_text"]

#: A JSON-compatible object, as ``yaml.safe_load`` or ``json.loads`` return it.
JsonObject = dict[str, object]

API_VERSIONS: Final = (
    "networking.istio.io/v1",
    "networking.istio.io/v1beta1",
    "networking.istio.io/v1alpha3",
)
NAMESPACES: Final = (
    "default",
    "shop",
    "payments",
    "ns3",
    "checkout",
    "observability",
    "team-a",
    "team-b",
)
APPS: Final = (
    "productpage",
    "reviews",
    "ratings",
    "details",
    "cart",
    "catalog",
    "frontend",
    "ledger",
    "worker",
    "gateway-sim",
)
LABEL_KEYS: Final = (
    "app",
    "version",
    "tier",
    "app.kubernetes.io/name",
    "app.kubernetes.io/part-of",
    "team",
)
LABEL_VALUES: Final = ("v1", "v2", "canary", "backend", "frontend", "core", "edge", "blue")
ANNOTATIONS: Final = (
    ("owner", "platform-team@example.com"),
    ("sidecar.example.com/ticket", "NET-4211"),
    ("meta.helm.sh/release-name", "mesh-config"),
    ("meta.helm.sh/release-namespace", "istio-system"),
    ("description", "Restricts outbound traffic to the services this workload calls."),
)

# (protocol as written, is TLS family, is HTTP family). Mixed case on purpose:
# istiod parses protocols case-insensitively.
PROTOCOLS: Final = (
    ("HTTP", False, True),
    ("HTTP", False, True),
    ("http", False, True),
    ("HTTP2", False, True),
    ("GRPC", False, True),
    ("GRPC-Web", False, True),
    ("TCP", False, False),
    ("TCP", False, False),
    ("HTTPS", True, False),
    ("TLS", True, False),
    ("Mongo", False, False),
    ("Redis", False, False),
    ("MySQL", False, False),
)
CAPTURE_MODES: Final = ("DEFAULT", "IPTABLES", "NONE")
INGRESS_BINDS: Final = (  # listener addresses in manifests, nothing binds here
    "0.0.0.0",  # noqa: S104
    "10.1.2.3",
    "192.168.10.7",
    "::",
    "fd00::12",
)
CIPHER_SUITES: Final = (
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-CHACHA20-POLY1305",
)
# Go/protobuf duration texts Istio accepts for pool settings: >= 1ms, whole ms.
DURATIONS: Final = (
    "30ms",
    "250ms",
    "1s",
    "1.5s",
    "10s",
    "45s",
    "1m",
    "1m30s",
    "5m",
    "1h",
    "2h",
    "0.75s",
)
# "~ns/..." excludes hosts (istio/api sidecar.proto); the corpus only excludes after
# at least one inclusion, so every listener imports something.
HOST_NAMESPACES: Final = (".", "*", "istio-system", "ns3", "shop", "payments", "~shop")
HOST_NAMES: Final = (
    "*",
    "*.example.com",
    "debug.shop.svc.cluster.local",
    "reviews.default.svc.cluster.local",
    "api.example.org",
    "*.svc.cluster.local",
    "ledger.payments.svc.cluster.local",
)
# (chance of being set, field, values) of the numeric and duration HTTP pool fields.
HTTP_LIMITS: Final[tuple[tuple[float, str, tuple[object, ...]], ...]] = (
    (0.8, "http1MaxPendingRequests", (16, 64, 1024)),
    (0.8, "http2MaxRequests", (100, 1000, 10000)),
    (0.5, "maxRequestsPerConnection", (1, 10, 100)),
    (0.5, "maxRetries", (0, 1, 2, 3, 5)),
    (0.6, "idleTimeout", DURATIONS),
    (0.4, "maxConcurrentStreams", (100, 1000, 2147483647)),
)
EGRESS_PROXIES: Final = (
    "egress-proxy.istio-system.svc.cluster.local",
    "squid.proxy.svc.cluster.local",
    "egress.corp.example.com",
)


def sidecar_documents(n: int, seed: int = 0) -> list[JsonObject]:
    """Return ``n`` varied, valid Sidecar manifests; equal arguments give equal lists."""
    rng = random.Random(seed)
    return [_document(rng, index) for index in range(n)]


def yaml_text(docs: list[JsonObject]) -> str:
    """Render ``docs`` as one multi-document YAML stream (keys in insertion order)."""
    text: str = yaml.dump_all(docs, Dumper=yaml.CSafeDumper, sort_keys=False)
    return text


def json_text(docs: list[JsonObject]) -> str:
    """Render ``docs`` as a single ``kind: List`` JSON object, as ``kubectl get -o json`` does."""
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": docs})


# --------------------------------------------------------------------------- envelope


def _document(rng: random.Random, index: int) -> JsonObject:
    namespace = rng.choice(NAMESPACES)
    app = rng.choice(APPS)
    return {
        "apiVersion": rng.choice(API_VERSIONS),
        "kind": "Sidecar",
        "metadata": _metadata(rng, index, namespace, app),
        "spec": _spec(rng, namespace, app),
    }


def _metadata(rng: random.Random, index: int, namespace: str, app: str) -> JsonObject:
    metadata: JsonObject = {"name": f"{app}-sidecar-{index}", "namespace": namespace}
    if rng.random() < 0.7:
        metadata["labels"] = _labels(rng, app, rng.randint(1, 4))
    if rng.random() < 0.4:
        metadata["annotations"] = dict(rng.sample(ANNOTATIONS, rng.randint(1, 3)))
    if rng.random() < 0.6:
        month, day = rng.randint(1, 12), rng.randint(1, 28)
        hour, minute, second = rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59)
        metadata["creationTimestamp"] = (
            f"2024-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}Z"
        )
    if rng.random() < 0.5:
        metadata["resourceVersion"] = str(rng.randint(1_000, 99_999_999))
        metadata["uid"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        metadata["generation"] = rng.randint(1, 40)
    return metadata


def _labels(rng: random.Random, app: str, count: int) -> dict[str, str]:
    labels = {"app": app}
    for key in rng.sample(LABEL_KEYS[1:], count - 1):
        labels[key] = rng.choice(LABEL_VALUES)
    return labels


# --------------------------------------------------------------------------- spec


def _spec(rng: random.Random, namespace: str, app: str) -> JsonObject:
    spec: JsonObject = {}
    selector = rng.random()
    if selector < 0.6:
        spec["workloadSelector"] = {"labels": _labels(rng, app, rng.randint(1, 3))}
    elif selector < 0.65:
        spec["workloadSelector"] = {}
    elif selector < 0.7:
        spec["workloadSelector"] = {"labels": {}}
    if rng.random() < 0.5:
        spec["ingress"] = [
            _ingress_listener(rng, number) for number in _unique_ports(rng, rng.randint(1, 4))
        ]
    if rng.random() < 0.9:
        spec["egress"] = _egress_listeners(rng, namespace)
    if rng.random() < 0.3:
        spec["inboundConnectionPool"] = _connection_pool(rng, with_http=rng.random() < 0.7)
    if rng.random() < 0.4 or not spec.keys() - {"workloadSelector"}:
        spec["outboundTrafficPolicy"] = _outbound_traffic_policy(rng)
    return spec


def _unique_ports(rng: random.Random, count: int) -> list[int]:
    return rng.sample(range(1024, 65536), count)


def _port(rng: random.Random, number: int) -> tuple[JsonObject, bool, bool]:
    protocol, is_tls, is_http = rng.choice(PROTOCOLS)
    port: JsonObject = {"number": number, "protocol": protocol}
    if rng.random() < 0.8:
        port["name"] = f"{protocol.lower()}-{number}"
    return port, is_tls, is_http


def _ingress_listener(rng: random.Random, number: int) -> JsonObject:
    port, is_tls, is_http = _port(rng, number)
    listener: JsonObject = {"port": port}
    if rng.random() < 0.3:
        listener["bind"] = rng.choice(INGRESS_BINDS)
    if rng.random() < 0.3:
        listener["captureMode"] = rng.choice(CAPTURE_MODES)
    endpoint = rng.random()
    if endpoint < 0.6:
        listener["defaultEndpoint"] = f"127.0.0.1:{rng.randint(1024, 65535)}"
    elif endpoint < 0.7:
        listener["defaultEndpoint"] = f"unix:///var/run/app-{rng.randint(0, 9)}.sock"
    elif endpoint < 0.75:
        listener["defaultEndpoint"] = f"[::1]:{rng.randint(1024, 65535)}"
    if is_tls and rng.random() < 0.7:
        listener["tls"] = _server_tls(rng)
    if rng.random() < 0.3:
        listener["connectionPool"] = _connection_pool(rng, with_http=is_http)
    return listener


def _server_tls(rng: random.Random) -> JsonObject:
    tls: JsonObject = {
        "mode": "SIMPLE",
        "serverCertificate": "/etc/certs/servercert.pem",
        "privateKey": "/etc/certs/privatekey.pem",
    }
    if rng.random() < 0.7:
        tls["minProtocolVersion"] = rng.choice(("TLSV1_2", "TLSV1_3"))
    if rng.random() < 0.5:
        tls["cipherSuites"] = rng.sample(CIPHER_SUITES, rng.randint(1, 3))
    return tls


def _connection_pool(rng: random.Random, *, with_http: bool) -> JsonObject:
    pool: JsonObject = {}
    if not with_http or rng.random() < 0.7:
        tcp: JsonObject = {"maxConnections": rng.choice((10, 100, 1024, 4096))}
        if rng.random() < 0.7:
            tcp["connectTimeout"] = rng.choice(DURATIONS[:6])
        if rng.random() < 0.4:
            tcp["tcpKeepalive"] = {
                "probes": rng.randint(1, 9),
                "time": rng.choice(DURATIONS),
                "interval": rng.choice(DURATIONS[:8]),
            }
        pool["tcp"] = tcp
    if with_http:
        pool["http"] = _http_settings(rng)
    return pool


def _http_settings(rng: random.Random) -> JsonObject:
    http: JsonObject = {
        key: rng.choice(choices) for chance, key, choices in HTTP_LIMITS if rng.random() < chance
    }
    if rng.random() < 0.3:
        http["useClientProtocol"] = True
    if rng.random() < 0.4:
        # istiod rejects h2UpgradePolicy UPGRADE together with useClientProtocol: true.
        upgrade = () if http.get("useClientProtocol") else ("UPGRADE",)
        http["h2UpgradePolicy"] = rng.choice(("DEFAULT", "DO_NOT_UPGRADE", *upgrade))
    if rng.random() < 0.3:
        http["http2KeepAlive"] = {
            "interval": rng.choice(DURATIONS[2:8]),
            "timeout": rng.choice(DURATIONS[:5]),
        }
    return http or {"http2MaxRequests": 1000}


def _egress_listeners(rng: random.Random, namespace: str) -> list[JsonObject]:
    listeners: list[JsonObject] = []
    for number in _unique_ports(rng, rng.choice((0, 0, 1, 1, 2, 3))):
        port, _, _ = _port(rng, number)
        listener: JsonObject = {"port": port}
        if rng.random() < 0.3:
            listener["bind"] = "127.0.0.1"
            listener["captureMode"] = "NONE"
        listener["hosts"] = _hosts(rng, namespace, rng.randint(1, 3))
        listeners.append(listener)
    for socket in range(rng.choice((0, 0, 0, 1, 2))):
        path = "egress" if socket == 0 else f"egress-{socket}"
        listeners.append(
            {
                "port": {"number": 0, "protocol": "HTTP", "name": f"uds-{socket}"},
                "bind": f"unix:///var/run/{path}.sock",
                "captureMode": rng.choice(("NONE", "NONE", "DEFAULT")),
                "hosts": _hosts(rng, namespace, rng.randint(1, 2)),
            }
        )
    rng.shuffle(listeners)
    if not listeners or rng.random() < 0.8:
        listeners.append({"hosts": _hosts(rng, namespace, rng.randint(1, 5))})
    return listeners


def _hosts(rng: random.Random, namespace: str, count: int) -> list[str]:
    """Pick ``namespace/dnsName`` hosts that istiod accepts without duplicate warnings."""
    if rng.random() < 0.05:
        return ["*/*"]
    chosen: list[str] = []
    seen: dict[str, set[str]] = {}
    for _ in range(count * 3):
        if len(chosen) == count:
            break
        host_namespace = rng.choice(HOST_NAMESPACES)
        name = rng.choice(HOST_NAMES)
        if name == "*" and host_namespace == "*":
            continue  # "*/*" must stand alone
        if host_namespace.startswith("~") and not chosen:
            continue  # exclude only after importing something
        key = namespace if host_namespace == "." else host_namespace
        names = seen.setdefault(key, set())
        if name in names or "*" in names or (name == "*" and names):
            continue
        names.add(name)
        chosen.append(f"{host_namespace}/{name}")
    return chosen or ["./*"]


def _outbound_traffic_policy(rng: random.Random) -> JsonObject:
    if rng.random() < 0.5:
        return {"mode": "REGISTRY_ONLY"}
    policy: JsonObject = {"mode": "ALLOW_ANY"}
    if rng.random() < 0.4:
        proxy: JsonObject = {"host": rng.choice(EGRESS_PROXIES)}
        if rng.random() < 0.5:
            proxy["subset"] = rng.choice(("v1", "squid", "primary"))
        proxy["port"] = {"number": rng.choice((3128, 8080, 443))}
        policy["egressProxy"] = proxy
    return policy
