"""The cache of loaded meshes and the command's runtime options (-v, --max-size, --no-cache)."""

from __future__ import annotations

import hashlib
import hmac
import io
import os
import pickle
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import pytest

import sidecar_model as sm
from sidecar_model import cli, mesh_cache
from sidecar_model.codec import Limits
from sidecar_model.examples import mesh_text

if TYPE_CHECKING:
    from collections.abc import Callable

TEXT = mesh_text()
WORKLOAD = "prod-us1/productpage"


def dump(tmp_path: Path, text: str = TEXT) -> str:
    path = tmp_path / "mesh.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def fields(mesh: sm.Mesh) -> dict[str, Any]:
    return {f.name: getattr(mesh, f.name) for f in attrs.fields(sm.Mesh) if f.init}


def entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.mesh"))


def refuse_loading(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make loading from the inputs fail, so that only the cache can answer."""

    def refuse(*_args: object, **_kwargs: object) -> object:
        msg = "loaded the inputs"
        raise AssertionError(msg)

    monkeypatch.setattr(mesh_cache, "load_paths", refuse)


# --------------------------------------------------------------------------- the library


def test_a_cached_mesh_equals_the_loaded_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = dump(tmp_path)
    folder = tmp_path / "cache"
    first = mesh_cache.load_mesh(path, directory=folder)
    assert fields(first) == fields(sm.Mesh.load(path))
    assert len(entries(folder)) == 1
    refuse_loading(monkeypatch)
    second = mesh_cache.load_mesh(path, directory=folder)
    assert second is not first
    assert fields(second) == fields(first)
    # Still resolves and locates as the loaded mesh does.
    (workload,) = (w for w in second.workloads if str(w) == WORKLOAD)
    (same,) = (w for w in first.workloads if str(w) == WORKLOAD)
    resolver = sm.resolver
    assert resolver.outbound_listeners(resolver.compute_scope(second, workload)) == (
        resolver.outbound_listeners(resolver.compute_scope(first, same))
    )
    sidecar = second.sidecars[0]
    assert sidecar.locate("metadata.name") == first.sidecars[0].locate("metadata.name")
    assert sidecar.locate("metadata.name") is not None


def test_the_cache_is_private_to_the_user(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    mesh_cache.load_mesh(dump(tmp_path), directory=folder)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    (entry,) = entries(folder)
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600
    assert stat.S_IMODE((folder / "secret").stat().st_mode) == 0o600
    assert not list(folder.glob(".writing-*"))


def test_the_default_directory_follows_xdg_cache_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert mesh_cache.cache_directory() == tmp_path / "sidecar-model"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    assert mesh_cache.cache_directory() == Path.home() / ".cache" / "sidecar-model"


def test_a_changed_input_is_loaded_again(tmp_path: Path) -> None:
    path = dump(tmp_path)
    folder = tmp_path / "cache"
    mesh_cache.load_mesh(path, directory=folder)
    changed = TEXT.replace("name: productpage", "name: product", 1)
    assert changed != TEXT
    dump(tmp_path, changed)
    mesh = mesh_cache.load_mesh(path, directory=folder)
    assert fields(mesh) == fields(sm.Mesh.load(path))
    assert len(entries(folder)) == 2


def test_the_key_covers_content_options_and_not_times(tmp_path: Path) -> None:
    path = dump(tmp_path)
    key = mesh_cache.key_of([path])
    assert key is not None
    os.utime(path, (1, 1))
    assert mesh_cache.key_of([path]) == key
    assert mesh_cache.key_of([path], limits=Limits(max_size=10**6)) != key
    assert mesh_cache.key_of([path], strict=False) != key
    assert mesh_cache.key_of([path], config=sm.MeshConfig(root_namespace="other")) != key
    assert mesh_cache.key_of(["-"]) is None
    assert mesh_cache.key_of([str(tmp_path / "missing.yaml")]) is None


def test_a_tampered_entry_is_not_unpickled_and_is_deleted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = dump(tmp_path)
    folder = tmp_path / "cache"
    mesh_cache.load_mesh(path, directory=folder)
    (entry,) = entries(folder)
    content = bytearray(entry.read_bytes())
    content[-10] ^= 0xFF
    entry.write_bytes(bytes(content))
    unpickled: list[bool] = []
    original = mesh_cache._Unpickler.load

    def recording(self: pickle.Unpickler) -> object:
        unpickled.append(True)
        return original(self)

    monkeypatch.setattr(mesh_cache._Unpickler, "load", recording)
    key = mesh_cache.key_of([path])
    assert key is not None
    assert mesh_cache.read(key, folder) is None
    assert not unpickled
    assert not entry.exists()


def test_an_entry_signed_with_another_secret_is_refused(tmp_path: Path) -> None:
    path = dump(tmp_path)
    folder = tmp_path / "cache"
    mesh_cache.load_mesh(path, directory=folder)
    (folder / "secret").write_bytes(b"x" * 32)  # as if the entry came from elsewhere
    key = mesh_cache.key_of([path])
    assert key is not None
    assert mesh_cache.read(key, folder) is None


class _Evil:
    def __reduce__(self) -> tuple[Callable[..., object], tuple[object, ...]]:
        return os.getcwd, ()


def test_a_signed_entry_can_build_only_library_values(tmp_path: Path) -> None:
    path = dump(tmp_path)
    folder = tmp_path / "cache"
    mesh_cache.load_mesh(path, directory=folder)
    key = mesh_cache.key_of([path])
    assert key is not None
    secret = (folder / "secret").read_bytes()
    payload = pickle.dumps(_Evil(), protocol=5)
    signed = hmac.new(secret, mesh_cache._MAGIC, hashlib.sha256)
    for part in (key, len(payload).to_bytes(8, "big"), payload):
        signed.update(part)
    forged = mesh_cache._MAGIC + key + len(payload).to_bytes(8, "big") + signed.digest()
    (entry,) = entries(folder)
    entry.write_bytes(forged + payload)
    with pytest.raises(pickle.UnpicklingError, match="may not appear"):
        mesh_cache._Unpickler(io.BytesIO(payload)).load()
    assert mesh_cache.read(key, folder) is None
    assert not entry.exists()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_a_directory_others_may_write_is_not_used(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    folder.mkdir(mode=0o700)
    folder.chmod(0o777)
    with pytest.warns(mesh_cache.CacheWarning, match="chmod 700"):
        mesh = mesh_cache.load_mesh(dump(tmp_path), directory=folder)
    assert mesh.workloads
    assert not entries(folder)
    assert not (folder / "secret").exists()


def test_only_the_newest_entries_are_kept(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    for number in range(mesh_cache.KEEP + 2):
        path = tmp_path / f"m{number}.yaml"
        path.write_text(
            TEXT.replace("name: productpage", f"name: page{number}", 1), encoding="utf-8"
        )
        mesh_cache.load_mesh(str(path), directory=folder)
    assert len(entries(folder)) == mesh_cache.KEEP
    assert mesh_cache.clear(folder) == mesh_cache.KEEP + 1  # and the secret
    assert not entries(folder)


# --------------------------------------------------------------------------- the command


def test_the_command_caches_unless_told_not_to(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "home"))
    folder = tmp_path / "home" / "sidecar-model"
    path = dump(tmp_path)
    assert cli.main(["explain", "--no-cache", "-w", WORKLOAD, path]) == 0
    fresh = capsys.readouterr().out
    assert not folder.exists()
    assert cli.main(["explain", "-w", WORKLOAD, path]) == 0
    assert capsys.readouterr().out == fresh
    assert len(entries(folder)) == 1

    def refuse(*_args: object, **_kwargs: object) -> object:
        msg = "loaded the inputs"
        raise AssertionError(msg)

    monkeypatch.setattr(sm.Mesh, "from_resources", refuse)
    assert cli.main(["explain", "-w", WORKLOAD, path]) == 0
    assert capsys.readouterr().out == fresh


def test_profile_prints_each_phase_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = dump(tmp_path)
    assert cli.main(["analyze", "-v", path]) in {0, 1}
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert lines[0] == "timing (CPU s / wall s):"
    names = [line.split()[0] for line in lines[1:]]
    assert names == ["load", "analyse", "render", "cache", "total"]
    assert cli.main(["explain", "--profile", "--no-cache", "-w", WORKLOAD, path]) == 0
    names = [line.split()[0] for line in capsys.readouterr().err.splitlines()[1:]]
    assert names == ["load", "resolve", "render", "total"]


def test_max_size_refuses_a_larger_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = dump(tmp_path)
    assert cli.main(["validate", "--max-size", "0.001", path]) == cli.EXIT_USAGE
    assert "more than the limit of 1048" in capsys.readouterr().err
    assert cli.main(["analyze", "--max-size", "0.001", path]) == cli.EXIT_USAGE
    assert "more than the limit of 1048" in capsys.readouterr().err
    assert cli.main(["validate", "--max-size", "1", path]) == 0
    assert cli.main(["validate", "--max-size", "none", path]) == cli.EXIT_USAGE
    assert "is not a positive number of MiB" in capsys.readouterr().err


def test_the_default_limit_admits_a_realistic_dump_of_a_large_mesh() -> None:
    # 50,000 Pods with injected proxies, about 11 KB each as kubectl prints them.
    assert Limits().max_size >= 50_000 * 11_000 + 10 * 1024 * 1024


def test_the_command_ends_its_process_after_flushing(tmp_path: Path) -> None:
    path = dump(tmp_path)
    piped = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "sidecar_model", "explain", "-w", WORKLOAD, "-o", "json", path],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert piped.returncode == 0
    assert piped.stdout.rstrip().endswith("}")  # all of it, though teardown was skipped
    missing = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "sidecar_model", "explain", "-w", "no/such", path],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert missing.returncode == cli.EXIT_USAGE
    assert "no workload 'no/such'" in missing.stderr


def test_a_reader_waits_for_an_entry_being_written(tmp_path: Path) -> None:
    path = dump(tmp_path)
    folder = tmp_path / "cache"
    mesh = mesh_cache.load_mesh(path, directory=folder)
    key = mesh_cache.key_of([path])
    assert key is not None
    (entry,) = entries(folder)
    entry.unlink()
    marker = folder / f".writing-{key.hex()}-other"
    marker.write_bytes(b"")  # as another process's unfinished entry

    def finish_writing() -> None:
        time.sleep(0.2)
        mesh_cache.write(key, mesh, folder)
        marker.unlink()

    writer = threading.Thread(target=finish_writing)
    writer.start()
    try:
        found = mesh_cache.read(key, folder)
    finally:
        writer.join()
    assert found is not None
    assert fields(found) == fields(mesh)


def test_a_writer_that_died_long_ago_is_not_waited_for(tmp_path: Path) -> None:
    path = dump(tmp_path)
    folder = tmp_path / "cache"
    mesh_cache.load_mesh(path, directory=folder)
    key = mesh_cache.key_of([path])
    assert key is not None
    (entry,) = entries(folder)
    entry.unlink()
    marker = folder / f".writing-{key.hex()}-dead"
    marker.write_bytes(b"")
    os.utime(marker, (1, 1))
    assert mesh_cache.read(key, folder) is None
    mesh_cache.load_mesh(path, directory=folder)  # a write clears what dead writers left
    assert not marker.exists()
    assert len(entries(folder)) == 1
