"""Evidence packages on the file system: large files through the streaming writer, durable
opened files, nothing left behind when opening fails."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from hanoix.evidence import EvidenceInputError, PackageVerificationError
from hanoix.services import evidence
from hanoix.store import files
from tests.evidence.helpers import authority, seal_folder

SENDER = authority(11)
RECEIVER = authority(12, "Police", "VNM")


def _seal(folder: Path, package: Path) -> None:
    seal_folder(folder, package, SENDER, RECEIVER)


def test_files_larger_than_a_block_round_trip(tmp_path: Path) -> None:
    source = tmp_path / "case"
    (source / "disk").mkdir(parents=True)
    big = random.Random(1).randbytes(files.BLOCK_SIZE + 3 * 1024 * 1024 + 5)
    (source / "disk" / "image.dd").write_bytes(big)
    (source / "notes.txt").write_text("seized 2026-11-20")
    package = tmp_path / "case.hxp"
    _seal(source, package)
    evidence.verify_file(package)
    opened = evidence.open_file(package, RECEIVER.decryption, tmp_path / "out")
    assert (tmp_path / "out" / "case" / "disk" / "image.dd").read_bytes() == big
    assert (tmp_path / "out" / "case" / "notes.txt").read_text() == "seized 2026-11-20"
    assert [f.path for f in opened.manifest.files] == ["case/disk/image.dd", "case/notes.txt"]


def test_every_opened_file_is_fsynced_before_it_is_put_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "case"
    source.mkdir()
    for name in ("a.txt", "b.txt", "c.bin"):
        (source / name).write_bytes(name.encode() * 1000)
    package = tmp_path / "case.hxp"
    _seal(source, package)
    synced: list[str] = []
    real_fsync = os.fsync

    def spy(fd: int) -> None:
        synced.append(str(Path(f"/proc/self/fd/{fd}").readlink()))
        real_fsync(fd)

    monkeypatch.setattr(files.os, "fsync", spy)
    evidence.open_file(package, RECEIVER.decryption, tmp_path / "out")
    synced_names = {Path(p).name for p in synced}
    assert {"a.txt", "b.txt", "c.bin"} <= synced_names
    # They were fsynced while still staged, then the staging folder became the target.
    assert all(".out.opening-" in p for p in synced if Path(p).name in {"a.txt", "c.bin"})
    assert sorted(p.name for p in (tmp_path / "out" / "case").iterdir()) == [
        "a.txt",
        "b.txt",
        "c.bin",
    ]


def test_a_tampered_large_package_leaves_nothing(tmp_path: Path) -> None:
    source = tmp_path / "case"
    source.mkdir()
    (source / "image.dd").write_bytes(random.Random(2).randbytes(files.BLOCK_SIZE + 10))
    package = tmp_path / "case.hxp"
    _seal(source, package)
    data = bytearray(package.read_bytes())
    data[len(data) // 2] ^= 0x01
    package.write_bytes(bytes(data))
    with pytest.raises(PackageVerificationError, match="chunk"):
        evidence.open_file(package, RECEIVER.decryption, tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case", "case.hxp"]


def test_open_into_an_existing_folder_adds_files_and_syncs_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "case"
    source.mkdir()
    (source / "a.txt").write_text("a")
    package = tmp_path / "case.hxp"
    _seal(source, package)
    out = tmp_path / "out"
    out.mkdir()
    (out / "earlier.txt").write_text("kept")
    synced: list[str] = []
    real_fsync = os.fsync

    def spy(fd: int) -> None:
        synced.append(str(Path(f"/proc/self/fd/{fd}").readlink()))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", spy)
    evidence.open_file(package, RECEIVER.decryption, out)
    assert (out / "case" / "a.txt").read_text() == "a"
    assert (out / "earlier.txt").read_text() == "kept"
    assert str((out / "case").resolve()) in synced


def _outside_and_package(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A package of case/sub/a.txt, an existing output folder, and a folder outside it."""
    source = tmp_path / "case"
    (source / "sub").mkdir(parents=True)
    (source / "sub" / "a.txt").write_text("a")
    package = tmp_path / "case.hxp"
    _seal(source, package)
    out = tmp_path / "out"
    out.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    return package, out, outside


@pytest.mark.parametrize("link", ["case", "case/sub"])
def test_a_symlinked_subfolder_of_an_existing_folder_is_refused(tmp_path: Path, link: str) -> None:
    package, out, outside = _outside_and_package(tmp_path)
    (out / link).parent.mkdir(parents=True, exist_ok=True)
    (out / link).symlink_to(outside, target_is_directory=True)
    with pytest.raises(EvidenceInputError, match="is a symbolic link or not a folder"):
        evidence.open_file(package, RECEIVER.decryption, out)
    assert list(outside.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case", "case.hxp", "out", "outside"]


def test_a_symlink_in_place_of_a_file_is_not_written_through(tmp_path: Path) -> None:
    package, out, outside = _outside_and_package(tmp_path)
    (out / "case" / "sub").mkdir(parents=True)
    (out / "case" / "sub" / "a.txt").symlink_to(outside / "a.txt")  # dangling
    with pytest.raises(EvidenceInputError, match="exists already"):
        evidence.open_file(package, RECEIVER.decryption, out)
    assert list(outside.iterdir()) == []


def test_a_symlink_planted_while_opening_is_refused_at_commit(tmp_path: Path) -> None:
    package, out, outside = _outside_and_package(tmp_path)

    def plant(_done: int) -> None:
        # After every file was checked free and staged: the moment before the move.
        if not (out / "case").exists():
            (out / "case").symlink_to(outside, target_is_directory=True)
            (outside / "sub").mkdir()

    with pytest.raises(EvidenceInputError, match="is a symbolic link or not a folder"):
        evidence.open_file(package, RECEIVER.decryption, out, progress=plant)
    assert [p.name for p in outside.iterdir()] == ["sub"]
    assert list((outside / "sub").iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case", "case.hxp", "out", "outside"]


@pytest.mark.parametrize("where", [0.001, 0.3, 0.7, 0.9999])
def test_a_package_file_altered_anywhere_opens_nothing(tmp_path: Path, where: float) -> None:
    source = tmp_path / "case"
    source.mkdir()
    (source / "a.bin").write_bytes(random.Random(3).randbytes(3 * 1024 * 1024 + 7))
    (source / "b.txt").write_text("b")
    package = tmp_path / "case.hxp"
    _seal(source, package)
    data = bytearray(package.read_bytes())
    data[int(len(data) * where)] ^= 0x40
    package.write_bytes(bytes(data))
    with pytest.raises((PackageVerificationError, EvidenceInputError)):
        evidence.open_file(package, RECEIVER.decryption, tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case", "case.hxp"]


def test_a_truncated_package_file_opens_nothing(tmp_path: Path) -> None:
    source = tmp_path / "case"
    source.mkdir()
    (source / "a.bin").write_bytes(random.Random(4).randbytes(2 * 1024 * 1024))
    package = tmp_path / "case.hxp"
    _seal(source, package)
    data = package.read_bytes()
    package.write_bytes(data[: len(data) // 2] + data[-4096:])
    with pytest.raises((PackageVerificationError, EvidenceInputError)):
        evidence.open_file(package, RECEIVER.decryption, tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case", "case.hxp"]


def test_a_folder_given_as_the_package_is_named(tmp_path: Path) -> None:
    with pytest.raises(EvidenceInputError, match="is a folder, not a package file"):
        evidence.verify_file(tmp_path)
    with pytest.raises(EvidenceInputError, match="is a folder, not a package file"):
        evidence.open_file(tmp_path, RECEIVER.decryption, tmp_path / "out")
    assert list(tmp_path.iterdir()) == []
