"""The mesh inventory: inventory kinds, normalisation into a Mesh, MeshConfig, indexes."""

from __future__ import annotations

import datetime as dt
import random
from typing import TYPE_CHECKING

import pytest

from sidecar_model import ManifestError, dumps, loads, structure, unstructure
from sidecar_model.mesh import (
    Mesh,
    MeshConfig,
    MeshOutboundMode,
    MeshService,
    ProxyType,
    Registry,
    ServicePort,
    Workload,
)
from sidecar_model.mesh._index import HostIndex, most_specific_match
from sidecar_model.mesh._names import resolve_short_name
from sidecar_model.model import Protocol
from sidecar_model.resources import (
    CronJobSpec,
    DestinationRuleSpec,
    KubernetesServiceSpec,
    ServiceEntrySpec,
    VirtualServiceSpec,
    WorkloadControllerSpec,
)

if TYPE_CHECKING:
    from pathlib import Path

INVENTORY = """\
apiVersion: v1
kind: Service
metadata:
  name: reviews
  namespace: prod
  creationTimestamp: "2024-01-01T00:00:02Z"
  annotations: {networking.istio.io/exportTo: " ., qa "}
spec:
  clusterIP: 10.0.0.5
  selector: {app: reviews}
  ports:
  - {name: http-web, port: 9080, targetPort: 8080, protocol: TCP}
  - {name: metrics, port: 9090, appProtocol: grpc}
  - {name: dns, port: 53, protocol: UDP}
  sessionAffinity: None
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: prod, creationTimestamp: "2024-01-01T00:00:01Z"}
spec: {clusterIP: None, ports: [{name: tcp, port: 5432}]}
---
apiVersion: networking.istio.io/v1beta1
kind: ServiceEntry
metadata: {name: ext, namespace: billing, creationTimestamp: "2024-01-01T00:00:01Z"}
spec:
  hosts: [api.example.com, payments]
  addresses: [10.1.0.1/32, 10.2.0.0/16, not-an-ip]
  ports: [{number: 443, name: tls, protocol: TLS, targetPort: 8443}]
  location: MESH_EXTERNAL
  resolution: STATIC
  exportTo: ["."]
  endpoints: [{address: 1.2.3.4, ports: {tls: 8443}}]
  subjectAltNames: [spiffe://x]
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: reviews, namespace: prod}
spec:
  hosts: [reviews, "*.example.com", 10.0.0.9]
  exportTo: ["."]
  http:
  - match: [{sourceNamespace: shop, uri: {prefix: /a}}]
    route: [{destination: {host: reviews, subset: v1, port: {number: 9080}}, weight: 90}]
    mirror: {host: mirror.other.svc.cluster.local}
    mirrors: [{destination: {host: shadow}, percentage: {value: 5}}]
  - delegate: {name: child, namespace: team}
  tcp: [{route: [{destination: {host: db, port: {number: 5432}}}]}]
  tls: [{match: [{sniHosts: [a]}], route: [{destination: {host: tls.example.com}}]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: child, namespace: team}
spec:
  exportTo: [prod]
  http: [{route: [{destination: {host: leaf}}]}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews, namespace: prod}
spec:
  host: reviews
  workloadSelector: {matchLabels: {app: client}}
  subsets: [{name: v1, labels: {version: v1}}]
  trafficPolicy: {connectionPool: {tcp: {maxConnections: 1}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: reviews-v1, namespace: prod}
spec:
  replicas: 2
  template:
    metadata: {labels: {app: reviews, version: v1}}
    spec: {containers: [{name: app, image: reviews}]}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly, namespace: prod}
spec:
  schedule: "@daily"
  jobTemplate:
    spec:
      template:
        metadata: {labels: {app: nightly}}
        spec: {containers: [{name: job, image: job}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: ingress
  namespace: istio-system
  labels: {istio: ingressgateway}
  annotations: {sidecar.istio.io/interceptionMode: NONE}
spec: {containers: [{name: proxy, image: proxyv2}]}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: vm, namespace: prod}
spec: {address: 10.9.9.9, labels: {app: vm}}
---
apiVersion: v1
kind: Namespace
metadata: {name: prod, labels: {team: a}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: istio, namespace: istio-system}
data:
  mesh: |
    rootNamespace: istio-config
    defaultServiceExportTo: ["."]
    outboundTrafficPolicy: {mode: REGISTRY_ONLY}
    accessLogFile: /dev/stdout
"""


@pytest.fixture(scope="module")
def mesh() -> Mesh:
    return Mesh.from_resources(loads(INVENTORY))


def test_inventory_kinds_load_typed() -> None:
    kinds = {r.kind: type(r.spec) for r in loads(INVENTORY)}
    assert kinds["Service"] is KubernetesServiceSpec
    assert kinds["ServiceEntry"] is ServiceEntrySpec
    assert kinds["VirtualService"] is VirtualServiceSpec
    assert kinds["DestinationRule"] is DestinationRuleSpec
    assert kinds["Deployment"] is WorkloadControllerSpec
    assert kinds["CronJob"] is CronJobSpec


def test_inventory_round_trips_losslessly() -> None:
    text = dumps(loads(INVENTORY))
    assert dumps(loads(text)) == text
    assert "sessionAffinity: None" in text
    assert "subjectAltNames" in text
    assert "percentage" in text


def test_kubernetes_service_is_normalised(mesh: Mesh) -> None:
    (reviews,) = mesh.services_by_hostname["reviews.prod.svc.cluster.local"]
    assert reviews.registry is Registry.KUBERNETES
    assert reviews.export_to == frozenset({".", "qa"})  # 4.2.1: comma-separated, trimmed
    assert reviews.address == "10.0.0.5"
    assert reviews.resolution == "STATIC"
    assert [(p.number, p.protocol, p.target_port) for p in reviews.ports] == [
        (9080, Protocol.HTTP, 8080),  # protocol from the port name's prefix
        (9090, Protocol.GRPC, None),  # appProtocol wins
        (53, Protocol.UDP, None),
    ]
    (db,) = mesh.services_by_hostname["db.prod.svc.cluster.local"]
    assert (db.resolution, db.address) == ("NONE", "0.0.0.0")  # noqa: S104 - headless


def test_service_entry_makes_one_service_per_host_and_address(mesh: Mesh) -> None:
    api = mesh.services_by_hostname["api.example.com"]
    assert [s.address for s in api] == ["10.1.0.1", "10.2.0.0/16"]  # /32 → IP, non-IP skipped
    assert all(s.registry is Registry.EXTERNAL and s.export_to == frozenset(".") for s in api)
    # §0.4: a single-label ServiceEntry host is used verbatim, never expanded
    assert "payments" in mesh.services_by_hostname
    assert "payments.billing.svc.cluster.local" not in mesh.services_by_hostname
    assert api[0].endpoints == ("1.2.3.4",)


def test_services_are_in_istiod_order(mesh: Mesh) -> None:
    # 4.2.4: creation time, then the name (the hostname for ServiceEntries), then namespace
    hosts = [s.hostname for s in mesh.services]
    assert hosts.index("api.example.com") < hosts.index("db.prod.svc.cluster.local")
    assert hosts[-1] == "reviews.prod.svc.cluster.local"


def test_virtual_service_hosts_and_destinations_expand(mesh: Mesh) -> None:
    by_name = {v.name: v for v in mesh.virtual_services}
    vs = by_name["reviews"]
    assert vs.hosts == ("reviews.prod.svc.cluster.local", "*.example.com", "10.0.0.9")
    assert vs.export_to == {"prod"}  # 4.3.1: '.' rewritten
    assert set(vs.destinations_for("shop")) == {
        ("reviews.prod.svc.cluster.local", 9080),
        ("mirror.other.svc.cluster.local", 0),
        ("shadow.prod.svc.cluster.local", 0),
        ("leaf.team.svc.cluster.local", 0),  # merged from the delegate (4.3.5)
        ("db.prod.svc.cluster.local", 5432),
        ("tls.example.com", 0),
    }
    # 8.33: the sourceNamespace-restricted route is ignored for other namespaces
    assert ("reviews.prod.svc.cluster.local", 9080) not in set(vs.destinations_for("prod"))
    assert by_name["child"].is_delegate


def test_delegate_not_exported_to_root_namespace_is_dropped() -> None:
    text = INVENTORY.replace("exportTo: [prod]", "exportTo: [other]")
    mesh = Mesh.from_resources(loads(text))
    vs = next(v for v in mesh.virtual_services if v.name == "reviews")
    assert ("leaf.team.svc.cluster.local", 0) not in set(vs.destinations_for("prod"))


def test_destination_rule_is_normalised(mesh: Mesh) -> None:
    (dr,) = mesh.destination_rules
    assert dr.host == "reviews.prod.svc.cluster.local"
    assert dr.export_to == {"."}  # 4.4.2: a selector DR is private
    assert dr.subsets == ("v1",)
    assert dr.traffic_policy == {"connectionPool": {"tcp": {"maxConnections": 1}}}


def test_workloads_come_from_pods_controllers_and_workload_entries(mesh: Mesh) -> None:
    by_name = {w.name: w for w in mesh.workloads}
    assert by_name["reviews-v1"].labels == {"app": "reviews", "version": "v1"}
    assert by_name["nightly"].labels == {"app": "nightly"}
    assert by_name["vm"].ip == "10.9.9.9"
    assert by_name["ingress"].proxy_type is ProxyType.ROUTER
    assert by_name["ingress"].interception_mode == "NONE"
    assert mesh.namespace_labels("prod") == {"team": "a"}
    assert mesh.namespace_labels("nowhere") == {}


def test_mesh_config_comes_from_the_istio_config_map(mesh: Mesh) -> None:
    config = mesh.config
    assert config.root_namespace == "istio-config"
    assert config.default_service_export_to == (".",)
    assert config.outbound_mode is MeshOutboundMode.REGISTRY_ONLY
    assert config.extra == {"accessLogFile": "/dev/stdout"}


def test_mesh_config_document_and_explicit_config() -> None:
    doc = "apiVersion: v1\nkind: MeshConfig\nspec: {rootNamespace: cfg}\n"
    assert Mesh.from_resources(loads(doc)).config.root_namespace == "cfg"
    explicit = MeshConfig(root_namespace="x")
    assert Mesh.from_resources(loads(doc), config=explicit).config is explicit


def test_mesh_config_wire_form_and_flags() -> None:
    config = structure(
        {
            "rootNamespace": "r",
            "defaultDestinationRuleExportTo": ["."],
            "outboundTrafficPolicy": {"mode": "ALLOW_ANY_DYNAMIC_DNS"},
            "PILOT_UNIFIED_SIDECAR_SCOPE": False,
        },
        MeshConfig,
    )
    assert config.outbound_mode is MeshOutboundMode.ALLOW_ANY_DYNAMIC_DNS
    assert not config.unified_sidecar_scope
    assert config.pick_best_service_namespace
    assert unstructure(MeshConfig(enhanced_destination_rule_merge=False)) == {
        "ENABLE_ENHANCED_DESTINATIONRULE_MERGE": False
    }
    assert MeshConfig(outbound_traffic_policy=None).outbound_mode is None
    assert MeshConfig.from_yaml("") == MeshConfig()


def test_sidecars_are_ordered_selector_first_then_oldest() -> None:
    text = "\n---\n".join(
        f"apiVersion: networking.istio.io/v1\nkind: Sidecar\n"
        f"metadata: {{name: {name}, namespace: ns, creationTimestamp: '2024-01-01T00:00:0{t}Z'}}\n"
        f"spec: {spec}"
        for name, t, spec in [
            ("a", 1, "{}"),
            ("b", 2, "{workloadSelector: {labels: {app: x}}}"),
            ("c", 0, "{workloadSelector: {labels: {app: y}}}"),
            ("d", 0, "{}"),
        ]
    )
    mesh = Mesh.from_resources(loads(text))
    assert [s.name for s in mesh.sidecars] == ["c", "b", "d", "a"]  # 3.2


def test_hand_made_services_and_workloads() -> None:
    service = MeshService(
        hostname="a.ns.svc.cluster.local",
        namespace="ns",
        ports=[ServicePort(number=80, protocol=Protocol.HTTP)],
        creation_timestamp=dt.datetime(2024, 1, 1),  # naive: taken as UTC  # noqa: DTZ001
    )
    workload = Workload(namespace="ns", labels={"app": "a"})
    mesh = Mesh.from_resources([], services=[service], workloads=[workload])
    assert mesh.services == (service,)
    assert mesh.workloads == (workload,)
    assert str(service) == "a.ns.svc.cluster.local (ns, Kubernetes, ports 80/HTTP)"
    assert str(workload) == "ns/<unnamed>"


def test_mesh_load_reads_files_and_directories(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(INVENTORY)
    (tmp_path / "notes.txt").write_text("not yaml")
    from_dir = Mesh.load(tmp_path)
    from_file = Mesh.load(tmp_path / "a.yaml", config=MeshConfig())
    assert len(from_dir.services) == len(from_file.services) == 6
    assert from_file.config == MeshConfig()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("reviews", "reviews.ns.svc.cluster.local"),
        ("reviews.other", "reviews.other"),
        ("*", "*"),
        ("10.0.0.1", "10.0.0.1"),
        ("::1", "::1"),
    ],
)
def test_short_names_expand_as_istiod_does(name: str, expected: str) -> None:
    assert resolve_short_name(name, "ns", "cluster.local") == expected


def test_host_index_agrees_with_most_specific_match() -> None:
    rng = random.Random(7)  # noqa: S311 - reproducible test data
    labels = ["a", "b", "c", "example", "com", "local"]
    for _ in range(2000):
        keys = {
            rng.choice(["", "*.", "*"]) + ".".join(rng.choices(labels, k=rng.randint(1, 3)))
            for _ in range(rng.randint(0, 6))
        } | ({"*"} if rng.random() < 0.2 else set())
        needle = rng.choice(["", "*."]) + ".".join(rng.choices(labels, k=rng.randint(1, 4)))
        exact = {k: 1 for k in keys if not k.startswith("*")}
        wildcard = {k: 1 for k in keys if k.startswith("*")}
        assert HostIndex(keys).lookup(needle) == most_specific_match(needle, exact, wildcard), (
            needle,
            keys,
        )


@pytest.mark.parametrize(
    "data",
    [
        "{mesh: 'rootNamespace: [unclosed'}",
        "{mesh: 'rootNamespace: 7'}",
        "{mesh: [not, text]}",
    ],
)
def test_bad_mesh_config_is_a_manifest_error(data: str) -> None:
    text = (
        f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: istio, namespace: x}}\ndata: {data}\n"
    )
    with pytest.raises(ManifestError):
        Mesh.from_resources(loads(text))


def test_config_map_without_mesh_key_is_ignored() -> None:
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: x}\ndata: {a: b}\n"
    assert Mesh.from_resources(loads(text)).config == MeshConfig()


DUMP = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: reviews-v1, namespace: prod}
spec:
  template:
    metadata: {labels: {app: reviews, version: v1}}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: reviews-v1-5d8f7c
  namespace: prod
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: reviews-v1, controller: true}]
spec:
  template:
    metadata: {labels: {app: reviews, version: v1, pod-template-hash: 5d8f7c}}
---
apiVersion: v1
kind: Pod
metadata:
  name: reviews-v1-5d8f7c-abcde
  namespace: prod
  labels: {app: reviews, version: v1, pod-template-hash: 5d8f7c}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: reviews-v1-5d8f7c,
                     controller: true}]
status: {podIP: 10.1.0.5}
---
apiVersion: v1
kind: Pod
metadata:
  name: reviews-v1-77aa11-xyz
  namespace: prod
  labels: {app: reviews, version: v1, pod-template-hash: 77aa11}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: reviews-v1-77aa11,
                     controller: true}]
---
apiVersion: v1
kind: Pod
metadata:
  name: reviews-stray
  namespace: prod
  labels: {app: reviews, version: v1, extra: x}
---
apiVersion: v1
kind: Pod
metadata: {name: reviews-other-ns, namespace: qa, labels: {app: reviews, version: v1}}
---
apiVersion: v1
kind: Pod
metadata: {name: debug, namespace: prod, labels: {app: debug}}
status: {podIP: 10.1.0.9}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly, namespace: prod}
spec:
  jobTemplate:
    spec:
      template:
        metadata: {labels: {job: nightly}}
---
apiVersion: batch/v1
kind: Job
metadata:
  name: nightly-28001
  namespace: prod
  ownerReferences: [{apiVersion: batch/v1, kind: CronJob, name: nightly, controller: true}]
spec:
  template:
    metadata: {labels: {job: nightly, batch.kubernetes.io/job-name: nightly-28001}}
---
apiVersion: v1
kind: Pod
metadata:
  name: nightly-28002-q
  namespace: prod
  labels: {job: nightly}
  ownerReferences: [{apiVersion: batch/v1, kind: Job, name: nightly-28002, controller: true}]
"""


def test_pods_and_replica_sets_of_a_controller_in_the_dump_are_not_counted_twice() -> None:
    mesh = Mesh.from_resources(loads(DUMP))
    names = sorted(str(w) for w in mesh.workloads)
    # Kept: the controllers, a Pod of another namespace and a Pod no controller covers.
    # Dropped: the ReplicaSet and Pod owned through ownerReferences, the Pod of a
    # ReplicaSet the dump lacks (named after the Deployment), the stray Pod whose labels
    # include the Deployment's template labels, the CronJob's Job and Pod.
    assert names == ["prod/debug", "prod/nightly", "prod/reviews-v1", "qa/reviews-other-ns"]
    debug = next(w for w in mesh.workloads if w.name == "debug")
    assert debug.ip == "10.1.0.9"  # status.podIP
    # Without the controllers every object counts.
    alone = [r for r in loads(DUMP) if r.kind == "Pod"]
    assert len(Mesh.from_resources(alone).workloads) == 6
