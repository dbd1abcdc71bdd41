"""The custody ledger service: the one interface through which every module records custody.

Recording happens inside the caller's unit of work, so a change and its custody entry commit
together or not at all::

    from hanoix.services import custody

    with node.unit_of_work() as session:
        package = ...  # the state change
        custody.record(session, CustodyEvent(EventKind.PACKAGE_SEALED, ...), clock=node.clock)

Everything else (signed checkpoints, proofs, verifying the whole log, witnessing peers) is on
:class:`CustodyLedger`, built from a :class:`~hanoix.services.node.Node`. The log signs with an
Ed25519 key kept in ``keys/ledger.key`` (mode 0600, made on first use or by ``hanoix init``)
under the node's origin: ``settings.origin`` if set, else one derived from the home once and
remembered in the database (a log's origin never changes). The node cosigns peers' checkpoints
with a second key, ``keys/witness.key``, named ``<origin>/witness``.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)
from sqlalchemy.orm import Session

from hanoix.clock import Clock, SystemClock
from hanoix.config import Settings
from hanoix.errors import ConfigurationError, PermissionDeniedError, Problem
from hanoix.ledger import subjects
from hanoix.ledger.checkpoint import (
    Checkpoint,
    NoteSigner,
    NoteVerifier,
    SignedCheckpoint,
    check_key_name,
    open_checkpoint,
    parse_note,
    sign_checkpoint,
)
from hanoix.ledger.errors import (
    CheckpointError,
    InvalidProofError,
    LogInconsistencyError,
    MalformedKeyError,
    ProofRangeError,
    SplitViewError,
)
from hanoix.ledger.events import CustodyEvent, EventKind
from hanoix.ledger.merkle import (
    consistency_proof,
    leaves_and_inclusion_proofs,
    root_hash,
    verify_consistency,
    verify_inclusion,
)
from hanoix.ledger.proofs import ConsistencyProof, InclusionProof
from hanoix.ledger.witness import (
    CosignatureVerifier,
    Cosigner,
    SplitViewEvidence,
    WitnessedCheckpoint,
    check_same_view,
    witness_checkpoint,
)
from hanoix.logs import get_logger
from hanoix.requests import Role, User
from hanoix.services.node import Node, register_init_step
from hanoix.signer import Ed25519Signer
from hanoix.store import federation as federation_store
from hanoix.store import ledger as store
from hanoix.store.keys import KeyStore, token_key
from hanoix.store.meta import get_meta, set_meta
from hanoix.store.requests import Visibility, visible_references

LEDGER_KEY_FILE = "ledger.key"
WITNESS_KEY_FILE = "witness.key"
ORIGIN_META_KEY = "ledger.origin"
SUBJECT_KEY_META = "ledger.subject_key"

_log = get_logger(__name__)


# --- recording: the interface every module uses ---------------------------------------------------


def record(session: Session, event: CustodyEvent, *, clock: Clock | None = None) -> int:
    """Append ``event`` to the custody ledger in the caller's unit of work; return its index.

    Nothing is committed here: the entry commits with the caller's transaction, or not at all.
    ``clock`` stamps the time the log received it (the event's own ``at`` is in the entry).
    """
    return record_many(session, [event], clock=clock)[0]


def record_many(
    session: Session, events: Sequence[CustodyEvent], *, clock: Clock | None = None
) -> list[int]:
    """Append several events, in order, as one batch (one lock, two bulk inserts)."""
    return [index for index, _ in record_entries(session, events, clock=clock)]


def record_entries(
    session: Session, events: Sequence[CustodyEvent], *, clock: Clock | None = None
) -> list[tuple[int, CustodyEvent]]:
    """As :func:`record_many`, and each event as the log holds it (requests by pseudonym):
    what a proof of that entry is checked against."""
    if not events:
        return []
    received = (clock or SystemClock()).now()
    key = subject_key(session)
    # Requests are named by their pseudonym (hanoix.ledger.subjects), never in clear.
    concealed = [subjects.conceal(event, key) for event in events]
    result = store.append_many(
        session,
        [event.canonical_bytes() for event in concealed],
        received,
        subjects=[event.subject for event in concealed],
    )
    store.remember_pseudonyms(session, _pseudonyms(events, concealed))
    return list(zip(result.indices, concealed, strict=True))


def _pseudonyms(
    events: Sequence[CustodyEvent], concealed: Sequence[CustodyEvent]
) -> dict[str, str]:
    found: dict[str, str] = {}
    for event, hidden in zip(events, concealed, strict=True):
        pairs = [(event.subject, hidden.subject, subjects.REQUEST_SUBJECT)]
        pairs += [(event.details, hidden.details, name) for name in subjects.REQUEST_DETAILS]
        for clear, pseudonymous, name in pairs:
            value, hidden_value = clear.get(name), pseudonymous.get(name)
            if isinstance(value, str) and isinstance(hidden_value, str) and value != hidden_value:
                found[hidden_value] = value
    return found


def subject_key(session: Session) -> bytes:
    """The node's key for request pseudonyms in the ledger (made once, then kept in the
    database with the requests it hides: whoever reads one reads the other; the API shows
    neither to those who may not see a request). Never disclosed: a court gets one request's
    key (:func:`disclose_request_key`)."""
    stored = get_meta(session, SUBJECT_KEY_META)
    if stored is not None:
        return bytes.fromhex(stored)
    key = secrets.token_bytes(subjects.NODE_KEY_BYTES)
    set_meta(session, SUBJECT_KEY_META, key.hex())
    session.flush()
    return key


@dataclass(frozen=True)
class RequestDisclosure:
    """What a court needs to tie entries to one request, and nothing about any other."""

    reference: str
    pseudonym: str
    request_key: bytes

    def as_dict(self) -> dict[str, str]:
        return {
            "reference": self.reference,
            "pseudonym": self.pseudonym,
            "request_key": self.request_key.hex(),
            "recompute": "HMAC-SHA256(key=request_key, message=UTF-8 reference), lower-case "
            "hex, prefixed 'hmac-sha256:'",
        }


def disclose_request_key(node: Node, reference: str) -> RequestDisclosure:
    """One request's key and pseudonym, for a court (see docs/ledger.md, "Who reads entries")."""
    with node.unit_of_work() as session:
        key = subjects.request_key(subject_key(session), reference)
    return RequestDisclosure(reference, subjects.pseudonym_with(key, reference), key)


# --- identity: origin and keys --------------------------------------------------------------------


def _parse_key(keys: KeyStore, path: Path, pem: bytes) -> Ed25519Signer:
    in_token = token_key(pem, keys.hsm, source=str(path), role="the ledger's key")
    if in_token is not None:
        return in_token.private
    return parse_pem_key(path, pem)


def parse_pem_key(path: Path, pem: bytes) -> Ed25519PrivateKey:
    """The Ed25519 key of the node's PEM key file ``path`` (``ledger.key``, ``witness.key``)."""
    try:
        key = load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise ConfigurationError(f"the key file {path} is not a PEM private key: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigurationError(f"the key file {path} does not hold an Ed25519 key")
    return key


def _new_key_pem() -> bytes:
    key = Ed25519PrivateKey.generate()
    return key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())


def load_or_create_key(keys: KeyStore, name: str) -> Ed25519Signer:
    """Read the Ed25519 key ``name`` in ``keys``, or make one there (mode 0600, atomically).
    The file may instead name a key held in the HSM (docs/hsm.md): it is used there."""
    return _parse_key(keys, keys.path(name), keys.create_private(name, _new_key_pem))


def derived_origin(settings: Settings) -> str:
    """An origin for a node that has none configured: stable for its home, unique in practice."""
    tag = hashlib.sha256(str(settings.home.resolve()).encode()).hexdigest()[:16]
    return f"{(settings.state or 'node').lower()}.hanoix.invalid/ledger/{tag}"


def ledger_origin(settings: Settings, session: Session) -> str:
    """The log's origin: fixed the first time the ledger is used, then never changed."""
    configured = settings.origin
    if configured:
        try:
            check_key_name(configured)
        except MalformedKeyError as exc:
            raise ConfigurationError(f"configuration origin: {exc.message}") from None
    stored = get_meta(session, ORIGIN_META_KEY)
    if stored is None:
        origin = configured or derived_origin(settings)
        set_meta(session, ORIGIN_META_KEY, origin)
        return origin
    if configured and configured != stored:
        raise ConfigurationError(
            f"configuration origin: this node's ledger is {stored!r} and cannot be renamed "
            f"{configured!r}; its checkpoints are signed under that name"
        )
    return stored


@dataclass(frozen=True)
class LogIdentity:
    """The log's origin, its checkpoint signer, and the node's witness cosigner."""

    origin: str
    signer: NoteSigner
    cosigner: Cosigner

    @property
    def verifier(self) -> NoteVerifier:
        return self.signer.verifier()

    @property
    def witness_verifier(self) -> CosignatureVerifier:
        return self.cosigner.verifier()


def load_identity(node: Node, session: Session) -> LogIdentity:
    origin = ledger_origin(node.settings, session)
    signer = NoteSigner(origin, load_or_create_key(node.keys, LEDGER_KEY_FILE))
    cosigner = Cosigner(f"{origin}/witness", load_or_create_key(node.keys, WITNESS_KEY_FILE))
    return LogIdentity(origin, signer, cosigner)


def _init_ledger(node: Node, session: Session) -> dict[str, Any]:
    identity = load_identity(node, session)
    subject_key(session)  # made here, before several writers could race to make it
    return {
        "origin": identity.origin,
        "vkey": identity.verifier.vkey,
        "witness_vkey": identity.witness_verifier.vkey,
    }


register_init_step("ledger", _init_ledger)


# --- reading and verifying ------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerEntry:
    """One entry of the log, as exported: the canonical bytes and where they sit."""

    index: int
    leaf_hash: bytes
    entry: bytes
    appended_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "leaf_hash": self.leaf_hash.hex(),
            "appended_at": self.appended_at.isoformat().replace("+00:00", "Z"),
            "entry": json.loads(self.entry),
        }


@dataclass(frozen=True)
class LedgerReport:
    """The outcome of recomputing the whole log and checking every stored checkpoint."""

    origin: str
    tree_size: int
    root_hash: bytes
    entries: int
    nodes_checked: int
    checkpoints_checked: int
    problems: tuple[Problem, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "tree_size": self.tree_size,
            "root_hash": self.root_hash.hex(),
            "entries": self.entries,
            "nodes_checked": self.nodes_checked,
            "checkpoints_checked": self.checkpoints_checked,
            "verified": not self.problems,
            "problems": [problem.as_dict() for problem in self.problems],
        }


#: Entries about the log and its peers, not about any case: for auditors and administrators.
NODE_EVENTS = frozenset(
    {EventKind.CHECKPOINT_COSIGNED, EventKind.SPLIT_VIEW_DETECTED, EventKind.ENVELOPE_REJECTED}
)


@dataclass(frozen=True)
class ReadableEntries:
    """The entries of a range that a user may read, and how many others the range holds."""

    entries: list[LedgerEntry]
    withheld: int


def readable_entries(node: Node, user: User, start: int, stop: int) -> ReadableEntries:
    """The entries ``start <= index < stop`` that ``user`` may read (docs/ledger.md, "Who
    reads entries"):

    * entries about the log and its peers (:data:`NODE_EVENTS`): auditors and administrators;
    * entries about a request: auditors who may see the request (the requests' one rule,
      :func:`hanoix.requests.check_visible`: a restricted request's only to its handling
      authority's auditors);
    * entries about a package alone: auditors of the authority it was recorded for (or of the
      State, for the node's own records).

    Administrators read no entry about a case. Whoever may not read an entry does not see it;
    its leaf hash stays in every proof, so proofs work for everyone as before.
    """
    _check_reader(user)
    with node.unit_of_work() as session:
        rows = [
            LedgerEntry(row.index, row.leaf_hash, row.entry, row.appended_at)
            for row in store.iter_entries(session, start, stop)
        ]
        return _readable(session, user, rows)


def readable_history(node: Node, user: User, name: str, value: str) -> list[LedgerEntry]:
    """Every entry about one object (:meth:`CustodyLedger.history`) that ``user`` may read,
    by the rules of :func:`readable_entries`. The others are left out and not counted: a count
    of entries about a request the user may not see would tell them it exists."""
    _check_reader(user)
    about = CustodyLedger(node).history(name, value)
    with node.unit_of_work() as session:
        return _readable(session, user, about).entries


def split_view_alerts(node: Node, user: User) -> list[store.StoredSplitView]:
    """The split views this node has detected, for those who read the log's own events
    (:data:`NODE_EVENTS`: auditors and administrators)."""
    _check_reader(user)
    return CustodyLedger(node).split_views()


def _check_reader(user: User) -> None:
    if not user.has_any(frozenset({Role.AUDITOR, Role.ADMINISTRATOR})):
        raise PermissionDeniedError("reading ledger entries needs one of the roles: auditor")


def _readable(session: Session, user: User, rows: list[LedgerEntry]) -> ReadableEntries:
    decoded = [json.loads(row.entry) for row in rows]
    named = [_request_named(entry) for entry in decoded]
    hidden = [value for value in named if value is not None and subjects.is_pseudonym(value)]
    references = store.references_of(session, hidden)
    authority = user.authority
    visible: set[str] = set()
    if authority is not None and Role.AUDITOR in user.roles:
        wanted = [references.get(v, v) for v in named if v is not None]
        visible = visible_references(session, wanted, Visibility(authority.state, authority.code))
    shown = [
        row
        for row, entry, request in zip(rows, decoded, named, strict=True)
        if _may_read(
            user, entry, None if request is None else references.get(request, request), visible
        )
    ]
    return ReadableEntries(shown, len(rows) - len(shown))


def _request_named(entry: dict[str, Any]) -> str | None:
    subject = entry.get("subject")
    value = subject.get(subjects.REQUEST_SUBJECT) if isinstance(subject, dict) else None
    return value if isinstance(value, str) else None


def _may_read(user: User, entry: dict[str, Any], request: str | None, visible: set[str]) -> bool:
    if entry.get("kind") in NODE_EVENTS:
        return True  # the caller is an auditor or an administrator
    authority = user.authority
    if Role.AUDITOR not in user.roles or authority is None:
        return False  # administrators run the node and see no case
    if request is not None:
        return request in visible
    return entry.get("authority") in {authority.code, authority.state}


def _damaged(what: str, cause: InvalidProofError) -> LogInconsistencyError:
    return LogInconsistencyError(
        f"the stored tree does not prove {what} against the checkpoint the log signed "
        f"({cause.message}): the database was changed; run 'hanoix ledger verify'"
    )


@dataclass(frozen=True)
class ReceivedCosignature:
    """A witness's cosignature of one of this log's checkpoints: its signature lines."""

    witness: str
    tree_size: int
    lines: tuple[str, ...]


class CustodyLedger:
    """The node's custody ledger: append, sign checkpoints, prove, verify, witness peers.

    Each method is one use case with its own unit of work, except :func:`record`, which joins
    the caller's.
    """

    # Verifying a note is deterministic: remember the node's own notes once verified.
    _VERIFIED_CACHE = 4096

    def __init__(self, node: Node) -> None:
        self._node = node
        self._identity: LogIdentity | None = None
        self._verified: dict[str, SignedCheckpoint] = {}

    @property
    def node(self) -> Node:
        return self._node

    # identity

    @property
    def identity(self) -> LogIdentity:
        if self._identity is None:
            with self._node.unit_of_work() as session:
                self._identity = load_identity(self._node, session)
        return self._identity

    @property
    def origin(self) -> str:
        return self.identity.origin

    @property
    def verifier(self) -> NoteVerifier:
        """The log's public key: what a court needs to check this node's proofs."""
        return self.identity.verifier

    @property
    def witness_verifier(self) -> CosignatureVerifier:
        return self.identity.witness_verifier

    @property
    def _clock(self) -> Clock:
        return self._node.clock

    # writing

    def append(self, events: Sequence[CustodyEvent]) -> store.AppendResult:
        """Append events, exactly as given, in a unit of work of their own (the CLI's
        ``ledger append``: the operator writes the entry's bytes, and proves them with the same
        file; a request that must not be named in clear is given by its pseudonym, which
        ``hanoix ledger disclose`` prints)."""
        with self._node.unit_of_work() as session:
            return store.append_many(
                session,
                [event.canonical_bytes() for event in events],
                self._clock.now(),
                subjects=[event.subject for event in events],
            )

    # checkpoints

    def head(self) -> store.TreeHead:
        with self._node.unit_of_work() as session:
            return store.tree_head(session)

    def checkpoint(self, size: int | None = None) -> SignedCheckpoint:
        """The signed checkpoint of the tree at ``size`` (default: now), signing it if new."""
        with self._node.unit_of_work() as session:
            return self._checkpoint(session, size)

    def checkpoint_in(self, session: Session, size: int) -> SignedCheckpoint:
        """:meth:`checkpoint` of ``size`` in the caller's unit of work (signed with entries
        appended in it, committed with them)."""
        return self._checkpoint(session, size)

    def checkpoints(self) -> list[SignedCheckpoint]:
        with self._node.unit_of_work() as session:
            return [self._open_own(stored) for stored in store.list_checkpoints(session)]

    def _open_own(self, stored: store.StoredCheckpoint) -> SignedCheckpoint:
        signed = self._verified.get(stored.note)
        if signed is None:
            try:
                signed = open_checkpoint(stored.note, self.verifier)
            except CheckpointError as exc:
                raise LogInconsistencyError(
                    f"the stored checkpoint of size {stored.tree_size} does not verify with the "
                    f"log's key: {exc.message}"
                ) from None
            if len(self._verified) >= self._VERIFIED_CACHE:
                self._verified.clear()
            self._verified[stored.note] = signed
        if signed.size != stored.tree_size or signed.root_hash != stored.root_hash:
            raise LogInconsistencyError(
                f"the stored checkpoint of size {stored.tree_size} does not match its signed note"
            )
        return signed

    def _checkpoint(
        self, session: Session, size: int | None, head: store.TreeHead | None = None
    ) -> SignedCheckpoint:
        if head is None:
            head, stored = store.head_with_checkpoint(session, size)
            size = head.size if size is None else size
        else:
            size = head.size if size is None else size
            stored = store.get_checkpoint(session, size)
        if not 0 <= size <= head.size:
            raise ProofRangeError(
                f"the log holds {head.size} entries: there is no tree of size {size} to sign"
            )
        if stored is not None:
            return self._open_own(stored)
        tree = store.StoredTree(session)
        root = root_hash(tree, size)
        if size == head.size and root != head.root_hash:
            raise LogInconsistencyError(
                f"the stored tree does not give the stored root of size {size}: refusing to sign"
            )
        # A log must never sign a tree inconsistent with one it signed before. Every signed
        # checkpoint is proved consistent with the latest one, so checking against the latest
        # is checking against all; the proof binds the new root to the signed one, which a
        # tampered node cannot fake.
        latest = store.latest_checkpoint(session)
        if latest is not None:
            signed = self._open_own(latest)
            if signed.size > head.size:
                raise LogInconsistencyError(
                    f"the log signed a tree of size {signed.size} but holds {head.size} entries"
                )
            (low, low_root), (high, high_root) = sorted(
                [(size, root), (signed.size, signed.root_hash)]
            )
            try:
                verify_consistency(
                    low, high, low_root, high_root, consistency_proof(tree, low, high)
                )
            except (InvalidProofError, LogInconsistencyError) as exc:
                raise LogInconsistencyError(
                    f"the stored tree no longer agrees with the checkpoint the log signed at "
                    f"size {signed.size} ({exc.message}): refusing to sign; "
                    "run 'hanoix ledger verify'"
                ) from None
        checkpoint = sign_checkpoint(Checkpoint(self.origin, size, root), self.identity.signer)
        store.add_checkpoint(session, size, root, checkpoint.note, self._clock.now())
        return checkpoint

    # proofs

    def prove_inclusion(self, index: int, size: int | None = None) -> InclusionProof:
        """Entry ``index`` is in the tree of ``size`` (default: now), with its checkpoint."""
        return self.prove_inclusions([index], size)[0]

    def prove_inclusions(
        self, indices: Sequence[int], size: int | None = None
    ) -> list[InclusionProof]:
        """:meth:`prove_inclusion` for each of ``indices``, all in the same tree of ``size``
        (default: now) under one checkpoint, read in one unit of work and one read of the
        tree (a request's history proves every step at once). Each proof is checked."""
        with self._node.unit_of_work() as session:
            head, stored = store.head_with_checkpoint(session, size)
            size = head.size if size is None else size
            if size > head.size:
                raise ProofRangeError(
                    f"the log holds {head.size} entries: there is no tree of size {size} yet"
                )
            for index in indices:
                if index < 0 or index >= size:
                    raise ProofRangeError(
                        f"entry {index} is not in the tree of size {size} "
                        f"(its entries are 0 to {size - 1})"
                        if size
                        else "the log is empty: there is no entry to prove"
                    )
            if not indices:
                return []
            if stored is not None:
                checkpoint = self._open_own(stored)
            else:
                checkpoint = self._checkpoint(session, size, head)
            found = leaves_and_inclusion_proofs(store.StoredTree(session), indices, size)
            # Never hand out a proof that does not verify: if it does not, the stored tree no
            # longer matches what the log signed (about the log, not this proof), and nothing
            # signed in this unit of work is kept.
            for index, (leaf, path) in zip(indices, found, strict=True):
                try:
                    verify_inclusion(leaf, index, size, path, checkpoint.root_hash)
                except InvalidProofError as exc:
                    raise _damaged(f"entry {index} in size {size}", exc) from None
        return [
            InclusionProof(index, size, leaf, checkpoint.root_hash, tuple(path), checkpoint.note)
            for index, (leaf, path) in zip(indices, found, strict=True)
        ]

    def prove_consistency(self, old_size: int, new_size: int | None = None) -> ConsistencyProof:
        """The tree of ``old_size`` is a prefix of the tree of ``new_size`` (default: now)."""
        with self._node.unit_of_work() as session:
            head = store.tree_head(session)
            new_size = head.size if new_size is None else new_size
            if new_size > head.size:
                raise ProofRangeError(
                    f"the log holds {head.size} entries: there is no tree of size {new_size} yet"
                )
            if not 0 <= old_size <= new_size:
                raise ProofRangeError(
                    f"no consistency proof from size {old_size} to size {new_size}: "
                    "the first size must be between 0 and the second"
                )
            first = self._checkpoint(session, old_size, head)
            second = self._checkpoint(session, new_size, head)
            path = consistency_proof(store.StoredTree(session), old_size, new_size)
            try:
                verify_consistency(old_size, new_size, first.root_hash, second.root_hash, path)
            except InvalidProofError as exc:
                raise _damaged(f"sizes {old_size} to {new_size}", exc) from None
        return ConsistencyProof(
            old_size,
            new_size,
            first.root_hash,
            second.root_hash,
            tuple(path),
            first.note,
            second.note,
        )

    # the whole log

    def entries(self, start: int = 0, stop: int | None = None) -> Iterator[LedgerEntry]:
        """The entries ``start <= index < stop`` in order (read a chunk at a time)."""
        with self._node.unit_of_work() as session:
            for row in store.iter_entries(session, start, stop):
                yield LedgerEntry(row.index, row.leaf_hash, row.entry, row.appended_at)

    def history(self, name: str, value: str) -> list[LedgerEntry]:
        """Every entry about one object, in order: ``history("package", "sha256:...")`` is a
        package's chain of custody, ``history("request", "AUT-2026-0042")`` a request's life.

        Read through an index; each entry can then be proved with :meth:`prove_inclusion`.
        """
        with self._node.unit_of_work() as session:
            rows = store.entries_about(session, name, value)
            if name == subjects.REQUEST_SUBJECT and not subjects.is_pseudonym(value):
                # Entries since the pseudonyms name it by its pseudonym, earlier ones in clear.
                hidden = subjects.pseudonym(subject_key(session), value)
                rows = sorted(
                    [*rows, *store.entries_about(session, name, hidden)], key=lambda r: r.index
                )
        return [LedgerEntry(r.index, r.leaf_hash, r.entry, r.appended_at) for r in rows]

    def verify(self) -> LedgerReport:
        """Recompute the whole log and check it against every stored checkpoint.

        Raises :class:`LogInconsistencyError` listing every problem found; returns the report
        when there is none.
        """
        verifier = self.verifier
        with self._node.unit_of_work() as session:
            stored = store.list_checkpoints(session)
            result = store.recompute(session, [c.tree_size for c in stored])
        problems = list(result.problems)
        for checkpoint in stored:
            where = f"checkpoint of size {checkpoint.tree_size}"
            try:
                signed = open_checkpoint(checkpoint.note, verifier)
            except CheckpointError as exc:
                problems.append(Problem(message=f"{where}: {exc.message}", field="checkpoints"))
                continue
            if signed.size != checkpoint.tree_size or signed.root_hash != checkpoint.root_hash:
                problems.append(
                    Problem(message=f"{where}: its row differs from its note", field="checkpoints")
                )
            recomputed = result.roots.get(checkpoint.tree_size)
            if recomputed is not None and recomputed != signed.root_hash:
                problems.append(
                    Problem(
                        message=f"{where}: the log signed root {signed.root_hash.hex()} but its "
                        f"entries now give {recomputed.hex()}: the log was changed after signing",
                        field="checkpoints",
                    )
                )
        report = LedgerReport(
            origin=self.origin,
            tree_size=result.tree_size,
            root_hash=result.root_hash,
            entries=result.entries,
            nodes_checked=result.nodes_checked,
            checkpoints_checked=len(stored),
            problems=tuple(problems),
        )
        if problems:
            total = len(problems) - len(result.problems) + result.problems_total
            raise LogInconsistencyError(
                f"the custody ledger {self.origin} does not verify: {total} problem(s); "
                f"first: {problems[0].message}",
                problems=problems,
            )
        return report

    # witnessing

    def witness(
        self,
        note: str | bytes,
        log_key: NoteVerifier,
        consistency_path: Sequence[bytes] = (),
    ) -> WitnessedCheckpoint:
        """Check a peer log's checkpoint against the last one seen from it and cosign it.

        ``consistency_path`` leads from the last checkpoint seen (see :meth:`last_witnessed`)
        to this one. A split view is recorded (evidence table and a custody event in this
        node's own ledger), logged as critical, and raised as :class:`SplitViewError`.
        """
        now = self._clock.now()
        found: SplitViewError | None = None
        with self._node.unit_of_work() as session:
            incoming = open_checkpoint(note, log_key)
            # Several processes of this node witness the same peers (each delivery worker
            # does, after a contact): one at a time, each deciding on what the last kept.
            store.lock_appends(session)
            last = store.last_witnessed(session, incoming.origin)
            previous = self._open_seen(last, log_key) if last is not None else None
            try:
                if previous is not None and incoming.size < previous.size:
                    # Older than the last: still a split view if it contradicts one we saw.
                    same = store.witnessed_at(session, incoming.origin, incoming.size)
                    if same is not None:
                        check_same_view(self._open_seen(same, log_key), incoming)
                result = witness_checkpoint(
                    self.identity.cosigner,
                    note,
                    log_key,
                    previous=previous,
                    consistency_proof=consistency_path,
                    now=now,
                )
            except SplitViewError as split:
                found = split
            else:
                store.save_witnessed(
                    session,
                    store.WitnessedRecord(
                        origin=incoming.origin,
                        tree_size=incoming.size,
                        root_hash=incoming.root_hash,
                        note=result.checkpoint.note,
                        cosigned_note=result.cosigned_note,
                        seen_at=now,
                    ),
                )
                record(
                    session, self._event(EventKind.CHECKPOINT_COSIGNED, result), clock=self._clock
                )
                return result
        # The unit of work above wrote nothing of this call; the evidence gets one of its own.
        assert found is not None
        with self._node.unit_of_work() as session:
            store.add_split_view(session, found.evidence, now)
            record(session, self._split_event(found.evidence, now), clock=self._clock)
        _log.critical(
            "split view detected",
            origin=found.evidence.origin,
            first_size=found.evidence.first_size,
            second_size=found.evidence.second_size,
            reason=found.evidence.reason,
        )
        raise found

    def last_witnessed(self, origin: str) -> store.WitnessedRecord | None:
        with self._node.unit_of_work() as session:
            return store.last_witnessed(session, origin)

    def cosignatures(self) -> list[ReceivedCosignature]:
        """Peers' cosignatures of this log's checkpoints, by witness and size. Each was checked
        against the witness's key in the directory when it came
        (:meth:`~hanoix.services.federation.witnessing.Witnessing.accept_witness`)."""
        with self._node.unit_of_work() as session:
            kept = federation_store.list_cosignatures(session)
        origin = self.origin
        return [
            ReceivedCosignature(
                witness,
                size,
                tuple(
                    signature.line().rstrip("\n")
                    for signature in parse_note(note).signatures
                    if signature.name != origin
                ),
            )
            for witness, size, note in kept
        ]

    def split_views(self) -> list[store.StoredSplitView]:
        with self._node.unit_of_work() as session:
            return store.list_split_views(session)

    def _open_seen(self, seen: store.WitnessedRecord, log_key: NoteVerifier) -> SignedCheckpoint:
        try:
            return open_checkpoint(seen.note, log_key)
        except CheckpointError as exc:
            raise CheckpointError(
                f"the checkpoint of {seen.origin!r} at size {seen.tree_size} kept from an "
                f"earlier visit does not verify with the key given ({exc.message}); "
                "is it the right key for this log?"
            ) from None

    def _event(self, kind: EventKind, witnessed: WitnessedCheckpoint) -> CustodyEvent:
        checkpoint = witnessed.checkpoint
        return CustodyEvent(
            kind=kind,
            actor=self.identity.cosigner.name,
            authority=self._node.settings.state or self.origin,
            at=witnessed.cosignature.time,
            subject={"log": checkpoint.origin, "tree_size": str(checkpoint.size)},
            details={
                "root_hash": checkpoint.root_hash.hex(),
                "cosignature": witnessed.cosignature.note_signature().line().rstrip("\n"),
            },
        )

    def _split_event(self, evidence: SplitViewEvidence, now: datetime) -> CustodyEvent:
        return CustodyEvent(
            kind=EventKind.SPLIT_VIEW_DETECTED,
            actor=self.identity.cosigner.name,
            authority=self._node.settings.state or self.origin,
            at=now,
            subject={"log": evidence.origin},
            details={
                "first_size": evidence.first_size,
                "second_size": evidence.second_size,
                "reason": evidence.reason,
                "evidence_sha256": hashlib.sha256(rfc8785.dumps(evidence.as_dict())).hexdigest(),
            },
        )
