"""Kubernetes objects as the mesh sees them: Services, and the workloads of Pods and controllers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from sidecar_model.mesh._export_annotation import annotation_export_set
from sidecar_model.mesh._gateways import proxy_type
from sidecar_model.mesh._kube_protocol import kubernetes_port_protocol
from sidecar_model.mesh._pod_specs import pod_spec_of, pod_template_of
from sidecar_model.mesh._pod_status import pod_status
from sidecar_model.mesh._target_ports import target_port_name
from sidecar_model.resources import (
    WORKLOAD_CONTROLLER_KINDS,
    CronJobSpec,
    KubernetesServiceSpec,
    ObjectMeta,
    Resource,
    WorkloadControllerSpec,
    WorkloadEntrySpec,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sidecar_model._collections import FrozenDict
from sidecar_model.mesh._values import (
    ALIAS_RESOLUTION,
    WILDCARD_ADDRESS,
    IPFamily,
    MeshService,
    ProxyType,
    Registry,
    ServicePort,
    Workload,
)


def _kubernetes_service(
    resource: Resource[KubernetesServiceSpec], spec: KubernetesServiceSpec, domain: str
) -> MeshService:
    namespace = resource.namespace or "default"
    name = resource.name or ""
    export = annotation_export_set(resource.metadata.annotations)
    # §4.2.6: only `clusterIP: None` makes a Service headless. Without a clusterIP (a
    # manifest not applied yet) the API server will assign a VIP: the service has an address
    # of its own that is not known yet, written `<VIP of name.namespace>`.
    headless = spec.cluster_ip == "None"
    # istiod's ConvertService: an ExternalName with a name is an alias (unless clusterIP is
    # None, which makes any Service headless); the ENABLE_EXTERNAL_NAME_ALIAS opt-out is gone.
    external = spec.type == "ExternalName" and bool(spec.external_name)
    alias = external and not headless
    resolution = ALIAS_RESOLUTION if alias else "NONE" if headless else "STATIC"
    if headless or external:
        address = WILDCARD_ADDRESS
    else:
        address = str(spec.cluster_ip) if spec.cluster_ip else unknown_vip(name, namespace)
    return MeshService(
        hostname=f"{name}.{namespace}.svc.{domain}",
        namespace=namespace,
        name=name,
        ports=tuple(
            ServicePort(
                name=p.name or "",
                number=p.port or 0,
                protocol=kubernetes_port_protocol(p.port or 0, p.name, p.protocol, p.app_protocol),
                target_port=_int_or_none(p.extra.get("targetPort")),
                target_port_name=target_port_name(p.extra.get("targetPort")),
            )
            for p in spec.ports
        ),
        export_to=export,
        registry=Registry.KUBERNETES,
        resolution=resolution,
        creation_timestamp=resource.metadata.creation_timestamp,
        address=address,
        labels=resource.metadata.labels,
        selector=spec.selector or None,
        alias_for=spec.external_name if external else None,
        source=resource,
    )


def unknown_vip(name: str, namespace: str) -> str:
    """The address of a Service whose VIP the API server has not assigned yet (§4.2.6)."""
    return f"<VIP of {name}.{namespace}>"


def _int_or_none(value: object) -> int | None:
    # A named targetPort is resolved from the pods' container ports later (4.2.6).
    return value if isinstance(value, int) and not isinstance(value, bool) else None


#: Kinds whose objects a dump may hold next to the objects they own.
_CONTROLLER_KINDS: Final = frozenset({*(k for _, k in WORKLOAD_CONTROLLER_KINDS), "CronJob"})
#: An owner a dump may lack, and the owner of *that* its name leads to: a Deployment's
#: ReplicaSets are named ``<deployment>-<pod-template-hash>``, a CronJob's Jobs
#: ``<cronjob>-<scheduled time>``.
_NAMED_AFTER: Final = {"ReplicaSet": "Deployment", "Job": "CronJob"}


def _without_owned(resources: list[Resource[Any]]) -> Iterator[Resource[Any]]:
    """The workload sources of a dump, without those a controller in the dump already covers.

    A dump with both a Deployment and its ReplicaSets and Pods would otherwise count one
    workload three times. An object is dropped when it is owned by a controller present
    in the dump (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob in the same
    namespace), found through ``metadata.ownerReferences`` (the controlling reference, else
    the first), also through an owner the dump lacks when that owner's name leads to one
    it has (ReplicaSet ``<deployment>-<hash>`` to its Deployment, Job to its CronJob). A
    Pod whose owners lead to nothing in the dump is also dropped when its labels include
    every label of the pod template of a controller in its namespace. WorkloadEntries and
    standalone Pods are kept.
    """
    present: set[tuple[str, str, str]] = set()
    templates: dict[str, list[FrozenDict[str, str]]] = {}
    for resource in resources:
        if resource.kind in _CONTROLLER_KINDS and resource.api_group in {"apps", "batch"}:
            namespace = resource.namespace or "default"
            present.add((namespace, resource.kind, resource.name or ""))
            labels = _template_labels(resource)
            if labels:
                templates.setdefault(namespace, []).append(labels)
    if not present:
        yield from resources
        return
    for resource in resources:
        namespace = resource.namespace or "default"
        owner = _owner(resource.metadata)
        if owner is not None:
            kind, name = owner
            if (namespace, kind, name) in present:
                continue
            parent = _NAMED_AFTER.get(kind)
            if parent is not None and (namespace, parent, name.rpartition("-")[0]) in present:
                continue
        if resource.kind == "Pod" and any(
            labels.items() <= resource.metadata.labels.items()
            for labels in templates.get(namespace, ())
        ):
            continue
        yield resource


def _owner(meta: ObjectMeta) -> tuple[str, str] | None:
    references = meta.extra.get("ownerReferences")
    if not isinstance(references, (list, tuple)) or not references:
        return None
    chosen = next(
        (r for r in references if isinstance(r, Mapping) and r.get("controller") is True),
        references[0],
    )
    if not isinstance(chosen, Mapping):
        return None
    kind, name = chosen.get("kind"), chosen.get("name")
    return (kind, name) if isinstance(kind, str) and isinstance(name, str) else None


def _template_labels(resource: Resource[Any]) -> FrozenDict[str, str] | None:
    template = pod_template_of(resource) if resource.kind != "Pod" else None
    return None if template is None else template.metadata.labels


def _workloads_of(resource: Resource[Any]) -> Iterator[Workload]:
    group = resource.api_group
    spec = resource.spec
    meta: ObjectMeta | None = None
    if resource.kind == "Pod" and group == "":
        meta = resource.metadata
    elif isinstance(spec, WorkloadControllerSpec) and (group, resource.kind) in (
        WORKLOAD_CONTROLLER_KINDS
    ):
        meta = spec.template.metadata if spec.template is not None else None
    elif isinstance(spec, CronJobSpec) and spec.job_template is not None:
        job = spec.job_template.spec
        meta = job.template.metadata if job is not None and job.template is not None else None
    elif isinstance(spec, WorkloadEntrySpec):
        yield Workload(
            namespace=resource.namespace or "default",
            labels=spec.labels or resource.metadata.labels,
            name=resource.name or "",
            ip=spec.address,
            ip_family=IPFamily.of([spec.address] if spec.address else []),
            source=resource,
        )
        return
    if meta is None:
        return
    yield Workload(
        namespace=resource.namespace or "default",
        labels=meta.labels,
        name=resource.name or "",
        proxy_type=_proxy_type(meta, resource),
        interception_mode=meta.annotations.get("sidecar.istio.io/interceptionMode", "REDIRECT"),
        ip=_pod_ip(resource) if resource.kind == "Pod" else None,
        ip_family=IPFamily.of(_pod_ips(resource)) if resource.kind == "Pod" else IPFamily.IPV4,
        source=resource,
    )


def _pod_ips(resource: Resource[Any]) -> list[str]:
    """A Pod's ``status.podIPs`` (or ``podIP``): every address, for its IP family."""
    status = pod_status(resource)
    found = [
        str(entry.get("ip"))
        for entry in status.get("podIPs") or ()
        if isinstance(entry, Mapping) and isinstance(entry.get("ip"), str)
    ]
    single = _pod_ip(resource)
    return found or ([single] if single else [])


def _pod_ip(resource: Resource[Any]) -> str | None:
    """A Pod's ``status.podIP``, the address istiod knows its proxy and endpoints by."""
    ip = pod_status(resource).get("podIP")
    return ip if isinstance(ip, str) and ip else None


def _proxy_type(meta: ObjectMeta, resource: Resource[Any]) -> ProxyType:
    # 3.6.1: the pod's proxy command, injection templates, then the gateway labels.
    return ProxyType(proxy_type(meta, pod_spec_of(resource), resource.metadata.labels))
