"""Envoy access logs in Istio's default formats, text and JSON, one record per line.

Istio's default text format (``accessLogFile`` with no ``accessLogFormat``) writes 22
fields: ``[START_TIME]``, the quoted request line, response code, flags, code details,
termination details, the quoted upstream failure reason, bytes in and out, duration,
upstream service time, then quoted X-Forwarded-For, user agent, request id, ``:authority``
and upstream host, then upstream cluster, upstream local address, downstream local address,
downstream remote address, requested server name (SNI) and route name. The JSON format
(``accessLogEncoding: JSON``) writes the same fields under snake_case keys. Envoy writes
``-`` for an empty field.

Only outbound records are calls: the upstream cluster is ``outbound|PORT|SUBSET|HOST``,
``PassthroughCluster`` or ``BlackHoleCluster``; inbound records are counted, not read.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Final

from sidecar_model.traffic._values import Call, Outcome, line_problem

if TYPE_CHECKING:
    from collections.abc import Mapping

    from sidecar_model.errors import Problem

__all__ = ["read_access_log"]

_TOKEN: Final = re.compile(r'\[[^\]]*\]|"(?:[^"\\]|\\.)*"|\S+')
#: The text format's fields, in order, under the JSON format's keys.
_TEXT_FIELDS: Final = (
    "start_time",
    "request",
    "response_code",
    "response_flags",
    "response_code_details",
    "connection_termination_details",
    "upstream_transport_failure_reason",
    "bytes_received",
    "bytes_sent",
    "duration",
    "upstream_service_time",
    "x_forwarded_for",
    "user_agent",
    "request_id",
    "authority",
    "upstream_host",
    "upstream_cluster",
    "upstream_local_address",
    "downstream_local_address",
    "downstream_remote_address",
    "requested_server_name",
    "route_name",
)
PASSTHROUGH_CLUSTER: Final = "PassthroughCluster"
BLACKHOLE_CLUSTER: Final = "BlackHoleCluster"
BLOCK_ALL_ROUTE: Final = "block_all"
INBOUND_PREFIXES: Final = ("inbound|", "InboundPassthroughCluster")


class _Bad(Exception):  # noqa: N818 - a private signal carrying a line's problem text
    """Why one record is not a call."""


class _Inbound(Exception):  # noqa: N818 - a private signal: a record that is not outbound
    """A record of inbound traffic, which is no outbound call."""


def read_access_log(
    text: str, source: str, caller: tuple[str, str] | None
) -> tuple[list[Call], list[Problem], int, int]:
    """Calls, line problems, records read and inbound records skipped, of one log text."""
    calls: list[Call] = []
    problems: list[Problem] = []
    records = inbound = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        records += 1
        where = f"{source}:{number}"
        try:
            fields = _json_fields(line) if line.startswith("{") else _text_fields(line)
            calls.append(_call(fields, caller, where))
        except _Inbound:
            inbound += 1
        except _Bad as bad:
            problems.append(line_problem(source, number, str(bad)))
    return calls, problems, records, inbound


def _text_fields(line: str) -> dict[str, str]:
    if not line.startswith("["):
        msg = "not an access log record in Istio's default text or JSON format"
        raise _Bad(msg)
    tokens = _TOKEN.findall(line)
    if len(tokens) != len(_TEXT_FIELDS):
        msg = f"{len(tokens)} fields where Istio's default text format has {len(_TEXT_FIELDS)}"
        raise _Bad(msg)
    return {key: token.strip('"') for key, token in zip(_TEXT_FIELDS, tokens, strict=True)}


def _json_fields(line: str) -> dict[str, str]:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as error:
        msg = f"not valid JSON: {error.msg} at column {error.colno}"
        raise _Bad(msg) from None
    if not isinstance(data, dict):
        msg = "a JSON access log record must be an object"
        raise _Bad(msg)
    return {str(k): "-" if v is None else str(v) for k, v in data.items()}


def _field(fields: Mapping[str, str], key: str) -> str | None:
    value = fields.get(key, "-")
    return None if value in {"-", ""} else value


def _call(fields: Mapping[str, str], caller: tuple[str, str] | None, where: str) -> Call:
    cluster = _field(fields, "upstream_cluster")
    if cluster is None:
        if "upstream_cluster" not in fields:
            msg = "the record has no upstream_cluster field"
            raise _Bad(msg)
        cluster = ""
    if cluster.startswith(INBOUND_PREFIXES):
        raise _Inbound
    authority = _field(fields, "authority")
    sni = _field(fields, "requested_server_name")
    local = _address(_field(fields, "downstream_local_address"))
    remote = _address(_field(fields, "downstream_remote_address"))
    requested_host, requested_port = _split_host(authority or sni)
    namespace, name = caller if caller is not None else (None, None)
    common = {
        "namespace": namespace,
        "caller": name,
        "caller_ip": None if caller is not None else remote[0],
        "source": where,
    }
    if cluster.startswith("outbound|"):
        host, port = _outbound_cluster(cluster)
        requested = requested_host if requested_host not in {None, host} else None
        return Call(
            host=host,
            port=port,
            requested=requested,
            outcome=Outcome.BLOCKED if _blocked(fields) else Outcome.ROUTED,
            **common,  # type: ignore[arg-type]
        )
    if cluster in {PASSTHROUGH_CLUSTER, BLACKHOLE_CLUSTER, ""}:
        target = requested_host or local[0]
        target_port = local[1] if local[1] is not None else requested_port
        if target is None:
            what = cluster or "a record without a cluster"
            msg = f"{what} names no host (no authority, SNI or address)"
            raise _Bad(msg)
        passthrough = cluster == PASSTHROUGH_CLUSTER and not _blocked(fields)
        return Call(
            host=target,
            port=target_port,
            outcome=Outcome.PASSTHROUGH if passthrough else Outcome.BLOCKED,
            **common,  # type: ignore[arg-type]
        )
    msg = f"upstream cluster {cluster!r} is neither outbound|PORT|SUBSET|HOST nor a known cluster"
    raise _Bad(msg)


def _blocked(fields: Mapping[str, str]) -> bool:
    """Refused by the proxy: the block_all route, or a 502/404 with the no-route flag."""
    if _field(fields, "route_name") == BLOCK_ALL_ROUTE:
        return True
    flags = (_field(fields, "response_flags") or "").split(",")
    return "NR" in flags


def _outbound_cluster(cluster: str) -> tuple[str, int]:
    parts = cluster.split("|")
    if len(parts) != 4 or not parts[3] or not parts[1].isdigit():  # noqa: PLR2004 - the format
        msg = f"upstream cluster {cluster!r} is not outbound|PORT|SUBSET|HOST"
        raise _Bad(msg)
    return parts[3], int(parts[1])


def _address(text: str | None) -> tuple[str | None, int | None]:
    """``10.0.0.1:8080`` or ``[::1]:80`` as (host, port); unix socket paths give no host."""
    if text is None or text.startswith(("/", "envoy://")):
        return None, None
    host, port = _split_host(text)
    return host, port


def _split_host(text: str | None) -> tuple[str | None, int | None]:
    if text is None:
        return None, None
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    elif text.count(":") == 1:
        host, _, port = text.partition(":")
    else:
        host, port = text, ""
    if port and not port.isdigit():
        msg = f"{text!r} has a port that is not a number"
        raise _Bad(msg)
    return host.lower() or None, int(port) if port else None
