"""The signed hash list: it reads back as signed, and any change to it is caught."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from hanoix.content.cases import CaseArticle
from hanoix.content.lists import (
    HashList,
    IncompleteListError,
    ListedHash,
    WithdrawalReason,
    WithdrawnHash,
    assemble,
    check_quality,
    dump_document,
    may_share,
    read_document,
    read_file,
    sign_list,
    sign_parts,
)
from hanoix.content.video import VideoFrame, VpdqHash
from hanoix.errors import FileFormatError, VerificationError
from hanoix.evidence import keys
from tests.federation.builders import rng

WHEN = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
PDQ_VALUE = "f" * 16 + "0" * 48
SHA = "ab" * 32


def _list(serial: int = 1) -> HashList:
    return HashList(
        "aut.hanoix.test",
        "AUT",
        "AUT-CA",
        serial,
        WHEN,
        (
            ListedHash("pdq", PDQ_VALUE, 92, 16, WHEN),
            ListedHash("sha256", SHA, None, 14, WHEN),
        ),
        (WithdrawnHash("md5", "cd" * 16, WHEN, WithdrawalReason.COURT_ORDER),),
    )


def _signer(seed: int = 1) -> keys.SigningKey:
    return keys.generate("aut.hanoix.test", "AUT", rng(seed))[0]


def test_a_signed_list_reads_back_and_verifies_with_its_signers_key() -> None:
    signer = _signer()
    data = dump_document(sign_list(_list(), signer))
    [signed] = read_file(data, "aut.json")
    assert signed.key_id == signer.public.key_id
    assert signed.verify(signer.public) == _list()
    assert signed.hash_list.name == "AUT:AUT-CA"


def test_a_changed_entry_or_another_key_does_not_verify() -> None:
    signer = _signer()
    document = sign_list(_list(), signer)
    document["list"]["entries"][0]["value"] = "0" * 64
    with pytest.raises(VerificationError, match="altered"):
        read_document(document).verify(signer.public)
    intact = read_document(sign_list(_list(), signer))
    with pytest.raises(VerificationError, match="not"):
        intact.verify(_signer(2).public)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda d: d["list"]["entries"][0].update(value="xyz"), "hex"),
        (lambda d: d["list"]["entries"][0].update(article=7), "article 7"),
        (lambda d: d["list"]["entries"][1].update(quality=50), "only a PDQ"),
        (lambda d: d["list"]["entries"][0].update(victim_ref="v-1"), "unknown victim_ref"),
        (lambda d: d["list"]["withdrawn"][0].update(reason="whim"), "court-order"),
        (lambda d: d["list"]["entries"].append(dict(d["list"]["entries"][0])), "twice"),
        (lambda d: d.update(format="other/1"), "format"),
    ],
)
def test_a_malformed_list_is_refused_saying_what_is_wrong(change: object, words: str) -> None:
    document = json.loads(json.dumps(sign_list(_list(), _signer())))
    change(document)  # type: ignore[operator]
    with pytest.raises(FileFormatError, match=words):
        read_document(document)


def test_a_low_quality_pdq_entry_is_refused_and_the_rule_of_sharing() -> None:
    low = ListedHash("pdq", PDQ_VALUE, 20, 16, WHEN)
    assert check_quality(low, 50) is not None and "quality 20" in (check_quality(low, 50) or "")
    assert check_quality(_list().entries[0], 50) is None
    assert may_share(CaseArticle.CHILD_SEXUAL_ABUSE_MATERIAL, [])
    assert not may_share(CaseArticle.NON_CONSENSUAL_INTIMATE_IMAGES, ["hash"])
    assert may_share(CaseArticle.NON_CONSENSUAL_INTIMATE_IMAGES, ["hash", "share"])


# --- lists in parts, and videos -------------------------------------------------------------


def _frames(seed: int, count: int = 6) -> tuple[VideoFrame, ...]:
    import random

    rng = random.Random(seed)
    return tuple(VideoFrame(f"{rng.getrandbits(256):064x}", 80, n, float(n)) for n in range(count))


def _big(count: int, *, videos: int = 0) -> HashList:
    entries = [ListedHash("sha256", f"{n:064x}", None, 14, WHEN) for n in range(count)]
    for n in range(videos):
        frames = _frames(n)
        entries.append(ListedHash("vpdq", VpdqHash(frames).digest, None, 16, WHEN, frames))
    withdrawn = (WithdrawnHash("md5", "cd" * 16, WHEN, WithdrawalReason.VICTIM),)
    return HashList("aut.hanoix.test", "AUT", "AUT-CA", 4, WHEN, tuple(entries), withdrawn)


def test_a_list_larger_than_a_part_travels_in_signed_numbered_parts_and_reads_back_whole() -> None:
    signer = _signer()
    whole = _big(2000, videos=2)
    documents = sign_parts(whole, signer, 32 * 1024)
    assert len(documents) > 5
    assert {d["format"] for d in documents} == {"hanoix-hash-list/2"}
    parts = read_file(dump_document(documents), "parts.json")
    assert all(p.verify(signer.public) for p in parts)
    assert [p.part.number for p in parts] == list(range(1, len(documents) + 1))
    assert {(p.part.parts, p.part.entries, p.part.withdrawn) for p in parts} == {
        (len(documents), 2002, 1)
    }
    assert assemble(list(reversed(parts))) == whole
    video = assemble(parts).entries[-1]
    assert video.signal == "vpdq" and [f.pdq for f in video.frames] == [f.pdq for f in _frames(1)]
    # A small list without videos stays one hanoix-hash-list/1 document, as before.
    [single] = sign_parts(_list(), signer, 32 * 1024)
    assert single["format"] == "hanoix-hash-list/1"


def test_a_missing_or_foreign_part_makes_nothing_of_the_list() -> None:
    signer = _signer()
    parts = [read_document(d) for d in sign_parts(_big(2000), signer, 32 * 1024)]
    with pytest.raises(IncompleteListError, match=r"part 3 of \d+ missing; nothing"):
        assemble(parts[:2] + parts[3:])
    other = [read_document(d) for d in sign_parts(replace(_big(2000), serial=5), signer, 32 * 1024)]
    with pytest.raises(IncompleteListError, match="does not belong"):
        assemble(parts[:1] + other[1:])
    # A part whose totals were changed no longer verifies: the totals are signed.
    document = sign_parts(_big(2000), signer, 32 * 1024)[0]
    document["list"]["total"]["entries"] = 10
    with pytest.raises(VerificationError, match="altered"):
        read_document(document).verify(signer.public)


def test_a_pictures_cropped_windows_travel_in_parts_only_and_are_checked() -> None:
    signer = _signer()
    windows = tuple(f"{i:064x}" for i in range(1, 36))
    cropped = replace(_list(), entries=(replace(_list().entries[0], crops=windows),))
    [document] = sign_parts(cropped, signer, 32 * 1024)
    assert document["format"] == "hanoix-hash-list/2"
    assert read_document(document).verify(signer.public).entries[0].crops == windows
    # The version 1 document, for nodes of the previous release, goes without them.
    assert "crops" not in json.dumps(sign_list(cropped, signer))
    for bad, message in (
        (["XYZ"], "64 lower-case hex digits"),
        ([], "a list of 1 to 100"),
        ("00", "a list of 1 to 100"),
    ):
        forged = json.loads(json.dumps(document))
        forged["list"]["entries"][0]["crops"] = bad
        with pytest.raises(FileFormatError, match=message):
            read_document(forged)
    one = json.loads(json.dumps(sign_list(_list(), signer)))
    one["list"]["entries"][0]["crops"] = list(windows)
    with pytest.raises(FileFormatError, match="travel in hanoix-hash-list/2 only"):
        read_document(one)


def test_a_video_entry_must_carry_the_frames_its_value_is_the_digest_of() -> None:
    signer = _signer()
    [document] = sign_parts(_big(1, videos=1), signer, 32 * 1024)
    forged = json.loads(json.dumps(document))
    forged["list"]["entries"][-1]["frames"][0] = "0" * 64 + ",90,0.000"
    with pytest.raises(FileFormatError, match="SHA-256 of the video's frames"):
        read_document(forged)
    forged["list"]["entries"][-1]["frames"][0] = "zz,90,0.000"
    with pytest.raises(FileFormatError, match="frame 1 is not"):
        read_document(forged)
    one = json.loads(json.dumps(sign_list(_list(), signer)))
    one["list"]["entries"].append(document["list"]["entries"][-1])
    with pytest.raises(FileFormatError, match="hanoix-hash-list/2 only"):
        read_document(one)
