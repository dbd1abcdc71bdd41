"""The signed hash list: it reads back as signed, and any change to it is caught."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from hanoix.content.cases import CaseArticle
from hanoix.content.lists import (
    HashList,
    ListedHash,
    WithdrawalReason,
    WithdrawnHash,
    check_quality,
    dump_document,
    may_share,
    read_document,
    read_file,
    sign_list,
)
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
