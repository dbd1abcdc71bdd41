"""The Merkle tree against RFC 6962/9162 reference vectors and an independent brute force.

The brute force below is written straight from the RFC's recursive definitions (MTH, PATH,
SUBPROOF) on Python lists; it shares no code with :mod:`hanoix.ledger.merkle`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import cache

import pytest

from hanoix.ledger.errors import InvalidProofError, LogInconsistencyError, ProofRangeError
from hanoix.ledger.merkle import (
    EMPTY_ROOT,
    CompactRange,
    MemoryTree,
    NodeID,
    consistency_plan,
    inclusion_plan,
    leaf_and_inclusion_proof,
    leaf_hash,
    leaves_and_inclusion_proofs,
    node_hash,
    root_from_inclusion_proof,
    root_from_leaves,
    root_hash,
    verify_consistency,
    verify_inclusion,
)

# --- RFC 6962 reference vectors (certificate-transparency merkle_test) ----------------------------

RFC_LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    bytes(range(0x60, 0x70)),
]
RFC_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
RFC_INCLUSION = {
    (0, 1): [],
    (0, 8): [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    (5, 8): [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
    (2, 3): ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
    (1, 5): [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ],
}
RFC_CONSISTENCY = {
    (1, 1): [],
    (1, 8): [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    (6, 8): [
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
    (2, 5): [
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ],
}

# --- an independent brute force, straight from RFC 9162 section 2.1 -------------------------------

MAX_SIZE = 64
LEAVES = tuple(RFC_LEAVES + [f"hanoix leaf {i}".encode() for i in range(8, MAX_SIZE)])


def _h(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _k(n: int) -> int:
    """The largest power of two smaller than n."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


@cache
def brute_mth(start: int, end: int) -> bytes:
    """MTH(D[start:end]) of LEAVES."""
    n = end - start
    if n == 0:
        return _h(b"")
    if n == 1:
        return _h(b"\x00" + LEAVES[start])
    k = _k(n)
    return _h(b"\x01" + brute_mth(start, start + k) + brute_mth(start + k, end))


def brute_path(m: int, start: int, end: int) -> list[bytes]:
    """PATH(m, D[start:end])."""
    n = end - start
    if n == 1:
        return []
    k = _k(n)
    if m < k:
        return [*brute_path(m, start, start + k), brute_mth(start + k, end)]
    return [*brute_path(m - k, start + k, end), brute_mth(start, start + k)]


def brute_subproof(m: int, start: int, end: int, complete: bool) -> list[bytes]:
    """SUBPROOF(m, D[start:end], b)."""
    n = end - start
    if m == n:
        return [] if complete else [brute_mth(start, end)]
    k = _k(n)
    if m <= k:
        return [*brute_subproof(m, start, start + k, complete), brute_mth(start + k, end)]
    return [*brute_subproof(m - k, start + k, end, False), brute_mth(start, start + k)]


@pytest.fixture(scope="module")
def tree() -> MemoryTree:
    return MemoryTree(LEAVES)


# --- the vectors ----------------------------------------------------------------------------------


def test_hashes_are_domain_separated() -> None:
    assert leaf_hash(b"abc") == _h(b"\x00abc")
    assert node_hash(b"L" * 32, b"R" * 32) == _h(b"\x01" + b"L" * 32 + b"R" * 32)
    assert EMPTY_ROOT.hex() == RFC_ROOTS[0]


@pytest.mark.parametrize("size", range(9))
def test_root_hashes_match_the_rfc_6962_vectors(size: int) -> None:
    assert MemoryTree(RFC_LEAVES[:size]).root().hex() == RFC_ROOTS[size]
    assert root_from_leaves([leaf_hash(d) for d in RFC_LEAVES[:size]]).hex() == RFC_ROOTS[size]


@pytest.mark.parametrize(("index", "size"), sorted(RFC_INCLUSION))
def test_audit_paths_match_the_rfc_6962_vectors(index: int, size: int) -> None:
    tree = MemoryTree(RFC_LEAVES)
    path = tree.inclusion_proof(index, size)
    assert [value.hex() for value in path] == RFC_INCLUSION[(index, size)]
    verify_inclusion(
        leaf_hash(RFC_LEAVES[index]), index, size, path, bytes.fromhex(RFC_ROOTS[size])
    )


@pytest.mark.parametrize(("old", "new"), sorted(RFC_CONSISTENCY))
def test_consistency_proofs_match_the_rfc_6962_vectors(old: int, new: int) -> None:
    tree = MemoryTree(RFC_LEAVES)
    proof = tree.consistency_proof(old, new)
    assert [value.hex() for value in proof] == RFC_CONSISTENCY[(old, new)]
    verify_consistency(
        old, new, bytes.fromhex(RFC_ROOTS[old]), bytes.fromhex(RFC_ROOTS[new]), proof
    )


# --- every size up to 64 against the brute force --------------------------------------------------


def test_roots_of_every_size_match_the_brute_force(tree: MemoryTree) -> None:
    for size in range(MAX_SIZE + 1):
        assert tree.root(size) == brute_mth(0, size), size


def test_every_inclusion_proof_up_to_64_matches_the_brute_force_and_verifies(
    tree: MemoryTree,
) -> None:
    for size in range(1, MAX_SIZE + 1):
        root = brute_mth(0, size)
        for index in range(size):
            path = tree.inclusion_proof(index, size)
            assert path == brute_path(index, 0, size), (index, size)
            verify_inclusion(leaf_hash(LEAVES[index]), index, size, path, root)
            assert root_from_inclusion_proof(leaf_hash(LEAVES[index]), index, size, path) == root


def test_every_consistency_proof_up_to_64_matches_the_brute_force_and_verifies(
    tree: MemoryTree,
) -> None:
    for new in range(1, MAX_SIZE + 1):
        for old in range(1, new + 1):
            proof = tree.consistency_proof(old, new)
            assert proof == brute_subproof(old, 0, new, True), (old, new)
            verify_consistency(old, new, brute_mth(0, old), brute_mth(0, new), proof)
        assert tree.consistency_proof(0, new) == []
        verify_consistency(0, new, EMPTY_ROOT, brute_mth(0, new), [])


def test_plans_touch_only_complete_subtrees_of_logarithmic_count() -> None:
    for size in (1, 2, 3, 1000, 2**20 + 12345, 10**12 + 7):
        bound = 2 * size.bit_length() + 2
        for index in {0, size // 3, size - 1}:
            ids = [node for group in inclusion_plan(index, size) for node in group]
            assert len(ids) <= bound
            assert all((node.idx + 1) << node.level <= size for node in ids)
        for old in {1, size // 2, size - 1} - {0}:
            ids = [node for group in consistency_plan(old, size) for node in group]
            assert len(ids) <= bound
            assert all((node.idx + 1) << node.level <= size for node in ids)


def test_compact_range_reports_exactly_the_complete_nodes() -> None:
    edge = CompactRange()
    seen: dict[tuple[int, int], bytes] = {}
    for index, data in enumerate(LEAVES):
        for level, position, value in edge.append(leaf_hash(data)):
            assert (level, position) not in seen
            seen[(level, position)] = value
        assert edge.root() == brute_mth(0, index + 1)
    expected = {
        (level, position): brute_mth(position << level, (position + 1) << level)
        for level in range(1, 7)
        for position in range(MAX_SIZE >> level)
    }
    assert seen == expected
    assert CompactRange.peak_ids(13) == [NodeID(3, 0), NodeID(2, 2), NodeID(0, 12)]
    with pytest.raises(ValueError, match="peaks"):
        CompactRange(3, [b"x" * 32])


class _CountingSource:
    """A node source that counts its calls and can lose the last hash it is asked for."""

    def __init__(self, tree: MemoryTree, *, lose_one: bool = False) -> None:
        self.tree = tree
        self.calls = 0
        self.lose_one = lose_one

    def get_nodes(self, ids: Sequence[NodeID]) -> list[bytes]:
        self.calls += 1
        hashes = self.tree.get_nodes(ids)
        return hashes[:-1] if self.lose_one else hashes


def test_leaf_and_inclusion_proof_fetches_both_in_one_call(tree: MemoryTree) -> None:
    for size in range(1, MAX_SIZE + 1):
        for index in range(size):
            source = _CountingSource(tree)
            leaf, path = leaf_and_inclusion_proof(source, index, size)
            assert leaf == _h(b"\x00" + LEAVES[index])
            assert path == brute_path(index, 0, size)
            assert source.calls == 1
            verify_inclusion(leaf, index, size, path, brute_mth(0, size))


def test_leaf_and_inclusion_proof_refuses_an_index_outside_the_tree(tree: MemoryTree) -> None:
    with pytest.raises(ProofRangeError):
        leaf_and_inclusion_proof(tree, 5, 5)


def test_several_inclusion_proofs_of_one_tree_are_fetched_in_one_call(tree: MemoryTree) -> None:
    for size in (1, 2, 7, 8, 13, MAX_SIZE):
        indices = [size - 1, 0, size // 2, size - 1]  # any order, repeats allowed
        source = _CountingSource(tree)
        found = leaves_and_inclusion_proofs(source, indices, size)
        assert source.calls == 1
        assert found == [leaf_and_inclusion_proof(tree, index, size) for index in indices]
        for index, (leaf, path) in zip(indices, found, strict=True):
            assert path == brute_path(index, 0, size)
            verify_inclusion(leaf, index, size, path, brute_mth(0, size))


def test_no_inclusion_proofs_asked_reads_nothing(tree: MemoryTree) -> None:
    source = _CountingSource(tree)
    assert leaves_and_inclusion_proofs(source, [], 8) == []
    assert source.calls == 0


def test_several_inclusion_proofs_refuse_any_index_outside_the_tree(tree: MemoryTree) -> None:
    with pytest.raises(ProofRangeError):
        leaves_and_inclusion_proofs(tree, [0, 5], 5)
    with pytest.raises(LogInconsistencyError, match="answered"):
        leaves_and_inclusion_proofs(_CountingSource(tree, lose_one=True), [1, 5], 8)


def test_a_store_that_answers_too_few_hashes_is_damage(tree: MemoryTree) -> None:
    with pytest.raises(LogInconsistencyError, match=r"^the tree store answered 3 hashes for 4 "):
        leaf_and_inclusion_proof(_CountingSource(tree, lose_one=True), 5, 8)
    with pytest.raises(LogInconsistencyError, match="answered 2 hashes for 3 nodes asked"):
        root_hash(_CountingSource(tree, lose_one=True), 7)


def test_root_hash_of_sizes_zero_and_negative(tree: MemoryTree) -> None:
    assert root_hash(tree, 0) == EMPTY_ROOT
    assert root_hash(tree, 1) == brute_mth(0, 1)
    with pytest.raises(ProofRangeError, match=r"negative size \(-1\)"):
        root_hash(tree, -1)


@pytest.mark.parametrize("resume_at", [0, 1, 2, 5, 8, 13, 32, 63, 64])
def test_compact_range_extend_resumes_from_stored_peaks(resume_at: int) -> None:
    hashes = [leaf_hash(data) for data in LEAVES]
    one_by_one = CompactRange()
    expected: list[tuple[int, int, bytes]] = []
    for value in hashes:
        expected.extend(one_by_one.append(value))
    first = CompactRange()
    before = first.extend(hashes[:resume_at])
    # What the store does: rebuild the edge from its size and peaks, then extend it.
    resumed = CompactRange(first.size, first.peaks)
    after = resumed.extend(hashes[resume_at:])
    assert before + after == expected
    assert all(
        value == brute_mth(position << level, (position + 1) << level)
        for level, position, value in after
    )
    assert resumed.size == MAX_SIZE
    assert resumed.root() == brute_mth(0, MAX_SIZE)
    assert resumed.peaks == (brute_mth(0, MAX_SIZE),)
    assert resumed.extend([]) == []
    assert resumed.size == MAX_SIZE


def test_compact_range_peaks_are_the_right_edge() -> None:
    edge = CompactRange()
    edge.extend(leaf_hash(data) for data in LEAVES[:13])
    assert edge.size == 13
    assert edge.peaks == (brute_mth(0, 8), brute_mth(8, 12), brute_mth(12, 13))
    assert edge.root() == brute_mth(0, 13)
    assert CompactRange().root() == EMPTY_ROOT
    with pytest.raises(ValueError, match=r"^a tree of size 3 has 2 peaks, not 1$"):
        CompactRange(3, [b"x" * 32])
    with pytest.raises(ValueError, match=r"^a tree of size -1 "):
        CompactRange(-1, [b"x" * 32])  # one peak, as many as -1 has bits: still refused


@pytest.mark.parametrize(
    ("old_size", "new_size", "old_root", "new_root", "proof", "error", "message"),
    [
        (2, 4, b"x", EMPTY_ROOT, [], InvalidProofError, "the first root hash is not a 32-byte"),
        (2, 4, EMPTY_ROOT, b"x", [], InvalidProofError, "the second root hash is not a 32-byte"),
        (
            2,
            4,
            EMPTY_ROOT,
            EMPTY_ROOT,
            [EMPTY_ROOT, b"x"],
            InvalidProofError,
            "the consistency proof element 1 is not a 32-byte SHA-256 hash",
        ),
        (
            -1,
            4,
            EMPTY_ROOT,
            EMPTY_ROOT,
            [],
            InvalidProofError,
            "no tree of size -1 can be a prefix of a tree of size 4",
        ),
        (
            -1,
            -1,
            EMPTY_ROOT,
            EMPTY_ROOT,
            [],
            InvalidProofError,
            "no tree of size -1 can be a prefix of a tree of size -1",
        ),
        (
            5,
            4,
            EMPTY_ROOT,
            EMPTY_ROOT,
            [],
            InvalidProofError,
            "no tree of size 5 can be a prefix of a tree of size 4",
        ),
        (
            4,
            4,
            EMPTY_ROOT,
            EMPTY_ROOT,
            [EMPTY_ROOT],
            InvalidProofError,
            "a consistency proof between equal sizes must be empty",
        ),
        (
            4,
            4,
            EMPTY_ROOT,
            node_hash(EMPTY_ROOT, EMPTY_ROOT),
            [],
            LogInconsistencyError,
            "two different root hashes for the same tree size 4",
        ),
        (
            0,
            4,
            EMPTY_ROOT,
            EMPTY_ROOT,
            [EMPTY_ROOT],
            InvalidProofError,
            "a consistency proof from the empty tree must be empty",
        ),
        (
            0,
            4,
            node_hash(EMPTY_ROOT, EMPTY_ROOT),
            EMPTY_ROOT,
            [],
            InvalidProofError,
            "the root hash given for the empty tree is not SHA-256('')",
        ),
        (
            2,
            4,
            EMPTY_ROOT,
            EMPTY_ROOT,
            [],
            InvalidProofError,
            "the consistency proof from size 2 to 4 is empty",
        ),
    ],
)
def test_consistency_failures_say_which_check_failed(
    old_size: int,
    new_size: int,
    old_root: bytes,
    new_root: bytes,
    proof: list[bytes],
    error: type[Exception],
    message: str,
) -> None:
    # A court reads these messages: each names the check that failed.
    with pytest.raises(error) as caught:
        verify_consistency(old_size, new_size, old_root, new_root, proof)
    assert type(caught.value) is error
    assert str(caught.value).startswith(message)


def test_a_tree_reports_the_index_of_each_entry_it_appends() -> None:
    tree = MemoryTree()
    assert [tree.append(data) for data in LEAVES[:5]] == [0, 1, 2, 3, 4]
    assert tree.append_leaf_hash(leaf_hash(LEAVES[5])) == 5
    assert tree.size == 6
    assert tree.root() == brute_mth(0, 6)


# --- bad requests and failing proofs --------------------------------------------------------------


@pytest.mark.parametrize(("index", "size"), [(0, 0), (3, 3), (5, 2), (-1, 4)])
def test_no_inclusion_proof_outside_the_tree(tree: MemoryTree, index: int, size: int) -> None:
    with pytest.raises(ProofRangeError):
        tree.inclusion_proof(index, size)


def test_no_proof_for_a_size_the_tree_does_not_have(tree: MemoryTree) -> None:
    with pytest.raises(ProofRangeError):
        tree.inclusion_proof(0, MAX_SIZE + 1)
    with pytest.raises(ProofRangeError):
        tree.consistency_proof(5, 3)
    with pytest.raises(ProofRangeError):
        tree.consistency_proof(-1, 3)


def test_inclusion_verification_fails_closed(tree: MemoryTree) -> None:
    leaf, root = leaf_hash(LEAVES[2]), tree.root(7)
    path = tree.inclusion_proof(2, 7)
    verify_inclusion(leaf, 2, 7, path, root)
    cases = [
        (leaf, 2, 7, path[:-1], root),  # too short
        (leaf, 2, 7, [*path, path[0]], root),  # too long
        (leaf, 7, 7, path, root),  # index past the end
        (leaf, -1, 7, path, root),
        (leaf, 2, 0, path, root),
        (leaf, 2, 7, [path[0][:31], *path[1:]], root),  # not a hash
        (leaf[:16], 2, 7, path, root),
        (leaf, 2, 7, path, root[:31]),
        (leaf, 3, 7, path, root),  # another index
        (leaf_hash(LEAVES[3]), 2, 7, path, root),  # another entry
    ]
    for case in cases:
        with pytest.raises(InvalidProofError):
            verify_inclusion(*case)


def test_consistency_verification_fails_closed(tree: MemoryTree) -> None:
    proof = tree.consistency_proof(3, 7)
    old, new = tree.root(3), tree.root(7)
    verify_consistency(3, 7, old, new, proof)
    for case in [
        (3, 7, old, new, proof[:-1]),
        (3, 7, old, new, [*proof, proof[0]]),
        (3, 7, old, new, []),
        (7, 3, new, old, proof),
        (3, 7, old, tree.root(6), proof),  # leads elsewhere: proof invalid
        (0, 7, old, new, []),  # the empty tree's root is fixed
        (0, 7, EMPTY_ROOT, new, proof),
        (7, 7, new, new, proof),
        (3, 7, old[:8], new, proof),
    ]:
        with pytest.raises(InvalidProofError):
            verify_consistency(*case)


def test_sizes_are_bound_by_the_signed_checkpoint_not_by_the_path(tree: MemoryTree) -> None:
    # RFC 9162's algorithms only use the sizes to shape the path: a path of size 7 can also
    # "verify" as size 6 with the size-7 root. That is why a proof travels with a checkpoint
    # signing (size, root) together, and InclusionProof/ConsistencyProof check that binding
    # (see test_tamper.py, where any tampered size fails).
    verify_consistency(3, 6, tree.root(3), tree.root(7), tree.consistency_proof(3, 7))
    verify_inclusion(leaf_hash(LEAVES[0]), 0, 7, tree.inclusion_proof(0, 8), tree.root(8))


def test_two_roots_for_one_size_prove_the_log_inconsistent(tree: MemoryTree) -> None:
    with pytest.raises(LogInconsistencyError, match="same tree size"):
        verify_consistency(5, 5, tree.root(5), tree.root(4), [])


def test_a_proof_from_a_forked_history_proves_the_log_inconsistent(tree: MemoryTree) -> None:
    # The fork differs in entry 1: its proof leads to its own new root, but from an older root
    # that is not the one signed before. Together, the two roots and the proof are evidence.
    fork = MemoryTree([LEAVES[0], b"rewritten", *LEAVES[2:20]])
    proof = fork.consistency_proof(6, 20)
    with pytest.raises(LogInconsistencyError, match="different older root"):
        verify_consistency(6, 20, tree.root(6), fork.root(20), proof)
    # The same proof against the honest new root is merely invalid.
    with pytest.raises(InvalidProofError):
        verify_consistency(6, 20, tree.root(6), tree.root(20), proof)
