"""Merging a delegate VirtualService's HTTP routes into the root route that delegates (§4.3.5).

istiod replaces a root route carrying ``delegate`` by the delegate's HTTP routes, each merged
with the root route (``MergeHTTPRoutes``): the match blocks are combined pairwise and a
delegate route with a match block that conflicts with every root match block is dropped; the
root's rewrite, timeout, retries, fault, mirror(s), CORS policy and header operations fill
what the delegate route leaves unset. Match blocks are wire-form mappings here (``uri``,
``headers``, ``sourceNamespace``, ...), as the library keeps them verbatim.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

import attrs

from sidecar_model._collections import freeze
from sidecar_model.resources import HTTPRoute, RouteMatch

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from sidecar_model.model import Destination

MESH_GATEWAY: Final = "mesh"
#: Match fields a merged match block takes from the root when the delegate's is unset.
_FILLED_MATCH_FIELDS: Final = (
    "uri",
    "scheme",
    "method",
    "authority",
    "port",
    "sourceNamespace",
    "gateways",
    "statPrefix",
)
#: Match maps combined key by key, the delegate's entries winning.
_COMBINED_MATCH_MAPS: Final = ("headers", "withoutHeaders", "queryParams", "sourceLabels")
#: String matches compared pairwise by the conflict test.
_STRING_MATCH_FIELDS: Final = ("uri", "scheme", "method", "authority")
#: Map-valued string matches compared key by key (keys the delegate names).
_STRING_MATCH_MAPS: Final = ("headers", "withoutHeaders", "queryParams")
#: Route fields a merged route takes from the root when the delegate route leaves them unset.
_INHERITED_ROUTE_FIELDS: Final = (
    "rewrite",
    "directResponse",
    "timeout",
    "retries",
    "fault",
    "mirrorPercent",
    "mirrorPercentage",
    "corsPolicy",
    "headers",
)


def merge_delegate_routes(
    root: HTTPRoute,
    root_namespace: str,
    delegate: Iterable[HTTPRoute],
    delegate_namespace: str,
    expand_root_host: Callable[[str], str],
) -> Iterator[HTTPRoute]:
    """The delegate's HTTP routes merged with ``root``, conflicting ones left out (§4.3.5).

    ``expand_root_host`` expands a host of the root route in the root's namespace (§4.3.4):
    a mirror the merged route inherits keeps the root's meaning, while the delegate's own
    hosts are expanded later in the delegate's namespace (an expanded name is left alone).
    """
    root_matches = [_wire_match(m, root_namespace) for m in root.match]
    for route in delegate:
        leaf_matches = [_wire_match(m, delegate_namespace) for m in route.match]
        merged = merge_match_blocks(root_matches, leaf_matches)
        if merged is not None:
            yield _merged_route(root, route, merged, expand_root_host)


def merge_match_blocks(
    root: list[Mapping[str, Any]], delegate: list[Mapping[str, Any]]
) -> list[Mapping[str, Any]] | None:
    """The merged match blocks, or None on a conflict (istiod's ``mergeHTTPMatchRequests``).

    No root blocks: the delegate's; no delegate blocks: the root's. Otherwise each
    delegate block is merged with every root block it does not conflict with, and one
    delegate block that conflicts with all of them drops the delegate route.
    """
    if not root:
        return delegate
    if not delegate:
        return root
    merged: list[Mapping[str, Any]] = []
    for leaf in delegate:
        compatible = [r for r in root if not has_conflict(r, leaf)]
        if not compatible:
            return None
        merged.extend(merge_match_block(r, leaf) for r in compatible)
    return merged


def merge_match_block(root: Mapping[str, Any], leaf: Mapping[str, Any]) -> Mapping[str, Any]:
    """The delegate block with gaps filled from the root (istiod's ``mergeHTTPMatchRequest``)."""
    out = dict(leaf)
    out["name"] = _joined_name(root.get("name"), leaf.get("name"))
    for key in _FILLED_MATCH_FIELDS:
        if not _is_set(out.get(key)) and _is_set(root.get(key)):
            out[key] = root[key]
    for key in _COMBINED_MATCH_MAPS:
        combined = {**_mapping(root.get(key)), **_mapping(leaf.get(key))}
        if combined:
            out[key] = combined
    return {key: value for key, value in out.items() if _is_set(value)}


def has_conflict(root: Mapping[str, Any], leaf: Mapping[str, Any]) -> bool:
    """Whether a delegate match block cannot narrow a root one (istiod's ``hasConflict``)."""
    return (
        _string_matches_conflict(root, leaf)
        or bool(root.get("ignoreUriCase")) != bool(leaf.get("ignoreUriCase"))
        or _ports_conflict(root, leaf)
        or _source_conflict(root, leaf)
        or _gateways_conflict(root, leaf)
    )


def _string_matches_conflict(root: Mapping[str, Any], leaf: Mapping[str, Any]) -> bool:
    if any(string_match_conflict(root.get(k), leaf.get(k)) for k in _STRING_MATCH_FIELDS):
        return True
    for field in _STRING_MATCH_MAPS:
        root_map = _mapping(root.get(field))
        leaf_map = _mapping(leaf.get(field))
        if any(string_match_conflict(root_map.get(k), v) for k, v in leaf_map.items()):
            return True
    return False


def _ports_conflict(root: Mapping[str, Any], leaf: Mapping[str, Any]) -> bool:
    root_port, leaf_port = _port(root), _port(leaf)
    return bool(root_port and leaf_port) and root_port != leaf_port


def _source_conflict(root: Mapping[str, Any], leaf: Mapping[str, Any]) -> bool:
    # A root sourceNamespace admits only the same one: an unset delegate one conflicts too.
    root_namespace = root.get("sourceNamespace") or ""
    if root_namespace and leaf.get("sourceNamespace") != root_namespace:
        return True
    root_labels = _mapping(root.get("sourceLabels"))
    leaf_labels = _mapping(leaf.get("sourceLabels"))
    return any(k in root_labels and root_labels[k] != v for k, v in leaf_labels.items())


def _gateways_conflict(root: Mapping[str, Any], leaf: Mapping[str, Any]) -> bool:
    root_gateways, leaf_gateways = _strings(root.get("gateways")), _strings(leaf.get("gateways"))
    return bool(root_gateways and leaf_gateways) and (
        len(root_gateways) < len(leaf_gateways) or not set(leaf_gateways) <= set(root_gateways)
    )


def string_match_conflict(root: object, leaf: object) -> bool:
    """Whether two ``StringMatch`` values (None when unset) conflict (``stringMatchConflict``).

    Compatible only when either is unset, both are equal ``exact`` values, or the root is a
    ``prefix`` that the delegate's ``prefix`` or ``exact`` starts with; a ``regex`` on
    either side, or a root naming none of the three, conflicts.
    """
    if root is None or leaf is None:
        return False
    root_regex, root_exact, root_prefix = _match_kinds(root)
    leaf_regex, leaf_exact, leaf_prefix = _match_kinds(leaf)
    if (
        (root_regex or leaf_regex)
        and (root_regex or root_exact or root_prefix)
        and (leaf_regex or leaf_exact or leaf_prefix)
    ):
        return True
    if root_exact:
        return bool(leaf_prefix) or leaf_exact != root_exact
    if root_prefix and (leaf_prefix or leaf_exact):
        return not (leaf_prefix or leaf_exact).startswith(root_prefix)
    return True


def resolve_gateway_name(name: str, namespace: str) -> str:
    """A gateway reference as ``<namespace>/<name>``, as istiod's ``resolveGatewayName`` makes it.

    ``mesh`` stays ``mesh``; ``./gw`` and a short ``gw`` mean the VirtualService's own
    namespace; a legacy FQDN ``gw.ns.svc.cluster.local`` becomes ``ns/gw``.
    """
    if name == MESH_GATEWAY:
        return name
    if "/" in name:
        prefix, _, rest = name.partition("/")
        return f"{namespace}/{rest}" if prefix == "." else name
    if "." not in name:
        return f"{namespace}/{name}"
    short, _, domain = name.partition(".")
    return f"{domain.partition('.')[0]}/{short}"


def _wire_match(match: RouteMatch, namespace: str) -> Mapping[str, Any]:
    # A match block in wire form, its gateway names resolved in its VirtualService's namespace.
    wire: dict[str, Any] = dict(match.extra)
    if match.source_namespace:
        wire["sourceNamespace"] = match.source_namespace
    gateways = _strings(wire.get("gateways"))
    if gateways:
        wire["gateways"] = tuple(resolve_gateway_name(g, namespace) for g in gateways)
    return wire


def _merged_route(
    root: HTTPRoute,
    leaf: HTTPRoute,
    matches: list[Mapping[str, Any]],
    expand_root_host: Callable[[str], str],
) -> HTTPRoute:
    extra = dict(leaf.extra)
    name = _joined_name(root.extra.get("name"), leaf.extra.get("name"))
    if name:
        extra["name"] = name
    for key in _INHERITED_ROUTE_FIELDS:
        if key not in extra and key in root.extra:
            extra[key] = root.extra[key]
    return attrs.evolve(
        leaf,
        match=tuple(_route_match(m) for m in matches),
        mirror=leaf.mirror or _expanded(root.mirror, expand_root_host),
        mirrors=leaf.mirrors
        or tuple(
            attrs.evolve(m, destination=_expanded(m.destination, expand_root_host))
            for m in root.mirrors
        ),
        extra=freeze(extra),
    )


def _route_match(wire: Mapping[str, Any]) -> RouteMatch:
    rest = {k: v for k, v in wire.items() if k != "sourceNamespace"}
    return RouteMatch(source_namespace=wire.get("sourceNamespace"), extra=freeze(rest))


def _expanded(destination: Destination | None, expand: Callable[[str], str]) -> Destination | None:
    return None if destination is None else attrs.evolve(destination, host=expand(destination.host))


def _joined_name(root: object, leaf: object) -> str | None:
    # istiod names a merged route or match "<root>-<delegate>", or whichever exists.
    if root and leaf:
        return f"{root}-{leaf}"
    return str(leaf or root) if leaf or root else None


def _match_kinds(value: object) -> tuple[str, str, str]:
    match = _mapping(value)
    return (
        str(match.get("regex") or ""),
        str(match.get("exact") or ""),
        str(match.get("prefix") or ""),
    )


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _strings(value: object) -> tuple[str, ...]:
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, (list, tuple)) else ()


def _port(match: Mapping[str, Any]) -> int:
    port = match.get("port")
    return port if isinstance(port, int) and not isinstance(port, bool) else 0


def _is_set(value: object) -> bool:
    # Proto3 semantics: zero values and empty lists/maps are "unset".
    return value is not None and value not in ("", 0, (), {})
