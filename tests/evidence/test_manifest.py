"""Portable names: a manifest path stays inside the folder it is opened into and names the
same file on Linux, macOS and Windows; the sealer and the opener both hold the rule."""

from __future__ import annotations

import importlib
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hanoix.evidence import PackageVerificationError, SourceError
from hanoix.evidence.manifest import layout_problem, path_problem, portable_key
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
