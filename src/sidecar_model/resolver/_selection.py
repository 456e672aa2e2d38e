"""Which Sidecar applies to a workload (§3)."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any

import attrs

from sidecar_model._results import Result, resource_name
from sidecar_model.mesh import Mesh, ProxyType, Workload
from sidecar_model.model import (
    Sidecar,
)
from sidecar_model.resolver._cache import cache_of
from sidecar_model.resources import Resource

if TYPE_CHECKING:
    from collections.abc import Mapping


def _repr_name(resource: Resource[Any] | None) -> str:
    return repr(resource_name(resource))


# =========================================================================== selection (§3)


class SelectionOrigin(enum.Enum):
    """Why a scope applies to a workload (§3.4, §3.6)."""

    WORKLOAD_SELECTOR = "workload selector"
    NAMESPACE_DEFAULT = "namespace default"
    ROOT_DEFAULT = "root namespace default"
    IMPLICIT_DEFAULT = "implicit default"
    GATEWAY_DEFAULT = "gateway default"


@attrs.frozen(kw_only=True)
class Candidate(Result):
    """One Sidecar considered for a workload, and why it won or lost."""

    sidecar: Resource[Sidecar] = attrs.field(repr=_repr_name)
    chosen: bool
    reason: str

    def __str__(self) -> str:
        """``prod/default: lost: ...``."""
        return (
            f"{resource_name(self.sidecar)}: {'chosen' if self.chosen else 'lost'}: {self.reason}"
        )

    def to_dict(self) -> dict[str, Any]:
        """``{"sidecar": "ns/name", "chosen": ..., "reason": ...}``."""
        return {
            "sidecar": resource_name(self.sidecar),
            "chosen": self.chosen,
            "reason": self.reason,
        }


@attrs.frozen(kw_only=True)
class SidecarSelection(Result):
    """Which Sidecar applies to a workload (None for an implicit or gateway default)."""

    workload: Workload
    sidecar: Resource[Sidecar] | None = attrs.field(repr=_repr_name)
    origin: SelectionOrigin
    namespace: str
    candidates: tuple[Candidate, ...] = ()

    def __str__(self) -> str:
        """Prose: the choice, then every candidate."""
        head = f"workload {self.workload}: "
        if self.sidecar is None:
            head += f"no Sidecar applies; the {self.origin.value} scope is used"
        else:
            head += f"Sidecar {resource_name(self.sidecar)} applies ({self.origin.value})"
        return "\n".join([head, *(f"  - {c}" for c in self.candidates)])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            **_selection_dict(self.workload, self.sidecar, self.origin, self.namespace),
            "candidates": [c.to_dict() for c in self.candidates],
        }


def _selection_dict(
    workload: Workload, sidecar: Resource[Sidecar] | None, origin: SelectionOrigin, namespace: str
) -> dict[str, Any]:
    """The JSON-ready fields a selection and a scope share."""
    return {
        "workload": str(workload),
        "sidecar": resource_name(sidecar),
        "origin": origin.name,
        "namespace": namespace,
    }


def _selector_matches(sidecar: Resource[Sidecar], labels: Mapping[str, str]) -> bool:
    selector = sidecar.spec.workload_selector
    assert selector is not None  # noqa: S101 - callers check
    return _labels_match(selector.labels, labels)


def _labels_match(selector: Mapping[str, str], labels: Mapping[str, str]) -> bool:
    """Every (key, value) of ``selector`` is in ``labels`` (an empty selector matches all)."""
    return selector.items() <= labels.items()


def _select(mesh: Mesh, workload: Workload) -> tuple[Resource[Sidecar] | None, SelectionOrigin]:
    """The fast path of :func:`select_sidecar`, without explanations."""
    position, origin = _select_position(mesh, workload)
    return (None if position is None else mesh.sidecars[position]), origin


def _select_position(mesh: Mesh, workload: Workload) -> tuple[int | None, SelectionOrigin]:
    """The chosen Sidecar's position in ``mesh.sidecars`` (None for none), and why (§3.4)."""
    if workload.proxy_type is not ProxyType.SIDECAR:
        return None, SelectionOrigin.GATEWAY_DEFAULT  # 3.6
    sidecars = mesh.sidecars
    positions = _sidecar_positions(mesh)
    for position in positions.get(workload.namespace, ()):
        selector = sidecars[position].spec.workload_selector
        if selector is None:
            return position, _namespace_origin(mesh, workload.namespace)
        if _labels_match(selector.labels, workload.labels):
            return position, SelectionOrigin.WORKLOAD_SELECTOR
    for position in positions.get(mesh.config.root_namespace, ()):
        if sidecars[position].spec.workload_selector is None:
            return position, SelectionOrigin.ROOT_DEFAULT  # 3.3, 3.4 step 2
    return None, SelectionOrigin.IMPLICIT_DEFAULT  # 3.4 step 3


def _sidecar_positions(mesh: Mesh) -> dict[str, tuple[int, ...]]:
    """Each namespace's Sidecars as positions in ``mesh.sidecars``, in selection order (3.2)."""
    cache = cache_of(mesh)
    found = cache.sidecar_positions
    if found is None:
        grouped: dict[str, list[int]] = {}
        for position, sidecar in enumerate(mesh.sidecars):
            grouped.setdefault(sidecar.namespace or "default", []).append(position)
        found = cache.sidecar_positions = {ns: tuple(p) for ns, p in grouped.items()}
    return found


def _namespace_origin(mesh: Mesh, namespace: str) -> SelectionOrigin:
    if namespace == mesh.config.root_namespace:
        return SelectionOrigin.ROOT_DEFAULT
    return SelectionOrigin.NAMESPACE_DEFAULT


def select_sidecar(mesh: Mesh, workload: Workload) -> SidecarSelection:
    """Which Sidecar istiod applies to ``workload``, and why every other candidate lost (§3)."""
    sidecar, origin = _select(mesh, workload)
    own = mesh.sidecars_by_namespace.get(workload.namespace, ())
    root = mesh.root_default_sidecar
    considered = list(own)
    if root is not None and root not in own:
        considered.append(root)
    candidates = tuple(_candidate(workload, s, sidecar) for s in considered)
    return SidecarSelection(
        workload=workload,
        sidecar=sidecar,
        origin=origin,
        namespace=workload.namespace,
        candidates=candidates,
    )


def _candidate(
    workload: Workload, sidecar: Resource[Sidecar], chosen: Resource[Sidecar] | None
) -> Candidate:
    selector = sidecar.spec.workload_selector
    if workload.proxy_type is not ProxyType.SIDECAR:
        reason = f"a {workload.proxy_type.value} proxy never uses Sidecar resources (3.6)"
        return Candidate(sidecar=sidecar, chosen=False, reason=reason)
    if sidecar is chosen:
        if sidecar.namespace != workload.namespace:
            reason = (
                "the oldest selector-less Sidecar of the root namespace, applied as if it "
                f"lived in {workload.namespace} because no Sidecar there matched (3.3, 3.8)"
            )
        elif selector is not None:
            reason = "the first matching selector Sidecar in istiod's order (3.2, 3.4)"
        else:
            reason = "the namespace's oldest selector-less Sidecar, and no selector Sidecar matched"
        return Candidate(sidecar=sidecar, chosen=True, reason=reason)
    if sidecar.namespace != workload.namespace:
        reason = "a Sidecar of the workload's own namespace applies first (3.4)"
    elif selector is not None and not _selector_matches(sidecar, workload.labels):
        wanted = ", ".join(f"{k}={v}" for k, v in selector.labels.items())
        reason = f"its selector ({wanted}) does not match the workload's labels"
    else:
        reason = (
            f"{resource_name(chosen)} comes first: selector Sidecars precede selector-less ones, "
            "then older first, then by name (3.2)"
        )
    return Candidate(sidecar=sidecar, chosen=False, reason=reason)
