"""A cache of loaded meshes, so that asking again about an unchanged dump is near-instant.

Loading a large cluster dump takes seconds; reading back a mesh loaded before takes a
fraction of that. :func:`load_mesh` loads files into a :class:`~sidecar_model.Mesh`
through the cache; the ``sidecar-model`` command does the same unless given
``--no-cache``.

An entry is found by a key computed from everything the loaded mesh depends on: the
content of every input file (SHA-256 of its bytes, with its name, in loading order), the
load options (strictness, limits, the MeshConfig given), the library's version and a
digest of its own source files, and the Python version. A file's size or time is never
used instead of its content.

Entries live in the user's cache directory (``$XDG_CACHE_HOME/sidecar-model``, by
default ``~/.cache/sidecar-model``), which must be a directory owned by the user with no
permission for anyone else (it is created so); otherwise the cache is not used. Each
entry is written to a private temporary file and renamed into place, so that a reader
never sees half of one. An entry is never trusted without checking it: it carries its
key and an HMAC-SHA256 under a random per-user secret kept beside the entries (``secret``,
mode 0600), both verified before a single byte is unpickled; and unpickling admits only
the library's own classes and a few standard ones (a file forged without the secret
cannot run code, and one with the secret can still only build library values). An
entry that fails a check is deleted and the inputs are loaded instead. Deleting the
directory at any time is safe.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import io
import os
import pickle
import stat
import sys
import tempfile
import time
import warnings
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import attrs

from sidecar_model._collections import FrozenDict
from sidecar_model._results import gc_paused
from sidecar_model.codec import Limits, load_paths
from sidecar_model.codec._files import STDIN, _expand
from sidecar_model.codec._loading import DEFAULT_LIMITS
from sidecar_model.codec._yaml import SourceText
from sidecar_model.mesh import Mesh

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sidecar_model.mesh import MeshConfig

__all__ = ["CacheWarning", "cache_directory", "clear", "key_of", "load_mesh", "read", "write"]

#: Bumped whenever the layout of an entry changes.
FORMAT: Final = 1
_MAGIC: Final = b"sidecar-model mesh cache\n"
_SUFFIX: Final = ".mesh"
_SECRET: Final = "secret"  # noqa: S105 - the name of the file that holds it
_SECRET_BYTES: Final = 32
#: Entries kept: the newest by modification time; older ones are deleted after a write.
KEEP: Final = 8
#: Seconds a reader waits for an entry another process began writing (the command
#: writes after printing its answer, so a quick second run may find it unfinished).
WAIT: Final = 60.0
#: A temporary file older than this (seconds) was left by a writer that died.
_STALE: Final = 3600.0
_READ_FLAGS: Final = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)


class CacheWarning(UserWarning):
    """The cache could not be used (its directory is not private, ...); loading went on."""


def cache_directory() -> Path:
    """Where entries are kept: ``$XDG_CACHE_HOME/sidecar-model`` or ``~/.cache/sidecar-model``."""
    base = os.environ.get("XDG_CACHE_HOME") or ""
    root = Path(base) if Path(base).is_absolute() else Path.home() / ".cache"
    return root / "sidecar-model"


def load_mesh(
    *paths: str | os.PathLike[str],
    config: MeshConfig | None = None,
    strict: bool = True,
    limits: Limits = DEFAULT_LIMITS,
    directory: str | os.PathLike[str] | None = None,
) -> Mesh:
    """The mesh of files and directories ``paths``, read from the cache when unchanged.

    As :meth:`Mesh.load <sidecar_model.Mesh.load>` over :func:`~sidecar_model.codec.load_paths`
    (directories searched recursively, ``strict`` and ``limits`` as there), but a mesh
    loaded before from the same content, options, library and Python is read back from
    the cache in ``directory`` (default :func:`cache_directory`), and a newly loaded one
    is stored there. Standard input (``-``) is never cached.
    """
    files, _skipped, _roots = _expand(paths)
    folder = Path(directory) if directory is not None else cache_directory()
    key = key_of(files, config=config, limits=limits, strict=strict)
    if key is not None:
        found = read(key, folder)
        if found is not None:
            return found
    mesh = Mesh.from_resources(
        load_paths(paths, strict=strict, limits=limits).resources, config=config
    )
    if key is not None:
        write(key, mesh, folder)
    return mesh


def clear(directory: str | os.PathLike[str] | None = None) -> int:
    """Delete every entry (and the secret) of the cache; return how many files went."""
    folder = Path(directory) if directory is not None else cache_directory()
    removed = 0
    for entry in (*folder.glob(f"*{_SUFFIX}"), folder / _SECRET):
        try:
            entry.unlink()
        except OSError:
            continue
        removed += 1
    return removed


# --------------------------------------------------------------------------- the key


def key_of(
    files: Sequence[str],
    *,
    config: MeshConfig | None = None,
    limits: Limits = DEFAULT_LIMITS,
    strict: bool = True,
    variant: str = "",
) -> bytes | None:
    """The key of the mesh loaded from ``files`` with these options; None if uncacheable.

    ``files`` are the files to load, directories already expanded, in loading order;
    ``variant`` names any other choice the mesh depends on (the CLI's ``-n`` namespace).
    Standard input cannot be read twice, and an unreadable file is left to loading to
    report: for both there is no key.
    """
    digest = hashlib.sha256()
    digest.update(b"format %d\n" % FORMAT)
    digest.update(_library_digest())
    digest.update(f"{sys.implementation.name} {sys.version}\n".encode())
    options = (strict, attrs.astuple(limits), config, variant)
    digest.update(hashlib.sha256(pickle.dumps(options, protocol=5)).digest())
    for name in files:
        if name == STDIN:
            return None
        try:
            content = _file_digest(name)
        except OSError:
            return None
        encoded = os.fsencode(name)
        digest.update(b"%d:" % len(encoded) + encoded + content)
    return digest.digest()


def _file_digest(name: str) -> bytes:
    hashed = hashlib.sha256()
    with open(name, "rb") as file:  # noqa: PTH123 - a plain read of bytes
        while chunk := file.read(1 << 20):
            hashed.update(chunk)
    return hashed.digest()


@cache
def _library_digest() -> bytes:
    """The library's version and a digest of its source files (a changed install differs)."""
    from sidecar_model.cli import __version__  # noqa: PLC0415 - avoids an import cycle

    package = Path(__file__).parent
    digest = hashlib.sha256(f"sidecar-model {__version__}\n".encode())
    for source in sorted(package.rglob("*.py")):
        relative = source.relative_to(package).as_posix().encode()
        digest.update(b"%d:" % len(relative) + relative)
        digest.update(hashlib.sha256(source.read_bytes()).digest())
    return digest.digest()


# --------------------------------------------------------------------------- the directory


def _private_directory(folder: Path, *, create: bool) -> bool:
    """Whether ``folder`` is a directory of this user that no one else may use.

    Created (mode 0700) when missing and ``create`` is true. Warns once when it exists
    but is not private: it is then not used.
    """
    if create:
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError:
            return False
    try:
        info = folder.lstat()
    except OSError:
        return False
    if not _private(info, stat.S_ISDIR):
        warnings.warn(
            CacheWarning(
                f"not using the cache in {folder}: it must be a directory owned by you "
                "with no permissions for group or others (chmod 700)"
            ),
            stacklevel=3,
        )
        return False
    return True


def _private(info: os.stat_result, kind: Any) -> bool:  # noqa: ANN401 - stat.S_IS*
    """A ``kind`` of file owned by this user, with no group or other permission bits."""
    owner = getattr(os, "getuid", None)
    if owner is not None and info.st_uid != owner():
        return False
    return bool(kind(info.st_mode)) and info.st_mode & 0o077 == 0


def _secret(folder: Path) -> bytes | None:
    """The per-user secret entries are signed with; made on first use."""
    path = folder / _SECRET
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_private(path, _SECRET_BYTES)
    except OSError:
        return None
    with os.fdopen(descriptor, "wb") as file:
        secret = os.urandom(_SECRET_BYTES)
        file.write(secret)
    return secret


def _read_private(path: Path, size: int | None = None) -> bytes | None:
    """The bytes of ``path``, only if it is a regular file of this user's (not a link)."""
    try:
        descriptor = os.open(path, _READ_FLAGS)
    except OSError:
        return None
    with os.fdopen(descriptor, "rb") as file:
        if not _private(os.fstat(file.fileno()), stat.S_ISREG):
            return None
        content = file.read() if size is None else file.read(size)
    return content if size is None or len(content) == size else None


# --------------------------------------------------------------------------- entries


def _entry(folder: Path, key: bytes) -> Path:
    return folder / (key.hex() + _SUFFIX)


def _signature(secret: bytes, key: bytes, payload: bytes | memoryview) -> bytes:
    signed = hmac.new(secret, _MAGIC, hashlib.sha256)
    signed.update(key)
    signed.update(len(payload).to_bytes(8, "big"))
    signed.update(payload)
    return signed.digest()


def read(key: bytes, directory: str | os.PathLike[str] | None = None) -> Mesh | None:
    """The mesh stored under ``key``, or None when there is none that passes every check.

    The entry's key and HMAC are checked before anything is unpickled; an entry that
    fails is deleted.
    """
    folder = Path(directory) if directory is not None else cache_directory()
    path = _entry(folder, key)
    if not folder.is_dir() or not _private_directory(folder, create=False):
        return None
    _wait_for_writer(folder, key)
    if not path.exists():
        return None
    secret = _secret(folder)
    content = _read_private(path)
    if secret is None or content is None:
        return None
    mesh = _verified(content, key, secret)
    if mesh is None:
        path.unlink(missing_ok=True)
    return mesh


def _verified(content: bytes, key: bytes, secret: bytes) -> Mesh | None:
    head = len(_MAGIC) + len(key) + 8 + 32
    if len(content) < head or not content.startswith(_MAGIC):
        return None
    at = len(_MAGIC)
    stored_key, at = content[at : at + len(key)], at + len(key)
    length, at = int.from_bytes(content[at : at + 8], "big"), at + 8
    signature, at = content[at : at + 32], at + 32
    payload = content[at:]
    if stored_key != key or length != len(payload):
        return None
    if not hmac.compare_digest(signature, _signature(secret, key, payload)):
        return None
    try:
        with gc_paused():
            value = _Unpickler(io.BytesIO(payload)).load()
    except Exception:  # noqa: BLE001 - any failure means: load the inputs instead
        return None
    return value if isinstance(value, Mesh) else None


def write(key: bytes, mesh: Mesh, directory: str | os.PathLike[str] | None = None) -> bool:
    """Store ``mesh`` under ``key``, atomically; False when the cache cannot be used."""
    folder = Path(directory) if directory is not None else cache_directory()
    if not _private_directory(folder, create=True):
        return False
    secret = _secret(folder)
    if secret is None:
        return False
    # The temporary file exists from the start: it tells readers an entry is on its way.
    try:
        descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=_writing(key))  # mode 0600
    except OSError:
        return False
    try:
        with os.fdopen(descriptor, "wb") as file:
            buffer = io.BytesIO()
            with gc_paused():
                _Pickler(buffer, protocol=5).dump(mesh)
            payload = buffer.getbuffer()
            file.write(_MAGIC + key + len(payload).to_bytes(8, "big"))
            file.write(_signature(secret, key, payload))
            file.write(payload)
        Path(temporary).replace(_entry(folder, key))
    except (OSError, pickle.PicklingError, TypeError, AttributeError, RecursionError):
        # A value that cannot be stored, or a full disk: the mesh is simply not cached.
        Path(temporary).unlink(missing_ok=True)
        return False
    _trim(folder)
    return True


def _writing(key: bytes) -> str:
    """The name prefix of the temporary file an entry is being written to."""
    return f".writing-{key.hex()}-"


def _wait_for_writer(folder: Path, key: bytes) -> None:
    """Wait while another process is still writing the entry of ``key`` (recently begun)."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline and not _entry(folder, key).exists():
        writers = [path for path in folder.glob(_writing(key) + "*") if _age(path) < WAIT]
        if not writers:
            return
        time.sleep(0.02)


def _age(path: Path) -> float:
    return time.time() - _mtime(path)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _trim(folder: Path) -> None:
    """Keep only the :data:`KEEP` newest entries; delete what dead writers left."""
    entries = sorted(((_mtime(path), path) for path in folder.glob(f"*{_SUFFIX}")), reverse=True)
    for _when, path in entries[KEEP:]:
        path.unlink(missing_ok=True)
    for path in folder.glob(".writing-*"):
        if _age(path) > _STALE:
            path.unlink(missing_ok=True)


# --------------------------------------------------------------------------- pickling


def _mesh(fields: dict[str, Any]) -> Mesh:
    """A Mesh again from its fields (its derived caches are rebuilt on demand)."""
    return Mesh(**fields)


def _source_text(text: str, name: str | None, is_json: bool, spans: Any, items: Any) -> SourceText:  # noqa: ANN401, FBT001
    """A SourceText again, without the node trees composed for locating."""
    return SourceText(text, name, is_json, spans, items)


class _Pickler(pickle.Pickler):
    """Pickles a Mesh by its fields and a SourceText without its composed nodes."""

    def reducer_override(self, obj: Any) -> Any:  # noqa: ANN401 - pickle's protocol
        if type(obj) is Mesh:
            fields = {
                field.name: getattr(obj, field.name) for field in attrs.fields(Mesh) if field.init
            }
            return _mesh, (fields,)
        if type(obj) is SourceText:
            return _source_text, (obj.text, obj.name, obj.is_json, obj.spans, obj.item_spans)
        return NotImplemented


#: Standard names an entry may refer to, beyond the library's own classes.
_STANDARD: Final = frozenset(
    {
        ("array", "_array_reconstructor"),
        ("array", "array"),
        ("builtins", "frozenset"),
        ("builtins", "set"),
        ("datetime", "datetime"),
        ("datetime", "timedelta"),
        ("datetime", "timezone"),
        ("ipaddress", "IPv4Address"),
        ("ipaddress", "IPv6Address"),
        ("ipaddress", "IPv4Network"),
        ("ipaddress", "IPv6Network"),
    }
)
_BUILDERS: Final = {
    ("sidecar_model.mesh_cache", "_mesh"),
    ("sidecar_model.mesh_cache", "_source_text"),
}


class _Unpickler(pickle.Unpickler):
    """Unpickles only library values: its attrs classes, enums and FrozenDict, and a few more."""

    def find_class(self, module: str, name: str) -> Any:  # noqa: ANN401 - pickle's protocol
        if (module, name) in _STANDARD or (module, name) in _BUILDERS:
            return super().find_class(module, name)
        if module.startswith("sidecar_model.") and "." not in name:
            found = super().find_class(module, name)
            if isinstance(found, type) and (
                attrs.has(found) or issubclass(found, enum.Enum) or found is FrozenDict
            ):
                return found
        msg = f"{module}.{name} may not appear in a cached mesh"
        raise pickle.UnpicklingError(msg)
