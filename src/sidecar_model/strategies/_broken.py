"""Sidecars that break exactly one named validation rule."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import attrs
from hypothesis import strategies as st

from sidecar_model.model import (
    CaptureMode,
    ConnectionKeepalive,
    ConnectionPoolSettings,
    Destination,
    Duration,
    H2UpgradePolicy,
    HTTPSettings,
    IstioEgressListener,
    IstioIngressListener,
    OutboundTrafficPolicy,
    OutboundTrafficPolicyMode,
    Port,
    PortSelector,
    ServerTLSSettings,
    Sidecar,
    TCPSettings,
    TLSMode,
    TLSProtocol,
    WorkloadSelector,
)
from sidecar_model.resources import Resource
from sidecar_model.strategies._listeners import Kit, draw_sidecar
from sidecar_model.strategies._values import (
    CIPHERS,
    MAX_PORT,
    TLS_PROTOCOLS,
    Draw,
    dns_labels,
    drawn,
    label_maps,
    milliseconds,
    optional,
    port_numbers,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence


@attrs.frozen(kw_only=True)
class BrokenSidecar:
    """A Sidecar that breaks exactly one rule: :func:`~sidecar_model.validate` reports ``rule``.

    Every diagnostic of the Sidecar (errors and warnings) has the code ``rule``; the rule may
    be reported more than once.
    """

    sidecar: Sidecar
    rule: str


@attrs.frozen(kw_only=True)
class BrokenResource:
    """A Sidecar resource that breaks exactly one rule, as :class:`BrokenSidecar`."""

    resource: Resource[Sidecar]
    rule: str


def _base(draw: Draw, kit: Kit, own: str | None, **needs: Any) -> Sidecar:  # noqa: ANN401
    return draw_sidecar(draw, kit, own, **needs)


def _free_port(used: set[int | None]) -> int:
    return next(n for n in range(80, MAX_PORT + 1) if n not in used)


def _replace_at(items: tuple[Any, ...], index: int, item: Any) -> tuple[Any, ...]:  # noqa: ANN401
    return (*items[:index], item, *items[index + 1 :])


def _break_selector(draw: Draw, kit: Kit, own: str | None, *, labels: dict[str, str]) -> Sidecar:
    sidecar = _base(draw, kit, own)
    return attrs.evolve(sidecar, workload_selector=WorkloadSelector(labels=labels))


def _break_v5(draw: Draw, kit: Kit, own: str | None) -> Sidecar:
    return _break_selector(draw, kit, own, labels={"": draw(dns_labels())})


def _break_v6(draw: Draw, kit: Kit, own: str | None) -> Sidecar:
    value = draw(st.sampled_from(("*", "web-*", "*a")))
    return _break_selector(draw, kit, own, labels={"app": value})


def _break_v8(draw: Draw, kit: Kit, own: str | None) -> Sidecar:
    return _break_selector(draw, kit, own, labels={})


def _break_v9(draw: Draw, kit: Kit, own: str | None) -> Sidecar:
    del own, kit
    selector = draw(optional(st.builds(WorkloadSelector, labels=label_maps(min_size=1))))
    return Sidecar(workload_selector=selector)


def _break_v41(draw: Draw, kit: Kit, own: str | None) -> Sidecar:
    return _break_selector(draw, kit, own, labels={"app": "a" * draw(st.integers(64, 80))})


def _break_ingress(
    draw: Draw,
    kit: Kit,
    own: str | None,
    change: Callable[[IstioIngressListener], IstioIngressListener],
) -> Sidecar:
    sidecar = _base(draw, kit, own, min_ingress=1)
    index = draw(st.integers(0, len(sidecar.ingress) - 1))
    listener = change(sidecar.ingress[index])
    return attrs.evolve(sidecar, ingress=_replace_at(sidecar.ingress, index, listener))


def _break_v12(draw: Draw, kit: Kit, own: str | None) -> Sidecar:
    target = draw(port_numbers())
    return _break_ingress(
        draw,
        kit,
        own,
        lambda li: attrs.evolve(li, port=attrs.evolve(li.port, target_port=target)),
    )


def _break_v13(draw: Draw, kit: Kit, own: str | None) -> Sidecar:
    how = draw(st.sampled_from(("number", "bind", "name")))
    bad_bind = draw(st.sampled_from(("localhost", "unix:///var/run/app.sock", "1.2.3")))

    def change(listener: IstioIngressListener) -> IstioIngressListener:
        if how == "number":
            return attrs.evolve(listener, port=attrs.evolve(listener.port, number=0))
        if how == "bind":
            return attrs.evolve(listener, bind=bad_bind)
        return attrs.evolve(listener, port=attrs.evolve(listener.port, name="Bad_Name"))

    return _break_ingress(draw, kit, own, change)


def _break_v14(draw: Draw, kit: Kit, own: str | None) -> Sidecar:
    sidecar = _base(draw, kit, own, min_ingress=1)
    copy = draw(st.sampled_from(sidecar.ingress))
    return attrs.evolve(sidecar, ingress=(*sidecar.ingress, copy))


def _break_v15(draw: Draw, kit: Kit, own: str | None) -> Sidecar:
    endpoint = draw(
        st.sampled_from(("localhost:8080", "127.0.0.1", "10.0.0.1:80", ":0", "unix://"))
    )
    return _break_ingress(draw, kit, own, lambda li: attrs.evolve(li, default_endpoint=endpoint))


def _new_ingress(
    draw: Draw,
    kit: Kit,
    own: str | None,
    protocol: str,
    **fields: Any,  # noqa: ANN401
) -> Sidecar:
    sidecar = _base(draw, kit, own)
    number = _free_port({li.port.number for li in sidecar.ingress})
    listener = IstioIngressListener(port=Port(number=number, protocol=protocol), **fields)
    return attrs.evolve(sidecar, ingress=(*sidecar.ingress, listener))


def _tls_port(draw: Draw, kit: Kit, own: str | None, tls: ServerTLSSettings) -> Sidecar:
    return _new_ingress(draw, kit, own, draw(st.sampled_from(TLS_PROTOCOLS)), tls=tls)


_SIMPLE: Final = ServerTLSSettings(
    mode=TLSMode.SIMPLE,
    server_certificate="/etc/certs/server.pem",
    private_key="/etc/certs/key.pem",
)


def _break_v16(draw: Draw, kit: Kit, own: str | None) -> Sidecar:
    if draw(st.booleans()):
        return _new_ingress(draw, kit, own, draw(st.sampled_from(("HTTP", "TCP"))), tls=_SIMPLE)
    return _tls_port(draw, kit, own, attrs.evolve(_SIMPLE, subject_alt_names=("a.example",)))


def _break_v17(draw: Draw, kit: Kit, own: str | None) -> Sidecar:
    pool = ConnectionPoolSettings(http=HTTPSettings(max_retries=draw(st.integers(0, 5))))
    return _new_ingress(draw, kit, own, "TCP", connection_pool=pool)


def _break_v25(draw: Draw, kit: Kit, own: str | None) -> Sidecar:
    old = draw(st.sampled_from((TLSProtocol.TLSV1_0, TLSProtocol.TLSV1_1)))
    return _tls_port(draw, kit, own, attrs.evolve(_SIMPLE, min_protocol_version=old))


def _break_v26(draw: Draw, kit: Kit, own: str | None) -> Sidecar:
    bad = draw(st.sampled_from(("NOT-A-CIPHER", "RC4-MD5")))
    return _tls_port(draw, kit, own, attrs.evolve(_SIMPLE, cipher_suites=(CIPHERS[0], bad)))


def _break_v27(draw: Draw, kit: Kit, own: str | None) -> Sidecar:
    suite = draw(st.sampled_from(CIPHERS))
    return _tls_port(draw, kit, own, attrs.evolve(_SIMPLE, cipher_suites=(suite, suite)))


def _break_v29(draw: Draw, kit: Kit, own: str | None) -> Sidecar:
    mode = draw(st.sampled_from((None, TLSMode.PASSTHROUGH)))
    return _tls_port(draw, kit, own, attrs.evolve(_SIMPLE, mode=mode))


def _break_v32(draw: Draw, kit: Kit, own: str | None) -> Sidecar:
    if draw(st.booleans()):
        return _tls_port(draw, kit, own, attrs.evolve(_SIMPLE, private_key=None))
    return _tls_port(draw, kit, own, attrs.evolve(_SIMPLE, mode=TLSMode.MUTUAL))


def _break_v33(draw: Draw, kit: Kit, own: str | None) -> Sidecar:
    return _tls_port(draw, kit, own, attrs.evolve(_SIMPLE, ca_crl="/etc/certs/crl.pem"))


def _break_pool(draw: Draw, kit: Kit, own: str | None, pool: ConnectionPoolSettings) -> Sidecar:
    return attrs.evolve(_base(draw, kit, own), inbound_connection_pool=pool)


def _break_v34(draw: Draw, kit: Kit, own: str | None) -> Sidecar:
    return _break_pool(draw, kit, own, ConnectionPoolSettings())


def _break_v35(draw: Draw, kit: Kit, own: str | None) -> Sidecar:
    http = draw(
        st.sampled_from(
            (
                HTTPSettings(max_retries=-1),
                HTTPSettings(h2_upgrade_policy=H2UpgradePolicy.UPGRADE, use_client_protocol=True),
                HTTPSettings(http2_keep_alive=ConnectionKeepalive(interval=milliseconds(1000))),
            )
        )
    )
    return _break_pool(draw, kit, own, ConnectionPoolSettings(http=http))


def _break_v36(draw: Draw, kit: Kit, own: str | None) -> Sidecar:
    tcp = TCPSettings(max_connections=draw(st.integers(-(2**31), -1)))
    return _break_pool(draw, kit, own, ConnectionPoolSettings(tcp=tcp))


def _break_v37(draw: Draw, kit: Kit, own: str | None) -> Sidecar:
    nanos = draw(st.sampled_from((500_000, 1_500_000, 1)))
    tcp = TCPSettings(connect_timeout=Duration(nanoseconds=nanos))
    return _break_pool(draw, kit, own, ConnectionPoolSettings(tcp=tcp))


def _break_egress_list(
    draw: Draw,
    kit: Kit,
    own: str | None,
    change: Callable[[tuple[IstioEgressListener, ...]], tuple[IstioEgressListener, ...]],
    **needs: Any,  # noqa: ANN401
) -> Sidecar:
    sidecar = _base(draw, kit, own, **{"min_egress": 1, **needs})
    return attrs.evolve(sidecar, egress=change(sidecar.egress))


def _used_ports(listeners: tuple[IstioEgressListener, ...]) -> set[int | None]:
    return {li.port.number for li in listeners if li.port is not None}


def _break_v20(draw: Draw, kit: Kit, own: str | None) -> Sidecar:
    def change(egress: tuple[IstioEgressListener, ...]) -> tuple[IstioEgressListener, ...]:
        port = Port(number=_free_port(_used_ports(egress)))
        return (*egress, IstioEgressListener(port=port, hosts=("./*",)))

    return _break_egress_list(draw, kit, own, change, catch_all=True)


def _break_v21(draw: Draw, kit: Kit, own: str | None) -> Sidecar:
    how = draw(st.sampled_from(("duplicate", "socket-capture", "socket-bind", "bind")))

    def change(egress: tuple[IstioEgressListener, ...]) -> tuple[IstioEgressListener, ...]:
        free = _free_port(_used_ports(egress))
        if how == "duplicate":
            return (egress[0], *egress)  # egress[0] has a port: see catch_all below
        if how == "socket-capture":
            listener = IstioEgressListener(
                port=Port(number=0),
                bind="unix:///var/run/new.sock",
                capture_mode=CaptureMode.IPTABLES,
                hosts=("./*",),
            )
        elif how == "socket-bind":
            listener = IstioEgressListener(port=Port(number=0), bind="127.0.0.1", hosts=("./*",))
        else:
            listener = IstioEgressListener(port=Port(number=free), bind="localhost", hosts=("./*",))
        return (listener, *egress)

    return _break_egress_list(draw, kit, own, change, min_egress=2, catch_all=False)


def _break_v22(draw: Draw, kit: Kit, own: str | None) -> Sidecar:
    def change(egress: tuple[IstioEgressListener, ...]) -> tuple[IstioEgressListener, ...]:
        port = Port(number=_free_port(_used_ports(egress)))
        return (IstioEgressListener(port=port, hosts=()), *egress)

    return _break_egress_list(draw, kit, own, change)


def _break_hosts(
    draw: Draw,
    kit: Kit,
    own: str | None,
    change: Callable[[tuple[str, ...]], tuple[str, ...]],
) -> Sidecar:
    sidecar = _base(draw, kit, own, min_egress=1)
    index = draw(st.integers(0, len(sidecar.egress) - 1))
    listener = sidecar.egress[index]
    listener = attrs.evolve(listener, hosts=change(listener.hosts))
    return attrs.evolve(sidecar, egress=_replace_at(sidecar.egress, index, listener))


def _break_v23(draw: Draw, kit: Kit, own: str | None) -> Sidecar:
    # No slash, or an exclusion: V24 does not look at either, so only V23 fires.
    bad = draw(
        st.sampled_from(("reviews.shop.svc", "*", "~shop/reviews", "~shop/*a.com", "~~shop/a.b"))
    )
    return _break_hosts(draw, kit, own, lambda hosts_: (*hosts_, bad))


def _break_v24(draw: Draw, kit: Kit, own: str | None) -> Sidecar:
    # The first entry of a generated listener is always an import, so repeating it is V24.
    return _break_hosts(draw, kit, own, lambda hosts_: (*hosts_, hosts_[0]))


def _break_v39(draw: Draw, kit: Kit, own: str | None) -> Sidecar:
    proxy = Destination(host="proxy.example.com", port=PortSelector(number=3128))
    policy = draw(
        st.sampled_from(
            (
                OutboundTrafficPolicy(egress_proxy=proxy),
                OutboundTrafficPolicy(
                    mode=OutboundTrafficPolicyMode.REGISTRY_ONLY, egress_proxy=proxy
                ),
                OutboundTrafficPolicy(
                    mode=OutboundTrafficPolicyMode.ALLOW_ANY,
                    egress_proxy=attrs.evolve(proxy, port=None),
                ),
                OutboundTrafficPolicy(
                    mode=OutboundTrafficPolicyMode.ALLOW_ANY,
                    egress_proxy=attrs.evolve(proxy, host="*.example.com"),
                ),
            )
        )
    )
    return attrs.evolve(_base(draw, kit, own), outbound_traffic_policy=policy)


BREAKERS: Final[dict[str, Callable[[Draw, Kit, str | None], Sidecar]]] = {
    "V5": _break_v5,
    "V6": _break_v6,
    "V8": _break_v8,
    "V9": _break_v9,
    "V12": _break_v12,
    "V13": _break_v13,
    "V14": _break_v14,
    "V15": _break_v15,
    "V16": _break_v16,
    "V17": _break_v17,
    "V20": _break_v20,
    "V21": _break_v21,
    "V22": _break_v22,
    "V23": _break_v23,
    "V24": _break_v24,
    "V25": _break_v25,
    "V26": _break_v26,
    "V27": _break_v27,
    "V29": _break_v29,
    "V32": _break_v32,
    "V33": _break_v33,
    "V34": _break_v34,
    "V35": _break_v35,
    "V36": _break_v36,
    "V37": _break_v37,
    "V39": _break_v39,
    "V41": _break_v41,
}
#: The rules ``sidecars(valid=False)`` can break on their own. The others are enforced by
#: loading (V10, V11, V19, V38), are control flow (V7, V31, V40), concern the metadata
#: (V1-V4: see :data:`BREAKABLE_RESOURCE_RULES`), or never fire alone on a Sidecar: V28 and
#: V30 need a field or mode that V16 rejects first, and V18 reports as V34-V37.
BREAKABLE_RULES: Final = tuple(BREAKERS)
REJECTED_ANNOTATIONS: Final = {
    "V1": "istio.io/dry-run",
    "V2": "internal.istio.io/webhook-always-reject",
    "V3": "internal.istio.io/parent-namespace",
    "V4": "internal.istio.io/parents",
}
#: The rules ``resources(valid=False)`` can break: the metadata annotations V1-V4, and
#: every rule of :data:`BREAKABLE_RULES`.
BREAKABLE_RESOURCE_RULES: Final = (*REJECTED_ANNOTATIONS, *BREAKABLE_RULES)


def chosen_rules(rules: Sequence[str] | None, allowed: Sequence[str]) -> list[str]:
    chosen = list(allowed if rules is None else rules)
    unknown = [rule for rule in chosen if rule not in allowed]
    if unknown or not chosen:
        msg = f"cannot break {unknown or 'no rules'}; choose from {', '.join(allowed)}"
        raise ValueError(msg)
    return chosen


def broken_sidecars(kit: Kit, rules: Sequence[str] | None) -> st.SearchStrategy[BrokenSidecar]:
    chosen = st.sampled_from(chosen_rules(rules, BREAKABLE_RULES))
    return drawn(_draw_broken_sidecar, kit, chosen)


def _draw_broken_sidecar(draw: Draw, kit: Kit, chosen: st.SearchStrategy[str]) -> BrokenSidecar:
    rule = draw(chosen)
    return BrokenSidecar(sidecar=BREAKERS[rule](draw, kit, None), rule=rule)
