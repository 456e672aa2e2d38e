"""Which workload of the mesh made an observed call, and which service it called."""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

from sidecar_model import resolver
from sidecar_model.hosts import matches

if TYPE_CHECKING:
    from sidecar_model.mesh import Mesh, MeshService, Workload
    from sidecar_model.traffic import Call

__all__ = ["Callers", "expand_host", "visible_service"]


class Callers:
    """Finds the calling workload of a call by name, Pod name or Pod address."""

    def __init__(self, mesh: Mesh) -> None:
        self._by_name: dict[tuple[str, str], Workload] = {}
        self._by_namespace: dict[str, list[Workload]] = {}
        for workload in mesh.workloads:
            self._by_name.setdefault((workload.namespace, workload.name), workload)
            self._by_namespace.setdefault(workload.namespace, []).append(workload)
        self._pods: dict[tuple[str, str], dict[str, str]] = {}
        self._pod_ips: dict[str, tuple[str, str]] = {}
        for resource in mesh.resources:
            if resource.kind == "Pod" and resource.api_version == "v1":
                key = (resource.namespace or "default", resource.name or "")
                self._pods[key] = dict(resource.metadata.labels)
                ip = _pod_ip(resource.status)
                if ip is not None:
                    self._pod_ips.setdefault(ip, key)
        for workload in mesh.workloads:
            if workload.ip is not None:
                self._pod_ips.setdefault(workload.ip, (workload.namespace, workload.name))

    def find(self, call: Call) -> tuple[Workload, ...]:
        """The calling workloads (none when the mesh has none that fits).

        A workload of that name; else the controller of a Pod of that name; else, where the
        mesh lists Pods as workloads, the Pods of a controller of that name (metrics name
        the Deployment, ``<name>-<hash>-<id>``, or the StatefulSet, ``<name>-<n>``).
        """
        if call.namespace is not None and call.caller is not None:
            key = (call.namespace, call.caller)
        elif call.caller_ip is not None and call.caller_ip in self._pod_ips:
            key = self._pod_ips[call.caller_ip]
        else:
            return ()
        found = self._by_name.get(key) or self._owner(*key)
        if found is not None:
            return (found,)
        return tuple(w for w in self._by_namespace.get(key[0], ()) if _pod_of(w.name, key[1]))

    def _owner(self, namespace: str, pod: str) -> Workload | None:
        """The controller a Pod belongs to, by labels and name.

        Its labels include the workload's, and its name starts with the workload's
        (``<deployment>-<hash>-<id>``, ``<statefulset>-<n>``).
        """
        labels = self._pods.get((namespace, pod))
        best: Workload | None = None
        for workload in self._by_namespace.get(namespace, ()):
            if not pod.startswith(f"{workload.name}-"):
                continue
            if labels is not None and not workload.labels.items() <= labels.items():
                continue
            if best is None or len(workload.name) > len(best.name):
                best = workload
        return best


def _pod_of(pod: str, controller: str) -> bool:
    """Whether ``pod`` is named as a Pod of ``controller`` is (Deployment or StatefulSet)."""
    parts = pod.rsplit("-", 2)
    if len(parts) == 3 and parts[0] == controller:  # noqa: PLR2004 - name-hash-id
        return True
    base, _, ordinal = pod.rpartition("-")
    return base == controller and ordinal.isdigit()


def _pod_ip(status: Any) -> str | None:  # noqa: ANN401 - a Pod's verbatim status
    ip = status.get("podIP") if status is not None else None
    return ip if isinstance(ip, str) and ip else None


def expand_host(mesh: Mesh, host: str, namespace: str) -> str:
    """A host as the caller wrote it, as a full name.

    Short names are in the caller's namespace (``reviews``), or name theirs
    (``reviews.prod``, ``reviews.prod.svc``); a name some service declares is kept as it is.
    """
    domain = mesh.config.cluster_domain
    host = host.lower().rstrip(".")
    parts = host.split(".")
    if host.startswith("*") or host in mesh.services_by_hostname:
        return host
    if len(parts) == 1:
        return f"{host}.{namespace}.svc.{domain}"
    if len(parts) == 2 and parts[1] in _namespaces(mesh):  # noqa: PLR2004 - name.namespace
        return f"{host}.svc.{domain}"
    if len(parts) == 3 and parts[2] == "svc":  # noqa: PLR2004 - name.namespace.svc
        return f"{host}.{domain}"
    return host


def _namespaces(mesh: Mesh) -> set[str]:
    return {w.namespace for w in mesh.workloads} | {s.namespace for s in mesh.services}


def visible_service(
    mesh: Mesh, host: str, namespace: str, scope: resolver.SidecarScope
) -> MeshService | None:
    """The service a proxy in ``namespace`` reaches for ``host``.

    The copy its scope holds, else the first visible one declaring it, else the most
    specific visible wildcard ServiceEntry matching it.
    """
    exact = mesh.services_by_hostname.get(host, ())
    chosen = scope.service(host)
    if chosen is not None and chosen.hostname == host:
        return chosen
    for service in exact:
        if resolver.is_service_visible(mesh, service, namespace):
            return service
    for service in _wildcards(mesh):
        if matches(host, service.hostname) and resolver.is_service_visible(
            mesh, service, namespace
        ):
            return service
    return None


_WILDCARDS: weakref.WeakKeyDictionary[Mesh, tuple[MeshService, ...]] = weakref.WeakKeyDictionary()


def _wildcards(mesh: Mesh) -> tuple[MeshService, ...]:
    """The mesh's wildcard services, the most specific (longest) first."""
    found = _WILDCARDS.get(mesh)
    if found is None:
        found = tuple(
            sorted(
                (s for s in mesh.services if s.hostname.startswith("*")),
                key=lambda s: -len(s.hostname),
            )
        )
        _WILDCARDS[mesh] = found
    return found
