"""MeshConfig and the mesh-wide policies and istiod flags that change resolution (§10)."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any

import attrs

from sidecar_model._collections import EMPTY, FrozenDict, freeze
from sidecar_model.codec._embedded import structure_yaml
from sidecar_model.model import WIRE_NAME
from sidecar_model.resources import (
    str_map,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping


# --------------------------------------------------------------------------- converters
# Typed (non-generic) converters, so that type checkers accept lists, sets and dicts here.


def _strings(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


def _optional_set(value: Iterable[str] | None) -> frozenset[str] | None:
    return None if value is None else frozenset(value)


def _namespace_labels(
    value: Mapping[str, FrozenDict[str, str]],
) -> FrozenDict[str, FrozenDict[str, str]]:
    return FrozenDict(value)


def _optional_map(value: Mapping[str, str] | None) -> FrozenDict[str, str] | None:
    return None if value is None else str_map(value)


# --------------------------------------------------------------------------- MeshConfig


class MeshOutboundMode(enum.Enum):
    """MeshConfig ``outboundTrafficPolicy.mode`` (a Sidecar cannot select the last one, V38)."""

    REGISTRY_ONLY = "REGISTRY_ONLY"
    ALLOW_ANY = "ALLOW_ANY"
    ALLOW_ANY_DYNAMIC_DNS = "ALLOW_ANY_DYNAMIC_DNS"


@attrs.frozen(kw_only=True)
class MeshOutboundTrafficPolicy:
    """MeshConfig ``outboundTrafficPolicy``."""

    mode: MeshOutboundMode | None = None


@attrs.frozen(kw_only=True)
class MeshInboundTrafficPolicy:
    """MeshConfig ``inboundTrafficPolicy`` (``PASSTHROUGH`` or ``LOCALHOST``, §6.2)."""

    mode: str | None = None


def _flag(env: str) -> Any:  # noqa: ANN401 - an attrs field specifier
    return attrs.field(default=True, metadata={WIRE_NAME: env})


@attrs.frozen(kw_only=True)
class LabelSelectorRequirement:
    """One ``matchExpressions`` entry: ``key``, ``operator`` (In, NotIn, Exists, DoesNotExist)."""

    key: str = ""
    operator: str = ""
    values: tuple[str, ...] = attrs.field(default=(), converter=_strings)

    def matches(self, labels: Mapping[str, str]) -> bool | None:
        """Whether ``labels`` satisfy it; None for an operator Kubernetes does not know."""
        if self.operator == "In":
            return labels.get(self.key) in self.values
        if self.operator == "NotIn":
            return labels.get(self.key) not in self.values
        if self.operator == "Exists":
            return self.key in labels
        if self.operator == "DoesNotExist":
            return self.key not in labels
        return None


@attrs.frozen(kw_only=True)
class LabelSelector:
    """A Kubernetes label selector (``matchLabels`` and ``matchExpressions``, ANDed)."""

    match_labels: FrozenDict[str, str] = attrs.field(default=EMPTY, converter=str_map)
    match_expressions: tuple[LabelSelectorRequirement, ...] = attrs.field(
        default=(), converter=tuple
    )

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether ``labels`` satisfy every requirement; a malformed selector matches nothing."""
        if not self.match_labels.items() <= labels.items():
            return False
        return all(r.matches(labels) is True for r in self.match_expressions)


@attrs.frozen(kw_only=True)
class VisibilityMatchRule:
    """``ServiceEntryVisibility.MatchRule``: the ServiceEntry's namespace matches a selector."""

    namespace_selector: LabelSelector | None = None


@attrs.frozen(kw_only=True)
class VisibilityPolicy:
    """``ServiceEntryVisibility.Policy``: a visibility for entries matching all its rules."""

    visibility: str = "VISIBILITY_UNSPECIFIED"
    matching_rules: tuple[VisibilityMatchRule, ...] = attrs.field(default=(), converter=tuple)

    def matches(self, namespace_labels: Mapping[str, str]) -> bool:
        """All rules match (an empty list matches everything); a rule without matcher fails."""
        return all(
            r.namespace_selector is not None and r.namespace_selector.matches(namespace_labels)
            for r in self.matching_rules
        )


@attrs.frozen(kw_only=True)
class ServiceEntryVisibility:
    """MeshConfig ``serviceEntryVisibility`` (Istio 1.31): caps ServiceEntry visibility (§4.2.2).

    Sidecars honour it only with ``applyToSidecars``; the first policy whose rules all match
    the ServiceEntry's namespace labels decides, else ``defaultVisibility``. Visibilities are
    ``NONE``, ``NAMESPACE`` and ``PUBLIC`` (``VISIBILITY_UNSPECIFIED`` means ``PUBLIC``).
    """

    default_visibility: str = "VISIBILITY_UNSPECIFIED"
    apply_to_sidecars: bool = False
    policies: tuple[VisibilityPolicy, ...] = attrs.field(default=(), converter=tuple)

    def visibility_for(self, namespace_labels: Mapping[str, str]) -> str:
        """``PUBLIC``, ``NAMESPACE`` or ``NONE`` for an entry in a namespace with these labels."""
        chosen = next(
            (p.visibility for p in self.policies if p.matches(namespace_labels)),
            self.default_visibility,
        )
        return chosen if chosen in {"NONE", "NAMESPACE"} else "PUBLIC"


@attrs.frozen(kw_only=True)
class MeshConfig:
    """The mesh-wide settings and istiod flags that change resolution (§10).

    It structures from Istio's MeshConfig YAML (``rootNamespace``,
    ``defaultServiceExportTo``, ``outboundTrafficPolicy: {mode: ALLOW_ANY}``, ...);
    fields it does not type are kept verbatim in ``extra``. The istiod flags are not
    MeshConfig fields: their wire names are the environment variables that set them
    (``PILOT_UNIFIED_SIDECAR_SCOPE: false``), and ``clusterDomain`` stands for the
    cluster's DNS domain.
    """

    root_namespace: str = "istio-system"
    default_service_export_to: tuple[str, ...] = attrs.field(default=("*",), converter=_strings)
    default_virtual_service_export_to: tuple[str, ...] = attrs.field(
        default=("*",), converter=_strings
    )
    default_destination_rule_export_to: tuple[str, ...] = attrs.field(
        default=("*",), converter=_strings
    )
    outbound_traffic_policy: MeshOutboundTrafficPolicy | None = MeshOutboundTrafficPolicy(
        mode=MeshOutboundMode.ALLOW_ANY
    )
    inbound_traffic_policy: MeshInboundTrafficPolicy | None = None
    default_traffic_policy: FrozenDict[str, Any] | None = attrs.field(
        default=None, converter=freeze
    )
    proxy_listen_port: int | None = None
    proxy_inbound_listen_port: int | None = None
    cluster_domain: str = "cluster.local"
    unified_sidecar_scope: bool = _flag("PILOT_UNIFIED_SIDECAR_SCOPE")
    pick_best_service_namespace: bool = _flag("PILOT_SIDECAR_PICK_BEST_SERVICE_NAMESPACE")
    enhanced_destination_rule_merge: bool = _flag("ENABLE_ENHANCED_DESTINATIONRULE_MERGE")
    allow_sidecar_service_inbound_listener_merge: bool = attrs.field(
        default=False, metadata={WIRE_NAME: "PILOT_ALLOW_SIDECAR_SERVICE_INBOUND_LISTENER_MERGE"}
    )
    headless_filter_chain_listener: bool = attrs.field(
        default=False, metadata={WIRE_NAME: "PILOT_ENABLE_HEADLESS_FILTER_CHAIN_LISTENER"}
    )
    service_entry_visibility: ServiceEntryVisibility | None = None
    extra: FrozenDict[str, Any] = attrs.field(default=EMPTY, converter=freeze)

    @classmethod
    def from_yaml(cls, text: str, *, source: str | None = None) -> MeshConfig:
        """Parse MeshConfig YAML, such as the ``mesh`` key of the ``istio`` ConfigMap.

        Raises :class:`~sidecar_model.ManifestError` when the text is not YAML or does not
        fit MeshConfig.
        """
        return structure_yaml(text, cls, source=source)

    @property
    def outbound_mode(self) -> MeshOutboundMode | None:
        """The mesh's outbound mode, or None when the mesh configures none (T1)."""
        policy = self.outbound_traffic_policy
        return None if policy is None else (policy.mode or MeshOutboundMode.REGISTRY_ONLY)
