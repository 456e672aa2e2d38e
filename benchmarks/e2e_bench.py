"""The "e2e" benchmark group: issue 18's figures, end to end, on a generated cluster dump.

It writes the seeded mesh of ``tests/meshgen.py`` at the target size (500 namespaces,
20,000 Services, 2,000 ServiceEntries, 2,000 Sidecars, 50,000 Pods; a tenth with
``--quick``) into a temporary folder as kubectl prints it (``kubectl get -A -o yaml``
and ``-o json``: one ``kind: List`` object), plus a dump of realistic Istio-injected
Pods, and reports every acceptance figure of the issue as a ratio against CSafeLoader
``load_all`` (YAML) or ``json.loads`` (JSON) of the same file, timed in the same run:

* ``explain`` of one workload, as a whole ``python -m sidecar_model`` process;
* a second ``explain`` on the unchanged dump against the first (each pair gets a fresh
  ``XDG_CACHE_HOME``, so a cache of the loaded mesh starts cold for the first);
* ``analyze`` as a whole process, and its peak RSS against the bytes the loaded mesh
  keeps (tracemalloc after a collection, in a process of its own);
* ``Mesh.load`` of the JSON dump;
* scopes and outbound listeners of every workload of the mesh loaded from YAML, with
  the collector on and nothing frozen (as a user's process runs), against ``Mesh.load``;
* outbound routes, inbound listeners and the DestinationRule of every service of the
  scope, for every workload, against ``Mesh.load``;
* ``Mesh.load`` of a dump of ``--realistic-pods`` injected Pods (about 11 KB each),
  with the per-Pod cost, the size and time extrapolated to 50,000 Pods, and that size
  against the codec's default ``max_size``.

The YAML and JSON floors are the faster of the plain call and the call with the cyclic
collector off (as the library loads): on a large dump the collector's repeated scans make
the plain call two to three times slower. Ratios compare CPU-second medians
(``time.process_time`` in this process; for a process, its user plus system time as its
own measuring parent sees it); wall seconds are shown too.
In-process results are dropped after the clock stops; a process pays its own teardown.

Run it alone with ``python benchmarks/e2e_bench.py [--quick] [--realistic-pods N]``, or
through ``benchmarks/run.py --group e2e``.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TypeVar

import standalone
import yaml

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterator, Sequence

__all__ = ["injected_pod", "measurements", "per_workload", "resolve_all", "write_dumps"]

T = TypeVar("T")
MIB: Final = 1024 * 1024
#: Acceptance targets of issue 18 (ratios; lower is better).
EXPLAIN_TARGET: Final = 1.2
ANALYZE_TARGET: Final = 2.0
ANALYZE_MEMORY_TARGET: Final = 2.0
JSON_TARGET: Final = 5.0
RESOLVE_TARGET: Final = 0.3
SECOND_EXPLAIN_TARGET: Final = 0.15
PER_WORKLOAD_TARGET: Final = 0.5
REALISTIC_TARGET: Final = 1.0
#: Pods of the target mesh, for extrapolating the realistic dump.
TARGET_PODS: Final = 50_000
DEFAULT_REALISTIC_PODS: Final = 2_000
QUICK_REALISTIC_PODS: Final = 500

_DUMPER: Final[Any] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_LOADER: Final[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# A process that loads the mesh and reports the bytes its objects keep (tracemalloc, after a
# collection) and its resident memory. Loading peaks far above what it keeps (a List dump is
# one YAML document, composed whole) and the allocator keeps that peak resident, so the
# process's RSS overstates the size of the loaded objects.
_HOLD_SCRIPT: Final = """
import gc, json, os, sys, tracemalloc
def rss():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
from sidecar_model import Mesh
before = rss()
tracemalloc.start()
mesh = Mesh.load(sys.argv[1])
gc.collect()
kept, peak = tracemalloc.get_traced_memory()
tracemalloc.stop()
print(json.dumps({"before": before, "after": rss(), "kept": kept, "peak": peak}))
sys.stdout.flush()
os._exit(0)
"""
# Runs ``python ARGS...`` and writes its CPU seconds, wall seconds and peak RSS (KiB) to
# the file named first. A process of its own, so that the child's peak RSS is its own: a
# child forked from this (large) benchmark process would count our pages until its exec.
_MEASURE_SCRIPT: Final = """
import json, resource, subprocess, sys, time
wall = time.perf_counter()
code = subprocess.call([sys.executable, *sys.argv[2:]])
wall = time.perf_counter() - wall
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(sys.argv[1], "w") as out:
    json.dump({"cpu": usage.ru_utime + usage.ru_stime, "wall": wall,
               "maxrss": usage.ru_maxrss, "code": code}, out)
"""
# The floor of a whole process: parse the file with CSafeLoader (the collector off, as the
# library loads) and exit normally.
_FLOOR_SCRIPT: Final = """
import gc, sys, yaml
gc.disable()
with open(sys.argv[1], encoding="utf-8") as file:
    documents = list(yaml.load_all(file.read(), Loader=yaml.CSafeLoader))
"""


# --------------------------------------------------------------------------- the dumps


def _kubectl_list(items: list[dict[str, Any]]) -> dict[str, Any]:
    # What `kubectl get -A -o yaml` prints: one List object around every item.
    return {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}


def write_yaml(path: Path, items: list[dict[str, Any]]) -> None:
    """Write ``items`` as kubectl's YAML (block style, keys sorted, as kubectl has them)."""
    with path.open("w", encoding="utf-8") as file:
        yaml.dump(_kubectl_list(items), file, Dumper=_DUMPER, default_flow_style=False)


def write_json(path: Path, items: list[dict[str, Any]]) -> None:
    """Write ``items`` as kubectl's JSON (indented by four spaces)."""
    with path.open("w", encoding="utf-8") as file:
        json.dump(_kubectl_list(items), file, indent=4)


@dataclasses.dataclass(frozen=True)
class Dumps:
    """The files of one run and what the benchmark needs to know about them."""

    yaml: Path
    json: Path
    realistic: Path
    #: ``namespace/name`` of the workload that ``explain`` is asked about.
    workload: str
    pods: int
    realistic_pods: int
    #: Characters of the realistic dump that are not its List wrapper, per Pod.
    realistic_pod_chars: float
    #: Characters of the main YAML dump that are not Pods (for the extrapolation).
    other_chars: int


def write_dumps(folder: Path, seed: int, knobs: dict[str, Any], realistic_pods: int) -> Dumps:
    """Generate the mesh and write its YAML, JSON and realistic-Pod dumps into ``folder``."""
    import analyze_bench  # noqa: PLC0415 - a sibling script module

    from sidecar_model import unstructure  # noqa: PLC0415 - imported late, as in run.py

    resources, inputs = analyze_bench.mesh_resources(seed, knobs)
    workloads = inputs.workloads
    items: list[dict[str, Any]] = [unstructure(resource) for resource in resources]
    pods = items[len(items) - len(workloads) :]
    for pod, workload in zip(pods, workloads, strict=True):
        if workload.ip is not None:  # the addresses ServiceEntry endpoints refer to
            pod["status"] = {"podIP": workload.ip, "podIPs": [{"ip": workload.ip}]}
    dumps = Dumps(
        yaml=folder / "dump.yaml",
        json=folder / "dump.json",
        realistic=folder / "realistic.yaml",
        workload=str(workloads[len(workloads) // 2]),
        pods=len(pods),
        realistic_pods=realistic_pods,
        realistic_pod_chars=0.0,
        other_chars=0,
    )
    write_yaml(dumps.yaml, items)
    write_json(dumps.json, items)
    pods_only = folder / "pods.yaml"
    write_yaml(pods_only, pods)
    other_chars = _chars(dumps.yaml) - _chars(pods_only)
    pods_only.unlink()
    del items, pods, resources
    realistic = [
        injected_pod(index, workload.namespace, workload.name, dict(workload.labels))
        for index, workload in zip(range(realistic_pods), workloads, strict=False)
    ]
    write_yaml(dumps.realistic, realistic)
    wrapper = len(yaml.dump(_kubectl_list([]), Dumper=_DUMPER, default_flow_style=False))
    per_pod = (_chars(dumps.realistic) - wrapper) / max(1, len(realistic))
    return dataclasses.replace(
        dumps,
        realistic_pods=len(realistic),
        realistic_pod_chars=per_pod,
        other_chars=other_chars,
    )


def _chars(path: Path) -> int:
    return len(path.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- injected Pods


_PROXY_IMAGE: Final = "docker.io/istio/proxyv2:1.24.2"
_REQUESTS: Final = {"cpu": "100m", "memory": "128Mi"}


def _field_env(name: str, path: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": path}}}


def _mount(name: str, path: str, *, read_only: bool = False) -> dict[str, Any]:
    mount: dict[str, Any] = {"mountPath": path, "name": name}
    if read_only:
        mount["readOnly"] = True
    return mount


def _proxy_env(namespace: str, app: str, owner: str) -> list[dict[str, Any]]:
    ports = json.dumps([{"name": "http", "containerPort": 9080, "protocol": "TCP"}])
    return [
        {"name": "PILOT_CERT_PROVIDER", "value": "istiod"},
        {"name": "CA_ADDR", "value": "istiod.istio-system.svc:15012"},
        _field_env("POD_NAME", "metadata.name"),
        _field_env("POD_NAMESPACE", "metadata.namespace"),
        _field_env("INSTANCE_IP", "status.podIP"),
        _field_env("SERVICE_ACCOUNT", "spec.serviceAccountName"),
        _field_env("HOST_IP", "status.hostIP"),
        {
            "name": "ISTIO_CPU_LIMIT",
            "valueFrom": {"resourceFieldRef": {"divisor": "0", "resource": "limits.cpu"}},
        },
        {"name": "PROXY_CONFIG", "value": "{}\n"},
        {"name": "ISTIO_META_POD_PORTS", "value": f"{ports}\n"},
        {"name": "ISTIO_META_APP_CONTAINERS", "value": app},
        {
            "name": "GOMEMLIMIT",
            "valueFrom": {"resourceFieldRef": {"divisor": "0", "resource": "limits.memory"}},
        },
        {
            "name": "GOMAXPROCS",
            "valueFrom": {"resourceFieldRef": {"divisor": "0", "resource": "limits.cpu"}},
        },
        {"name": "ISTIO_META_CLUSTER_ID", "value": "Kubernetes"},
        _field_env("ISTIO_META_NODE_NAME", "spec.nodeName"),
        {"name": "ISTIO_META_INTERCEPTION_MODE", "value": "REDIRECT"},
        {"name": "ISTIO_META_WORKLOAD_NAME", "value": app},
        {
            "name": "ISTIO_META_OWNER",
            "value": f"kubernetes://apis/apps/v1/namespaces/{namespace}/deployments/{owner}",
        },
        {"name": "ISTIO_META_MESH_ID", "value": "cluster.local"},
        {"name": "TRUST_DOMAIN", "value": "cluster.local"},
    ]


def _istio_proxy(namespace: str, app: str, owner: str) -> dict[str, Any]:
    probe = {
        "failureThreshold": 4,
        "httpGet": {"path": "/healthz/ready", "port": 15021, "scheme": "HTTP"},
        "periodSeconds": 15,
        "successThreshold": 1,
        "timeoutSeconds": 3,
    }
    return {
        "args": [
            "proxy",
            "sidecar",
            "--domain",
            "$(POD_NAMESPACE).svc.cluster.local",
            "--proxyLogLevel=warning",
            "--proxyComponentLogLevel=misc:error",
            "--log_output_level=default:info",
        ],
        "env": _proxy_env(namespace, app, owner),
        "image": _PROXY_IMAGE,
        "imagePullPolicy": "IfNotPresent",
        "name": "istio-proxy",
        "ports": [{"containerPort": 15090, "name": "http-envoy-prom", "protocol": "TCP"}],
        "readinessProbe": probe,
        "resources": {"limits": {"cpu": "2", "memory": "1Gi"}, "requests": _REQUESTS},
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "privileged": False,
            "readOnlyRootFilesystem": True,
            "runAsGroup": 1337,
            "runAsNonRoot": True,
            "runAsUser": 1337,
        },
        "startupProbe": {
            **probe,
            "failureThreshold": 600,
            "initialDelaySeconds": 0,
            "periodSeconds": 1,
            "timeoutSeconds": 3,
        },
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
        "volumeMounts": [
            _mount("workload-socket", "/var/run/secrets/workload-spiffe-uds"),
            _mount("credential-socket", "/var/run/secrets/credential-uds"),
            _mount("workload-certs", "/var/run/secrets/workload-spiffe-credentials"),
            _mount("istiod-ca-cert", "/var/run/secrets/istio"),
            _mount("istio-data", "/var/lib/istio/data"),
            _mount("istio-envoy", "/etc/istio/proxy"),
            _mount("istio-token", "/var/run/secrets/tokens"),
            _mount("istio-podinfo", "/etc/istio/pod"),
            _mount(
                "kube-api-access", "/var/run/secrets/kubernetes.io/serviceaccount", read_only=True
            ),
        ],
    }


def _istio_init() -> dict[str, Any]:
    return {
        "args": [
            "istio-iptables",
            "-p",
            "15001",
            "-z",
            "15006",
            "-u",
            "1337",
            "-m",
            "REDIRECT",
            "-i",
            "*",
            "-x",
            "",
            "-b",
            "*",
            "-d",
            "15090,15021,15020",
            "--log_output_level=default:info",
        ],
        "image": _PROXY_IMAGE,
        "imagePullPolicy": "IfNotPresent",
        "name": "istio-init",
        "resources": {"limits": {"cpu": "2", "memory": "1Gi"}, "requests": _REQUESTS},
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"add": ["NET_ADMIN", "NET_RAW"], "drop": ["ALL"]},
            "privileged": False,
            "readOnlyRootFilesystem": False,
            "runAsGroup": 0,
            "runAsNonRoot": False,
            "runAsUser": 0,
        },
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
        "volumeMounts": [
            _mount(
                "kube-api-access", "/var/run/secrets/kubernetes.io/serviceaccount", read_only=True
            )
        ],
    }


def _volumes() -> list[dict[str, Any]]:
    downward = [
        {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.labels"}, "path": "labels"},
        {
            "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.annotations"},
            "path": "annotations",
        },
    ]
    return [
        {"emptyDir": {}, "name": "workload-socket"},
        {"emptyDir": {}, "name": "credential-socket"},
        {"emptyDir": {}, "name": "workload-certs"},
        {"emptyDir": {"medium": "Memory"}, "name": "istio-envoy"},
        {"emptyDir": {}, "name": "istio-data"},
        {"downwardAPI": {"defaultMode": 420, "items": downward}, "name": "istio-podinfo"},
        {
            "name": "istio-token",
            "projected": {
                "defaultMode": 420,
                "sources": [
                    {
                        "serviceAccountToken": {
                            "audience": "istio-ca",
                            "expirationSeconds": 43200,
                            "path": "istio-token",
                        }
                    }
                ],
            },
        },
        {"configMap": {"defaultMode": 420, "name": "istio-ca-root-cert"}, "name": "istiod-ca-cert"},
        {
            "name": "kube-api-access",
            "projected": {
                "defaultMode": 420,
                "sources": [
                    {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                    {
                        "configMap": {
                            "items": [{"key": "ca.crt", "path": "ca.crt"}],
                            "name": "kube-root-ca.crt",
                        }
                    },
                    {
                        "downwardAPI": {
                            "items": [
                                {
                                    "fieldRef": {
                                        "apiVersion": "v1",
                                        "fieldPath": "metadata.namespace",
                                    },
                                    "path": "namespace",
                                }
                            ]
                        }
                    },
                ],
            },
        },
    ]


_STATUS_ANNOTATION: Final = json.dumps(
    {
        "initContainers": ["istio-init"],
        "containers": ["istio-proxy"],
        "volumes": [
            "workload-socket",
            "credential-socket",
            "workload-certs",
            "istio-envoy",
            "istio-data",
            "istio-podinfo",
            "istio-token",
            "istiod-ca-cert",
        ],
        "imagePullSecrets": None,
        "revision": "default",
    },
    separators=(",", ":"),
)


def _container_status(name: str, image: str, started: str, index: int) -> dict[str, Any]:
    digest = f"sha256:{index:064x}"
    return {
        "containerID": f"containerd://{index:064x}",
        "image": image,
        "imageID": f"{image.rsplit(':', 1)[0]}@{digest}",
        "lastState": {},
        "name": name,
        "ready": True,
        "restartCount": 0,
        "started": True,
        "state": {"running": {"startedAt": started}},
    }


def injected_pod(index: int, namespace: str, name: str, labels: dict[str, str]) -> dict[str, Any]:
    """A Pod as ``kubectl get -o yaml`` shows it after Istio's sidecar injector ran.

    ``istio-init`` and ``istio-proxy`` with their usual arguments, environment, probes
    and mounts; Istio's volumes; the injector's annotations; a running status with
    conditions, container statuses and the Pod's IP. About 10 KB of YAML.
    """
    app = labels.get("app", name)
    owner = f"{app}-{labels.get('version', 'v1')}"
    template_hash = f"{index * 7919 % 16**9:09x}"[:9]
    started = "2024-01-01T00:00:05Z"
    ip = f"10.{64 + index // 65536 % 64}.{index // 256 % 256}.{index % 256}"
    node = f"node-{index % 97}"
    app_image = f"registry.example.com/{app}:1.{index % 5}.0"
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "annotations": {
                "istio.io/rev": "default",
                "kubectl.kubernetes.io/default-container": app,
                "kubectl.kubernetes.io/default-logs-container": app,
                "prometheus.io/path": "/stats/prometheus",
                "prometheus.io/port": "15020",
                "prometheus.io/scrape": "true",
                "sidecar.istio.io/status": _STATUS_ANNOTATION,
            },
            "creationTimestamp": "2024-01-01T00:00:00Z",
            "generateName": f"{owner}-{template_hash}-",
            "labels": {
                **labels,
                "pod-template-hash": template_hash,
                "security.istio.io/tlsMode": "istio",
                "service.istio.io/canonical-name": app,
                "service.istio.io/canonical-revision": labels.get("version", "latest"),
            },
            "name": name,
            "namespace": namespace,
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "blockOwnerDeletion": True,
                    "controller": True,
                    "kind": "ReplicaSet",
                    "name": f"{owner}-{template_hash}",
                    "uid": f"{index:08x}-1111-4222-8333-{index:012x}",
                }
            ],
            "resourceVersion": str(100_000 + index),
            "uid": f"{index:08x}-aaaa-4bbb-8ccc-{index:012x}",
        },
        "spec": {
            "containers": [
                {
                    "image": app_image,
                    "imagePullPolicy": "IfNotPresent",
                    "name": app,
                    "ports": [{"containerPort": 9080, "name": "http", "protocol": "TCP"}],
                    "resources": {},
                    "terminationMessagePath": "/dev/termination-log",
                    "terminationMessagePolicy": "File",
                    "volumeMounts": [
                        _mount(
                            "kube-api-access",
                            "/var/run/secrets/kubernetes.io/serviceaccount",
                            read_only=True,
                        )
                    ],
                },
                _istio_proxy(namespace, app, owner),
            ],
            "dnsPolicy": "ClusterFirst",
            "enableServiceLinks": True,
            "initContainers": [_istio_init()],
            "nodeName": node,
            "preemptionPolicy": "PreemptLowerPriority",
            "priority": 0,
            "restartPolicy": "Always",
            "schedulerName": "default-scheduler",
            "securityContext": {},
            "serviceAccount": app,
            "serviceAccountName": app,
            "terminationGracePeriodSeconds": 30,
            "tolerations": [
                {
                    "effect": "NoExecute",
                    "key": "node.kubernetes.io/not-ready",
                    "operator": "Exists",
                    "tolerationSeconds": 300,
                },
                {
                    "effect": "NoExecute",
                    "key": "node.kubernetes.io/unreachable",
                    "operator": "Exists",
                    "tolerationSeconds": 300,
                },
            ],
            "volumes": _volumes(),
        },
        "status": {
            "conditions": [
                {
                    "lastProbeTime": None,
                    "lastTransitionTime": "2024-01-01T00:00:03Z",
                    "status": "True",
                    "type": kind,
                }
                for kind in (
                    "PodReadyToStartContainers",
                    "Initialized",
                    "Ready",
                    "ContainersReady",
                    "PodScheduled",
                )
            ],
            "containerStatuses": [
                _container_status(app, app_image, started, index * 2),
                _container_status("istio-proxy", _PROXY_IMAGE, started, index * 2 + 1),
            ],
            "hostIP": f"192.168.{index % 97 // 256}.{index % 97}",
            "hostIPs": [{"ip": f"192.168.{index % 97 // 256}.{index % 97}"}],
            "initContainerStatuses": [
                {
                    **_container_status("istio-init", _PROXY_IMAGE, started, index * 3),
                    "ready": True,
                    "started": False,
                    "state": {
                        "terminated": {
                            "containerID": f"containerd://{index * 3:064x}",
                            "exitCode": 0,
                            "finishedAt": "2024-01-01T00:00:02Z",
                            "reason": "Completed",
                            "startedAt": "2024-01-01T00:00:01Z",
                        }
                    },
                }
            ],
            "phase": "Running",
            "podIP": ip,
            "podIPs": [{"ip": ip}],
            "qosClass": "Burstable",
            "startTime": "2024-01-01T00:00:00Z",
        },
    }


# --------------------------------------------------------------------------- measuring


@dataclasses.dataclass(frozen=True)
class Sample:
    """CPU and wall seconds of one run, and the peak RSS of a process (bytes; 0 in-process)."""

    cpu: float
    wall: float
    rss: int = 0


@dataclasses.dataclass(frozen=True)
class Samples:
    """Repeated runs of one step."""

    runs: tuple[Sample, ...]

    @property
    def cpu(self) -> float:
        """Median CPU seconds."""
        return statistics.median(run.cpu for run in self.runs)

    @property
    def wall(self) -> float:
        """Median wall seconds."""
        return statistics.median(run.wall for run in self.runs)

    @property
    def rss(self) -> int:
        """Largest peak RSS, in bytes."""
        return max(run.rss for run in self.runs)

    def text(self) -> str:
        """``1.234 CPU s (1.301 s wall)``, plus the peak RSS when there is one."""
        rss = f", peak RSS {self.rss / MIB:.0f} MiB" if self.rss else ""
        return f"{self.cpu:.3f} CPU s ({self.wall:.3f} s wall{rss}; n={len(self.runs)})"


def in_process(call: Callable[[], T]) -> tuple[Sample, T]:
    """Run ``call`` with the collector on and nothing frozen; time it; return its result."""
    gc.collect()
    start, wall = time.process_time(), time.perf_counter()
    result = call()
    return Sample(time.process_time() - start, time.perf_counter() - wall), result


def repeated(call: Callable[[], object], repeats: int) -> Samples:
    """``repeats`` in-process runs of ``call``; each result is dropped after its clock stops."""
    runs = []
    for _ in range(repeats):
        sample, result = in_process(call)
        del result
        runs.append(sample)
    return Samples(tuple(runs))


def _environment(cache_home: Path) -> dict[str, str]:
    env = dict(os.environ)
    source = str(standalone.ROOT / "src")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [source, env.get("PYTHONPATH")]))
    env["XDG_CACHE_HOME"] = str(cache_home)
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    return env


def process(args: Sequence[str], cache_home: Path, ok: Sequence[int] = (0,)) -> tuple[Sample, str]:
    """Run ``python args...`` to its end; its CPU seconds, wall seconds and peak RSS, and output.

    Standard output goes to a file (commands print all they found), which is returned.
    """
    with (
        tempfile.TemporaryDirectory() as tmp,
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
    ):
        report = Path(tmp) / "usage.json"
        subprocess.run(  # noqa: S603 - our own interpreter and arguments
            [sys.executable, "-c", _MEASURE_SCRIPT, str(report), *args],
            stdout=out,
            stderr=err,
            env=_environment(cache_home),
            check=True,
        )
        usage = json.loads(report.read_text(encoding="utf-8"))
        out.seek(0)
        err.seek(0)
        output, errors = out.read().decode(), err.read().decode()
    if usage["code"] not in ok:
        msg = f"{' '.join(args)} exited with {usage['code']}: {errors[-2000:]}"
        raise SystemExit(msg)
    return Sample(usage["cpu"], usage["wall"], usage["maxrss"] * 1024), output


# --------------------------------------------------------------------------- the group


Row = standalone.Row


def _row(label: str, ratio: float, target: float | None, detail: str) -> Row:
    return (f"e2e: {label}", ratio, target, detail)


def _load_all(path: Path) -> list[Any]:
    return list(yaml.load_all(path.read_text(encoding="utf-8"), Loader=_LOADER))


def _paused(call: Callable[[], T]) -> T:
    gc.disable()  # as the library's loading does: a parse allocates only survivors
    try:
        return call()
    finally:
        gc.enable()


def _load_all_paused(path: Path) -> list[Any]:
    return _paused(lambda: _load_all(path))


def _floor(plain: Samples, paused: Samples) -> Samples:
    """The faster of two ways to run a baseline parser: the denominator of the figures.

    On a large dump the collector's repeated full scans make a plain ``load_all`` or
    ``json.loads`` two to three times slower than the same call with the collector off,
    which is how the library loads; a floor must not be that easy to beat.
    """
    return paused if paused.cpu < plain.cpu else plain


def _compose_all(path: Path) -> list[Any]:
    return list(yaml.compose_all(path.read_text(encoding="utf-8"), Loader=_LOADER))


def _json_loads(path: Path) -> object:
    return json.loads(path.read_text(encoding="utf-8"))


def resolve_all(mesh: Any) -> int:  # noqa: ANN401 - a Mesh
    """Scopes and outbound listeners of every workload (the "resolve" group, unfrozen)."""
    from sidecar_model import resolver  # noqa: PLC0415

    total = 0
    for workload in mesh.workloads:
        total += len(resolver.outbound_listeners(resolver.compute_scope(mesh, workload)))
    return total


def per_workload(mesh: Any, workloads: Sequence[Any] | None = None) -> dict[str, float]:  # noqa: ANN401
    """Routes, inbound listeners and every union service's DestinationRule, per workload.

    For every workload of ``mesh`` (or of ``workloads``); returns the CPU seconds of each
    of the three, summed over the workloads.
    """
    from sidecar_model import resolver  # noqa: PLC0415

    parts = {"outbound_routes": 0.0, "inbound_listeners": 0.0, "destination_rule": 0.0}
    clock = time.process_time
    for workload in mesh.workloads if workloads is None else workloads:
        scope = resolver.compute_scope(mesh, workload)
        start = clock()
        resolver.outbound_routes(scope)
        routes = clock()
        resolver.inbound_listeners(scope)
        inbound = clock()
        for service in scope.services:
            scope.destination_rule(service.hostname)
        parts["outbound_routes"] += routes - start
        parts["inbound_listeners"] += inbound - routes
        parts["destination_rule"] += clock() - inbound
    return parts


def measurements(
    *,
    seed: int = 1,
    quick: bool = False,
    realistic_pods: int | None = None,
    repeats: int = 3,
) -> Iterator[Row]:
    """The group's rows, in the order of the issue's acceptance list."""
    from sidecar_model import Mesh  # noqa: PLC0415 - imported late, as in run.py
    from sidecar_model.codec import Limits  # noqa: PLC0415

    _scale, knobs = standalone.target_mesh(quick=quick)
    pods = realistic_pods
    if pods is None:
        pods = QUICK_REALISTIC_PODS if quick else DEFAULT_REALISTIC_PODS
    heavy = 2 if quick else 1  # runs of the slow steps (analyze, the per-workload loop)
    with tempfile.TemporaryDirectory(prefix="sidecar-model-e2e-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        dumps = write_dumps(folder, seed, knobs, pods)
        size = ", ".join(f"{k}={v}" for k, v in knobs.items())
        _note(
            f"e2e: {size}; YAML {dumps.yaml.stat().st_size / 1e6:.1f} MB, "
            f"JSON {dumps.json.stat().st_size / 1e6:.1f} MB, "
            f"{dumps.realistic_pods} injected Pods {dumps.realistic.stat().st_size / 1e6:.1f} MB; "
            f"written in {time.perf_counter() - started:.0f} s; {repeats} repeats"
        )
        load_all = yield from _loading(Mesh, dumps, repeats, heavy)
        yield from _processes(dumps, folder, load_all, repeats, heavy)
        yield from _realistic(Mesh, Limits(), dumps, repeats)


def _loading(
    mesh_type: Any,  # noqa: ANN401 - the Mesh class, imported late
    dumps: Dumps,
    repeats: int,
    heavy: int,
) -> Generator[Row, None, Samples]:
    """In-process figures: Mesh.load of YAML and JSON, and resolving every workload."""
    plain = repeated(lambda: _load_all(dumps.yaml), repeats)
    paused = repeated(lambda: _load_all_paused(dumps.yaml), repeats)
    load_all = _floor(plain, paused)
    compose = repeated(lambda: _paused(lambda: _compose_all(dumps.yaml)), repeats)
    json_plain = repeated(lambda: _json_loads(dumps.json), repeats)
    json_paused = repeated(lambda: _paused(lambda: _json_loads(dumps.json)), repeats)
    loads_json = _floor(json_plain, json_paused)
    yaml_runs, resolve_runs = [], []
    checksum = 0
    for _ in range(repeats):
        sample, mesh = in_process(lambda: mesh_type.load(dumps.yaml))
        yaml_runs.append(sample)
        sample, checksum = in_process(functools.partial(resolve_all, mesh))
        resolve_runs.append(sample)
        del mesh
    mesh_yaml, resolve = Samples(tuple(yaml_runs)), Samples(tuple(resolve_runs))
    mesh_json = repeated(lambda: mesh_type.load(dumps.json), repeats)
    yield _row(
        "Mesh.load(YAML) / CSafeLoader load_all (context)",
        mesh_yaml.cpu / load_all.cpu,
        None,
        f"Mesh.load {mesh_yaml.text()}; load_all {plain.text()}, with the collector "
        f"off {paused.text()}; compose_all (collector off) {compose.text()} = "
        f"{compose.cpu / load_all.cpu:.2f}x load_all",
    )
    yield _row(
        "Mesh.load(JSON) / json.loads",
        mesh_json.cpu / loads_json.cpu,
        JSON_TARGET,
        f"Mesh.load {mesh_json.text()}; json.loads {json_plain.text()}, with the collector "
        f"off {json_paused.text()}",
    )
    yield _row(
        "scopes + outbound listeners, every workload, no gc.freeze() / Mesh.load(YAML)",
        resolve.cpu / mesh_yaml.cpu,
        RESOLVE_TARGET,
        f"{resolve.text()}; {checksum} listeners; Mesh.load {mesh_yaml.cpu:.3f} CPU s",
    )
    per_runs = []
    parts: dict[str, list[float]] = {}
    for _ in range(heavy):
        mesh = mesh_type.load(dumps.yaml)
        resolve_all(mesh)  # the scopes exist already: the figure is what comes on top
        sample, split = in_process(functools.partial(per_workload, mesh))
        per_runs.append(sample)
        for name, seconds in split.items():
            parts.setdefault(name, []).append(seconds)
        del mesh
    per = Samples(tuple(per_runs))
    shares = "; ".join(f"{name} {statistics.median(s):.2f} s" for name, s in parts.items())
    yield _row(
        "routes + inbound listeners + DestinationRules, every workload / Mesh.load(YAML)",
        per.cpu / mesh_yaml.cpu,
        PER_WORKLOAD_TARGET,
        f"{per.text()} once the scopes exist; of it {shares}",
    )
    return load_all


def _processes(
    dumps: Dumps, folder: Path, load_all: Samples, repeats: int, heavy: int
) -> Iterator[Row]:
    """Whole-process figures: explain twice per fresh cache, analyze, their memory.

    Their ratios are against ``load_all``, CSafeLoader's in-process time.
    """
    path = str(dumps.yaml)
    explain = ["-m", "sidecar_model", "explain", "--workload", dumps.workload, path]
    firsts, seconds, floors = [], [], []
    for round_ in range(repeats):
        cache_home = folder / f"cache-{round_}"
        cache_home.mkdir()
        floors.append(process(["-c", _FLOOR_SCRIPT, path], cache_home)[0])
        firsts.append(process(explain, cache_home)[0])
        seconds.append(process(explain, cache_home)[0])
    first, second, floor = Samples(tuple(firsts)), Samples(tuple(seconds)), Samples(tuple(floors))
    yield _row(
        "explain one workload, whole process / CSafeLoader load_all",
        first.cpu / load_all.cpu,
        EXPLAIN_TARGET,
        f"explain {first.text()}; load_all {load_all.cpu:.3f} CPU s; "
        f"a load_all process {floor.text()} = {first.cpu / floor.cpu:.2f}x of it",
    )
    yield _row(
        "second explain on the unchanged dump / the first",
        second.cpu / first.cpu,
        SECOND_EXPLAIN_TARGET,
        f"second {second.text()}; first {first.cpu:.3f} CPU s",
    )
    _hold, output = process(["-c", _HOLD_SCRIPT, path], folder)
    held = json.loads(output)
    analyze_runs = [
        process(["-m", "sidecar_model", "analyze", path], folder, ok=(0, 1))[0]
        for _ in range(heavy)
    ]
    analyze = Samples(tuple(analyze_runs))
    yield _row(
        "analyze, whole process / CSafeLoader load_all",
        analyze.cpu / load_all.cpu,
        ANALYZE_TARGET,
        f"analyze {analyze.text()}; load_all {load_all.cpu:.3f} CPU s",
    )
    yield _row(
        "analyze peak RSS / the loaded objects (bytes they keep)",
        analyze.rss / held["kept"],
        ANALYZE_MEMORY_TARGET,
        f"{analyze.rss / MIB:.0f} MiB vs {held['kept'] / MIB:.0f} MiB kept by Mesh.load "
        f"(tracemalloc, peak {held['peak'] / MIB:.0f} MiB while loading); a process holding "
        f"them: {held['after'] / MIB:.0f} MiB RSS ({held['before'] / MIB:.0f} MiB before loading)",
    )


def _realistic(
    mesh_type: Any,  # noqa: ANN401 - the Mesh class
    limits: Any,  # noqa: ANN401 - the codec's default Limits
    dumps: Dumps,
    repeats: int,
) -> Iterator[Row]:
    """Mesh.load of realistic injected Pods against CSafeLoader, and the extrapolation."""
    n = dumps.realistic_pods
    load_all = _floor(
        repeated(lambda: _load_all(dumps.realistic), repeats),
        repeated(lambda: _load_all_paused(dumps.realistic), repeats),
    )
    mesh = repeated(lambda: mesh_type.load(dumps.realistic), repeats)
    per_pod, per_pod_floor = mesh.cpu / n, load_all.cpu / n
    yield _row(
        f"Mesh.load / CSafeLoader load_all, {n} injected Pods",
        mesh.cpu / load_all.cpu,
        REALISTIC_TARGET,
        f"Mesh.load {mesh.text()}; load_all {load_all.text()}; "
        f"{dumps.realistic_pod_chars / 1000:.1f} KB per Pod; per Pod {per_pod * 1e6:.0f} us "
        f"vs {per_pod_floor * 1e6:.0f} us: 50,000 Pods ~{per_pod * TARGET_PODS:.0f} s "
        f"vs ~{per_pod_floor * TARGET_PODS:.0f} s",
    )
    full = dumps.other_chars + dumps.realistic_pod_chars * TARGET_PODS
    yield _row(
        "realistic target dump (50,000 injected Pods) / default Limits.max_size",
        full / limits.max_size,
        1.0,
        f"~{full / 1e6:.0f} MB of YAML (the mesh's other objects {dumps.other_chars / 1e6:.1f} MB "
        f"+ 50,000 x {dumps.realistic_pod_chars / 1000:.1f} KB) vs max_size "
        f"{limits.max_size} characters: {'admitted' if full <= limits.max_size else 'refused'}",
    )


def _note(text: str) -> None:
    print(f"# {text}", flush=True)


def main() -> int:
    """Print the rows; exit 1 if one misses its target and ``--check`` is given."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="a tenth of the target mesh")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3, help="runs of each fast step (3)")
    parser.add_argument(
        "--realistic-pods",
        type=int,
        default=None,
        help=f"injected Pods in the realistic dump ({DEFAULT_REALISTIC_PODS:,}; "
        f"{QUICK_REALISTIC_PODS} with --quick)",
    )
    parser.add_argument("--check", action="store_true", help="fail when a target is missed")
    args = parser.parse_args()
    missed = False
    for label, ratio, goal, detail in measurements(
        seed=args.seed, quick=args.quick, realistic_pods=args.realistic_pods, repeats=args.repeats
    ):
        miss = goal is not None and ratio > goal
        missed |= miss
        target = "context" if goal is None else f"target <= {goal:.3g}"
        print(f"{label}: {ratio:.3f} ({target})  [{detail}]{'  MISSED' if miss else ''}")
    return 1 if missed and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
