"""Portable names: a manifest path stays inside the folder it is opened into and names the
same file on Linux, macOS and Windows; the sealer and the opener both hold the rule."""

from __future__ import annotations

import importlib
import json
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hanoix.evidence import PackageVerificationError, SourceError
from hanoix.evidence.format import MalformedError
from hanoix.evidence.manifest import (
    MAX_NOTE,
    layout_problem,
    parse_manifest,
    path_problem,
    portable_key,
)
from tests.evidence.helpers import authority, open_bytes, seal_bytes

# The module, not the function that hanoix.evidence exports under the same name.
seal_module = importlib.import_module("hanoix.evidence.seal")

SENDER = authority(21)
RECEIVER = authority(22, "Police", "VNM")

REFUSED = [
    ("C:/evil.txt", "drive letter"),
    ("c:evil.txt", "drive letter"),
    ("file.txt:stream", "stream"),
    ("case/file.txt::$DATA", "stream"),
    ("CON", "device name"),
    ("case/con", "device name"),
    ("NUL.txt", "device name"),
    ("nul .txt", "device name"),
    ("Com1.tar.gz", "device name"),
    ("LPT9", "device name"),
    ("COM\u00b9", "device name"),
    ("aux/readme", "device name"),
    ("CONOUT$", "device name"),
    ("report.", "ends with a dot or a space"),
    ("report ", "ends with a dot or a space"),
    ("folder./a", "ends with a dot or a space"),
    ("invoice\u202etxt.exe", "U\\+202E"),
    ("a\u2066b", "U\\+2066"),
    ("zero\u200bwidth", "U\\+200B"),
    ("\ufeffbom", "U\\+FEFF"),
    ("line\u2028break", "U\\+2028"),
    ("c1\u0085control", "U\\+0085"),
    ("bell\x07", "control"),
    ("what?", "Windows refuses"),
    ('quote"d', "Windows refuses"),
    ("a|b", "Windows refuses"),
    ("x" * 256, "longer than 255 bytes"),
    ("\u00e9" * 128, "longer than 255 bytes"),
    ("../escape", "'..'"),
    ("/etc/passwd", "absolute"),
    ("back\\slash", "backslash"),
    ("e\u0301", "NFC"),
]

ACCEPTED = [
    "hello.txt",
    "case/disk/image.dd",
    "bằng chứng/tệp tin.txt",
    "证据/文件.pdf",
    "CONSOLE.txt",  # a device name only when the whole stem is one
    "com10",
    "nullify",
    "con-2026/notes",
    ".hidden",
    "a.b.c",
    "x" * 255,
    "\ue000private-use",
]


@pytest.mark.parametrize(("path", "why"), REFUSED)
def test_a_path_that_is_not_portable_is_named_and_refused(path: str, why: str) -> None:
    problem = path_problem(path)
    assert problem is not None
    assert re.search(why, problem), problem


@pytest.mark.parametrize("path", ACCEPTED)
def test_a_portable_path_is_accepted(path: str) -> None:
    assert path_problem(path) is None


@pytest.mark.parametrize(
    ("paths", "why"),
    [
        (["Case/A.txt", "case/a.txt"], "differ only in case"),
        (["straße.txt", "STRASSE.txt"], "differ only in case"),
        (
            ["\u212bngstr\u00f6m", "\u00e5ngstr\u00f6m"],
            "differ only in case",
        ),  # U+212B, the Angstrom sign
        (["README", "readme/notes"], "differ only in case"),
        (["Photos/a.jpg", "photos/b.jpg"], "the folders Photos and photos"),
        (["same", "same"], "appears twice"),
        (["a", "a/b"], "both a file and a folder"),
    ],
)
def test_paths_equal_on_a_case_insensitive_system_are_refused(paths: list[str], why: str) -> None:
    problem = layout_problem(paths)
    assert problem is not None and why in problem, problem


def test_distinct_paths_pass_the_layout_rule() -> None:
    assert layout_problem(["Case/a.txt", "Case/b.txt", "other/a.txt", "Case/sub/a.txt"]) is None


@pytest.mark.parametrize(("path", "why"), REFUSED[:12] + REFUSED[16:18])
def test_the_sealer_refuses_a_path_that_is_not_portable(path: str, why: str) -> None:
    with pytest.raises(SourceError, match=why):
        seal_bytes({path: b"x"}, SENDER, [RECEIVER])


def test_the_sealer_refuses_names_that_differ_only_in_case() -> None:
    with pytest.raises(SourceError, match="differ only in case"):
        seal_bytes({"case/A.txt": b"1", "case/a.txt": b"2"}, SENDER, [RECEIVER])


def _sealed_without_the_rule(monkeypatch: pytest.MonkeyPatch, files: dict[str, bytes]) -> bytes:
    """A package as a careless (or hostile) sealer would write it."""
    with monkeypatch.context() as patch:
        patch.setattr(seal_module, "path_problem", lambda _path: None)
        patch.setattr(seal_module, "layout_problem", lambda _paths: None)
        package, _ = seal_bytes(files, SENDER, [RECEIVER])
    return package


@pytest.mark.parametrize(
    "files",
    [
        {"C:/evil.txt": b"x"},
        {"file.txt:stream": b"x"},
        {"CON": b"x"},
        {"aux.c": b"x"},
        {"invoice\u202etxt.exe": b"x"},
        {"report.": b"x"},
        {"Case/A.txt": b"1", "case/a.txt": b"2"},
    ],
)
def test_the_opener_refuses_a_manifest_with_a_name_that_is_not_portable(
    monkeypatch: pytest.MonkeyPatch, files: dict[str, bytes]
) -> None:
    package = _sealed_without_the_rule(monkeypatch, files)
    with pytest.raises(PackageVerificationError, match="step 10") as raised:
        open_bytes(package, RECEIVER, sender=SENDER.sender)
    assert "manifest" in str(raised.value)


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=40))
def test_an_accepted_path_stays_inside_and_has_one_spelling(path: str) -> None:
    if path_problem(path) is not None:
        return
    parts = path.split("/")
    assert all(p not in ("", ".", "..") and ":" not in p for p in parts)
    assert not path.startswith("/") and "\\" not in path
    assert not any(p.endswith((".", " ")) for p in parts)
    assert portable_key(portable_key(path)) == portable_key(path)


# --- each refusal of a manifest named exactly (what open reports for a package's manifest) ---


def _manifest(**changes: Any) -> dict[str, Any]:
    entry = {
        "path": "disk/a.img",
        "size": 5,
        "modified": "2026-01-02T03:04:05.678000Z",
        "sha256": "ab" * 32,
    }
    manifest: dict[str, Any] = {
        "files": [entry],
        "note": "seized",
        "examiner": "ngo",
        "generator": "hanoix",
    }
    for key, value in changes.items():
        if key.startswith("file_"):
            entry[key.removeprefix("file_")] = value
        else:
            manifest[key] = value
    return manifest


def _refusal(manifest: dict[str, Any]) -> tuple[str, str | None]:
    with pytest.raises(MalformedError) as refused:
        parse_manifest(json.dumps(manifest).encode())
    return refused.value.message, refused.value.field


def test_a_manifest_is_read_with_what_it_says() -> None:
    read = parse_manifest(json.dumps(_manifest()).encode())
    assert (read.note, read.examiner, read.generator) == ("seized", "ngo", "hanoix")
    (entry,) = read.files
    assert (entry.path, entry.size, entry.sha256) == ("disk/a.img", 5, b"\xab" * 32)
    longest = parse_manifest(json.dumps(_manifest(note="n" * MAX_NOTE, examiner=None)).encode())
    assert (len(longest.note or ""), longest.examiner) == (MAX_NOTE, None)
    assert parse_manifest(json.dumps(_manifest(note=None)).encode()).note is None


@pytest.mark.parametrize(
    ("changes", "message", "field"),
    [
        ({"files": {}}, "manifest.files must be a list", "manifest"),
        ({"files": [5]}, "manifest.files[0] must be an object", "manifest"),
        (
            {"file_path": "../x"},
            "manifest.files[0].path '../x': the path has an empty, '.' or '..' component",
            "manifest",
        ),
        ({"file_path": 5}, "manifest.files[0].path 5: the path is not a string", "manifest"),
        (
            {"file_sha256": "AB" * 32},
            "manifest.files[0].sha256 must be 64 lower-case hex digits",
            "manifest",
        ),
        (
            {"file_sha256": "ab" * 31},
            "manifest.files[0].sha256 must be 64 lower-case hex digits",
            "manifest",
        ),
        ({"file_sha256": "zz" * 32}, "manifest.files[0].sha256 is not hex", "manifest"),
        (
            {"file_size": -1},
            "manifest.files[0].size must be an integer from 0 to 9223372036854775807",
            "manifest.files[0]",
        ),
        (
            {"file_modified": "yesterday"},
            "manifest.files[0].modified must be an RFC 3339 UTC time ending in Z",
            "manifest.files[0].modified",
        ),
        (
            {"file_colour": "red"},
            "manifest.files[0] has unknown members colour",
            "manifest.files[0]",
        ),
        (
            {"note": ""},
            f"manifest.note must be null or a non-empty string of at most {MAX_NOTE} characters",
            "manifest",
        ),
        (
            {"note": "n" * (MAX_NOTE + 1)},
            f"manifest.note must be null or a non-empty string of at most {MAX_NOTE} characters",
            "manifest",
        ),
        (
            {"generator": None},
            "manifest.generator must be a non-empty string (<= 1000)",
            "manifest",
        ),
    ],
)
def test_each_refusal_of_a_manifest_names_what_is_wrong(
    changes: dict[str, Any], message: str, field: str
) -> None:
    assert _refusal(_manifest(**changes)) == (message, field)


def test_a_file_listed_twice_is_refused_by_its_path() -> None:
    manifest = _manifest()
    manifest["files"] = manifest["files"] * 2
    assert _refusal(manifest) == ("manifest.files: disk/a.img appears twice", "manifest")
