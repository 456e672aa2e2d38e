"""The resolver's memory of one mesh: answers derived once and shared by every scope (§3.9).

One :class:`MeshCache` per :class:`~sidecar_model.Mesh`, held in a weak dictionary keyed by
the mesh, so that it lives exactly as long as the mesh and nothing is written into the mesh
itself. Every entry is keyed by values (services, VirtualServices, hostnames, namespaces,
positions in the mesh's tuples), never by object identity: equal inputs find equal answers.
Nothing in it refers back to the mesh, which would keep the mesh alive.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from sidecar_model.mesh import Mesh, MeshService, ServiceAlias, VirtualServiceInfo
    from sidecar_model.resolver._builder import _R3Lookups
    from sidecar_model.resolver._listener_values import OutboundListener
    from sidecar_model.resolver._port_plan import _Plan
    from sidecar_model.resolver._scope import _Core
    from sidecar_model.resolver._visibility import _DrPools

#: (VirtualService, namespace or None when the answer is the same for all, port) keys.
VsKey = tuple["VirtualServiceInfo", str | None, int | None]
#: VirtualServices by host, by label-aligned host suffix, and (partial wildcard host, VS).
VsHostIndexes = tuple[
    dict[str, list["VirtualServiceInfo"]],
    dict[str, list["VirtualServiceInfo"]],
    tuple[tuple[str, "VirtualServiceInfo"], ...],
]


class MeshCache:
    """Everything the resolver remembers about one mesh."""

    __slots__ = (
        "alias_trims",
        "destination_ports",
        "destinations",
        "dr_pools",
        "holders",
        "inferred",
        "namespace_free",
        "port_plans",
        "r3_lookups",
        "scopes",
        "shared_listeners",
        "sidecar_positions",
        "trims",
        "unshared_addresses",
        "visible_vs",
        "vs_by_namespace",
        "vs_host_indexes",
        "vs_rank_sets",
        "vs_route_hosts",
        "wildcard_names",
    )

    def __init__(self) -> None:
        """An empty cache; each part fills on first need."""
        #: (position of the Sidecar in ``mesh.sidecars`` or None, namespace, gateway) -> scope.
        self.scopes: dict[tuple[int | None, str, bool], _Core] = {}
        #: Per namespace, the positions of its Sidecars in ``mesh.sidecars`` (§3.2).
        self.sidecar_positions: dict[str, tuple[int, ...]] | None = None
        self.trims: dict[tuple[MeshService, tuple[int, ...]], MeshService | None] = {}
        self.alias_trims: dict[tuple[MeshService, tuple[ServiceAlias, ...]], MeshService] = {}
        self.visible_vs: dict[str, tuple[VirtualServiceInfo, ...]] = {}
        self.vs_rank_sets: (
            tuple[
                frozenset[VirtualServiceInfo],
                dict[str, frozenset[VirtualServiceInfo]],
                dict[str, frozenset[VirtualServiceInfo]],
            ]
            | None
        ) = None
        self.vs_by_namespace: dict[str, list[VirtualServiceInfo]] | None = None
        self.vs_host_indexes: VsHostIndexes | None = None
        self.inferred: dict[VsKey, tuple[MeshService, ...]] = {}
        self.namespace_free: dict[VirtualServiceInfo, frozenset[str] | None] = {}
        self.destination_ports: dict[VsKey, tuple[tuple[str, tuple[int, ...] | None], ...]] = {}
        self.destinations: dict[tuple[str, str], MeshService | None] = {}
        self.holders: dict[str, tuple[MeshService, ...]] = {}
        self.port_plans: dict[tuple[Any, ...], dict[MeshService, _Plan]] = {}
        self.unshared_addresses: frozenset[str] | None = None
        self.shared_listeners: dict[tuple[Any, ...], tuple[OutboundListener, ...]] = {}
        #: R3: the mesh's hostnames each wildcard VirtualService host names.
        self.wildcard_names: dict[str, frozenset[str]] = {}
        #: R3: the VirtualService hosts a route carries, by (signature of the scope's
        #: egress listeners, egress index, port or None for every port).
        self.vs_route_hosts: dict[tuple[object, int, int | None], tuple[str, ...]] = {}
        #: R3: the per-egress-listener lookups of ``_Builder``, by that signature.
        self.r3_lookups: dict[object, _R3Lookups] = {}
        self.dr_pools: _DrPools | None = None


_CACHES: Final[weakref.WeakKeyDictionary[Mesh, MeshCache]] = weakref.WeakKeyDictionary()
#: The mesh last asked for and its cache: resolution asks for one mesh many times in a row,
#: and a weak dictionary lookup makes a new weak reference each time. Emptied when that
#: mesh is collected.
_LAST: Final[list[tuple[weakref.ref[Mesh], MeshCache]]] = []


def cache_of(mesh: Mesh) -> MeshCache:
    """The resolver's cache of ``mesh``, made empty on first use."""
    if _LAST and _LAST[0][0]() is mesh:
        return _LAST[0][1]
    found = _CACHES.get(mesh)
    if found is None:
        found = _CACHES[mesh] = MeshCache()
    _LAST[:] = [(weakref.ref(mesh, _forget), found)]
    return found


def _forget(_reference: weakref.ref[Mesh]) -> None:
    _LAST.clear()
