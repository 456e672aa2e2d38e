"""Seeded generators of raw meshes: YAML manifests plus the ``istio`` ConfigMap's MeshConfig.

:func:`generate` returns the text of a small mesh (a few namespaces, Kubernetes Services,
ServiceEntries, Sidecars, VirtualServices and Pods) and the names of the branches it
reaches (:data:`FEATURES`), so tests can measure how often each is exercised. Everything is
written as a user would write it; nothing here builds library objects. Inputs for the areas
listed in :mod:`tests.oracle.switches` appear only when their switch is on.

Share of the meshes of seeds 0 to 999 (all switches off) that reach each branch; the
generator's own choices first, then outcomes the reference's answers show
(``tests/test_oracle.py`` measures them again and fails below about half of these):

.. code-block:: text

    egress bind                                   63.5%
    egress captureMode NONE                       40.0%
    unix socket listener                          34.0%
    interception NONE                             45.8%
    interception TPROXY                           20.4%
    ported plus catch-all                         85.6%
    ported only                                   54.7%
    HTTP_PROXY listener                           44.2%
    reserved proxy port                           27.2%
    exportTo .                                    61.4%
    exportTo *                                    63.3%
    exportTo ~                                    62.3%
    exportTo namespace                            85.8%
    exportTo annotation                           95.3%
    exclusion host                                81.3%
    host ns/*                                     94.2%
    host */*                                      80.6%
    host ./name                                   81.5%
    host */wildcard                               79.7%
    host ns/exact                                 82.9%
    root default                                  69.8%
    workload selector                             79.2%
    empty selector                                11.0%
    headless service                              30.2%
    ExternalName alias                            14.5%
    wildcard ServiceEntry                         38.0%
    ServiceEntry shadowing a Service              24.7%
    VirtualService sourceNamespace                32.8%
    VirtualService mirror                         26.2%
    VirtualService tcp route                      25.9%
    defaultVirtualServiceExportTo .               16.8%
    defaultServiceExportTo .                      16.6%
    ingress listener                              56.7%
    dual-stack or IPv6 pod                        28.1%
    delegate VirtualService                        0.0%
    gateway pod                                    0.0%
    waypoint pod                                  17.7%
    malformed egress host                         24.3%
    listener with shadowed hosts                  11.8%
    socket-binding listener                       53.5%
    unix socket listener built                    18.7%
    ported and catch-all listeners in one proxy   26.3%
    TCP services sharing a listener                9.7%
    sniffed listener on a service address         36.9%
    inbound listener                              80.3%
    gateway default scope                         17.7%

Delegate VirtualServices and gateway pods appear only with their switches on (in about 32%
and 33% of meshes then).
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import yaml

#: libyaml's safe dumper when PyYAML has it (the same text, several times faster).
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
ROOT = "istio-system"
ANY = "0.0.0.0"  # noqa: S104 - an address written in a manifest, nothing binds here
EPOCH = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)

#: Branches the generator aims at; :func:`generate` reports which ones a mesh reaches.
FEATURES = (
    "egress bind",
    "egress captureMode NONE",
    "unix socket listener",
    "interception NONE",
    "interception TPROXY",
    "ported plus catch-all",
    "ported only",
    "HTTP_PROXY listener",
    "reserved proxy port",
    "exportTo .",
    "exportTo *",
    "exportTo ~",
    "exportTo namespace",
    "exportTo annotation",
    "exclusion host",
    "host ns/*",
    "host */*",
    "host ./name",
    "host */wildcard",
    "host ns/exact",
    "root default",
    "workload selector",
    "empty selector",
    "headless service",
    "ExternalName alias",
    "wildcard ServiceEntry",
    "ServiceEntry shadowing a Service",
    "VirtualService sourceNamespace",
    "VirtualService mirror",
    "VirtualService tcp route",
    "defaultVirtualServiceExportTo .",
    "defaultServiceExportTo .",
    "ingress listener",
    "dual-stack or IPv6 pod",
    "delegate VirtualService",
    "gateway pod",
    "waypoint pod",
    "malformed egress host",
    "outbound traffic policy",
)

PORTS = (
    ("http", 80, "HTTP"),
    ("http-alt", 8080, "HTTP"),
    ("grpc-api", 9090, "GRPC"),
    ("tcp-db", 5432, "TCP"),
    ("redis", 6379, "Redis"),
    ("mysql", 3306, "MySQL"),
    ("https", 443, "HTTPS"),
    ("auto", 7000, ""),
    ("http-status", 15021, "HTTP"),
)

CONFIGS: tuple[dict[str, Any], ...] = (
    {},
    {"defaultServiceExportTo": ["."]},
    {"defaultVirtualServiceExportTo": ["."]},
    {
        "PILOT_UNIFIED_SIDECAR_SCOPE": False,
        "PILOT_SIDECAR_PICK_BEST_SERVICE_NAMESPACE": False,
        "PILOT_ENABLE_HEADLESS_FILTER_CHAIN_LISTENER": True,
    },
    {
        "serviceEntryVisibility": {
            "applyToSidecars": True,
            "defaultVisibility": "NAMESPACE",
            "policies": [
                {
                    "visibility": "PUBLIC",
                    "matchingRules": [{"namespaceSelector": {"matchLabels": {"tier": "shared"}}}],
                }
            ],
        }
    },
    {
        "inboundTrafficPolicy": {"mode": "LOCALHOST"},
        "PILOT_ALLOW_SIDECAR_SERVICE_INBOUND_LISTENER_MERGE": True,
    },
)


def _meta(rng: random.Random, name: str, ns: str, **extra: Any) -> dict[str, Any]:
    # Coarse times, so that ties broken by name and namespace are common.
    created = EPOCH + dt.timedelta(minutes=rng.randrange(0, 6))
    return {
        "name": name,
        "namespace": ns,
        "creationTimestamp": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        **extra,
    }


class _Gen:
    def __init__(self, seed: int, switches: frozenset[str]) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - reproducible test data
        # A second stream for later additions, so that the meshes of the first stay the same.
        self.extra = random.Random(seed ^ 0x5EED)  # noqa: S311 - reproducible test data
        self.switches = switches
        self.features: set[str] = set()
        self.names = [ROOT, *(f"ns{i}" for i in range(self.rng.randint(1, 3)))]
        self.docs: list[dict[str, Any]] = []
        self.hosts: list[str] = []  # registry hostnames, for Sidecar and VS hosts
        self.pod_ips: list[str] = []
        self.vip = 0
        self.used: set[tuple[str, str]] = set()

    def saw(self, feature: str) -> None:
        self.features.add(feature)

    def ns(self) -> str:
        return self.rng.choice(self.names)

    def export_list(self, own: str) -> list[str] | None:
        rng = self.rng
        form = rng.choice(["none", "none", "none", ".", "*", "~", "named", "mixed"])
        if form == "none":
            return None
        self.saw(
            {"named": "exportTo namespace", "mixed": "exportTo namespace"}.get(
                form, f"exportTo {form}"
            )
        )
        if form == "named":
            return [rng.choice([n for n in self.names if n != own] or [own])]
        if form == "mixed":
            return [".", rng.choice(self.names)]
        return [form]

    # ------------------------------------------------------------------ services

    def kube_service(self, i: int) -> None:  # noqa: C901, PLR0912 - one random decision per branch
        rng = self.rng
        ns = self.ns()
        name = f"svc{i % 3}"
        if (ns, name) in self.used:
            return  # Kubernetes names are unique per namespace and kind
        self.used.add((ns, name))
        meta = _meta(rng, name, ns, labels={"team": rng.choice(["a", "b"])})
        export = self.export_list(ns)
        if export is not None:
            meta["annotations"] = {"networking.istio.io/exportTo": ",".join(export)}
            self.saw("exportTo annotation")
        if "blank_export_annotation" in self.switches and rng.random() < 0.05:
            meta["annotations"] = {"networking.istio.io/exportTo": " "}
        ports: list[dict[str, Any]] = []
        for pname, number, _ in rng.sample(PORTS, rng.randint(1, 2)):
            port: dict[str, Any] = {"name": pname, "port": number}
            if rng.random() < 0.3:
                port["targetPort"] = number + 1000
            if "named_target_port" in self.switches and rng.random() < 0.2:
                port["targetPort"] = rng.choice(["web", "db", "missing"])
            if "kubernetes_port_protocol" in self.switches and rng.random() < 0.3:
                if rng.random() < 0.5:
                    port["appProtocol"] = rng.choice(
                        ["kubernetes.io/h2c", "kubernetes.io/ws", "http", "grpc-web", "web"]
                    )
                else:  # §1.10.4 steps 4 and 6: names istiod converts on its own terms
                    port["name"] = rng.choice(["grpc-web-api", "db", "udp-dns", "HTTP2-x"])
                    port["port"] = rng.choice([number, 3306, 53, 27017, 25])
            if all(p["port"] != port["port"] for p in ports):
                ports.append(port)
        spec: dict[str, Any] = {"ports": ports, "selector": {"app": f"app{rng.randrange(3)}"}}
        roll = rng.random()
        if roll < 0.1:
            spec["clusterIP"] = "None"
            self.saw("headless service")
        elif roll < 0.15:
            spec = {
                "type": "ExternalName",
                "externalName": rng.choice([*self.hosts, "db.example.net"]),
                "ports": ports,
            }
            self.saw("ExternalName alias")
        elif "omitted_cluster_ip" in self.switches and roll < 0.2:
            pass
        else:
            self.vip += 1
            spec["clusterIP"] = f"10.96.{self.vip // 250}.{self.vip % 250 + 1}"
        self.hosts.append(f"{name}.{ns}.svc.cluster.local")
        self.docs.append({"apiVersion": "v1", "kind": "Service", "metadata": meta, "spec": spec})

    def service_entry(self, i: int) -> None:
        rng = self.rng
        ns = self.ns()
        domain = f"ext{rng.randrange(3)}.example.com"
        roll = rng.random()
        if roll < 0.25:
            host = f"*.{domain}"
            self.saw("wildcard ServiceEntry")
        elif roll < 0.4 and self.hosts:
            host = rng.choice(self.hosts)
            self.saw("ServiceEntry shadowing a Service")
        elif "service_entry_short_hosts" in self.switches and roll < 0.5:
            host = f"short{i}"
        else:
            host = f"api{rng.randrange(3)}.{domain}"
        pname, number, protocol = rng.choice([PORTS[0], PORTS[3], PORTS[6], PORTS[7], PORTS[2]])
        spec: dict[str, Any] = {
            "hosts": [host],
            "ports": [{"name": pname, "number": number, "protocol": protocol}]
            if protocol
            else [{"name": pname, "number": number}],
            "resolution": "NONE" if host.startswith("*") else rng.choice(["DNS", "STATIC", "NONE"]),
        }
        if rng.random() < 0.4 and not host.startswith("*"):
            self.vip += 1
            spec["addresses"] = [f"240.0.{self.vip // 250}.{self.vip % 250 + 1}"]
        if spec["resolution"] == "STATIC" or (spec["resolution"] == "NONE" and rng.random() < 0.5):
            spec["endpoints"] = [{"address": f"10.1.0.{rng.randrange(1, 9)}"}]
        if spec["resolution"] == "NONE" and rng.random() < 0.2:
            spec["workloadSelector"] = {"labels": {"app": f"app{rng.randrange(3)}"}}
        export = self.export_list(ns)
        if export is not None:
            spec["exportTo"] = export
        self.hosts.append(host)
        self.docs.append(
            {
                "apiVersion": "networking.istio.io/v1",
                "kind": "ServiceEntry",
                "metadata": _meta(rng, f"se{i}", ns),
                "spec": spec,
            }
        )

    # ------------------------------------------------------------------ Sidecars

    def egress_hosts(self, own: str) -> list[str]:
        rng = self.rng
        hosts = []
        for _ in range(rng.randint(1, 4)):
            form = rng.choice(
                ["ns/*", "*/*", "./name", "*/wildcard", "ns/exact", "exclusion", "./*"]
            )
            if form == "ns/*":
                hosts.append(f"{self.ns()}/*")
                self.saw("host ns/*")
            elif form == "./*":
                hosts.append("./*")
                self.saw("host ns/*")
            elif form == "*/*":
                hosts.append("*/*")
                self.saw("host */*")
            elif form == "./name" and self.hosts:
                hosts.append(f"./{rng.choice(self.hosts)}")
                self.saw("host ./name")
            elif form == "*/wildcard":
                hosts.append(
                    rng.choice(
                        [
                            "*/*.example.com",
                            f"*/*.ext{rng.randrange(3)}.example.com",
                            "*/*.svc.cluster.local",
                        ]
                    )
                )
                self.saw("host */wildcard")
            elif form == "ns/exact" and self.hosts:
                hosts.append(f"{self.ns()}/{rng.choice(self.hosts)}")
                self.saw("host ns/exact")
            elif form == "exclusion" and self.hosts:
                prefix = rng.choice(["~", "~.", f"~{self.ns()}"])
                target = rng.choice(
                    [rng.choice(self.hosts), f"*.ext{rng.randrange(3)}.example.com"]
                )
                hosts.append(f"{prefix}/{target}")
                self.saw("exclusion host")
        del own
        if self.extra.random() < 0.05:
            # A host the webhook rejects (§5.2 step 1): istiod skips it and reads the rest.
            hosts.insert(self.extra.randrange(len(hosts) + 1), self.extra.choice(["web", "a/b/c"]))
            self.saw("malformed egress host")
        return hosts or ["*/*"]

    def egress(self, ns: str) -> list[dict[str, Any]]:  # noqa: C901, PLR0912 - as kube_service
        rng = self.rng
        listeners: list[dict[str, Any]] = []
        for _ in range(rng.choice([0, 1, 1, 2])):
            pname, number, protocol = rng.choice(PORTS)
            listener: dict[str, Any] = {"hosts": self.egress_hosts(ns)}
            roll = rng.random()
            if roll < 0.12:
                listener["port"] = {
                    "number": 0,
                    "protocol": rng.choice(["HTTP", "HTTP2", "GRPC"]),
                    "name": "uds",
                }
                if "uds_tcp" in self.switches and rng.random() < 0.5:
                    listener["port"]["protocol"] = rng.choice(["TCP", ""])
                listener["bind"] = f"unix:///var/run/egress{len(listeners)}.sock"
                self.saw("unix socket listener")
            else:
                declared = rng.choice([protocol, "HTTP", "TCP", "", "HTTP_PROXY"])
                if declared == "HTTP_PROXY":
                    self.saw("HTTP_PROXY listener")
                listener["port"] = {"number": number, "name": f"p-{pname}"}
                if declared:
                    listener["port"]["protocol"] = declared
                if number in {15021, 15090}:
                    self.saw("reserved proxy port")
                if rng.random() < 0.25:
                    listener["bind"] = rng.choice(["127.0.0.1", ANY, "127.0.0.2"])
                    self.saw("egress bind")
                if rng.random() < 0.25:
                    listener["captureMode"] = rng.choice(["NONE", "IPTABLES", "DEFAULT"])
                    if listener["captureMode"] == "NONE":
                        self.saw("egress captureMode NONE")
            listeners.append(listener)
        if listeners and rng.random() < 0.3:
            self.saw("ported only")
            return listeners
        if listeners:
            self.saw("ported plus catch-all")
        catch_all: dict[str, Any] = {"hosts": self.egress_hosts(ns)}
        if rng.random() < 0.1:
            catch_all["bind"] = rng.choice(["127.0.0.1", ANY])
            self.saw("egress bind")
        if rng.random() < 0.1:
            catch_all["captureMode"] = "NONE"
            self.saw("egress captureMode NONE")
        if rng.random() < 0.85:
            listeners.append(catch_all)
        return listeners

    def outbound_policy(self, spec: dict[str, Any]) -> None:
        """§5.16: a Sidecar's outboundTrafficPolicy (T1, T3), with its switch on."""
        rng = self.rng
        if "unmatched_traffic" in self.switches and rng.random() < 0.4:
            spec["outboundTrafficPolicy"] = rng.choice(
                [
                    {"mode": "ALLOW_ANY"},
                    {"mode": "REGISTRY_ONLY"},
                    {
                        "mode": "ALLOW_ANY",
                        "egressProxy": {
                            "host": "egress.example.com",
                            "subset": "s",
                            "port": {"number": 443},
                        },
                    },
                ]
            )
            self.saw("outbound traffic policy")

    def sidecar(self, i: int, *, root: bool = False) -> None:
        rng = self.rng
        ns = ROOT if root else self.ns()
        spec: dict[str, Any] = {}
        if not root:
            roll = rng.random()
            if roll < 0.5:
                spec["workloadSelector"] = {"labels": {"app": f"app{rng.randrange(3)}"}}
                self.saw("workload selector")
            elif roll < 0.55:
                spec["workloadSelector"] = {}
                self.saw("empty selector")
        else:
            self.saw("root default")
        egress = self.egress(ns)
        if egress:
            spec["egress"] = egress
        if rng.random() < 0.25:
            ingress = []
            for number in rng.sample([8080, 9090, 15021, 443, 7070], rng.randint(1, 2)):
                listener: dict[str, Any] = {
                    "port": {
                        "number": number,
                        "protocol": rng.choice(["HTTP", "TCP", "GRPC"]),
                        "name": f"in-{number}",
                    },
                    "defaultEndpoint": rng.choice(
                        [
                            "127.0.0.1:8080",
                            "0.0.0.0:8080",
                            ":8080",
                            "unix:///var/run/app.sock",
                            "[::1]:9000",
                        ]
                    ),
                }
                if rng.random() < 0.3:
                    listener["captureMode"] = rng.choice(["NONE", "IPTABLES", "DEFAULT"])
                if rng.random() < 0.2:
                    listener["bind"] = rng.choice([ANY, "127.0.0.1"])
                ingress.append(listener)
            spec["ingress"] = ingress
            self.saw("ingress listener")
        if rng.random() < 0.1:
            spec["inboundConnectionPool"] = {"http": {"http1MaxPendingRequests": 10}}
        self.outbound_policy(spec)
        self.docs.append(
            {
                "apiVersion": "networking.istio.io/v1",
                "kind": "Sidecar",
                "metadata": _meta(rng, "default" if root else f"sc{i}", ns),
                "spec": spec,
            }
        )

    # ------------------------------------------------------------------ VirtualServices

    def destination(self) -> dict[str, Any]:
        rng = self.rng
        host = rng.choice(self.hosts) if self.hosts else "nowhere.example.com"
        if host.endswith(".svc.cluster.local") and rng.random() < 0.3:
            host = host.split(".")[0]  # a short name, expanded in the VS's namespace
        dest: dict[str, Any] = {"host": host}
        if rng.random() < 0.4:
            dest["port"] = {"number": rng.choice([80, 8080, 5432, 9090, 1234])}
        return dest

    def delegate(self, i: int, ns: str) -> dict[str, Any]:
        """A root route delegating to a host-less VirtualService, which it writes (§4.3.5)."""
        rng = self.rng
        child = f"child{i}"
        root_route: dict[str, Any] = {"delegate": {"name": child, "namespace": ns}}
        if rng.random() < 0.6:
            root_route["match"] = [{"sourceNamespace": self.ns()}]
        if rng.random() < 0.4:
            root_route["mirror"] = {"host": rng.choice(self.hosts or ["m.example.com"])}
        child_route: dict[str, Any] = {"route": [{"destination": self.destination()}]}
        if rng.random() < 0.4:
            child_route["match"] = [{"sourceNamespace": self.ns()}]
        if rng.random() < 0.3:
            child_route["mirror"] = self.destination()
        child_spec: dict[str, Any] = {"http": [child_route]}
        if rng.random() < 0.2:
            child_spec["exportTo"] = ["."]
        self.docs.append(
            {
                "apiVersion": "networking.istio.io/v1",
                "kind": "VirtualService",
                "metadata": _meta(rng, child, rng.choice([ns, ns, self.ns()])),
                "spec": child_spec,
            }
        )
        self.saw("delegate VirtualService")
        return root_route

    def virtual_service(self, i: int) -> None:
        rng = self.rng
        ns = self.ns()
        host = rng.choice(
            [*self.hosts, f"*.ext{rng.randrange(3)}.example.com", "web.example.org", "svc0", "svc1"]
        )
        if "partial_wildcard_hosts" in self.switches and rng.random() < 0.1:
            host = f"*xt{rng.randrange(3)}.example.com"
        route: dict[str, Any] = {"route": [{"destination": self.destination()}]}
        if rng.random() < 0.2:
            route["match"] = [{"sourceNamespace": self.ns()}]
            self.saw("VirtualService sourceNamespace")
        if rng.random() < 0.15:
            route["mirror"] = self.destination()
            self.saw("VirtualService mirror")
        spec: dict[str, Any] = {"hosts": [host], "http": [route]}
        if rng.random() < 0.15:
            spec["tcp"] = [{"route": [{"destination": self.destination()}]}]
            self.saw("VirtualService tcp route")
        if rng.random() < 0.1:
            spec["gateways"] = rng.choice(
                [["mesh"], ["istio-system/ingress"], ["mesh", "istio-system/ingress"]]
            )
        export = self.export_list(ns)
        if export is not None:
            spec["exportTo"] = [e for e in export if e != "~"] or ["*"]
        if "delegate_merge" in self.switches and rng.random() < 0.2:
            spec["http"].append(self.delegate(i, ns))
        self.docs.append(
            {
                "apiVersion": "networking.istio.io/v1",
                "kind": "VirtualService",
                "metadata": _meta(rng, f"vs{i}", ns),
                "spec": spec,
            }
        )

    # ------------------------------------------------------------------ pods

    def pod(self, i: int) -> None:
        rng = self.rng
        ns = self.ns()
        labels = {"app": f"app{rng.randrange(3)}", "version": rng.choice(["v1", "v2"])}
        annotations: dict[str, str] = {}
        roll = rng.random()
        if roll < 0.15:
            annotations["sidecar.istio.io/interceptionMode"] = "NONE"
            self.saw("interception NONE")
        elif roll < 0.2:
            annotations["sidecar.istio.io/interceptionMode"] = "TPROXY"
            self.saw("interception TPROXY")
        if rng.random() < 0.05:
            labels["gateway.istio.io/managed"] = "istio.io-mesh-controller"  # a waypoint
            self.saw("waypoint pod")
        elif "gateway_detection" in self.switches and rng.random() < 0.1:
            if rng.random() < 0.5:
                annotations["inject.istio.io/templates"] = "gateway"
            else:
                labels["gateway.istio.io/managed"] = "istio.io-gateway-controller"
            self.saw("gateway pod")
        meta = _meta(rng, f"pod{i}", ns, labels=labels)
        if annotations:
            meta["annotations"] = annotations
        doc: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": meta,
            "spec": self.pod_spec(),
        }
        if rng.random() < 0.6:
            ip = f"10.1.0.{i + 1}"
            status: dict[str, Any] = {"podIP": ip}
            if rng.random() < 0.1:
                status["podIPs"] = [{"ip": ip}, {"ip": f"fd00::{i + 1}"}]
                self.saw("dual-stack or IPv6 pod")
            elif rng.random() < 0.05:
                status = {"podIP": f"fd00::{i + 1}", "podIPs": [{"ip": f"fd00::{i + 1}"}]}
                self.saw("dual-stack or IPv6 pod")
            doc["status"] = status
        self.docs.append(doc)

    def pod_spec(self) -> dict[str, Any]:
        """The container ports named targetPorts refer to, varied by pod (§4.2.6).

        With named_target_port on: another number (a proxy port among them), no ``web``
        port, a UDP port of the same name first, a native sidecar init container and a
        plain init container.
        """
        web: dict[str, Any] = {"name": "web", "containerPort": 8081}
        db: list[dict[str, Any]] = [{"name": "db", "containerPort": 5433}]
        spec: dict[str, Any] = {"containers": [{"name": "app", "ports": [web, *db]}]}
        if "named_target_port" not in self.switches:
            return spec
        rng = self.rng
        web["containerPort"] = rng.choice([8081, 8082, 15090])
        if rng.random() < 0.2:
            spec["containers"][0]["ports"] = db
        if rng.random() < 0.3:
            db.insert(0, {"name": "db", "containerPort": 5353, "protocol": "UDP"})
        if rng.random() < 0.3:
            spec["initContainers"] = [
                {"name": "once", "ports": [{"name": "missing", "containerPort": 9092}]},
                {
                    "name": "helper",
                    "restartPolicy": rng.choice(["Always", "OnFailure"]),
                    "ports": [{"name": "missing", "containerPort": 9091}],
                },
            ]
        return spec

    # ------------------------------------------------------------------ all

    def mesh_policy(self, config: dict[str, Any]) -> None:
        """T1, T4: MeshConfig's outbound traffic policy mode, with its switch on."""
        rng = self.rng
        if "unmatched_traffic" in self.switches and rng.random() < 0.3:
            mode = rng.choice(["REGISTRY_ONLY", "ALLOW_ANY", "ALLOW_ANY_DYNAMIC_DNS"])
            config["outboundTrafficPolicy"] = {"mode": mode}

    def run(self) -> str:
        rng = self.rng
        config = dict(rng.choice(CONFIGS))
        self.mesh_policy(config)
        if config.get("defaultVirtualServiceExportTo") == ["."]:
            self.saw("defaultVirtualServiceExportTo .")
        if config.get("defaultServiceExportTo") == ["."]:
            self.saw("defaultServiceExportTo .")
        for ns in self.names:
            labels = {"tier": "shared"} if rng.random() < 0.5 else {}
            self.docs.append(
                {
                    "apiVersion": "v1",
                    "kind": "Namespace",
                    "metadata": {"name": ns, "labels": labels},
                }
            )
        self.docs.append(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "istio", "namespace": ROOT},
                "data": {"mesh": yaml.safe_dump(config, sort_keys=False)},
            }
        )
        for i in range(rng.randint(2, 6)):
            self.kube_service(i)
        for i in range(rng.randint(0, 4)):
            self.service_entry(i)
        if rng.random() < 0.7:
            self.sidecar(0, root=True)
        for i in range(rng.randint(1, 4)):
            self.sidecar(i)
        for i in range(rng.randint(0, 4)):
            self.virtual_service(i)
        for i in range(rng.randint(2, 6)):
            self.pod(i)
        rng.shuffle(self.docs)  # the order of a dump carries no meaning
        return yaml.dump_all(self.docs, Dumper=_DUMPER, sort_keys=False)


def generate(seed: int, switches: frozenset[str] = frozenset()) -> tuple[str, frozenset[str]]:
    """The manifests of one small mesh, and the :data:`FEATURES` it reaches."""
    gen = _Gen(seed, switches)
    text = gen.run()
    return text, frozenset(gen.features)
