"""Declared dependencies: a small YAML mapping ``NS/WORKLOAD`` to the hosts it calls.

::

    shop/frontend:
    - catalog                         # a short name: catalog.shop.svc.cluster.local
    - payments.billing.svc.cluster.local
    - api.stripe.com:443              # one port only

A host without a port stands for every port of the service that declares it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import yaml

from sidecar_model.traffic._values import Call, TrafficError, line_problem

if TYPE_CHECKING:
    from sidecar_model.errors import Problem

__all__ = ["read_declared"]


def read_declared(text: str, source: str) -> tuple[list[Call], list[Problem], int]:
    """Calls, per-entry problems and entries read of a declared-dependencies YAML text."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        msg = f"{source}: not valid YAML: {error}"
        raise TrafficError(msg) from None
    if not isinstance(root, yaml.MappingNode):
        msg = f"{source}: declared dependencies must map NS/WORKLOAD to a list of hosts"
        raise TrafficError(msg)
    calls: list[Call] = []
    problems: list[Problem] = []
    entries = 0
    for key, value in root.value:
        line = key.start_mark.line + 1
        caller = key.value if isinstance(key, yaml.ScalarNode) else ""
        namespace, _, name = str(caller).partition("/")
        if not namespace or not name or "/" in name:
            problems.append(line_problem(source, line, f"{caller!r} is not NS/WORKLOAD", caller))
            continue
        items = value.value if isinstance(value, yaml.SequenceNode) else None
        if items is None:
            problems.append(line_problem(source, line, "expected a list of hosts", caller))
            continue
        for index, item in enumerate(items):
            entries += 1
            where = item.start_mark.line + 1
            try:
                host, port = _host_port(item)
            except ValueError as error:
                problems.append(line_problem(source, where, str(error), f"{caller}[{index}]"))
                continue
            calls.append(
                Call(
                    namespace=namespace,
                    caller=name,
                    host=host,
                    port=port,
                    source=f"{source}:{where}",
                )
            )
    return calls, problems, entries


def _host_port(node: yaml.Node) -> tuple[str, int | None]:
    if not isinstance(node, yaml.ScalarNode) or not node.value:
        msg = "a host must be a non-empty string: HOST or HOST:PORT"
        raise ValueError(msg)
    text = str(node.value).strip().lower()
    host, colon, port = text.partition(":")
    if colon and not (port.isdigit() and 0 < int(port) < 65536):  # noqa: PLR2004 - port range
        msg = f"{text!r}: the port must be a number from 1 to 65535"
        raise ValueError(msg)
    if not host or "/" in host or " " in host:
        msg = f"{text!r} is not a hostname"
        raise ValueError(msg)
    return host, int(port) if colon else None
