"""The Merkle tree of RFC 9162, section 2.1: hashing, roots, proofs and their verification.

Pure functions, no I/O. A tree is addressed by its *complete subtrees*: :class:`NodeID`
``(level, index)`` names the perfect subtree of ``2**level`` leaves that starts at leaf
``index * 2**level``; level 0 is the leaf hashes. Every subtree that RFC 9162's recursion
(``MTH``, ``PATH``, ``SUBPROOF``) needs is either such a node or the right edge of the tree, and
a right edge is a few complete nodes folded together (:func:`range_nodes`). So proofs are
*planned* here as lists of node ids, fetched from a :class:`NodeSource` in one call (the store
answers with one query) and folded. Complete nodes never change once written, which is what makes
appending and proving cost O(log n).

Verification follows the algorithms of RFC 9162 sections 2.1.3.2 and 2.1.4.2 step by step; every
failure raises (:class:`~hanoix.ledger.errors.InvalidProofError`, or
:class:`~hanoix.ledger.errors.LogInconsistencyError` when the proof itself shows that two signed
roots cannot both be true). Nothing here returns ``False``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence
from typing import NamedTuple, Protocol

from hanoix.ledger.errors import InvalidProofError, LogInconsistencyError, ProofRangeError

HASH_SIZE = 32
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
#: MTH({}) = SHA-256() : the root of the empty tree.
EMPTY_ROOT = hashlib.sha256(b"").digest()

_sha256 = hashlib.sha256


def leaf_hash(data: bytes) -> bytes:
    """``MTH({d}) = SHA-256(0x00 || d)``: the hash of one entry."""
    return _sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 || left || right)``: the hash of an interior node."""
    return _sha256(NODE_PREFIX + left + right).digest()


class NodeID(NamedTuple):
    """A complete subtree: ``2**level`` leaves starting at leaf ``idx * 2**level``."""

    level: int
    idx: int


class NodeSource(Protocol):
    """Anything that can hand out hashes of complete subtrees (level 0: leaf hashes).

    ``get_nodes`` answers in the order asked and raises if a node is missing: a missing node of
    a tree that should hold it is damage, never an empty answer.
    """

    def get_nodes(self, ids: Sequence[NodeID]) -> Sequence[bytes]: ...


def _split(size: int) -> int:
    """The largest power of two strictly smaller than ``size`` (``size >= 2``): RFC 9162's k."""
    return 1 << ((size - 1).bit_length() - 1)


def range_nodes(start: int, end: int) -> list[NodeID]:
    """The complete subtrees that make up the RFC 9162 subtree ``D[start:end]``, largest first.

    ``start`` must be a multiple of a power of two at least ``end - start``, which holds for every
    subtree the RFC recursion produces. The subtree's hash is :func:`fold` of their hashes.
    """
    ids: list[NodeID] = []
    while start < end:
        level = (end - start).bit_length() - 1
        ids.append(NodeID(level, start >> level))
        start += 1 << level
    return ids


def fold(hashes: Sequence[bytes]) -> bytes:
    """Hash complete subtrees, largest first, into the subtree they make: ``H(a, H(b, c))``."""
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = _sha256(NODE_PREFIX + left + result).digest()
    return result


def inclusion_plan(index: int, size: int) -> list[list[NodeID]]:
    """The audit path ``PATH(index, D[0:size])`` as groups of node ids, leaf to root.

    Each group is folded into one path element; at most one group (the right edge) has more
    than one node.
    """
    if size < 1 or not 0 <= index < size:
        raise ProofRangeError(
            f"no inclusion proof for entry {index} in a tree of size {size}: "
            "the index must be at least 0 and smaller than the size"
        )
    groups: list[list[NodeID]] = []
    start, end = 0, size
    while end - start > 1:
        mid = start + _split(end - start)
        if index < mid:
            groups.append(range_nodes(mid, end))
            end = mid
        else:
            groups.append([NodeID((mid - start).bit_length() - 1, start // (mid - start))])
            start = mid
    groups.reverse()
    return groups


def consistency_plan(old_size: int, new_size: int) -> list[list[NodeID]]:
    """The consistency proof ``PROOF(old_size, D[0:new_size])`` as groups of node ids."""
    if old_size < 0 or new_size < old_size:
        raise ProofRangeError(
            f"no consistency proof from size {old_size} to size {new_size}: "
            "the first size must be at least 0 and at most the second"
        )
    if old_size in (0, new_size):
        return []
    groups: list[list[NodeID]] = []
    start, end, m, complete = 0, new_size, old_size, True
    while True:
        n = end - start
        if m == n:
            if not complete:
                groups.append(range_nodes(start, end))
            break
        k = _split(n)
        if m <= k:
            groups.append(range_nodes(start + k, end))
            end = start + k
        else:
            groups.append([NodeID(k.bit_length() - 1, start // k)])
            start += k
            m -= k
            complete = False
    groups.reverse()
    return groups


def _resolve(source: NodeSource, groups: Sequence[Sequence[NodeID]]) -> list[bytes]:
    ids = [node for group in groups for node in group]
    hashes = source.get_nodes(ids) if ids else []
    if len(hashes) != len(ids):
        raise LogInconsistencyError(
            f"the tree store answered {len(hashes)} hashes for {len(ids)} nodes asked"
        )
    out: list[bytes] = []
    position = 0
    for group in groups:
        part = hashes[position : position + len(group)]
        position += len(group)
        out.append(part[0] if len(part) == 1 else fold(part))
    return out


def root_hash(source: NodeSource, size: int) -> bytes:
    """``MTH(D[0:size])`` from the complete subtrees of ``source``."""
    if size < 0:
        raise ProofRangeError(f"a tree cannot have a negative size ({size})")
    if size == 0:
        return EMPTY_ROOT
    return _resolve(source, [range_nodes(0, size)])[0]


def inclusion_proof(source: NodeSource, index: int, size: int) -> list[bytes]:
    """The audit path of entry ``index`` in the tree of the first ``size`` entries."""
    return _resolve(source, inclusion_plan(index, size))


def leaf_and_inclusion_proof(
    source: NodeSource, index: int, size: int
) -> tuple[bytes, list[bytes]]:
    """Entry ``index``'s leaf hash and its audit path in ``size``, fetched in one call."""
    groups = inclusion_plan(index, size)
    leaf, *path = _resolve(source, [[NodeID(0, index)], *groups])
    return leaf, path


def leaves_and_inclusion_proofs(
    source: NodeSource, indices: Sequence[int], size: int
) -> list[tuple[bytes, list[bytes]]]:
    """:func:`leaf_and_inclusion_proof` for several entries of the same tree, fetched in one
    call: the steps of one request share most of their paths, and a store pays per call."""
    plans = [[[NodeID(0, index)], *inclusion_plan(index, size)] for index in indices]
    if not plans:
        return []
    hashes = _resolve(source, [group for plan in plans for group in plan])
    found: list[tuple[bytes, list[bytes]]] = []
    position = 0
    for plan in plans:
        leaf, *path = hashes[position : position + len(plan)]
        position += len(plan)
        found.append((leaf, path))
    return found


def consistency_proof(source: NodeSource, old_size: int, new_size: int) -> list[bytes]:
    """The consistency proof between the trees of the first ``old_size`` and ``new_size``."""
    return _resolve(source, consistency_plan(old_size, new_size))


def root_from_leaves(leaf_hashes: Sequence[bytes]) -> bytes:
    """``MTH`` of a whole list of leaf hashes, in O(n) time and O(log n) memory."""
    tree = CompactRange()
    for value in leaf_hashes:
        tree.append(value)
    return tree.root()


# --- verification (RFC 9162, 2.1.3.2 and 2.1.4.2) -------------------------------------------------


def _check_hash(value: bytes, what: str) -> None:
    if not isinstance(value, bytes) or len(value) != HASH_SIZE:
        raise InvalidProofError(f"{what} is not a {HASH_SIZE}-byte SHA-256 hash")


def _check_path(path: Sequence[bytes], what: str) -> None:
    for position, value in enumerate(path):
        _check_hash(value, f"{what} element {position}")


def root_from_inclusion_proof(
    leaf: bytes, index: int, size: int, audit_path: Sequence[bytes]
) -> bytes:
    """The root hash that ``audit_path`` leads to from ``leaf`` (RFC 9162, 2.1.3.2 steps 1-4).

    Raises :class:`InvalidProofError` if the path cannot belong to a tree of ``size`` entries.
    """
    _check_hash(leaf, "the leaf hash")
    _check_path(audit_path, "the audit path")
    # Step 1: the index must lie inside the tree.
    if size < 1 or not 0 <= index < size:
        raise InvalidProofError(f"entry {index} cannot be in a tree of size {size}")
    # Steps 2-3.
    fn, sn = index, size - 1
    r = leaf
    # Step 4.
    for p in audit_path:
        if sn == 0:
            raise InvalidProofError(
                f"the audit path is longer than a tree of size {size} needs for entry {index}"
            )
        if fn & 1 or fn == sn:
            r = _sha256(NODE_PREFIX + p + r).digest()
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = _sha256(NODE_PREFIX + r + p).digest()
        fn >>= 1
        sn >>= 1
    # Step 5 (first half): the path must reach the top of the tree.
    if sn != 0:
        raise InvalidProofError(
            f"the audit path is too short for entry {index} in a tree of size {size}"
        )
    return r


def verify_inclusion(
    leaf: bytes, index: int, size: int, audit_path: Sequence[bytes], root: bytes
) -> None:
    """Check that ``leaf`` is entry ``index`` of the tree of ``size`` entries with ``root``.

    Raises :class:`InvalidProofError`; returns nothing on success.
    """
    _check_hash(root, "the root hash")
    computed = root_from_inclusion_proof(leaf, index, size, audit_path)
    # Step 5 (second half).
    if not hmac.compare_digest(computed, root):
        raise InvalidProofError(
            f"the audit path of entry {index} does not lead to the root hash of size {size}"
        )


def verify_consistency(
    old_size: int,
    new_size: int,
    old_root: bytes,
    new_root: bytes,
    proof: Sequence[bytes],
) -> None:
    """Check that the tree of ``old_size`` with ``old_root`` is a prefix of the tree of
    ``new_size`` with ``new_root`` (RFC 9162, 2.1.4.2).

    Raises :class:`InvalidProofError` when the proof is malformed or does not lead to
    ``new_root``, and :class:`LogInconsistencyError` when the two roots provably belong to
    different histories: equal sizes with different roots, or a proof that leads to
    ``new_root`` but gives a different root at ``old_size`` (with both roots signed, that is
    proof the log rewrote its past).
    """
    _check_hash(old_root, "the first root hash")
    _check_hash(new_root, "the second root hash")
    _check_path(proof, "the consistency proof")
    if old_size < 0 or new_size < old_size:
        raise InvalidProofError(
            f"no tree of size {old_size} can be a prefix of a tree of size {new_size}"
        )
    if old_size == new_size:
        if proof:
            raise InvalidProofError("a consistency proof between equal sizes must be empty")
        if not hmac.compare_digest(old_root, new_root):
            raise LogInconsistencyError(
                f"two different root hashes for the same tree size {old_size}"
            )
        return
    if old_size == 0:
        # Every tree extends the empty tree; its root is fixed.
        if proof:
            raise InvalidProofError("a consistency proof from the empty tree must be empty")
        if not hmac.compare_digest(old_root, EMPTY_ROOT):
            raise InvalidProofError("the root hash given for the empty tree is not SHA-256('')")
        return
    # Step 1.
    if not proof:
        raise InvalidProofError(
            f"the consistency proof from size {old_size} to {new_size} is empty"
        )
    path = list(proof)
    # Step 2: a perfect old tree is itself the first node of the path.
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    # Steps 3-4.
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # Step 5.
    fr = sr = path[0]
    # Step 6.
    for c in path[1:]:
        if sn == 0:
            raise InvalidProofError(
                f"the consistency proof from size {old_size} to {new_size} is too long"
            )
        if fn & 1 or fn == sn:
            fr = _sha256(NODE_PREFIX + c + fr).digest()
            sr = _sha256(NODE_PREFIX + c + sr).digest()
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = _sha256(NODE_PREFIX + sr + c).digest()
        fn >>= 1
        sn >>= 1
    # Step 7.
    if sn != 0:
        raise InvalidProofError(
            f"the consistency proof from size {old_size} to {new_size} is too short"
        )
    if not hmac.compare_digest(sr, new_root):
        raise InvalidProofError(
            f"the consistency proof does not lead to the root hash of size {new_size}"
        )
    if not hmac.compare_digest(fr, old_root):
        raise LogInconsistencyError(
            f"the tree of size {new_size} does not extend the given tree of size {old_size}: "
            "its proof, which matches the newer root, gives a different older root"
        )


# --- building trees -------------------------------------------------------------------------------


class CompactRange:
    """The right edge of a tree: the roots of its perfect subtrees, largest first.

    Enough to append leaves and know the root; each append reports the complete nodes it
    finishes, so a store can keep every one of them without ever rebuilding.
    """

    __slots__ = ("_peaks", "_size")

    def __init__(self, size: int = 0, peaks: Sequence[bytes] = ()) -> None:
        if size < 0 or len(peaks) != size.bit_count():
            raise ValueError(
                f"a tree of size {size} has {size.bit_count()} peaks, not {len(peaks)}"
            )
        self._size = size
        self._peaks = list(peaks)

    @staticmethod
    def peak_ids(size: int) -> list[NodeID]:
        """The complete subtrees whose hashes a tree of ``size`` keeps on its right edge."""
        return range_nodes(0, size)

    @property
    def size(self) -> int:
        return self._size

    @property
    def peaks(self) -> tuple[bytes, ...]:
        return tuple(self._peaks)

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Add one leaf hash; return the ``(level, index, hash)`` of the nodes it completes
        (levels 1 and up, lowest first)."""
        finished: list[tuple[int, int, bytes]] = []
        index = self._size
        value = leaf
        level = 0
        peaks = self._peaks
        while index & 1:
            value = _sha256(NODE_PREFIX + peaks.pop() + value).digest()
            index >>= 1
            level += 1
            finished.append((level, index, value))
        peaks.append(value)
        self._size += 1
        return finished

    def extend(self, leaves: Iterable[bytes]) -> list[tuple[int, int, bytes]]:
        finished: list[tuple[int, int, bytes]] = []
        for leaf in leaves:
            finished.extend(self.append(leaf))
        return finished

    def root(self) -> bytes:
        return fold(self._peaks) if self._peaks else EMPTY_ROOT


class MemoryTree:
    """A whole tree in memory: every complete node kept, level by level.

    A :class:`NodeSource` for tests, tools and in-process logs; the store keeps the same nodes
    in the database.
    """

    def __init__(self, leaves: Iterable[bytes] = ()) -> None:
        self._levels: list[list[bytes]] = [[]]
        self._edge = CompactRange()
        for data in leaves:
            self.append(data)

    @property
    def size(self) -> int:
        return self._edge.size

    def append(self, data: bytes) -> int:
        """Append the entry ``data``; return its index."""
        return self.append_leaf_hash(leaf_hash(data))

    def append_leaf_hash(self, leaf: bytes) -> int:
        index = self._edge.size
        self._levels[0].append(leaf)
        for level, _position, value in self._edge.append(leaf):
            if len(self._levels) <= level:
                self._levels.append([])
            self._levels[level].append(value)
        return index

    def get_nodes(self, ids: Sequence[NodeID]) -> list[bytes]:
        out: list[bytes] = []
        for level, index in ids:
            try:
                out.append(self._levels[level][index])
            except IndexError:
                raise LogInconsistencyError(
                    f"the tree has no complete node at level {level}, index {index}"
                ) from None
        return out

    def leaf_hash(self, index: int) -> bytes:
        return self.get_nodes([NodeID(0, index)])[0]

    def root(self, size: int | None = None) -> bytes:
        return root_hash(self, self.size if size is None else self._checked(size))

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        return inclusion_proof(self, index, self.size if size is None else self._checked(size))

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        new = self.size if new_size is None else self._checked(new_size)
        return consistency_proof(self, old_size, new)

    def _checked(self, size: int) -> int:
        if size > self.size:
            raise ProofRangeError(f"the tree has {self.size} entries, not {size}")
        return size
