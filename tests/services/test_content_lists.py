"""Hash lists shared between States, on in-process nodes (Austria, Viet Nam, South Africa):
a list published by Austria is imported by Viet Nam and matches there, with its origin; a
withdrawal propagates and the hash stops matching on both; a tampered list, or one from an
unknown or revoked signer, is refused with nothing imported."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from hanoix.content.lists import ListedHash, dump_document, sign_list
from hanoix.errors import ConflictError, InputError, VerificationError
from hanoix.evidence import keys
from hanoix.federation.directory import revoke_key
from hanoix.services import content, content_lists
from hanoix.services.custody import CustodyLedger
from hanoix.services.requests import user_named
from hanoix.store import content as store
from hanoix.store import federation as fed_store
from tests.content.images import edited_copies, encode, scene, unrelated
from tests.federation.builders import Member, Network, rng
from tests.services.exchange_world import deliver, exchange_network


@pytest.fixture
def net(tmp_path: Path) -> Iterator[Network]:
    network = exchange_network(tmp_path)
    yield network
    network.close()


def _case(member: Member, *, consent: list[str], article: int = 16) -> str:
    drafter = user_named(member.node, "drafter")
    case = content.open_case(
        member.node, drafter, article=article, victim_ref="v-hidden-42", consent=consent
    )
    content.add_content(member.node, drafter, case.reference, [("scene.png", encode(scene()))])
    return case.reference


def _match(member: Member, data: bytes) -> list[dict[str, object]]:
    [result] = content.match(member.node, user_named(member.node, "drafter"), [("q", data)])
    return [m.as_dict() for m in result.matches]


def _held(member: Member) -> list[store.HeldList]:
    with member.node.reading() as session:
        return store.held_lists(session)


def _published(net: Network) -> str:
    a = net["a"]
    _case(a, consent=["hash", "share"])
    content_lists.publish(a.node, user_named(a.node, "drafter"), ["vnm"])
    deliver(net)
    return a.origin


def test_a_published_list_is_imported_and_matches_with_its_origin_never_the_victim(
    net: Network,
) -> None:
    origin = _published(net)
    resized = edited_copies()["resized"]
    found = _match(net["v"], resized)
    assert found == [
        {
            "case": None,
            "list": "AUT:AUT-CA",
            "signal": "pdq",
            "distance": found[0]["distance"],
            "origin": origin,
        }
    ]
    assert _match(net["v"], encode(unrelated())) == []
    assert _match(net["z"], resized) == []  # South Africa was not chosen
    [held] = _held(net["v"])
    assert (held.name, held.serial, held.entries, held.origin) == ("AUT:AUT-CA", 1, 3, origin)
    for member in (net["a"], net["v"]):
        entries = [
            e.entry if isinstance(e.entry, str) else e.entry.decode()
            for e in CustodyLedger(member.node).entries()
        ]
        assert all("v-hidden-42" not in e for e in entries)
        assert any('"content.list-' in e for e in entries)
    with net["v"].node.reading() as session:
        inbox = fed_store.list_inbox(session, None, pending_only=False, limit=100)
    assert all("v-hidden-42" not in (i.payload or "") for i in inbox)


def test_a_pictures_cropped_windows_travel_and_a_cropped_copy_matches_abroad(
    net: Network,
) -> None:
    from tests.content.images import cropped_copies

    _published(net)
    v = net["v"]
    for name, copy in cropped_copies().items():
        found = _match(v, copy)
        assert [(m["list"], m["signal"]) for m in found] == [("AUT:AUT-CA", "pdq")], name
    # The windows went in a list in parts (the previous release's reader refuses the member).
    with v.node.reading() as session:
        [entry] = [e for e in store.imported_pdq_entries(session)]
    assert len(entry.crops) == 35


def test_a_withdrawal_propagates_urgently_and_the_hash_matches_nowhere(net: Network) -> None:
    _published(net)
    a, v = net["a"], net["v"]
    pdq = next(m for m in _match(a, encode(scene())) if m["signal"] == "pdq")
    assert pdq
    from hanoix.content.signals import hash_content

    value = hash_content(encode(scene())).pdq.value  # type: ignore[union-attr]
    done = content_lists.withdraw(a.node, user_named(a.node, "drafter"), value, "victim")
    assert done.told == (v.origin,) and len(done.local) == 1
    with a.node.reading() as session:
        [queued] = [
            i for i in fed_store.list_outbox(session, limit=100) if i.type == "content.withdrawal"
        ]
    assert queued.urgent
    resized = edited_copies()["resized"]
    cropped = edited_copies()["cropped-5-left"]
    assert _match(a, resized) == _match(a, cropped) == []  # at once, before any delivery
    deliver(net)
    assert _match(v, resized) == _match(v, cropped) == []  # the windows went with the hash
    assert {m["signal"] for m in _match(v, encode(scene()))} == {"sha256", "md5"}
    [held] = _held(v)
    assert (held.entries, held.withdrawn) == (2, 1)


def test_a_withdrawal_that_overtakes_its_list_still_stands(net: Network) -> None:
    a, v = net["a"], net["v"]
    _case(a, consent=["hash", "share"])
    drafter = user_named(a.node, "drafter")
    content_lists.publish(a.node, drafter, ["VNM"])
    from hanoix.content.signals import hash_content

    value = hash_content(encode(scene())).sha256
    content_lists.withdraw(a.node, drafter, value, "mistake")
    deliver(net)  # the urgent withdrawal goes first
    assert {m["signal"] for m in _match(v, encode(scene()))} == {"md5", "pdq"}


def _forged(
    net: Network,
    change: object = None,
    *,
    signer: keys.SigningKey | None = None,
    origin: str | None = None,
    serial: int = 1,
) -> bytes:
    a = net["a"]
    [document] = content_lists.export_signed(a.node, user_named(a.node, "drafter"))
    signed = content_lists.read_document(document)
    hash_list = replace(signed.hash_list, serial=serial, origin=origin or signed.hash_list.origin)
    if signer is None:
        with a.node.reading() as session:
            identity = a.federation.identity(session)
            signer = identity.signing_key(a.federation.require_directory(session), a.clock.now())
    document = sign_list(hash_list, signer)
    if change is not None:
        change(document)  # type: ignore[operator]
    return dump_document(document)


def _import(member: Member, data: bytes) -> content_lists.ImportResult:
    return content_lists.import_file(member.node, user_named(member.node, "drafter"), data, "f")


def test_tampered_unknown_and_revoked_signers_lists_are_refused_with_nothing_imported(
    net: Network,
) -> None:
    a, v = net["a"], net["v"]
    _case(a, consent=["hash", "share"])
    _case(a, consent=["none"], article=14)
    tampered = _forged(net, lambda d: d["list"]["entries"][0].update(article=14))
    with pytest.raises(VerificationError, match="altered"):
        _import(v, tampered)
    stranger = keys.generate("aut.hanoix.test", "AUT", rng(5))[0]
    with pytest.raises(VerificationError, match="step 3"):
        _import(v, _forged(net, signer=stranger))
    with pytest.raises(VerificationError, match="unknown signer"):
        _import(v, _forged(net, origin="elsewhere.hanoix.test"))
    assert _held(v) == []
    assert _match(v, encode(scene())) == []
    with pytest.raises(InputError, match="own"):
        _import(a, _forged(net))
    good = _import(v, _forged(net))
    assert good.added == 3 and good.serial == 1
    assert _import(v, _forged(net)).repeat
    assert _import(v, _forged(net, serial=2)).serial == 2
    with pytest.raises(ConflictError, match="older"):
        _import(v, _forged(net, serial=1))
    # Once the directory revokes the key, every list it signed is refused.
    later = _forged(net, serial=3)
    with a.node.reading() as session:
        key_id = (
            a.federation.identity(session)
            .signing_key(a.federation.require_directory(session), a.clock.now())
            .public.key_id
        )
    assert net.directory is not None
    net.publish(revoke_key(net.directory, a.origin, key_id, a.clock.now(), "stolen"))
    with pytest.raises(VerificationError, match="revoked"):
        _import(v, later)
    [held] = _held(v)
    assert held.serial == 2


def test_a_low_quality_pdq_entry_is_refused_and_reported(net: Network) -> None:
    v = net["v"]

    def low(document: dict[str, object]) -> None:
        entries = document["list"]["entries"]  # type: ignore[index]
        entries.append(ListedHash("pdq", "1" * 64, 10, 16, net["a"].clock.now()).as_dict())

    _case(net["a"], consent=["hash", "share"])
    data = _forged(net, low)
    # Signed after the change: a low-quality entry is refused, not the whole list.
    [signed] = content_lists.read_file(data, "f")
    a = net["a"]
    with a.node.reading() as session:
        signer = a.federation.identity(session).signing_key(
            a.federation.require_directory(session), a.clock.now()
        )
    result = _import(v, dump_document(sign_list(signed.hash_list, signer)))
    assert result.added == 3 and len(result.refused) == 1 and "quality 10" in result.refused[0]


def test_an_art_16_case_without_consent_to_share_stays_home_and_bad_input_is_named(
    net: Network,
) -> None:
    a = net["a"]
    drafter = user_named(a.node, "drafter")
    _case(a, consent=["hash"])
    published = content_lists.publish(a.node, drafter, ["VNM"])
    assert published.entries == 0 and published.serial == 1
    deliver(net)
    assert _match(net["v"], encode(scene())) == []
    # A list written to a file takes a serial of its own: never one a node already holds.
    assert content_lists.export_signed(a.node, drafter)[0]["list"]["serial"] == 2
    assert content_lists.publish(a.node, drafter, ["VNM"]).serial == 3
    with pytest.raises(InputError, match="XYZ"):
        content_lists.publish(a.node, drafter, ["VNM", "XYZ"])
    with pytest.raises(InputError, match="court-order"):
        content_lists.withdraw(a.node, drafter, "ab" * 32, "because")
    with pytest.raises(InputError, match="no entry in force"):
        content_lists.withdraw(a.node, drafter, "ab" * 32, "mistake")
    with pytest.raises(InputError, match="not a hash"):
        content_lists.withdraw(a.node, drafter, "not-hex", "mistake")
    with a.node.reading() as session:
        assert [i.type for i in fed_store.list_outbox(session, limit=100)].count(
            "content.list"
        ) == 2
        assert [s.serial for s in store.shares(session, "AUT:AUT-CA")] == [2, 3]


# --- lists of any size ------------------------------------------------------------------------

#: Parts of 48 KiB: some 300 entries each, so that a few thousand entries make a dozen parts
#: (a node's default is 600 KiB, about 3,800 entries a part).
SMALL_PARTS = 48 * 1024


def many_digests(member: Member, count: int) -> list[bytes]:
    """An Art. 14 case of ``count`` files' digests (the files' bytes are made up: hashing
    thousands of pictures would take minutes), and the files. benchmarks/content.py uses it
    too."""
    import hashlib

    from hanoix.content.cases import HashEntry, case_number

    drafter = user_named(member.node, "drafter")
    case = content.open_case(
        member.node, drafter, article=14, victim_ref="c-many-1", consent=["none"]
    )
    files = [f"file {n}".encode() for n in range(count)]
    with member.node.unit_of_work() as session:
        store.add_entries(
            session,
            case_number(case.reference),
            [
                HashEntry(case.reference, "local", "sha256", hashlib.sha256(data).hexdigest())
                for data in files
            ],
            member.clock.now(),
        )
    return files


def _outbox(member: Member) -> list[fed_store.OutboxItem]:
    with member.node.reading() as session:
        return fed_store.list_outbox(session, limit=1000)


def test_a_list_of_thousands_travels_in_parts_and_is_imported_whole_on_the_other_node(
    net: Network,
) -> None:
    a, v = net["a"], net["v"]
    files = many_digests(a, 3000)
    drafter = user_named(a.node, "drafter")
    published = content_lists.publish(a.node, drafter, ["VNM"], part_bytes=SMALL_PARTS)
    assert published.entries == 3000 and published.parts > 5
    assert [i.type for i in _outbox(a)].count("content.list") == published.parts
    # A withdrawal queued after the list's parts goes out before them (urgent).
    done = content_lists.withdraw(a.node, drafter, _sha(files[7]), "court-order")
    assert done.told == (v.origin,)
    assert _outbox(a)[0].type == "content.withdrawal"
    deliver(net)
    [held] = _held(v)
    assert (held.serial, held.entries, held.withdrawn) == (1, 2999, 1)
    assert {m["signal"] for m in _match(v, files[2999])} == {"sha256"}
    assert _match(v, files[7]) == []
    assert content_lists.show_lists(v.node, user_named(v.node, "drafter"))["incomplete"] == []


def _sha(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def test_a_missing_part_leaves_nothing_imported_and_is_reported_until_it_comes(
    net: Network,
) -> None:
    from sqlalchemy import update

    from hanoix.store.federation import OutboxRow

    a, v = net["a"], net["v"]
    files = many_digests(a, 2000)
    published = content_lists.publish(
        a.node, user_named(a.node, "drafter"), ["VNM"], part_bytes=SMALL_PARTS
    )
    third = [i for i in _outbox(a) if i.type == "content.list"][2]
    with a.node.unit_of_work() as session:  # the third part is lost on the way
        session.execute(update(OutboxRow).where(OutboxRow.seq == third.seq).values(status="failed"))
    deliver(net)
    assert _held(v) == []
    assert _match(v, files[0]) == []
    [pending] = content_lists.show_lists(v.node, user_named(v.node, "drafter"))["incomplete"]
    assert pending["missing"] == [3] and pending["received"] == published.parts - 1
    with a.node.unit_of_work() as session:
        session.execute(
            update(OutboxRow).where(OutboxRow.seq == third.seq).values(status="pending")
        )
    deliver(net)
    [held] = _held(v)
    assert held.entries == 2000
    assert content_lists.show_lists(v.node, user_named(v.node, "drafter"))["incomplete"] == []


def test_a_file_of_parts_with_one_missing_is_refused_saying_which(net: Network) -> None:
    import json

    from hanoix.content.lists import IncompleteListError

    a, v = net["a"], net["v"]
    many_digests(a, 1500)
    parts = content_lists.export_signed(
        a.node, user_named(a.node, "drafter"), part_bytes=SMALL_PARTS
    )
    assert len(parts) > 3
    data = json.dumps(parts[:1] + parts[2:]).encode()
    with pytest.raises(IncompleteListError, match=r"part 2 of \d+ missing; nothing was imported"):
        _import(v, data)
    for lone in (json.dumps(parts[:1]), json.dumps(parts[1])):  # one part is not the list
        with pytest.raises(IncompleteListError, match="missing; nothing was imported"):
            _import(v, lone.encode())
    assert _held(v) == []
    assert _import(v, json.dumps(parts).encode()).added == 1500


def test_a_listed_video_travels_with_its_frames_and_matches_a_reencoded_copy_abroad(
    net: Network,
) -> None:
    from tests.content.videos import original, other, reencoded, require_vpdq

    require_vpdq()
    a, v = net["a"], net["v"]
    drafter = user_named(a.node, "drafter")
    case = content.open_case(
        a.node, drafter, article=16, victim_ref="v-vid-9", consent=["hash", "share"]
    )
    [added] = content.add_content(a.node, drafter, case.reference, [("clip.mp4", original())])
    assert added.vpdq is not None
    published = content_lists.publish(a.node, drafter, ["VNM"])
    assert published.entries == 3 and published.parts == 1  # SHA-256, MD5, vPDQ
    deliver(net)
    copy = _match(v, reencoded())
    assert [(m["signal"], m["origin"], m["case"]) for m in copy] == [("vpdq", a.origin, None)]
    assert copy[0]["vpdq"] == {"query_percent": 100.0, "compared_percent": 100.0}
    assert _match(v, other()) == []
    # Withdrawn by its publisher, the video stops matching on the node that holds the list.
    content_lists.withdraw(a.node, drafter, added.vpdq["digest"], "victim")
    deliver(net)
    assert _match(v, reencoded()) == []
    assert _match(a, reencoded()) == []
