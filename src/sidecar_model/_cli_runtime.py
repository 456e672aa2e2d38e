"""How the ``sidecar-model`` command runs: its process, timings, limits and loaded-mesh cache.

The command's own logic lives in :mod:`sidecar_model.cli`; this module holds what is about
the process running it, so that ``cli`` needs only small hooks:

* :func:`add_options` adds ``-v``/``--profile``, ``--max-size`` and ``--no-cache``;
* :func:`start` begins a run (called once per :func:`~sidecar_model.cli.main`);
* :func:`phase` times one phase (load, resolve, analyse, render) for the summary that
  ``-v``/``--profile`` prints on standard error;
* :func:`build_mesh` is where the command gets its :class:`~sidecar_model.Mesh`: from the
  cache of loaded meshes when the inputs are unchanged, else by loading them; then the
  loaded heap is frozen (``gc.freeze``), so that the collector does not walk the
  loaded objects again and again while resolving;
* :func:`console` runs the command as the installed script does and ends the process
  without the interpreter's teardown of the large heap (``os._exit``), after flushing
  standard output and standard error.
"""

from __future__ import annotations

import gc
import os
import sys
import time
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Final, NoReturn

import attrs

from sidecar_model._results import gc_paused
from sidecar_model.codec import Limits
from sidecar_model.errors import SidecarModelError
from sidecar_model.mesh import Mesh

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Iterator, Sequence

    from sidecar_model.mesh import MeshConfig

__all__ = [
    "add_options",
    "build_mesh",
    "console",
    "finish",
    "limits",
    "phase",
    "start",
    "work",
]

#: The phases of a run, in the order the summary lists them.
PHASES: Final = ("load", "resolve", "analyse", "render")
_MIB: Final = 1024 * 1024


@attrs.define
class _Run:
    """The state of one run of the command."""

    limits: Limits = attrs.Factory(Limits)
    cache: bool = True
    profile: bool = False
    #: Whether this process is the command itself (the script or ``python -m``), which
    #: may freeze its heap and skip teardown, rather than a caller of ``main()``.
    console: bool = False
    #: CPU seconds and wall seconds spent in each phase.
    times: dict[str, list[float]] = attrs.Factory(dict)
    started: float = attrs.Factory(time.perf_counter)
    #: Meshes to store in the cache once the answer is out: (key, mesh).
    pending: list[tuple[bytes, Mesh]] = attrs.Factory(list)


_RUN = _Run()


def add_options(parser: argparse.ArgumentParser) -> None:
    """Add the options about how the command runs, rather than what it does."""
    parser.add_argument(
        "-v",
        "--profile",
        dest="profile",
        action="store_true",
        help="print how long each phase took (load, resolve, analyse, render) on stderr",
    )
    parser.add_argument(
        "--max-size",
        metavar="MIB",
        type=_mebibytes,
        default=None,
        help="refuse an input larger than this many MiB "
        f"(default {Limits().max_size // _MIB}); raise it for a larger cluster dump",
    )
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="neither read nor write the cache of loaded meshes (see the security notes)",
    )


def _mebibytes(text: str) -> int:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        import argparse  # noqa: PLC0415 - only for this error

        msg = f"{text!r} is not a positive number of MiB"
        raise argparse.ArgumentTypeError(msg)
    return int(value * _MIB)


def start(args: argparse.Namespace) -> None:
    """Begin a run with the options parsed from the command line."""
    global _RUN  # noqa: PLW0603 - one run per process at a time, replaced by each main()
    max_size = getattr(args, "max_size", None)
    _RUN = _Run(
        limits=Limits() if max_size is None else Limits(max_size=max_size),
        cache=not getattr(args, "no_cache", False),
        profile=getattr(args, "profile", False),
        console=_RUN.console,
    )


def limits() -> Limits:
    """The loading limits of the current run (``--max-size``)."""
    return _RUN.limits


@contextmanager
def phase(name: str) -> Iterator[None]:
    """Time the work inside as phase ``name`` of the current run (phases may repeat)."""
    cpu, wall = time.process_time(), time.perf_counter()
    try:
        yield
    finally:
        spent = _RUN.times.setdefault(name, [0.0, 0.0])
        spent[0] += time.process_time() - cpu
        spent[1] += time.perf_counter() - wall


@contextmanager
def work(command: str) -> Iterator[None]:
    """Time a command's work: loading is its own phase, the rest resolve or analyse."""
    name = "analyse" if command in {"analyze", "validate"} else "resolve"
    loading = _RUN.times.get("load", [0.0, 0.0])[:]
    with phase(name):
        yield
    spent, now = _RUN.times[name], _RUN.times.get("load", [0.0, 0.0])
    spent[0] -= now[0] - loading[0]
    spent[1] -= now[1] - loading[1]


def summary() -> str:
    """The timing summary ``-v``/``--profile`` prints: one line per phase that ran."""
    lines = ["timing (CPU s / wall s):"]
    names = [*PHASES, *(name for name in _RUN.times if name not in PHASES)]
    for name in names:
        if name in _RUN.times:
            cpu, wall = _RUN.times[name]
            lines.append(f"  {name:<8} {cpu:8.3f} {wall:8.3f}")
    lines.append(f"  {'total':<8} {time.process_time():8.3f} {_wall():8.3f}")
    return "\n".join(lines) + "\n"


def _wall() -> float:
    return time.perf_counter() - _RUN.started


def finish() -> None:
    """End a run, once the answer is out: store new meshes in the cache, print timings."""
    from sidecar_model import mesh_cache  # noqa: PLC0415 - its imports are not needed early

    if _RUN.pending and not (_RUN.console and _in_background()):
        with phase("cache"):
            for key, mesh in _RUN.pending:
                mesh_cache.write(key, mesh)
    _RUN.pending.clear()
    if _RUN.profile:
        sys.stderr.write(summary())


def _in_background() -> bool:
    """In the command's own process: store the pending meshes in a detached child.

    The answer is out already; the user need not wait for the mesh to be pickled. The
    child holds none of the command's streams, so a pipe reading the output closes when
    the command ends. A reader that comes meanwhile waits for the entry. False where
    processes cannot fork: the caller then stores them itself.
    """
    from sidecar_model import mesh_cache  # noqa: PLC0415 - its imports are not needed early

    fork = getattr(os, "fork", None)
    if fork is None:
        return False
    # Flush first, or the child would hold (and could write again) buffered output.
    with suppress(OSError, ValueError):
        sys.stdout.flush()
    with suppress(OSError, ValueError):
        sys.stderr.flush()
    try:
        child = fork()
    except OSError:
        return False
    if child:
        return True
    try:  # the child: detach from the terminal and the output, store, and end
        quiet = os.open(os.devnull, os.O_RDWR)
        for stream in (0, 1, 2):
            os.dup2(quiet, stream)
        os.setsid()
        for key, mesh in _RUN.pending:
            mesh_cache.write(key, mesh)
    finally:
        os._exit(0)


def build_mesh(  # noqa: PLR0913 - the inputs, how to load them, and two keyword options
    paths: Sequence[str],
    config: MeshConfig | None,
    load: Callable[[], Mesh],
    show: Callable[[str], None],
    *,
    variant: str = "",
    cacheable: Callable[[], bool] = lambda: True,
) -> Mesh:
    """The command's mesh of ``paths``: from the cache when unchanged, else ``load()``.

    ``paths`` are the inputs as given (files, directories, ``-``). ``variant`` names the
    other choices the mesh depends on (the namespace of namespace-less objects), and
    ``cacheable()`` says after loading whether the result may be stored. ``show`` puts a
    progress line on the terminal. When this process is the command itself, the loaded heap
    is frozen afterwards: it is kept to the end, so the collector need not walk it again.
    """
    from sidecar_model import mesh_cache  # noqa: PLC0415 - its imports are not needed early

    # The collector stays paused until the heap is frozen: the new objects all sit in its
    # youngest generation, and one collection would walk every one of them.
    with phase("load"), gc_paused():
        key = None
        mesh = None
        files = _input_files(paths)
        if _RUN.cache and files is not None:
            show(f"reading the cache for {_inputs(files)}...")
            key = mesh_cache.key_of(files, config=config, limits=_RUN.limits, variant=variant)
            mesh = None if key is None else mesh_cache.read(key)
        if mesh is None:
            show(f"loading {_inputs(files or paths)}...")
            mesh = load()
            if key is not None and cacheable():
                _RUN.pending.append((key, mesh))
        show(_loaded(mesh))
        if _RUN.console:
            gc.freeze()
    return mesh


def _input_files(paths: Sequence[str]) -> list[str] | None:
    """The files ``paths`` name, directories expanded as loading expands them.

    None when a path cannot be read: loading then reports it, and nothing is cached.
    """
    from sidecar_model.codec._files import _expand  # noqa: PLC0415 - as mesh_cache above

    try:
        files, _skipped, _roots = _expand(paths)
    except SidecarModelError:
        return None
    return files


def _inputs(paths: Sequence[str]) -> str:
    size = sum(_size(name) for name in paths)
    files = _plural(len(paths), "file")
    if size >= _MIB:
        return f"{files} ({size / _MIB:.1f} MiB)"
    return f"{files} ({size / 1024:.1f} KiB)" if size else files


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _size(name: str) -> int:
    try:
        return os.stat(name).st_size  # noqa: PTH116 - names, not Paths
    except OSError:
        return 0


def _loaded(mesh: Mesh) -> str:
    return (
        f"loaded {_plural(len(mesh.resources), 'object')}: "
        f"{_plural(len(mesh.workloads), 'workload')}, {_plural(len(mesh.services), 'service')}, "
        f"{_plural(len(mesh.sidecars), 'Sidecar')}; working..."
    )


def console() -> NoReturn:
    """Run the command as the installed script and ``python -m sidecar_model`` do.

    The loaded heap is frozen, and after the output streams are flushed the process
    ends with ``os._exit``: the interpreter's teardown of a large heap takes seconds
    and does nothing the operating system does not do anyway. Calling
    :func:`~sidecar_model.cli.main` from Python does neither and returns normally.
    """
    from sidecar_model.cli import main  # noqa: PLC0415 - cli imports this module

    _RUN.console = True
    code = main()
    # A closed pipe or stream has nothing more to say.
    with suppress(OSError, ValueError):
        sys.stdout.flush()
    with suppress(OSError, ValueError):
        sys.stderr.flush()
    os._exit(code)
