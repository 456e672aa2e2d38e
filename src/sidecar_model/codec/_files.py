"""Reading paths: files, directories and standard input, bounded before they are read.

One expansion of paths serves the library and the CLI alike: a directory stands for
every ``*.yaml``, ``*.yml`` and ``*.json`` file below it (hidden files and folders left
out), and ``-`` for standard input. Files and streams are read in chunks and refused as
soon as they pass :attr:`Limits.max_size`. Every file-system failure is a
:class:`~sidecar_model.errors.SourceError` naming the path and the reason.
"""

from __future__ import annotations

import os
import stat
import sys
import warnings
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Final

import attrs

from sidecar_model.codec._loading import DEFAULT_LIMITS, Limits, loads, read_yaml, too_large
from sidecar_model.errors import (
    ManifestError,
    Problem,
    SidecarModelWarning,
    SourceError,
    UnknownFieldWarning,
)
from sidecar_model.resources import Resource

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

__all__ = [
    "MANIFEST_SUFFIXES",
    "STDIN",
    "LoadedPaths",
    "SkippedFileWarning",
    "SkippedPath",
    "load",
    "load_paths",
]

#: The suffixes of manifest files found in directories.
MANIFEST_SUFFIXES: Final = (".yaml", ".yml", ".json")
#: The path that stands for standard input.
STDIN: Final = "-"
#: How much is read at a time.
_CHUNK: Final = 1 << 20


@attrs.frozen
class SkippedPath:
    """A path that was not read or not loaded, and why."""

    path: str
    reason: str

    def __str__(self) -> str:
        """``charts/web/Chart.yaml: skipped: ...``."""
        return f"{self.path}: skipped: {self.reason}"


class SkippedFileWarning(SidecarModelWarning):
    """A file of a directory or of several inputs was skipped: it is no Kubernetes manifest."""


@attrs.frozen
class LoadedPaths:
    """What :func:`load_paths` read: every resource, and the paths it skipped."""

    resources: tuple[Resource[Any], ...]
    skipped: tuple[SkippedPath, ...] = ()


def read_stream(stream: IO[bytes] | IO[str], name: str, limits: Limits) -> str | bytes:
    """All of ``stream``, read in chunks; refused as soon as it passes ``limits.max_size``."""
    chunks: list[Any] = []
    size = 0
    try:
        while chunk := stream.read(min(_CHUNK, limits.max_size + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
            if size > limits.max_size:
                raise ManifestError([too_large(limits, name)])
    except OSError as error:
        raise SourceError.from_os_error(name, error) from None
    empty: str | bytes = "" if chunks and isinstance(chunks[0], str) else b""
    return empty.join(chunks)


def read_path(path: str | os.PathLike[str], limits: Limits = DEFAULT_LIMITS) -> str | bytes:
    """The content of a file, or of standard input for ``-``; a device is refused unread."""
    name = os.fspath(path)
    if name == STDIN:
        stdin = sys.stdin
        if stdin is None or stdin.closed:
            raise SourceError("<stdin>", "standard input is closed")
        return read_stream(getattr(stdin, "buffer", stdin), "<stdin>", limits)
    try:
        info = Path(name).stat()
        if stat.S_ISDIR(info.st_mode):
            raise SourceError(name, "is a directory; give a file, or load it with load_paths")
        if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode):
            raise SourceError(name, "is a device, not a file")
        if stat.S_ISREG(info.st_mode) and info.st_size > limits.max_size:
            raise ManifestError([too_large(limits, name, info.st_size, "bytes")])
        with open(name, "rb") as file:  # noqa: PTH123 - str or PathLike
            return read_stream(file, name, limits)
    except OSError as error:
        raise SourceError.from_os_error(name, error) from None


def load(
    path_or_file: str | os.PathLike[str] | IO[str] | IO[bytes],
    *,
    strict: bool = True,
    limits: Limits = DEFAULT_LIMITS,
) -> list[Resource[Any]]:
    """Load every object of a YAML or JSON file, given by path or as an open file.

    Raises :class:`~sidecar_model.ManifestError` for bad content and
    :class:`~sidecar_model.errors.SourceError` when the path cannot be read.
    """
    if isinstance(path_or_file, str | os.PathLike):
        name: str | None = os.fspath(path_or_file)
        content = read_path(path_or_file, limits)
    else:
        name = str(getattr(path_or_file, "name", "")) or None
        content = read_stream(path_or_file, name or "<stream>", limits)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UnknownFieldWarning)
        resources = loads(content, strict=strict, source=name, limits=limits)
    for warning in caught:
        warnings.warn(warning.message, stacklevel=2)
    return resources


def load_paths(
    paths: Iterable[str | os.PathLike[str]],
    *,
    strict: bool = True,
    limits: Limits = DEFAULT_LIMITS,
    skip_non_manifests: bool | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> LoadedPaths:
    """Load files, every manifest file below directories, and standard input for ``-``.

    Each file is read once, even when named twice. In directories, only regular files
    with a manifest suffix are read; FIFOs, devices, sockets, broken or looping links
    and directories named like manifests are skipped and listed in
    :attr:`LoadedPaths.skipped`.

    Files that are no Kubernetes manifests are skipped and listed too when
    ``skip_non_manifests`` is true, by default when a directory or several paths are
    given (as ``istioctl analyze`` goes on past them): YAML or JSON none of whose
    documents has ``kind`` and ``apiVersion`` (a Helm chart's ``Chart.yaml`` and
    ``values.yaml``, OpenAPI files), text that is not YAML and holds ``{{`` (a template),
    and files with ``{{`` inside a Helm chart (below a folder holding ``Chart.yaml``).
    ``progress``, when given, is called before each file with its number, the count of
    files and its name.

    Loading problems of all files are reported together in one
    :class:`~sidecar_model.ManifestError`; a path that cannot be read raises
    :class:`~sidecar_model.errors.SourceError`.
    """
    paths = list(paths)
    files, skipped, roots = _expand(paths)
    if skip_non_manifests is None:
        skip_non_manifests = len(files) > 1 or bool(roots)
    resources: list[Resource[Any]] = []
    problems: list[Problem] = []
    for number, name in enumerate(files, 1):
        if progress is not None:
            progress(number, len(files), name)
        content = read_path(name, limits)
        source = "<stdin>" if name == STDIN else name
        if skip_non_manifests and (reason := _helm_template(name, content, roots)):
            skipped.append(SkippedPath(source, reason))
            continue
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", UnknownFieldWarning)
                resources.extend(loads(content, strict=strict, source=source, limits=limits))
        except ManifestError as error:
            reason = _not_a_manifest(name, content, limits) if skip_non_manifests else None
            if reason is None:
                problems.extend(error.problems)
            else:
                skipped.append(SkippedPath(source, reason))
            continue
        for warning in caught:
            warnings.warn(warning.message, stacklevel=2)
    if problems:
        raise ManifestError(problems)
    return LoadedPaths(tuple(resources), tuple(skipped))


#: Files of a Helm chart that are no manifests, by name.
_HELM_FILES: Final = {
    "chart.yaml": "a Helm chart's Chart.yaml",
    "chart.yml": "a Helm chart's Chart.yaml",
    "values.yaml": "a Helm chart's values",
    "values.yml": "a Helm chart's values",
    "values.schema.json": "a Helm chart's values schema",
}


def _text(content: str | bytes) -> str:
    return content.decode("utf-8", "replace") if isinstance(content, bytes) else content


def _not_a_manifest(name: str, content: str | bytes, limits: Limits) -> str | None:
    """Why a file that failed to load is no Kubernetes manifest, or None when it is one.

    A file one of whose documents has ``kind`` and ``apiVersion`` is a manifest with a
    mistake, reported as such; so is YAML that does not parse, unless it holds ``{{``.
    """
    text = _text(content)
    try:
        documents = read_yaml(text, limits=limits)
    except ManifestError:
        return "not YAML, and it holds '{{': a template, not a manifest" if "{{" in text else None
    if any(isinstance(d, dict) and "kind" in d and "apiVersion" in d for d in documents):
        return None
    what = _HELM_FILES.get(Path(name).name.lower(), "a YAML or JSON file")
    return f"{what}, not a Kubernetes manifest (no document has kind and apiVersion)"


def _helm_template(name: str, content: str | bytes, roots: tuple[Path, ...]) -> str | None:
    """Why ``name`` is a Helm template: it holds ``{{`` below a folder with Chart.yaml."""
    if name == STDIN or "{{" not in _text(content):
        return None
    path = Path(name).absolute()
    for root in roots:
        if not path.is_relative_to(root):
            continue
        for folder in path.parents:
            if any((folder / chart).is_file() for chart in ("Chart.yaml", "Chart.yml")):
                return f"a template of the Helm chart in {folder.relative_to(root.parent)}"
            if folder == root:
                break
    return None


def _expand(
    paths: Iterable[str | os.PathLike[str]],
) -> tuple[list[str], list[SkippedPath], tuple[Path, ...]]:
    """The files to read, the paths skipped, and the directories given."""
    found: list[str] = []
    skipped: list[SkippedPath] = []
    roots: list[Path] = []
    seen: set[str] = set()
    for path in paths:
        name = os.fspath(path)
        if name == STDIN:
            if STDIN in found:
                raise SourceError("<stdin>", "standard input ('-') can be read only once")
            found.append(name)
            continue
        try:
            is_dir = stat.S_ISDIR(Path(name).stat().st_mode)
        except OSError as error:
            raise SourceError.from_os_error(name, error) from None
        if is_dir:
            roots.append(Path(name).absolute())
        inside = _manifests_below(Path(name), skipped) if is_dir else [name]
        for file in inside:
            key = os.path.realpath(file)
            if key not in seen:
                seen.add(key)
                found.append(file)
    return found, skipped, tuple(roots)


def _manifests_below(root: Path, skipped: list[SkippedPath]) -> list[str]:
    """The manifest files below ``root``, sorted; what cannot be read goes to ``skipped``."""
    files: list[str] = []
    for directory, folders, names in os.walk(root, onerror=_raise_walk_error):
        folders[:] = sorted(f for f in folders if not f.startswith("."))
        for name in sorted(names):
            if name.startswith(".") or not name.lower().endswith(MANIFEST_SUFFIXES):
                continue
            file = os.path.join(directory, name)  # noqa: PTH118 - os.walk gives strings
            reason = _not_a_file(file)
            if reason is None:
                files.append(file)
            else:
                skipped.append(SkippedPath(file, reason))
    files.sort(key=lambda file: Path(file).parts)  # the order of sorted paths, as the CLI had
    if not files:
        suffixes = ", ".join(f"*{suffix}" for suffix in MANIFEST_SUFFIXES)
        raise SourceError(root, f"no {suffixes} files in this directory")
    return files


def _not_a_file(path: str) -> str | None:
    """Why ``path`` is not a regular file that can be read, or None when it is one."""
    try:
        mode = Path(path).stat().st_mode
    except OSError as error:
        return error.strerror or str(error)
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a directory with a manifest suffix"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe), which could block reading"
    return "not a regular file (a device or socket)"


def _raise_walk_error(error: OSError) -> None:
    raise SourceError.from_os_error(error.filename or "?", error)
