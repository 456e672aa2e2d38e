"""The Mesh: the normalised inventory and the indexes resolution uses (§4.2, §4.3)."""

from __future__ import annotations

import warnings
from functools import cached_property
from typing import TYPE_CHECKING, Any, Final

import attrs

from sidecar_model._collections import EMPTY, FrozenDict
from sidecar_model._results import gc_paused
from sidecar_model.codec import SkippedFileWarning, load_paths
from sidecar_model.model import Sidecar
from sidecar_model.resources import (
    Resource,
)

if TYPE_CHECKING:
    from collections.abc import Iterable
    from os import PathLike
from sidecar_model.mesh._applied import DEFAULT_NAMESPACE, as_applied
from sidecar_model.mesh._build import _build
from sidecar_model.mesh._config import MeshConfig, _namespace_labels
from sidecar_model.mesh._index import dot_suffixes
from sidecar_model.mesh._kubernetes import _NAMED_AFTER, _owner, _workloads_of
from sidecar_model.mesh._values import (
    MESH_GATEWAY,
    DestinationRuleInfo,
    MeshService,
    Registry,
    VirtualServiceInfo,
    Workload,
)

# --------------------------------------------------------------------------- the mesh


@attrs.frozen(kw_only=True, eq=False, slots=False)
class Mesh:
    """The normalised inventory of a mesh, and the indexes resolution uses.

    Build one with :meth:`from_resources` or :meth:`load`. ``services`` are in istiod's
    order (creation time, then name — the hostname for ServiceEntries — then namespace,
    §4.2.4); ``sidecars`` in selection order (§3.2).
    """

    config: MeshConfig = MeshConfig()  # noqa: RUF009 - frozen, safe to share
    services: tuple[MeshService, ...] = ()
    virtual_services: tuple[VirtualServiceInfo, ...] = ()
    destination_rules: tuple[DestinationRuleInfo, ...] = ()
    sidecars: tuple[Resource[Sidecar], ...] = ()
    workloads: tuple[Workload, ...] = ()
    namespaces: FrozenDict[str, FrozenDict[str, str]] = attrs.field(
        default=EMPTY, converter=_namespace_labels
    )
    resources: tuple[Resource[Any], ...] = ()
    #: Each service's effective export set and visibility-index buckets, by value (§4.2.4).
    _listings: dict[MeshService, tuple[frozenset[str], frozenset[str] | None]] = attrs.field(
        factory=dict, init=False, repr=False
    )

    # ------------------------------------------------------------------ building

    @classmethod
    def from_resources(
        cls,
        resources: Iterable[Resource[Any]],
        *,
        config: MeshConfig | None = None,
        services: Iterable[MeshService] = (),
        workloads: Iterable[Workload] = (),
        namespace: str = DEFAULT_NAMESPACE,
    ) -> Mesh:
        """Build a mesh from loaded resources of any kind, plus hand-made services and workloads.

        The resources are first taken as a cluster would hold them (:func:`as_applied`):
        namespace-less objects go to ``namespace``, as with ``kubectl apply -n``, and each
        (API group, kind, namespace, name) is one object, the last one given; a
        :class:`DuplicateObjectWarning` names two different objects with one identity.
        The MeshConfig is ``config`` when given, else the one found among ``resources`` (a
        ``MeshConfig`` document or the ``istio`` ConfigMap's ``mesh`` key), else the default.
        Kinds resolution does not read are kept in :attr:`resources` and otherwise ignored.
        """
        applied = as_applied(resources, namespace=namespace)
        with gc_paused():
            return _build(cls, applied, config, list(services), list(workloads))

    @classmethod
    def load(
        cls,
        *paths: str | PathLike[str],
        config: MeshConfig | None = None,
        namespace: str = DEFAULT_NAMESPACE,
    ) -> Mesh:
        """Load YAML/JSON files, or every ``.yaml``/``.yml``/``.json`` file under directories.

        Paths are read as :func:`~sidecar_model.codec.load_paths` reads them: a file of a
        directory, or of several paths, that is no Kubernetes manifest (a Helm chart's
        ``Chart.yaml``, ``values.yaml`` or templates) is skipped with a
        :class:`~sidecar_model.codec.SkippedFileWarning`. Namespace-less objects go to
        ``namespace`` (see :meth:`from_resources`).
        """
        loaded = load_paths(paths)
        for skipped in loaded.skipped:
            warnings.warn(SkippedFileWarning(str(skipped)), stacklevel=2)
        return cls.from_resources(loaded.resources, config=config, namespace=namespace)

    # ------------------------------------------------------------------ workloads

    def find_workloads(self, namespace: str, name: str) -> tuple[Workload, ...]:
        """The workloads a name stands for in ``namespace``, as ``kubectl`` names them.

        The workload of that name (a Pod, a controller whose pods were not loaded, a
        WorkloadEntry); else the Pod of that name, even when its controller stands for it
        in :attr:`workloads` (its proxy reports the Pod's own labels); else a controller's
        workloads: through the owner of an object of that name (a ReplicaSet to its
        Deployment), or the workloads whose owner has that name, or that owner's name
        without its hash suffix (the Pods of ``<deployment>-<hash>`` ReplicaSets). Empty
        when the name stands for nothing.
        """
        seen: set[str] = set()
        while name not in seen:
            seen.add(name)
            exact = tuple(w for w in self.workloads if w.namespace == namespace and w.name == name)
            if exact:
                return exact
            named = self._objects_by_name.get((namespace, name), ())
            pods = [r for r in named if r.kind == "Pod" and r.api_group == ""]
            if pods:
                return tuple(_workloads_of(pods[0]))
            owners = [o for r in named if (o := _owner(r.metadata)) is not None]
            if not owners:
                break
            name = owners[0][1]
        return tuple(
            w
            for w in self.workloads
            if w.namespace == namespace and w.source is not None and _owned_by(w.source, name)
        )

    @cached_property
    def _objects_by_name(self) -> dict[tuple[str, str], tuple[Resource[Any], ...]]:
        result: dict[tuple[str, str], list[Resource[Any]]] = {}
        for resource in self.resources:
            if resource.name is not None:
                key = (resource.namespace or DEFAULT_NAMESPACE, resource.name)
                result.setdefault(key, []).append(resource)
        return {key: tuple(items) for key, items in result.items()}

    # ------------------------------------------------------------------ indexes

    @cached_property
    def service_order(self) -> dict[MeshService, int]:
        """Position of each service in :attr:`services`."""
        return {s: i for i, s in enumerate(self.services)}

    @cached_property
    def has_aliases(self) -> bool:
        """Whether some service has ExternalName aliases (§5.4 step 5 then has work to do)."""
        return any(s.aliases for s in self.services)

    @cached_property
    def services_by_namespace(self) -> dict[str, tuple[MeshService, ...]]:
        """Services of each namespace, in order."""
        result: dict[str, list[MeshService]] = {}
        for service in self.services:
            result.setdefault(service.namespace, []).append(service)
        return {ns: tuple(items) for ns, items in result.items()}

    @cached_property
    def services_by_hostname(self) -> dict[str, tuple[MeshService, ...]]:
        """Services declaring each hostname, in order."""
        result: dict[str, list[MeshService]] = {}
        for service in self.services:
            result.setdefault(service.hostname, []).append(service)
        return {host: tuple(items) for host, items in result.items()}

    @cached_property
    def services_by_suffix(self) -> dict[str, tuple[MeshService, ...]]:
        """Services by each label-aligned suffix of their hostname (see :func:`dot_suffixes`)."""
        result: dict[str, list[MeshService]] = {}
        for service in self.services:
            for suffix in dot_suffixes(service.hostname):
                result.setdefault(suffix, []).append(service)
        return {key: tuple(items) for key, items in result.items()}

    @cached_property
    def service_by_host_and_namespace(self) -> dict[tuple[str, str], MeshService]:
        """(hostname, namespace) → one service, Kubernetes first, else oldest (§4.2.5)."""
        result: dict[tuple[str, str], MeshService] = {}
        for service in self.services:
            key = (service.hostname, service.namespace)
            kept = result.get(key)
            if kept is None or (
                service.registry is Registry.KUBERNETES and kept.registry is not Registry.KUBERNETES
            ):
                result[key] = service
        return result

    def export_of(self, service: MeshService) -> frozenset[str]:
        """A service's effective export set (§4.2.2), a function of its value.

        The declared ``exportTo``, else the mesh default; for a ServiceEntry, narrowed by
        ``serviceEntryVisibility`` when it applies to sidecars.
        """
        return self._listing(service)[0]

    def _listing(self, service: MeshService) -> tuple[frozenset[str], frozenset[str] | None]:
        """The effective export set and the buckets listing ``service`` (None: public)."""
        found = self._listings.get(service)
        if found is None:
            export = self._effective_export(service)
            found = self._listings[service] = (export, _index_targets(export, service.namespace))
        return found

    @cached_property
    def _default_export(self) -> frozenset[str]:
        return frozenset(self.config.default_service_export_to or ("*",))

    def _effective_export(self, service: MeshService) -> frozenset[str]:
        export = service.export_to or self._default_export
        capped = self.config.service_entry_visibility
        if (
            capped is not None
            and capped.apply_to_sidecars
            and service.registry is Registry.EXTERNAL
            and export != {"~"}
        ):
            labels = self.namespace_labels(service.namespace)
            return _capped_export(export, service.namespace, capped.visibility_for(labels))
        return export

    @cached_property
    def export_buckets(self) -> tuple[tuple[MeshService, ...], dict[str, tuple[MeshService, ...]]]:
        """Istiod's visibility index (§4.2.4): the public list and each namespace's bucket."""
        public: list[MeshService] = []
        buckets: dict[str, list[MeshService]] = {}
        for service in self.services:
            targets = self._listing(service)[1]
            if targets is None:
                public.append(service)
                continue
            for target in targets:
                buckets.setdefault(target, []).append(service)
        return tuple(public), {ns: tuple(items) for ns, items in buckets.items()}

    @cached_property
    def listing(self) -> dict[MeshService, tuple[frozenset[str] | None, int]]:
        """Per service: where the visibility index lists it, and its position (§4.2.4).

        The namespaces whose bucket lists it (None: the public list, listed for all), and
        its position in :attr:`services`, which orders both lists.
        """
        return {s: (self._listing(s)[1], i) for i, s in enumerate(self.services)}

    @cached_property
    def sidecars_by_namespace(self) -> dict[str, tuple[Resource[Sidecar], ...]]:
        """Each namespace's Sidecars, in selection order (§3.2)."""
        result: dict[str, list[Resource[Sidecar]]] = {}
        for sidecar in self.sidecars:
            result.setdefault(sidecar.namespace or "default", []).append(sidecar)
        return {ns: tuple(items) for ns, items in result.items()}

    @cached_property
    def root_default_sidecar(self) -> Resource[Sidecar] | None:
        """The oldest selector-less Sidecar of the root namespace (§3.3)."""
        for sidecar in self.sidecars_by_namespace.get(self.config.root_namespace, ()):
            if sidecar.spec.workload_selector is None:
                return sidecar
        return None

    @cached_property
    def vs_for_gateway(
        self,
    ) -> dict[
        str,
        tuple[
            tuple[VirtualServiceInfo, ...],
            dict[str, tuple[VirtualServiceInfo, ...]],
            dict[str, tuple[VirtualServiceInfo, ...]],
        ],
    ]:
        """Per gateway: public VSs, private VSs by namespace, exported VSs by namespace (§4.3.2)."""
        index: dict[str, tuple[list[Any], dict[str, list[Any]], dict[str, list[Any]]]] = {}
        for vs in self.virtual_services:
            if vs.is_delegate:
                continue  # 4.3.5
            for gateway in vs.gateways or (MESH_GATEWAY,):
                public, private, exported = index.setdefault(gateway, ([], {}, {}))
                if "*" in vs.export_to:
                    public.append(vs)
                elif "~" in vs.export_to:
                    continue
                else:
                    for target in sorted(vs.export_to):
                        bucket = private if target == vs.namespace else exported
                        bucket.setdefault(target, []).append(vs)
        return {
            gateway: (
                tuple(public),
                {ns: tuple(v) for ns, v in private.items()},
                {ns: tuple(v) for ns, v in exported.items()},
            )
            for gateway, (public, private, exported) in index.items()
        }

    @cached_property
    def vs_order(self) -> dict[VirtualServiceInfo, int]:
        """Position of each VirtualService in creation order."""
        return {v: i for i, v in enumerate(self.virtual_services)}

    def service_visible(self, service: MeshService, namespace: str) -> bool:
        """Istiod's visibility predicate (§4.2.3), with the mesh default applied."""
        export = self.export_of(service)
        if export == {"~"}:
            return False
        return (
            "*" in export
            or namespace in export
            or ("." in export and service.namespace == namespace)
        )

    def index_rank(self, service: MeshService, namespace: str) -> int | None:
        """Where the visibility index lists ``service`` for ``namespace`` (§4.2.4).

        0 in the namespace's bucket, 1 in the public list, None when it is not listed.
        """
        targets = self._listing(service)[1]
        if targets is None:
            return 1
        return 0 if namespace in targets else None

    def in_visibility_index(self, service: MeshService, namespace: str) -> bool:
        """Whether ``service`` is listed for ``namespace`` by the visibility index (§4.2.4)."""
        return self.index_rank(service, namespace) is not None

    def namespace_labels(self, namespace: str) -> FrozenDict[str, str]:
        """The labels of a namespace, empty when its Namespace object was not loaded."""
        return self.namespaces.get(namespace, EMPTY)


def _owned_by(resource: Resource[Any], name: str) -> bool:
    """Whether ``resource``'s controller is ``name``, or is named after ``name`` plus a hash."""
    owner = _owner(resource.metadata)
    if owner is None:
        return False
    kind, owner_name = owner
    return owner_name == name or (kind in _NAMED_AFTER and owner_name.rpartition("-")[0] == name)


def _index_targets(export: frozenset[str], home: str) -> frozenset[str] | None:
    """4.2.4: None for the public list, else the namespaces whose bucket lists the service."""
    if "*" in export:
        return None
    if "~" in export:
        return frozenset()
    return frozenset(home if e == "." else e for e in export)


def _capped_export(export: frozenset[str], namespace: str, visibility: str) -> frozenset[str]:
    # 4.2.2: serviceEntryVisibility only narrows: NAMESPACE clamps to '.', NONE hides.
    if visibility == "NAMESPACE":
        return _PRIVATE if export & {"*", ".", namespace} else _NONE
    if visibility == "NONE":
        return _NONE
    return export


_PRIVATE: Final = frozenset({"."})
_NONE: Final = frozenset({"~"})
