"""Which kind of proxy a workload runs: sidecar, router (gateway) or waypoint (§3.6.1).

istiod learns a proxy's type from the ``pilot-agent proxy <type>`` command its container
runs; routers and waypoints never use a Sidecar resource. From manifests the type is read,
in this order, from:

1. the ``istio-proxy`` container the pod declares itself, when it gives ``args: [proxy,
   <type>, ...]``: Gateway API gateways and waypoints that istiod deploys, and the dump of
   any running pod (its injected container included);
2. the injection templates named by ``inject.istio.io/templates`` (comma-separated, applied
   in order, so the last one that sets the proxy command wins): ``gateway`` runs ``proxy
   router`` (the gateway Helm chart sets it on its pods), ``sidecar`` and ``grpc-agent``
   run ``proxy sidecar``. Pods with ``sidecar.istio.io/inject: "false"`` are not injected;
3. the ``gateway.istio.io/managed`` label, on the pod or its controller:
   ``istio.io-gateway-controller`` marks a Gateway API gateway (a router) and
   ``istio.io-mesh-controller`` a waypoint;
4. an ``istio`` label ending in ``gateway`` (``istio: ingressgateway``): the gateways
   ``istioctl install`` deploys, whose container runs ``proxy router``. A naming
   convention, used only when nothing above decides.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from sidecar_model.mesh._pod_specs import PROXY_CONTAINER, containers

if TYPE_CHECKING:
    from collections.abc import Mapping

    from sidecar_model.resources import ObjectMeta, PodSpec

SIDECAR: Final = "sidecar"
ROUTER: Final = "router"
WAYPOINT: Final = "waypoint"

#: The injection templates Istio ships that set the proxy command, and the type they run.
_TEMPLATE_TYPES: Final = {"gateway": ROUTER, "sidecar": SIDECAR, "grpc-agent": SIDECAR}
#: ``gateway.istio.io/managed`` values istiod's own gateway controllers write.
_MANAGED_TYPES: Final = {
    "istio.io-gateway-controller": ROUTER,
    "istio.io-mesh-controller": WAYPOINT,
}
_PROXY_TYPES: Final = frozenset({SIDECAR, ROUTER, WAYPOINT})


def proxy_type(pod: ObjectMeta, spec: PodSpec | None, controller_labels: Mapping[str, str]) -> str:
    """``sidecar``, ``router`` or ``waypoint`` for pods with this metadata and spec (§3.6.1).

    ``controller_labels`` are the labels of the object that declares the pods (the Pod
    itself, or the Deployment, StatefulSet, ... whose template they come from).
    """
    return (
        _declared_command(spec)
        or _injected_command(pod)
        or _managed_by(pod.labels)
        or _managed_by(controller_labels)
        or _legacy_gateway_label(pod.labels)
        or SIDECAR
    )


def _declared_command(spec: PodSpec | None) -> str | None:
    # 1: the proxy container's own "proxy <type>" arguments, as istiod's node ID carries them.
    for container in containers(spec, native_sidecars=True):
        if container.get("name") != PROXY_CONTAINER:
            continue
        args = container.get("args")
        if isinstance(args, (list, tuple)) and len(args) >= 2 and args[0] == "proxy":  # noqa: PLR2004 - "proxy <type>"
            kind = args[1]
            return kind if isinstance(kind, str) and kind in _PROXY_TYPES else None
    return None


def _injected_command(pod: ObjectMeta) -> str | None:
    # 2: templates are overlaid in the order listed, so the last one setting the command wins.
    if "false" in {pod.labels.get(_INJECT), pod.annotations.get(_INJECT)}:
        return None
    names = pod.annotations.get("inject.istio.io/templates")
    if names is None:
        return None
    kinds = [_TEMPLATE_TYPES.get(name.strip()) for name in names.split(",")]
    return next((kind for kind in reversed(kinds) if kind is not None), None)


_INJECT: Final = "sidecar.istio.io/inject"


def _managed_by(labels: Mapping[str, str]) -> str | None:
    # 3: the label istiod's gateway and waypoint controllers put on what they deploy.
    return _MANAGED_TYPES.get(labels.get("gateway.istio.io/managed", ""))


def _legacy_gateway_label(labels: Mapping[str, str]) -> str | None:
    # 4: istioctl's istio-ingressgateway / istio-egressgateway convention.
    return ROUTER if labels.get("istio", "").endswith("gateway") else None
