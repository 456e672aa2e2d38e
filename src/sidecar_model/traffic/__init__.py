"""Traffic evidence: who called which host and port, read from logs, metrics or a list.

:meth:`Traffic.load` reads, and tells apart by their content:

* Envoy access logs in Istio's default text or JSON format (one record per line);
* a Prometheus HTTP API query result (JSON) over ``istio_requests_total`` or
  ``istio_tcp_connections_opened_total``;
* declared dependencies, a YAML mapping of ``NS/WORKLOAD`` to ``[host, host:port, ...]``;
* a folder of access logs laid out as ``NS/POD.log`` (as saved from
  ``kubectl logs POD -c istio-proxy``): each log's caller is that Pod.

An access log is written by the caller's own proxy, so its caller is the workload whose log
it is: give it as ``workload="ns/name"``. Otherwise the caller is found later, by matching
the record's downstream address to Pods' ``status.podIP``. Lines that cannot be read are
never skipped silently: each is a :class:`~sidecar_model.errors.Problem` in
:attr:`Traffic.problems`, with its file and line number.
"""

from __future__ import annotations

from sidecar_model.traffic._traffic import Traffic
from sidecar_model.traffic._values import Call, Outcome, TrafficError

__all__ = ["Call", "Outcome", "Traffic", "TrafficError"]
