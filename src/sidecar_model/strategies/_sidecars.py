"""Valid (or singly broken) Sidecars and Sidecar resources."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Literal, overload

import attrs
from hypothesis import strategies as st

from sidecar_model.resources import ObjectMeta, Resource
from sidecar_model.strategies._broken import (
    BREAKABLE_RESOURCE_RULES,
    BREAKERS,
    REJECTED_ANNOTATIONS,
    BrokenResource,
    BrokenSidecar,
    broken_sidecars,
    chosen_rules,
)
from sidecar_model.strategies._listeners import Features, Kit, draw_sidecar, kit_for
from sidecar_model.strategies._values import (
    EPOCH,
    NETWORKING_API_VERSIONS,
    Draw,
    dns_labels,
    drawn,
    label_maps,
    optional,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sidecar_model.model import Sidecar


@overload
def sidecars(
    *,
    valid: Literal[True] = True,
    rules: Sequence[str] | None = None,
    max_ingress: int = 2,
    max_egress: int = 3,
    max_hosts: int = 4,
    selector: bool | None = None,
    tls: bool = True,
    connection_pools: bool = True,
    outbound_policy: bool = True,
    unix_sockets: bool = True,
    exclusions: bool = True,
    namespaces: Sequence[str] | None = None,
    host_names: Sequence[str] | None = None,
) -> st.SearchStrategy[Sidecar]: ...


@overload
def sidecars(
    *,
    valid: Literal[False],
    rules: Sequence[str] | None = None,
    max_ingress: int = 2,
    max_egress: int = 3,
    max_hosts: int = 4,
    selector: bool | None = None,
    tls: bool = True,
    connection_pools: bool = True,
    outbound_policy: bool = True,
    unix_sockets: bool = True,
    exclusions: bool = True,
    namespaces: Sequence[str] | None = None,
    host_names: Sequence[str] | None = None,
) -> st.SearchStrategy[BrokenSidecar]: ...


def sidecars(  # noqa: PLR0913 - one knob per feature
    *,
    valid: bool = True,
    rules: Sequence[str] | None = None,
    max_ingress: int = 2,
    max_egress: int = 3,
    max_hosts: int = 4,
    selector: bool | None = None,
    tls: bool = True,
    connection_pools: bool = True,
    outbound_policy: bool = True,
    unix_sockets: bool = True,
    exclusions: bool = True,
    namespaces: Sequence[str] | None = None,
    host_names: Sequence[str] | None = None,
) -> st.SearchStrategy[Sidecar] | st.SearchStrategy[BrokenSidecar]:
    """Sidecars that :func:`~sidecar_model.validate` accepts with no error and no warning.

    Valid by construction: the catch-all egress listener comes last, port numbers and Unix
    socket binds are distinct, socket listeners capture with DEFAULT or NONE, TLS appears only
    on HTTPS and TLS ingress ports, HTTP pool settings only on HTTP ports, durations are
    whole milliseconds of at least 1 ms, and no egress host is selected twice.

    Knobs: ``max_ingress`` and ``max_egress`` bound the listeners (0 leaves them out);
    ``max_hosts`` bounds each egress listener's hosts; ``selector`` is True (always a
    workload selector), False (never) or None (sometimes); ``tls``, ``connection_pools``,
    ``outbound_policy``, ``unix_sockets`` and ``exclusions`` (``~`` hosts) allow a feature;
    ``namespaces`` and ``host_names`` list the namespace names and DNS names egress hosts
    may use (``ns/*`` entries come anyway; the defaults hold edge cases such as a 63-character
    label, upper case and a trailing dot).

    With ``valid=False`` the strategy yields :class:`BrokenSidecar` values that break exactly
    one rule, drawn from ``rules`` (default: every rule in :data:`BREAKABLE_RULES`).
    """
    kit = kit_for(
        Features(
            max_ingress=max_ingress,
            max_egress=max_egress,
            max_hosts=max_hosts,
            selector=selector,
            tls=tls,
            connection_pools=connection_pools,
            outbound_policy=outbound_policy,
            unix_sockets=unix_sockets,
            exclusions=exclusions,
            namespaces=namespaces,
            dns_names=host_names,
        )
    )
    if valid:
        return drawn(draw_sidecar, kit, None)
    return broken_sidecars(kit, rules)


def _timestamps() -> st.SearchStrategy[dt.datetime]:
    """Whole seconds in UTC, as the API server writes them; they shrink toward 2024-01-01."""
    return st.integers(0, 10 * 365 * 86_400).map(lambda s: EPOCH + dt.timedelta(seconds=s))


def object_metas(
    *, namespace: str | None = None, name: str | None = None
) -> st.SearchStrategy[ObjectMeta]:
    """Metadata with a name, a namespace, labels, annotations and a creation timestamp.

    The annotations never include the ones Istio rejects (V1-V4).
    """
    annotation_keys = st.sampled_from(("owner", "example.com/note")) | dns_labels()
    return st.builds(
        ObjectMeta,
        name=dns_labels() if name is None else st.just(name),
        namespace=dns_labels() if namespace is None else st.just(namespace),
        labels=label_maps(),
        annotations=st.dictionaries(annotation_keys, dns_labels(), max_size=2),
        creation_timestamp=optional(_timestamps()),
    )


@overload
def resources(
    *,
    valid: Literal[True] = True,
    namespace: str | None = None,
    rules: Sequence[str] | None = None,
    **features: Any,  # noqa: ANN401
) -> st.SearchStrategy[Resource[Sidecar]]: ...


@overload
def resources(
    *,
    valid: Literal[False],
    namespace: str | None = None,
    rules: Sequence[str] | None = None,
    **features: Any,  # noqa: ANN401
) -> st.SearchStrategy[BrokenResource]: ...


def resources(
    *,
    valid: bool = True,
    namespace: str | None = None,
    rules: Sequence[str] | None = None,
    **features: Any,
) -> st.SearchStrategy[Resource[Sidecar]] | st.SearchStrategy[BrokenResource]:
    """Sidecar resources: any served ``apiVersion``, :func:`object_metas`, a :func:`sidecars` spec.

    ``namespace`` fixes ``metadata.namespace``; other keyword arguments are the knobs of
    :func:`sidecars`. Valid resources pass :func:`~sidecar_model.validate` with no finding
    (egress hosts never name the resource's own namespace next to ``.``, V24). With
    ``valid=False`` the strategy yields :class:`BrokenResource` values, breaking one of
    ``rules`` (default: :data:`BREAKABLE_RESOURCE_RULES`).
    """
    kit = kit_for(Features(**features))
    metas = object_metas(namespace=namespace)
    api_versions = st.sampled_from(NETWORKING_API_VERSIONS)
    chosen = None if valid else st.sampled_from(chosen_rules(rules, BREAKABLE_RESOURCE_RULES))

    return drawn(_draw_resource, kit, metas, api_versions, chosen)


def _draw_resource(
    draw: Draw,
    kit: Kit,
    metas: st.SearchStrategy[ObjectMeta],
    api_versions: st.SearchStrategy[str],
    chosen: st.SearchStrategy[str] | None,
) -> Resource[Sidecar] | BrokenResource:
    meta = draw(metas)
    api_version = draw(api_versions)
    if chosen is None:
        spec = draw_sidecar(draw, kit, meta.namespace)
        return Resource(api_version=api_version, kind="Sidecar", metadata=meta, spec=spec)
    rule = draw(chosen)
    if rule in REJECTED_ANNOTATIONS:
        meta = attrs.evolve(
            meta, annotations={**meta.annotations, REJECTED_ANNOTATIONS[rule]: "true"}
        )
        spec = draw_sidecar(draw, kit, meta.namespace)
    else:
        spec = BREAKERS[rule](draw, kit, meta.namespace)
    resource = Resource(api_version=api_version, kind="Sidecar", metadata=meta, spec=spec)
    return BrokenResource(resource=resource, rule=rule)
