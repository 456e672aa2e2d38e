"""The values traffic evidence is made of: one observed call, and what went wrong reading."""

from __future__ import annotations

import enum
from typing import Any

import attrs

from sidecar_model.errors import Problem, SidecarModelError

__all__ = ["Call", "Outcome", "TrafficError", "line_problem"]

#: The code of every per-line problem in traffic evidence.
LINE_CODE = "TRAFFIC_LINE"


class TrafficError(SidecarModelError):
    """Traffic evidence that cannot be read at all: a missing file, an unknown format."""


class Outcome(enum.Enum):
    """What the caller's proxy did with the call when it was observed."""

    #: Sent to a service's cluster (``outbound|PORT|SUBSET|HOST``, or a metric's service).
    ROUTED = "routed"
    #: Sent on unchanged by ``PassthroughCluster`` (ALLOW_ANY, no service for the host).
    PASSTHROUGH = "passthrough"
    #: Refused: ``BlackHoleCluster``, the ``block_all`` route or "no route" (REGISTRY_ONLY).
    BLOCKED = "blocked"


@attrs.frozen(kw_only=True)
class Call:
    """One distinct observed call: who called which host on which port, and how it went.

    ``namespace`` and ``caller`` name the calling workload (``caller`` may be a Pod name,
    matched to its workload when recommending); where the evidence names neither,
    ``caller_ip`` is the caller's address, matched to Pods' ``status.podIP``. ``host`` is the
    destination as the evidence names it (a short name is resolved in the caller's
    namespace); ``port`` None means every port of that service (metrics carry no port).
    ``requested`` is the host the application asked for (``:authority`` or SNI) when it is
    not ``host``: a VirtualService routed one to the other and both must stay reachable.
    ``count`` is how many lines or series reported it; ``source`` where it was first seen.
    """

    namespace: str | None
    caller: str | None
    host: str
    port: int | None
    outcome: Outcome = Outcome.ROUTED
    requested: str | None = None
    caller_ip: str | None = None
    count: int = attrs.field(default=1, eq=False)
    source: str = attrs.field(default="", eq=False)

    @property
    def who(self) -> str:
        """``ns/caller``, or the caller's address when only that is known."""
        if self.namespace is not None and self.caller is not None:
            return f"{self.namespace}/{self.caller}"
        return self.caller_ip or "unknown caller"

    @property
    def target(self) -> str:
        """``host:port`` (``host`` alone for every port)."""
        return self.host if self.port is None else f"{self.host}:{self.port}"

    def __str__(self) -> str:
        """``prod/productpage -> reviews.prod.svc.cluster.local:9080 (routed)``."""
        via = f" as {self.requested}" if self.requested else ""
        return f"{self.who} -> {self.target}{via} ({self.outcome.value})"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "namespace": self.namespace,
            "caller": self.caller,
            "callerIp": self.caller_ip,
            "host": self.host,
            "port": self.port,
            "requested": self.requested,
            "outcome": self.outcome.value,
            "count": self.count,
            "source": self.source,
        }


def line_problem(source: str, line: int | None, message: str, path: str = "") -> Problem:
    """A problem with one line (or record) of evidence, which is counted and reported."""
    return Problem(message=message, code=LINE_CODE, source=source, line=line, path=path)
