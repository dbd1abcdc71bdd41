"""The field's list formats: what this node writes is read back by Meta's ``threatexchange``
library as its own local file and StopNCII records, and what platforms send is read here."""

from __future__ import annotations

import enum
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hanoix.content.formats import (
    read_ncmec,
    read_stopncii,
    read_te_file,
    write_ncmec,
    write_stopncii,
    write_te_file,
)
from hanoix.content.lists import ListedHash, WithdrawalReason, WithdrawnHash
from hanoix.errors import FileFormatError, InputError

WHEN = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
PDQ = "f0" * 32
MD5 = "ab" * 16
ENTRIES = [
    ListedHash("pdq", PDQ, 90, 16, WHEN),
    ListedHash("md5", MD5, None, 16, WHEN),
    ListedHash("sha256", "cd" * 32, None, 16, WHEN),  # no name in these formats
]


def test_the_local_file_is_read_by_threatexchanges_own_file_exchange(tmp_path: Path) -> None:
    from threatexchange.exchanges.impl.file_api import (
        FileCollaborationConfig,
        LocalFileSignalExchangeAPI,
    )

    path = tmp_path / "list.txt"
    path.write_bytes(write_te_file(ENTRIES))
    api = LocalFileSignalExchangeAPI(FileCollaborationConfig(filename=str(path), name="aut"))
    [delta] = list(api.fetch_iter([], None))
    assert set(delta.updates) == {("pdq", PDQ), ("video_md5", MD5)}
    assert read_te_file(path.read_bytes(), "list.txt") == [("pdq", PDQ), ("md5", MD5)]


def test_stopncii_records_are_read_by_threatexchanges_stopncii_client() -> None:
    import dacite
    from threatexchange.exchanges.clients.stopncii.api import FetchHashesResponse

    withdrawn = [WithdrawnHash("pdq", "0f" * 32, WHEN, WithdrawalReason.VICTIM)]
    document = json.loads(write_stopncii(ENTRIES, withdrawn, WHEN))
    parsed = dacite.from_dict(FetchHashesResponse, document, dacite.Config(cast=[enum.Enum, set]))
    statuses = {(r.signalType.value, r.hashStatus.value) for r in parsed.hashRecords}
    assert statuses == {("ImagePDQ", "Active"), ("VideoMD5", "Active"), ("ImagePDQ", "Withdrawn")}
    back = read_stopncii(json.dumps(document).encode(), "f")
    assert back.in_force == (("pdq", PDQ), ("md5", MD5)) and back.withdrawn == (("pdq", "0f" * 32),)


def test_platform_feedback_is_read_in_both_of_stopnciis_shapes() -> None:
    records = {
        "hashRecords": [
            {"signalType": "ImagePDQ", "hashValue": PDQ.upper(), "hashStatus": "Active",
             "CSPFeedbacks": [{"feedbackValue": "Blocked", "tags": ["ncii"], "source": "P"}]}
        ]
    }  # fmt: skip
    [report] = read_stopncii(json.dumps(records).encode(), "f").feedback
    assert (report.signal, report.value, report.verdict, report.source) == (
        "pdq",
        PDQ,
        "blocked",
        "P",
    )
    submitted = {"count": 1, "hashFeedbacks": [{"hashValue": MD5, "feedbackValue": "NotBlocked"}]}
    [report] = read_stopncii(json.dumps(submitted).encode(), "f").feedback
    assert (report.signal, report.value, report.verdict) == (None, MD5, "not-blocked")


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"pdq 1234\n", "64 lower-case hex"),
        (b"tmk " + b"a" * 64 + b"\n", "not one this node matches"),
        (b"\xff\xfe", "not a text file"),
    ],
)
def test_a_bad_local_file_names_the_line_and_what_to_fix(data: bytes, words: str) -> None:
    with pytest.raises(FileFormatError, match=words):
        read_te_file(data, "list.txt")


def test_a_bad_stopncii_document_says_what_is_wrong() -> None:
    with pytest.raises(FileFormatError, match="hashRecords or hashFeedbacks"):
        read_stopncii(b"{}", "f")
    bad = {"hashRecords": [{"signalType": "ImagePDQ", "hashValue": PDQ, "hashStatus": "Gone"}]}
    with pytest.raises(FileFormatError, match="Received, Active or Withdrawn"):
        read_stopncii(json.dumps(bad).encode(), "f")


def test_ncmec_entries_are_read_by_threatexchanges_ncmec_client() -> None:
    import xml.etree.ElementTree as ET

    from threatexchange.exchanges.clients.ncmec.hash_api import GetEntriesResponse, _XMLWrapper

    withdrawn = [WithdrawnHash("md5", "0f" * 16, WHEN, WithdrawalReason.MISTAKE)]
    data = write_ncmec(ENTRIES, withdrawn, WHEN, "AUT-CA")
    parsed = GetEntriesResponse.from_xml(_XMLWrapper(ET.fromstring(data)), 0)
    seen = {(u.entry_type.value, u.deleted, tuple(u.fingerprints.items())) for u in parsed.updates}
    assert seen == {
        ("image", False, (("pdq", PDQ),)),
        ("video", False, (("md5", MD5),)),
        ("video", True, (("md5", "0f" * 16),)),
    }
    assert parsed.max_timestamp == int(WHEN.timestamp())
    assert read_ncmec(data, "f") == ([("pdq", PDQ), ("md5", MD5)], [("md5", "0f" * 16)])
    with pytest.raises(FileFormatError, match="DOCTYPE"):
        read_ncmec(b'<!DOCTYPE x [<!ENTITY a "b">]><queryResult/>', "f")
    with pytest.raises(FileFormatError, match="queryResult"):
        read_ncmec(b"<other/>", "f")


def test_a_videos_vpdq_hash_goes_in_the_local_file_as_threatexchanges_vpdq_signal(
    tmp_path: Path,
) -> None:
    from threatexchange.exchanges.impl.file_api import (
        FileCollaborationConfig,
        LocalFileSignalExchangeAPI,
    )
    from threatexchange.extensions.vpdq.vpdq_util import json_to_vpdq

    from hanoix.content.video import VideoFrame, VpdqHash

    frames = tuple(VideoFrame(f"{n:x}" * 64, 90, n, float(n)) for n in range(1, 4))
    video = VpdqHash(frames)
    entries = [*ENTRIES, ListedHash("vpdq", video.digest, None, 16, WHEN, frames)]
    path = tmp_path / "list.txt"
    path.write_bytes(write_te_file(entries))
    api = LocalFileSignalExchangeAPI(FileCollaborationConfig(filename=str(path), name="aut"))
    [delta] = list(api.fetch_iter([], None))
    [(_, value)] = [key for key in delta.updates if key[0] == "vpdq"]
    assert [(f.pdq_hex, f.quality, f.timestamp) for f in json_to_vpdq(value)] == [
        (f.pdq, f.quality, f.timestamp) for f in frames
    ]
    videos: dict[str, tuple[VideoFrame, ...]] = {}
    assert read_te_file(path.read_bytes(), "list.txt", videos)[-1] == ("vpdq", video.digest)
    assert [f.pdq for f in videos[video.digest]] == [f.pdq for f in frames]
    with pytest.raises(FileFormatError, match="line 1: a vpdq value"):
        read_te_file(b'vpdq ["nothex,90,0.000"]\n', "bad.txt")


def test_votes_are_named_as_threatexchanges_ncmec_client_and_opinions_name_them() -> None:
    from threatexchange.exchanges.clients.ncmec.hash_api import FeedbackType
    from threatexchange.exchanges.fetch_state import SignalOpinionCategory

    from hanoix.content.formats import VOTES, check_vote

    assert {FeedbackType(vote).value for vote in VOTES} == {"upvote", "downvote"}
    assert SignalOpinionCategory[VOTES["upvote"]] is SignalOpinionCategory.POSITIVE_CLASS
    assert SignalOpinionCategory[VOTES["downvote"]] is SignalOpinionCategory.NEGATIVE_CLASS
    vote = check_vote("PDQ", PDQ.upper(), "downvote", "  not abuse material ")
    assert (vote.signal, vote.value, vote.reason) == ("pdq", PDQ, "not abuse material")
    for signal, value, kind, reason, words in (
        ("sha1", PDQ, "upvote", None, "give sha256"),
        ("md5", PDQ, "upvote", None, "32 hex digits"),
        ("pdq", "zz" * 32, "upvote", None, "64 hex digits"),
        ("pdq", PDQ, "like", None, "upvote or downvote"),
        ("pdq", PDQ, "upvote", "why", "downvote only"),
        ("pdq", PDQ, "downvote", "x" * 201, "at most 200"),
    ):
        with pytest.raises(InputError, match=words):
            check_vote(signal, value, kind, reason)
