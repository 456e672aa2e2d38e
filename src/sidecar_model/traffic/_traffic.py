"""The :class:`Traffic` value and how :meth:`Traffic.load` tells formats apart."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from sidecar_model._results import Result
from sidecar_model.errors import Problem
from sidecar_model.traffic._declared import read_declared
from sidecar_model.traffic._envoy import read_access_log
from sidecar_model.traffic._prometheus import is_prometheus_reply, read_prometheus
from sidecar_model.traffic._values import Call, TrafficError

if TYPE_CHECKING:
    from collections.abc import Iterable
    from os import PathLike

__all__ = ["Traffic"]

_LOG_SUFFIXES = frozenset({".log", ".txt"})


@attrs.frozen(kw_only=True)
class Traffic(Result):
    """Observed calls, each distinct call once with how often it was seen.

    ``records`` counts the lines, series or entries read; ``ignored`` those that are no
    outbound call (inbound access log records, series whose value is zero); ``problems``
    the ones that could not be read, each with its file and line (or JSON path).
    """

    calls: tuple[Call, ...] = ()
    problems: tuple[Problem, ...] = ()
    records: int = 0
    ignored: int = 0

    @classmethod
    def load(cls, path: str | PathLike[str], *, workload: str | None = None) -> Traffic:
        """Read evidence from a file or a folder, detecting its format.

        ``workload`` (``"ns/name"``) names the caller of every access log record read;
        a folder's ``NS/POD.log`` files name their own caller, other files are read
        as if given one by one.
        """
        root = Path(path)
        caller = _caller(workload) if workload is not None else None
        if root.is_dir():
            return cls.merge(_folder(root, caller))
        return cls.from_text(_read(root), source=str(root), workload=workload)

    @classmethod
    def from_text(
        cls, text: str, *, source: str = "<string>", workload: str | None = None
    ) -> Traffic:
        """Read evidence from text in any of the supported formats."""
        caller = _caller(workload) if workload is not None else None
        stripped = text.lstrip()
        if stripped.startswith("{"):
            data = _json_or_none(stripped)
            if is_prometheus_reply(data):
                calls, problems, records, ignored = read_prometheus(data, source)
                return cls._of(calls, problems, records, ignored)
        if stripped.startswith(("[", "{")) or not stripped:
            calls, problems, records, ignored = read_access_log(text, source, caller)
            return cls._of(calls, problems, records, ignored)
        calls, problems, records = read_declared(text, source)
        return cls._of(calls, problems, records, 0)

    @classmethod
    def merge(cls, parts: Iterable[Traffic]) -> Traffic:
        """One value holding the evidence of every part."""
        items = list(parts)
        return cls._of(
            [c for t in items for c in t.calls],
            [p for t in items for p in t.problems],
            sum(t.records for t in items),
            sum(t.ignored for t in items),
        )

    @classmethod
    def _of(
        cls, calls: Iterable[Call], problems: Iterable[Problem], records: int, ignored: int
    ) -> Traffic:
        counts: Counter[Call] = Counter()
        first: dict[Call, Call] = {}
        for call in calls:
            counts[call] += call.count
            first.setdefault(call, call)
        merged = tuple(attrs.evolve(first[c], count=n) for c, n in counts.items())
        return cls(calls=merged, problems=tuple(problems), records=records, ignored=ignored)

    def __add__(self, other: Traffic) -> Traffic:
        """The evidence of both."""
        return Traffic.merge((self, other))

    def __str__(self) -> str:
        """A summary, then one line per call and per problem."""
        lines = [
            (
                f"{len(self.calls)} distinct calls from {self.records} records "
                f"({self.ignored} not outbound calls, {len(self.problems)} unreadable)"
            )
        ]
        lines.extend(f"  {call}" for call in self.calls)
        lines.extend(f"  problem: {problem}" for problem in self.problems)
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "calls": [call.to_dict() for call in self.calls],
            "problems": [str(problem) for problem in self.problems],
            "records": self.records,
            "ignored": self.ignored,
        }


def _caller(workload: str) -> tuple[str, str]:
    namespace, _, name = workload.partition("/")
    if not namespace or not name or "/" in name:
        msg = f"workload {workload!r} must be written NS/NAME"
        raise TrafficError(msg)
    return namespace, name


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        msg = f"{path}: cannot read traffic evidence: {error}"
        raise TrafficError(msg) from None


def _json_or_none(text: str) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None


def _folder(root: Path, caller: tuple[str, str] | None) -> Iterable[Traffic]:
    """Every file under ``root``; ``NS/POD.log`` files name their caller."""
    for file in sorted(p for p in root.rglob("*") if p.is_file()):
        own = caller
        relative = file.relative_to(root).parts
        if own is None and len(relative) == 2 and file.suffix in _LOG_SUFFIXES:  # noqa: PLR2004 - NS/POD.log
            own = (relative[0], file.stem)
        workload = None if own is None else f"{own[0]}/{own[1]}"
        yield Traffic.from_text(_read(file), source=str(file), workload=workload)
