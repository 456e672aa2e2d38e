"""The protocol istiod gives a Kubernetes Service port (§1.10.4).

A Kubernetes port has a ``protocol`` (TCP, UDP, SCTP), an optional ``appProtocol`` and a
name; istiod reads them in a fixed order, and falls back to TCP on a few well-known ports
where protocol sniffing would break the application. ServiceEntry ports do not go through
this: their ``protocol`` field alone decides.
"""

from __future__ import annotations

from typing import Final

from sidecar_model.model import Protocol

#: Ports that are TCP when nothing names their protocol: SMTP, DNS, MySQL, MongoDB (§1.10.4).
WELL_KNOWN_TCP_PORTS: Final = frozenset({25, 53, 3306, 27017})

#: The ``appProtocol`` values Kubernetes itself defines, matched exactly (§1.10.4 step 3).
_KUBERNETES_APP_PROTOCOLS: Final = {
    "kubernetes.io/h2c": Protocol.HTTP2,
    "kubernetes.io/ws": Protocol.HTTP,
    "kubernetes.io/wss": Protocol.HTTPS,
}

_GRPC_WEB: Final = "grpc-web"


def kubernetes_port_protocol(
    number: int, name: str | None, protocol: str | None, app_protocol: str | None
) -> Protocol:
    """The protocol of a Kubernetes Service port, as istiod's ``ConvertProtocol`` decides it.

    ``number`` is the service port number, ``protocol`` the Kubernetes protocol field and
    ``app_protocol`` the ``appProtocol`` field (None when absent).
    """
    if protocol == "UDP":  # §1.10.4 step 1
        return Protocol.UDP
    text = (name or "") if app_protocol is None else app_protocol  # step 2: no fallback
    if app_protocol is not None and app_protocol in _KUBERNETES_APP_PROTOCOLS:  # step 3
        return _KUBERNETES_APP_PROTOCOLS[app_protocol]
    parsed = _named_protocol(text)
    if parsed is Protocol.UNSUPPORTED and number in WELL_KNOWN_TCP_PORTS:  # step 6
        return Protocol.TCP
    return parsed


def _named_protocol(text: str) -> Protocol:
    # §1.10.4 steps 4-5: "grpc-web" holds a hyphen, so it is tested before the cut at "-".
    if text[: len(_GRPC_WEB)].lower() == _GRPC_WEB:
        return Protocol.GRPC_WEB
    return Protocol.parse(text.partition("-")[0])
