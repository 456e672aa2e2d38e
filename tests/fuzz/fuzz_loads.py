"""A coverage-guided (libFuzzer) fuzz target for :func:`sidecar_model.loads`, run by atheris.

Each input is loaded twice: as raw bytes (so the byte-order-mark and decoding paths run) and,
through :class:`atheris.FuzzedDataProvider`, as a Unicode string (lone surrogates included),
strictly or not. Every loaded Sidecar is validated and everything loaded is built into a mesh.
Any exception that is not a :class:`~sidecar_model.SidecarModelError` escapes, which libFuzzer
reports as a crash and saves the input as ``crash-<sha1>``.

Run it by hand (``nox -s fuzz`` does this with a fresh copy of the seed corpus)::

    python tests/fuzz/fuzz_loads.py /tmp/corpus tests/fuzz/corpus -max_total_time=60 \
        -dict=tests/fuzz/yaml.dict

and replay one input with ``python tests/fuzz/fuzz_loads.py crash-<sha1>``.
"""

from __future__ import annotations

import contextlib
import sys
import warnings
from typing import Any

import atheris  # type: ignore[import-untyped]

with atheris.instrument_imports(include=["sidecar_model"]):
    import sidecar_model as sm
    from sidecar_model.errors import UnknownFieldWarning

    try:
        import sidecar_model.mesh

        HAS_MESH = True
    except ImportError:  # the mesh is optional for this target
        HAS_MESH = False

#: Larger inputs only slow the fuzzer down; real manifests that matter here are small.
MAX_INPUT = 64 * 1024


def _load(text: str | bytes, *, strict: bool) -> list[sm.Resource[Any]]:
    try:
        return sm.loads(text, strict=strict, source="fuzz")
    except sm.SidecarModelError:
        return []


def _check(resources: list[sm.Resource[Any]]) -> None:
    for resource in resources:
        if isinstance(resource.spec, sm.Sidecar):
            with contextlib.suppress(sm.SidecarModelError):
                sm.validate(resource)
    if HAS_MESH and resources:
        with contextlib.suppress(sm.SidecarModelError):
            sidecar_model.mesh.Mesh.from_resources(resources)


def TestOneInput(data: bytes) -> None:  # noqa: N802 - the name atheris and libFuzzer use
    """Load ``data`` as bytes and as text; only SidecarModelError may escape."""
    if len(data) > MAX_INPUT:
        return
    _check(_load(data, strict=True))
    provider = atheris.FuzzedDataProvider(data)
    strict = provider.ConsumeBool()
    text: str = provider.ConsumeUnicode(len(data))
    _check(_load(text, strict=strict))


def main() -> None:
    """Hand the command line (corpus folders, ``-flags``) to libFuzzer and fuzz."""
    # Non-strict loading warns about each dropped field; that is expected, not a finding.
    warnings.simplefilter("ignore", UnknownFieldWarning)
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
