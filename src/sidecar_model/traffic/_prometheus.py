"""A Prometheus HTTP API query result over Istio's standard metrics.

The reply of ``/api/v1/query`` (``resultType: vector``, one ``value`` per series) or
``/api/v1/query_range`` (``matrix``, ``values``) to a query over ``istio_requests_total``
or ``istio_tcp_connections_opened_total``. Each series with a non-zero value is a call from
``source_workload`` in ``source_workload_namespace`` to ``destination_service``. Istio's
metrics carry no port, so a call stands for every port of the called service. Where
``destination_service_name`` is ``PassthroughCluster`` or ``BlackHoleCluster`` the call
passed through or was refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from sidecar_model.traffic._envoy import BLACKHOLE_CLUSTER, PASSTHROUGH_CLUSTER
from sidecar_model.traffic._values import Call, Outcome, TrafficError, line_problem

if TYPE_CHECKING:
    from collections.abc import Mapping

    from sidecar_model.errors import Problem

__all__ = ["is_prometheus_reply", "read_prometheus"]

_UNKNOWN: Final = frozenset({"", "unknown"})
_OUTCOMES: Final = {PASSTHROUGH_CLUSTER: Outcome.PASSTHROUGH, BLACKHOLE_CLUSTER: Outcome.BLOCKED}


def is_prometheus_reply(data: object) -> bool:
    """Whether parsed JSON looks like a Prometheus HTTP API reply."""
    return isinstance(data, dict) and "status" in data and ("data" in data or "error" in data)


def read_prometheus(data: Any, source: str) -> tuple[list[Call], list[Problem], int, int]:  # noqa: ANN401 - parsed JSON
    """Calls, per-series problems, series read and zero-valued series skipped."""
    if data.get("status") != "success":
        msg = (
            f"{source}: the Prometheus reply has status {data.get('status')!r}, not "
            f"'success': {data.get('error', 'no error given')}"
        )
        raise TrafficError(msg)
    body = data.get("data")
    result = body.get("result") if isinstance(body, dict) else None
    kind = body.get("resultType") if isinstance(body, dict) else None
    if kind not in {"vector", "matrix"} or not isinstance(result, list):
        msg = f"{source}: data.resultType must be 'vector' or 'matrix' with a data.result list"
        raise TrafficError(msg)
    calls: list[Call] = []
    problems: list[Problem] = []
    zero = 0
    for index, series in enumerate(result):
        path = f"data.result[{index}]"
        try:
            call = _series_call(series, kind, f"{source}:{path}")
        except ValueError as error:
            problems.append(line_problem(source, None, str(error), path))
            continue
        if call is None:
            zero += 1
        else:
            calls.append(call)
    return calls, problems, len(result), zero


def _series_call(series: object, kind: str, where: str) -> Call | None:
    if not isinstance(series, dict) or not isinstance(series.get("metric"), dict):
        msg = "a series must be an object with a 'metric' object"
        raise ValueError(msg)  # noqa: TRY004 - collected as a per-series problem
    metric: Mapping[str, object] = series["metric"]
    if not _observed(series, kind):
        return None
    namespace = _label(metric, "source_workload_namespace")
    workload = _label(metric, "source_workload")
    service = _label(metric, "destination_service")
    if namespace is None or workload is None:
        msg = "the series has no source_workload and source_workload_namespace labels"
        raise ValueError(msg)
    if service is None:
        msg = "the series has no destination_service label (or it is 'unknown')"
        raise ValueError(msg)
    name = _label(metric, "destination_service_name") or ""
    return Call(
        namespace=namespace,
        caller=workload,
        host=service,
        port=None,
        outcome=_OUTCOMES.get(name, Outcome.ROUTED),
        source=where,
    )


def _label(metric: Mapping[str, object], key: str) -> str | None:
    value = metric.get(key)
    return value if isinstance(value, str) and value not in _UNKNOWN else None


def _observed(series: Mapping[str, Any], kind: str) -> bool:
    """Whether the series counted anything: some sample greater than zero."""
    samples = [series.get("value")] if kind == "vector" else series.get("values")
    if not isinstance(samples, list) or not samples:
        msg = f"the series has no {'value' if kind == 'vector' else 'values'}"
        raise ValueError(msg)
    seen = False
    for sample in samples:
        if not isinstance(sample, list) or len(sample) != 2:  # noqa: PLR2004 - [time, "value"]
            msg = 'a sample must be [time, "value"]'
            raise ValueError(msg)
        try:
            seen |= float(sample[1]) > 0
        except (TypeError, ValueError):
            msg = f"the sample value {sample[1]!r} is not a number"
            raise ValueError(msg) from None
    return seen
