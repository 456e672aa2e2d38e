"""What a recommendation holds: the Sidecars, the calls kept and not, the sizes saved."""

from __future__ import annotations

from typing import Any

import attrs

from sidecar_model._results import Result
from sidecar_model.errors import SidecarModelError
from sidecar_model.mesh import Workload
from sidecar_model.model import Sidecar
from sidecar_model.resolver._size import FIELDS, ConfigSize
from sidecar_model.resources import Resource
from sidecar_model.traffic import Call

__all__ = [
    "KeptCall",
    "NamespaceSavings",
    "NotKeptCall",
    "Recommendation",
    "RecommendationError",
    "WorkloadSize",
    "savings_table",
    "savings_text",
]


def _name(workload: Workload) -> str:
    return f"{workload.namespace}/{workload.name}"


@attrs.frozen(kw_only=True)
class KeptCall(Result):
    """An observed call the recommended Sidecars keep, checked against the resolver.

    ``hostname`` is the service's name as the registry declares it (a wildcard
    ServiceEntry's pattern for a host it matches); ``ports`` the ports carried.
    """

    call: Call
    workload: Workload
    hostname: str
    ports: tuple[int, ...]

    def __str__(self) -> str:
        """``prod/web -> reviews.prod.svc.cluster.local:9080``."""
        ports = ",".join(map(str, self.ports))
        return f"{_name(self.workload)} -> {self.hostname}:{ports}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "workload": _name(self.workload),
            "hostname": self.hostname,
            "ports": list(self.ports),
            "call": self.call.to_dict(),
        }


@attrs.frozen(kw_only=True)
class NotKeptCall(Result):
    """An observed call the recommendation does not keep, and why."""

    call: Call
    reason: str
    workload: Workload | None = None

    def __str__(self) -> str:
        """``10.0.0.7 -> example.com:443 (blocked): why``."""
        return f"{self.call}: {self.reason}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "workload": None if self.workload is None else _name(self.workload),
            "reason": self.reason,
            "call": self.call.to_dict(),
        }


@attrs.frozen(kw_only=True)
class WorkloadSize(Result):
    """A workload's estimated configuration with today's Sidecars and with the recommended."""

    workload: Workload
    before: ConfigSize
    after: ConfigSize

    def __str__(self) -> str:
        """``prod/web: 120 -> 8 clusters, ...``."""
        parts = [
            f"{getattr(self.before, f)} -> {getattr(self.after, f)} {f.replace('_', ' ')}"
            for f in FIELDS
        ]
        return f"{_name(self.workload)}: {', '.join(parts)}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "workload": _name(self.workload),
            "before": self.before.to_dict(),
            "after": self.after.to_dict(),
        }


@attrs.frozen(kw_only=True)
class NamespaceSavings(Result):
    """Summed sizes of a namespace's workloads (``namespace`` is ``"total"`` for the sum)."""

    namespace: str
    workloads: int
    before: ConfigSize
    after: ConfigSize

    def __str__(self) -> str:
        """One table row."""
        cells = " ".join(
            f"{getattr(self.before, f):>8} -> {getattr(self.after, f):<8}" for f in FIELDS
        )
        return f"{self.namespace:<20} {cells}"

    def to_dict(self) -> dict[str, Any]:
        """A flat row: ``clustersBefore``, ``clustersAfter``, ... (for charts and tables)."""
        row: dict[str, Any] = {"namespace": self.namespace, "workloads": self.workloads}
        for key, value in self.before.to_dict().items():
            row[f"{key}Before"] = value
            row[f"{key}After"] = self.after.to_dict()[key]
        return row


@attrs.frozen(kw_only=True)
class Recommendation(Result):
    """Sidecars that keep every observed call the mesh can carry, proven by re-resolving.

    ``sidecars`` are apply-ready; one replacing an existing Sidecar has its name.
    ``sizes`` has, per workload the new Sidecars govern, its ``before`` and ``after``
    :class:`ConfigSize`. ``kept`` are the calls the new Sidecars carry, ``not_kept`` the
    calls they cannot keep with the reason; ``unobserved`` the workloads the new Sidecars
    govern with no call observed (they keep only what their namespace's evidence imports).
    """

    sidecars: tuple[Resource[Sidecar], ...]
    sizes: tuple[WorkloadSize, ...]
    kept: tuple[KeptCall, ...]
    not_kept: tuple[NotKeptCall, ...]
    unobserved: tuple[Workload, ...] = ()

    @property
    def before(self) -> dict[str, ConfigSize]:
        """``ns/name`` to the workload's size with today's Sidecars."""
        return {_name(s.workload): s.before for s in self.sizes}

    @property
    def after(self) -> dict[str, ConfigSize]:
        """``ns/name`` to the workload's size with the recommended Sidecars."""
        return {_name(s.workload): s.after for s in self.sizes}

    def savings(self) -> tuple[NamespaceSavings, ...]:
        """Per namespace (sorted) and then in total, the summed sizes before and after."""
        rows: dict[str, list[WorkloadSize]] = {}
        for size in self.sizes:
            rows.setdefault(size.workload.namespace, []).append(size)
        result = [_summed(ns, rows[ns]) for ns in sorted(rows)]
        result.append(_summed("total", list(self.sizes)))
        return tuple(result)

    def __str__(self) -> str:
        """The Sidecars' names, the savings table, and the calls not kept."""
        lines = [f"{len(self.sidecars)} Sidecars, {len(self.kept)} calls kept:"]
        lines.extend(f"  {s.namespace}/{s.name}" for s in self.sidecars)
        lines.append(savings_text(self))
        if self.not_kept:
            lines.append(f"{len(self.not_kept)} calls not kept:")
            lines.extend(f"  {item}" for item in self.not_kept)
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the Sidecars in their wire form)."""
        from sidecar_model.codec import unstructure  # noqa: PLC0415 - results stay codec-free

        return {
            "sidecars": [unstructure(s) for s in self.sidecars],
            "sizes": [s.to_dict() for s in self.sizes],
            "savings": [row.to_dict() for row in self.savings()],
            "kept": [c.to_dict() for c in self.kept],
            "notKept": [c.to_dict() for c in self.not_kept],
            "unobserved": [_name(w) for w in self.unobserved],
        }


def _summed(namespace: str, sizes: list[WorkloadSize]) -> NamespaceSavings:
    before = after = ConfigSize()
    for size in sizes:
        before += size.before
        after += size.after
    return NamespaceSavings(namespace=namespace, workloads=len(sizes), before=before, after=after)


def savings_text(recommendation: Recommendation) -> str:
    """The savings table as text: per namespace and in total, each field before -> after."""
    header = f"{'namespace':<20} " + " ".join(f"{f.replace('_', ' '):<20}" for f in FIELDS)
    lines = [header, *(str(row) for row in recommendation.savings())]
    return "\n".join(line.rstrip() for line in lines)


def savings_table(recommendation: Recommendation) -> list[dict[str, Any]]:
    """The savings as rows: per namespace, then ``total``.

    Each row is flat (``namespace``, ``workloads``, ``clustersBefore``, ``clustersAfter``,
    ...), ready for a table or a chart: ``pandas.DataFrame(savings_table(r))``.
    """
    return [row.to_dict() for row in recommendation.savings()]


class RecommendationError(SidecarModelError):
    """A recommendation that would break a call the mesh carries today; never returned.

    ``failures`` name each such call. Seeing this is a bug in sidecar-model: please report it
    with the mesh and the evidence.
    """

    failures: tuple[str, ...]

    def __init__(self, failures: tuple[str, ...]) -> None:
        """Refuse a recommendation over ``failures``."""
        self.failures = failures
        super().__init__(failures)

    def __str__(self) -> str:
        """One line per call the recommended Sidecars would break."""
        head = "the recommended Sidecars would break calls the mesh carries today:"
        return "\n".join([head, *(f"  {f}" for f in self.failures)])
