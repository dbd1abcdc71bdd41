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
MAX_NAME_BYTES = 255  # one component: the limit of ext4, NTFS (in UTF-16 units), APFS
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


# Names Windows reserves for devices, whatever their extension ("NUL.txt" is the device
# too, and so is "nul .txt": Windows drops spaces before the dot); the superscript digits
# count as digits there.
_DEVICE_NAMES = frozenset(
    ["con", "prn", "aux", "nul", "conin$", "conout$", "clock$"]
    + [f"{device}{digit}" for device in ("com", "lpt") for digit in "0123456789\u00b9\u00b2\u00b3"]
)
# Characters Windows refuses in a name; ':' would also name a drive ("C:") or an NTFS
# alternate data stream ("file.txt:stream").
_WINDOWS_FORBIDDEN = frozenset('<>:"|?*')
# Unicode categories that change how a name is shown without being visible: controls (Cc),
# format characters (Cf: the bidi overrides U+202A-U+202E and isolates U+2066-U+2069,
# zero-width characters, U+FEFF), line and paragraph separators (Zl, Zp), surrogates (Cs).
_INVISIBLE_CATEGORIES = frozenset(["Cc", "Cf", "Zl", "Zp", "Cs"])


def portable_key(path: str) -> str:
    """The form under which two paths name the same file on a case-insensitive system
    (Windows, macOS by default): NFC, case-folded, NFC again."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", path).casefold())


def _component_problem(part: str) -> str | None:
    if part in ("", ".", ".."):
        return "the path has an empty, '.' or '..' component"
    if len(part.encode("utf-8")) > MAX_NAME_BYTES:
        return f"the name {part!r} is longer than {MAX_NAME_BYTES} bytes"
    forbidden = sorted(_WINDOWS_FORBIDDEN.intersection(part))
    if forbidden:
        return (
            f"the name {part!r} contains {forbidden[0]!r} (a drive letter, a stream or a "
            "character Windows refuses)"
        )
    if part.endswith((".", " ")):
        return f"the name {part!r} ends with a dot or a space"
    if part.split(".", 1)[0].rstrip(" ").casefold() in _DEVICE_NAMES:
        return f"the name {part!r} is a device name on Windows"
    return None


def path_problem(path: str) -> str | None:
    """Why ``path`` cannot name a file in a package, or None when it can.

    A path that stays inside the folder it is opened into and means the same file on any
    system: relative, ``/``-separated, NFC; no empty, ``.`` or ``..`` component; no
    backslash; no control, format (bidi) or separator character; no ``<>:"|?*`` (drive
    letters, NTFS streams); no Windows device name (``CON``, ``NUL.txt``, ``COM1``...); no
    component ending in a dot or a space, none longer than 255 UTF-8 bytes.
    """
    if not path:
        return "the path is empty"
    if len(path.encode("utf-8", "surrogatepass")) > MAX_PATH_BYTES:
        return f"the path is longer than {MAX_PATH_BYTES} bytes"
    invisible = next((c for c in path if unicodedata.category(c) in _INVISIBLE_CATEGORIES), None)
    if invisible is not None:
        return (
            f"the path contains U+{ord(invisible):04X}, a control, format (bidi) or separator "
            "character, or an undecodable byte"
        )
    if "\\" in path:
        return "the path contains a backslash"
    if unicodedata.normalize("NFC", path) != path:
        return "the path is not in Unicode NFC form"
    if path.startswith("/"):
        return "the path is absolute"
    for part in path.split("/"):
        problem = _component_problem(part)
        if problem:
            return problem
    return None


def layout_problem(paths: Iterable[str]) -> str | None:
    """Why these paths cannot be files of one package: duplicates, a file used as a folder,
    compared as a case-insensitive system compares them (see :func:`portable_key`)."""
    seen: dict[str, str] = {}
    folders: dict[str, str] = {}
    for path in paths:
        key = portable_key(path)
        if key in seen:
            if seen[key] == path:
                return f"{path} appears twice"
            return f"{seen[key]} and {path} differ only in case"
        seen[key] = path
        parts, keys = path.split("/"), key.split("/")
        for i in range(1, len(parts)):
            folder = "/".join(parts[:i])
            earlier = folders.setdefault("/".join(keys[:i]), folder)
            if earlier != folder:
                return f"the folders {earlier} and {folder} differ only in case"
    clash = sorted(set(seen) & set(folders))
    if clash:
        file, folder = seen[clash[0]], folders[clash[0]]
        if file == folder:
            return f"{file} is both a file and a folder"
        return f"{file} is a file and {folder} a folder, which differ only in case"
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
