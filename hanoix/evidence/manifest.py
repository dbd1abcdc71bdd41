"""The encrypted manifest: the files of a package and the sender's sensitive notes.

Its plaintext is RFC 8785 canonical JSON; it travels encrypted in the trailer, so someone
without a recipient key learns the package's sizes and parties but no file name.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hanoix.evidence.format import (
    HASH_SIZE,
    MalformedError,
    canonical_json,
    check_members,
    format_time,
    get_int,
    get_text,
    parse_time,
    strict_json_object,
)

MAX_PATH_BYTES = 4096
MAX_NOTE = 10_000


@dataclass(frozen=True)
class FileEntry:
    """One file of the package; files follow each other in the payload in manifest order."""

    path: str
    size: int
    modified: datetime
    sha256: bytes

    def as_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "size": self.size,
            "modified": format_time(self.modified),
            "sha256": self.sha256.hex(),
        }


@dataclass(frozen=True)
class Manifest:
    files: tuple[FileEntry, ...]
    note: str | None = None
    examiner: str | None = None
    generator: str = "hanoix"

    @property
    def plaintext_bytes(self) -> int:
        return sum(f.size for f in self.files)

    def encode(self) -> bytes:
        return canonical_json(
            {
                "files": [f.as_json() for f in self.files],
                "note": self.note,
                "examiner": self.examiner,
                "generator": self.generator,
            }
        )


def path_problem(path: str) -> str | None:
    """Why ``path`` cannot name a file in a package, or None when it can.

    Relative, ``/``-separated, NFC, no empty, ``.`` or ``..`` component, no backslash and no
    control character: a path that stays inside the folder it is opened into, on any system.
    """
    if not path:
        return "the path is empty"
    if len(path.encode("utf-8", "surrogatepass")) > MAX_PATH_BYTES:
        return f"the path is longer than {MAX_PATH_BYTES} bytes"
    if any(ord(c) < 0x20 or ord(c) == 0x7F or 0xD800 <= ord(c) <= 0xDFFF for c in path):
        return "the path contains a control character or an undecodable byte"
    if "\\" in path:
        return "the path contains a backslash"
    if unicodedata.normalize("NFC", path) != path:
        return "the path is not in Unicode NFC form"
    if path.startswith("/"):
        return "the path is absolute"
    if any(part in ("", ".", "..") for part in path.split("/")):
        return "the path has an empty, '.' or '..' component"
    return None


def layout_problem(paths: Iterable[str]) -> str | None:
    """Why these paths cannot be files of one package (duplicates, a file used as a folder)."""
    seen: set[str] = set()
    folders: set[str] = set()
    for path in paths:
        if path in seen:
            return f"{path} appears twice"
        seen.add(path)
        parts = path.split("/")
        folders.update("/".join(parts[:i]) for i in range(1, len(parts)))
    clash = sorted(seen & folders)
    if clash:
        return f"{clash[0]} is both a file and a folder"
    return None


def parse_manifest(data: bytes) -> Manifest:
    obj = strict_json_object(data, "manifest")
    check_members(obj, {"files", "note", "examiner", "generator"}, set(), "manifest")
    raw_files = obj["files"]
    if not isinstance(raw_files, list):
        raise MalformedError("manifest.files must be a list", "manifest")
    files = []
    for i, raw in enumerate(raw_files):
        where = f"manifest.files[{i}]"
        if not isinstance(raw, dict):
            raise MalformedError(f"{where} must be an object", "manifest")
        check_members(raw, {"path", "size", "modified", "sha256"}, set(), where)
        path = raw["path"]
        problem = path_problem(path) if isinstance(path, str) else "the path is not a string"
        if problem:
            raise MalformedError(f"{where}.path {path!r}: {problem}", "manifest")
        digest = raw["sha256"]
        if not isinstance(digest, str) or len(digest) != 2 * HASH_SIZE or digest != digest.lower():
            raise MalformedError(f"{where}.sha256 must be 64 lower-case hex digits", "manifest")
        try:
            digest_bytes = bytes.fromhex(digest)
        except ValueError as exc:
            raise MalformedError(f"{where}.sha256 is not hex", "manifest") from exc
        files.append(
            FileEntry(
                path=path,
                size=get_int(raw, "size", where, low=0, high=2**63 - 1),
                modified=parse_time(raw["modified"], f"{where}.modified"),
                sha256=digest_bytes,
            )
        )
    problem = layout_problem(f.path for f in files)
    if problem:
        raise MalformedError(f"manifest.files: {problem}", "manifest")
    note = obj["note"]
    if note is not None and (not isinstance(note, str) or not note or len(note) > MAX_NOTE):
        raise MalformedError(
            f"manifest.note must be null or a non-empty string of at most {MAX_NOTE} characters",
            "manifest",
        )
    return Manifest(
        files=tuple(files),
        note=note,
        examiner=get_text(obj, "examiner", "manifest", optional=True),
        generator=str(get_text(obj, "generator", "manifest")),
    )
