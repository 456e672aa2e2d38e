"""Benchmarks for sidecar-model; ``nox -s bench`` runs ``python benchmarks/run.py [args]``.

Every figure is a ratio against a baseline measured in the same run on the same
machine, so the report means something on a noisy two-core CI runner too. Timings
are repeated; the baseline and the candidates run interleaved (rotating order) so a
slow patch of the machine hits them alike, and ratios compare medians.

Groups of benchmarks live in :data:`GROUPS`; each is a function that takes the
:class:`Options` and yields :class:`Measurement` objects, which are printed as they
arrive. The run only fails (exit status 1) when ``--check`` is given and a
measurement misses its target; by default it reports and exits 0.

Run it as a script from the repository root, with the library importable::

    python benchmarks/run.py                # codec group, N=10,000 and 100,000
    python benchmarks/run.py --quick        # skip the 100,000-document step
    python benchmarks/run.py --n 2000 --check --gc-variants
    python benchmarks/run.py --group e2e --quick --realistic-pods 1000
"""

from __future__ import annotations

import argparse
import dataclasses
import enum
import functools
import gc
import json
import math
import statistics
import sys
import time
import tracemalloc
from typing import TYPE_CHECKING, Any, Final

import yaml
from corpus import json_text, sidecar_documents, yaml_text

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    from sidecar_model import Resource
    from sidecar_model.validation import ValidationResult

__all__ = ["GROUPS", "Measurement", "Options", "main"]

MIB: Final = 1024 * 1024

#: Targets of the "codec" issue (ratios; lower is better).
YAML_TARGET: Final = 1.25
JSON_TARGET: Final = 0.3
MEMORY_TARGET: Final = 1.0
SCALING_TARGET: Final = 1.25
#: Target of the "validation" issue: validating N documents against loading them.
VALIDATE_TARGET: Final = 0.5

#: Documents loaded both ways, before anything is measured, to check the YAML and JSON
#: paths agree (which also warms the library's caches and lazily built converters up).
AGREEMENT_DOCS: Final = 200


# --------------------------------------------------------------------------- options


@dataclasses.dataclass(frozen=True, kw_only=True)
class Options:
    """What to run, as given on the command line."""

    groups: tuple[str, ...]
    n: int
    seed: int
    repeats: int
    scale_n: int
    scale_repeats: int
    quick: bool
    check: bool
    gc_variants: bool
    realistic_pods: int | None = None
    e2e_repeats: int = 3


class GcMode(enum.Enum):
    """How the cyclic garbage collector behaves while a timed call runs."""

    #: The interpreter's default: automatic collection on.
    ENABLED = "gc enabled"
    #: ``gc.disable()`` for the duration of the call. A collection that re-enabling
    #: would trigger (over everything the call allocated) then falls after the clock
    #: stops, as in a program that runs with the collector off.
    DISABLED = "gc disabled"
    #: Automatic collection on, but everything alive before the call ``gc.freeze()``-d.
    FROZEN = "gc.freeze()"


# --------------------------------------------------------------------------- results


@dataclasses.dataclass(frozen=True, kw_only=True)
class Measurement:
    """One reported ratio; ``target`` None means it is shown for context only."""

    label: str
    ratio: float
    target: float | None
    detail: str

    @property
    def ok(self) -> bool:
        """Whether the ratio meets its target (always true without a target)."""
        return self.target is None or self.ratio <= self.target

    def line(self) -> str:
        """The report line, e.g. ``label: 1.12x (target <= 1.25)  [detail]``."""
        goal = "context" if self.target is None else f"target <= {self.target}"
        miss = "" if self.ok else "  MISSED"
        return f"{self.label}: {self.ratio:.2f}x ({goal})  [{self.detail}]{miss}"


@dataclasses.dataclass(frozen=True)
class Timing:
    """The wall-clock seconds of repeated runs of one call."""

    samples: tuple[float, ...]

    @property
    def median(self) -> float:
        """Median seconds."""
        return statistics.median(self.samples)

    @property
    def best(self) -> float:
        """Fastest run, in seconds."""
        return min(self.samples)


def compare(label: str, candidate: Timing, baseline: Timing, target: float | None) -> Measurement:
    """Build the measurement ``candidate / baseline`` from two timings (medians)."""
    detail = (
        f"median {candidate.median:.3f} s vs {baseline.median:.3f} s; "
        f"min {candidate.best:.3f} s vs {baseline.best:.3f} s"
    )
    return Measurement(
        label=label, ratio=candidate.median / baseline.median, target=target, detail=detail
    )


# --------------------------------------------------------------------------- measuring


def timed_call(call: Callable[[], object], mode: GcMode) -> float:
    """Run ``call`` once under ``mode`` and return its wall-clock seconds.

    The heap is collected first so every run starts alike, and the result is dropped
    only after the clock stops, so freeing it is not part of the time.
    """
    gc.collect()
    if mode is GcMode.DISABLED:
        gc.disable()
    elif mode is GcMode.FROZEN:
        gc.freeze()
    try:
        start = time.perf_counter()
        result = call()
        elapsed = time.perf_counter() - start
    finally:
        if mode is GcMode.DISABLED:
            gc.enable()
        elif mode is GcMode.FROZEN:
            gc.unfreeze()
    del result
    return elapsed


def time_interleaved(
    calls: Sequence[Callable[[], object]], repeats: int, mode: GcMode = GcMode.ENABLED
) -> list[Timing]:
    """Time each call ``repeats`` times, interleaved, rotating the order every round."""
    samples: list[list[float]] = [[] for _ in calls]
    for round_ in range(repeats):
        shift = round_ % len(calls)
        for index in [*range(shift, len(calls)), *range(shift)]:
            samples[index].append(timed_call(calls[index], mode))
    return [Timing(tuple(times)) for times in samples]


def retained_memory(call: Callable[[], object]) -> tuple[int, int]:
    """Return (retained, peak) bytes that ``call`` allocates, as tracemalloc sees them.

    Anything allocated before (such as the input text) is not traced. Retained is what
    is still allocated once the result exists and unreachable garbage is collected.
    """
    gc.collect()
    tracemalloc.start()
    try:
        result = call()
        gc.collect()
        retained, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del result
    return retained, peak


# --------------------------------------------------------------------------- codec group


def parse_yaml(text: str) -> list[object]:
    """The baseline: PyYAML's libyaml-backed safe loader, building plain dicts."""
    return list(yaml.load_all(text, Loader=yaml.CSafeLoader))


def library_loads() -> Callable[[str], Sequence[object]]:
    """Return ``sidecar_model.loads`` (imported late so ``--help`` works without it)."""
    from sidecar_model import loads  # noqa: PLC0415

    return loads


def codec_group(options: Options) -> Iterator[Measurement]:
    """Loading speed and memory of YAML and JSON against PyYAML and ``json``."""
    loads = library_loads()
    n = options.n
    scale_n = 0 if options.quick or options.scale_n <= n else options.scale_n
    modes = list(GcMode) if options.gc_variants else [GcMode.ENABLED]

    # Check and warm up on a corpus of another seed, so that no cache the library may
    # keep holds the measured documents before they are measured.
    check_agreement(loads, sidecar_documents(AGREEMENT_DOCS, options.seed + 1))
    docs = sidecar_documents(max(n, scale_n), options.seed)
    small_yaml, small_json = yaml_text(docs[:n]), json_text(docs[:n])
    big_yaml = yaml_text(docs) if scale_n else ""
    del docs  # keep the corpus's objects out of the collector's way while timing
    note(
        f"codec: {n:,} documents, YAML {len(small_yaml) / MIB:.1f} MiB, "
        f"JSON {len(small_json) / MIB:.1f} MiB, {options.repeats} repeats"
    )

    # 3 first: memory held by the loaded objects against PyYAML's dicts.
    objects, objects_peak = retained_memory(lambda: loads(small_yaml))
    dicts, dicts_peak = retained_memory(lambda: parse_yaml(small_yaml))
    yield Measurement(
        label="objects / dicts retained memory",
        ratio=objects / dicts,
        target=MEMORY_TARGET,
        detail=(
            f"{objects / MIB:.1f} MiB vs {dicts / MIB:.1f} MiB; "
            f"peak {objects_peak / MIB:.1f} MiB vs {dicts_peak / MIB:.1f} MiB"
        ),
    )

    # 1 and 2: one interleaved timing block for every reader of the N-document texts.
    expect_count(loads(small_json), n, "loads(json)")
    baseline, yaml_loads, json_loads, bare_json = time_interleaved(
        [
            lambda: parse_yaml(small_yaml),
            lambda: loads(small_yaml),
            lambda: loads(small_json),
            lambda: json.loads(small_json),
        ],
        options.repeats,
    )
    yield compare("yaml loads / CSafeLoader parse", yaml_loads, baseline, YAML_TARGET)
    yield compare("json loads / yaml loads", json_loads, yaml_loads, JSON_TARGET)
    yield compare("bare json.loads / yaml loads", bare_json, yaml_loads, None)
    for mode in modes[1:]:
        baseline, yaml_loads = time_interleaved(
            [lambda: parse_yaml(small_yaml), lambda: loads(small_yaml)], options.repeats, mode
        )
        yield compare(f"yaml loads / CSafeLoader parse [{mode.value}]", yaml_loads, baseline, None)

    # 4: per-document cost at scale_n documents against N documents.
    if not scale_n:
        note("scaling step skipped (--quick, or --scale-n not above --n)")
        return
    note(f"scaling: {scale_n:,} documents, YAML {len(big_yaml) / MIB:.1f} MiB")
    expect_count(loads(big_yaml), scale_n, "loads(big yaml)")
    for mode in modes:
        yield from scaling(loads, small_yaml, big_yaml, options, mode)


def scaling(
    loads: Callable[[str], Sequence[object]],
    small_yaml: str,
    big_yaml: str,
    options: Options,
    mode: GcMode,
) -> Iterator[Measurement]:
    """Per-document cost of the large text against the small one, library and baseline."""
    size_ratio = options.scale_n / options.n
    suffix = "" if mode is GcMode.ENABLED else f" [{mode.value}]"
    sizes = f"{options.scale_n:,} / {options.n:,} docs{suffix}"
    small, big, small_base, big_base = time_interleaved(
        [
            lambda: loads(small_yaml),
            lambda: loads(big_yaml),
            lambda: parse_yaml(small_yaml),
            lambda: parse_yaml(big_yaml),
        ],
        options.scale_repeats,
        mode,
    )
    target = SCALING_TARGET if mode is GcMode.ENABLED else None
    yield per_document(f"yaml loads per doc, {sizes}", big, small, size_ratio, target)
    yield per_document(f"CSafeLoader per doc, {sizes}", big_base, small_base, size_ratio, None)


def per_document(
    label: str, large: Timing, small: Timing, size_ratio: float, target: float | None
) -> Measurement:
    """Compare the per-document cost of a large run with that of a small one."""
    detail = (
        f"median {large.median:.3f} s vs {small.median:.3f} s "
        f"for {size_ratio:g}x the documents; "
        f"min {large.best:.3f} s vs {small.best:.3f} s"
    )
    return Measurement(
        label=label,
        ratio=large.median / small.median / size_ratio,
        target=target,
        detail=detail,
    )


def check_agreement(
    loads: Callable[[str], Sequence[object]], docs: list[dict[str, object]]
) -> None:
    """Fail early if YAML and JSON load to different objects: the timings would be moot."""
    text = yaml_text(docs)
    parse_yaml(text)
    from_yaml, from_json = loads(text), loads(json_text(docs))
    expect_count(from_yaml, len(docs), "loads(yaml)")
    if list(from_yaml) != list(from_json):
        msg = "loads() gives different objects for the YAML and JSON forms of the corpus"
        raise SystemExit(msg)


def expect_count(loaded: Sequence[object], count: int, what: str) -> None:
    """Fail if a load returned the wrong number of resources."""
    if len(loaded) != count:
        msg = f"{what} returned {len(loaded)} resources for {count} documents"
        raise SystemExit(msg)


# --------------------------------------------------------------------------- validate group


def validate_group(options: Options) -> Iterator[Measurement]:
    """Validating every loaded Sidecar against loading them from YAML."""
    from sidecar_model import loads  # noqa: PLC0415 - imported late, as in library_loads
    from sidecar_model.validation import validate  # noqa: PLC0415

    def validate_all(resources: Sequence[Resource[Any]]) -> list[ValidationResult]:
        return [validate(resource) for resource in resources]

    # Warm up on another seed: host-name caches then hold what any mesh repeats, no more.
    validate_all(loads(yaml_text(sidecar_documents(AGREEMENT_DOCS, options.seed + 1))))
    text = yaml_text(sidecar_documents(options.n, options.seed))
    loaded = loads(text)
    expect_count(loaded, options.n, "loads(yaml)")
    errors = sum(len(result.errors) for result in validate_all(loaded))
    note(f"validate: {options.n:,} documents, {errors} errors, {options.repeats} repeats")
    loading, validating = time_interleaved(
        [lambda: loads(text), lambda: validate_all(loaded)], options.repeats
    )
    yield compare("validate / yaml loads", validating, loading, VALIDATE_TARGET)


def hostile_group(options: Options) -> Iterator[Measurement]:
    """Hostile inputs (issues 7 and 16): each refused in < 1 s and < 100 MiB above baseline.

    The figures are ratios of the worst of the repeats against those absolute budgets;
    issue 16's cases follow (:func:`hostile_two_group`).
    """
    from sidecar_model import ManifestError, loads  # noqa: PLC0415 - imported late

    laughs = 'lol0: &lol0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
    for level in range(1, 10):
        laughs += f"lol{level}: &lol{level} [" + ", ".join([f"*lol{level - 1}"] * 9) + "]\n"
    inputs = {
        "billion laughs": laughs,
        "10,000-deep YAML": "a: " + "[" * 10_000 + "]" * 10_000 + "\n",
        "10,000-deep JSON": '{"a": ' + "[" * 10_000 + "]" * 10_000 + "}",
    }
    for name, text in inputs.items():
        seconds, peak = 0.0, 0
        for _ in range(options.repeats):
            tracemalloc.start()
            started = time.perf_counter()
            try:
                loads(text)
            except ManifestError:
                pass
            else:
                msg = f"{name} was accepted"
                raise AssertionError(msg)
            seconds = max(seconds, time.perf_counter() - started)
            peak = max(peak, tracemalloc.get_traced_memory()[1])
            tracemalloc.stop()
        yield Measurement(
            label=f"{name}: time / 1 s",
            ratio=seconds,
            target=1.0,
            detail=f"worst {seconds * 1000:.1f} ms",
        )
        yield Measurement(
            label=f"{name}: memory / 100 MiB",
            ratio=peak / (100 * MIB),
            target=1.0,
            detail=f"peak {peak / MIB:.2f} MiB",
        )
    yield from hostile_two_group(options)


#: Hostile input II (issue 16): problem location must be linear, reads bounded.
HOSTILE_HEADER: Final = (
    "apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata:\n  name: a\n  namespace: b\n"
)
#: A dump with one finding may take this much longer to validate than one without.
ONE_FINDING_TARGET: Final = 1.2


def hostile_two_group(options: Options) -> Iterator[Measurement]:
    """Issue 16: many problems in one mapping, a device, and one finding in a large dump."""
    from sidecar_model import SidecarModelError, load, loads  # noqa: PLC0415 - imported late

    count = 20_000
    inputs = {
        f"{count:,} unknown spec fields": HOSTILE_HEADER
        + "spec:\n"
        + "".join(f"  field{i}: 1\n" for i in range(count)),
        f"{count:,} non-string label values": HOSTILE_HEADER
        + "  labels:\n"
        + "".join(f"    k{i}: {i}\n" for i in range(count)),
    }
    for name, text in inputs.items():
        seconds = max(
            _refusal_seconds(functools.partial(loads, text)) for _ in range(options.repeats)
        )
        yield Measurement(
            label=f"{name}: time / 1 s", ratio=seconds, target=1.0, detail=f"{seconds:.3f} s"
        )
    seconds = max(_refusal_seconds(lambda: load("/dev/zero")) for _ in range(options.repeats))
    yield Measurement(
        label="load('/dev/zero'): time / 1 s",
        ratio=seconds,
        target=1.0,
        detail=f"{seconds * 1000:.1f} ms",
    )
    yield from _one_finding(options, SidecarModelError)


def _refusal_seconds(call: Callable[[], object]) -> float:
    from sidecar_model import SidecarModelError  # noqa: PLC0415 - imported late

    started = time.process_time()
    try:
        call()
    except SidecarModelError:
        return time.process_time() - started
    msg = "hostile input was accepted"
    raise AssertionError(msg)


def _one_finding(options: Options, error: type[Exception]) -> Iterator[Measurement]:
    """``sidecar-model validate`` on a dump with one finding against the same dump without.

    Both YAML (multi-document) and JSON (one ``List`` on one line, as ``kubectl get -o
    json | jq -c`` writes it), with the finding in the last object.
    """
    docs = sidecar_documents(1_500 if options.quick else 12_000, options.seed)
    for doc in docs:  # drop the corpus' own warnings (V8: a selector without labels)
        spec: dict[str, Any] = doc["spec"]  # type: ignore[assignment]
        selector = spec.get("workloadSelector")
        if selector is not None and not selector.get("labels"):
            del spec["workloadSelector"]
    clean = {"YAML": yaml_text(docs), "JSON": json_text(docs)}
    last: dict[str, Any] = docs[-1]["spec"]  # type: ignore[assignment]
    last["egress"] = [{"hosts": ["host-without-a-namespace"]}]
    finding = {"YAML": yaml_text(docs), "JSON": json_text(docs)}
    for fmt in ("YAML", "JSON"):
        times = {
            name: _validate_seconds(text, options.repeats, expect_finding=name == "finding")
            for name, text in (("clean", clean[fmt]), ("finding", finding[fmt]))
        }
        if math.isnan(times["clean"]) or math.isnan(times["finding"]):
            msg = f"validate gave an unexpected exit code on the {fmt} dumps"
            raise error(msg)
        size = len(clean[fmt]) / MIB
        yield Measurement(
            label=f"validate, {size:.0f} MiB {fmt} dump: one finding / none",
            ratio=times["finding"] / times["clean"],
            target=ONE_FINDING_TARGET,
            detail=f"{times['finding']:.2f} s vs {times['clean']:.2f} s CPU, "
            f"best of {options.repeats}",
        )


def _validate_seconds(text: str, repeats: int, *, expect_finding: bool) -> float:
    """Best CPU time of ``sidecar-model validate`` on ``text``; NaN on a wrong exit code."""
    import contextlib  # noqa: PLC0415 - only this measurement needs them
    import io  # noqa: PLC0415
    import os  # noqa: PLC0415
    import tempfile  # noqa: PLC0415

    from sidecar_model.cli import main  # noqa: PLC0415 - imported late

    best = math.inf
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "dump.yaml")  # noqa: PTH118 - a plain string path
        with open(path, "w", encoding="utf-8") as file:  # noqa: PTH123
            file.write(text)
        for _ in range(repeats):
            started = time.process_time()
            with contextlib.redirect_stdout(io.StringIO()):
                code = main(["validate", path])
            best = min(best, time.process_time() - started)
            if (code != 0) != expect_finding:
                return math.nan
    return best


# --------------------------------------------------------------------------- runner


def resolve_group(options: Options) -> Iterator[Measurement]:
    """Selection, scopes and outbound listeners for every workload of a large mesh (issue 4)."""
    import resolve_bench  # noqa: PLC0415 - a sibling script module, loaded only when asked

    for label, ratio, target, detail in resolve_bench.measurements(
        seed=options.seed, quick=options.quick
    ):
        yield Measurement(label=label, ratio=ratio, target=target, detail=detail)


def analyze_group(options: Options) -> Iterator[Measurement]:
    """analyze() on the generated mesh against loading that mesh from YAML (issue 6)."""
    import analyze_bench  # noqa: PLC0415 - a sibling script module, loaded only when asked

    for label, ratio, target, detail in analyze_bench.measurements(
        seed=options.seed, quick=options.quick
    ):
        yield Measurement(label=label, ratio=ratio, target=target, detail=detail)


def recommend_group(options: Options) -> Iterator[Measurement]:
    """recommend() for 10% of the workloads' traffic against resolving every workload."""
    import recommend_bench  # noqa: PLC0415 - a sibling script module, loaded only when asked

    for label, ratio, target, detail in recommend_bench.measurements(
        seed=options.seed, quick=options.quick
    ):
        yield Measurement(label=label, ratio=ratio, target=target, detail=detail)


def e2e_group(options: Options) -> Iterator[Measurement]:
    """Issue 18's end-to-end figures on a generated cluster dump, against CSafeLoader/json."""
    import e2e_bench  # noqa: PLC0415 - a sibling script module, loaded only when asked

    for label, ratio, target, detail in e2e_bench.measurements(
        seed=options.seed,
        quick=options.quick,
        realistic_pods=options.realistic_pods,
        repeats=options.e2e_repeats,
    ):
        yield Measurement(label=label, ratio=ratio, target=target, detail=detail)


#: Benchmark groups by name, run in this order unless --group picks some.
GROUPS: Final[dict[str, Callable[[Options], Iterator[Measurement]]]] = {
    "codec": codec_group,
    "validate": validate_group,
    "hostile": hostile_group,
    "resolve": resolve_group,
    "analyze": analyze_group,
    "recommend": recommend_group,
    "e2e": e2e_group,
}


def note(text: str) -> None:
    """Print a progress or context line of the report."""
    print(f"# {text}", flush=True)


def parse_options(argv: Sequence[str] | None = None) -> Options:
    """Read :class:`Options` from the command line."""
    parser = argparse.ArgumentParser(
        description="Benchmark sidecar-model against baselines measured in the same run."
    )
    parser.add_argument(
        "--group",
        action="append",
        choices=sorted(GROUPS),
        help="benchmark group to run; repeat for several (default: all)",
    )
    parser.add_argument("--n", type=positive, default=10_000, help="documents (10,000)")
    parser.add_argument("--seed", type=int, default=0, help="corpus seed (0)")
    parser.add_argument("--repeats", type=positive, default=5, help="timed runs each (5)")
    parser.add_argument(
        "--scale-n", type=positive, default=100_000, help="documents of the scaling step (100,000)"
    )
    parser.add_argument(
        "--scale-repeats", type=positive, default=3, help="timed runs in the scaling step (3)"
    )
    parser.add_argument("--quick", action="store_true", help="skip the scaling step")
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if any ratio misses its target"
    )
    parser.add_argument(
        "--gc-variants",
        action="store_true",
        help="also time with the garbage collector disabled and with gc.freeze()",
    )
    parser.add_argument(
        "--realistic-pods",
        type=positive,
        default=None,
        help="e2e: injected Pods in the realistic dump (2,000; 500 with --quick)",
    )
    parser.add_argument(
        "--e2e-repeats", type=positive, default=3, help="e2e: runs of each fast step (3)"
    )
    args = parser.parse_args(argv)
    return Options(
        groups=tuple(dict.fromkeys(args.group or GROUPS)),
        n=args.n,
        seed=args.seed,
        repeats=args.repeats,
        scale_n=args.scale_n,
        scale_repeats=args.scale_repeats,
        quick=args.quick,
        check=args.check,
        gc_variants=args.gc_variants,
        realistic_pods=args.realistic_pods,
        e2e_repeats=args.e2e_repeats,
    )


def positive(text: str) -> int:
    """Argparse type: a positive integer."""
    value = int(text)
    if value < 1:
        msg = f"expected a positive integer, got {text}"
        raise argparse.ArgumentTypeError(msg)
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Run the chosen groups, print the report and return the exit status."""
    options = parse_options(argv)
    note(f"python {sys.version.split()[0]}, libyaml {yaml.__with_libyaml__}")
    measurements: list[Measurement] = []
    for name in options.groups:
        for measurement in GROUPS[name](options):
            print(measurement.line(), flush=True)
            measurements.append(measurement)
    missed = [m for m in measurements if not m.ok]
    targeted = sum(m.target is not None for m in measurements)
    print(
        f"summary: {targeted - len(missed)} of {targeted} targets met"
        + "".join(f"\n  missed: {m.label} {m.ratio:.2f}x > {m.target}" for m in missed)
    )
    if missed and options.check:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
