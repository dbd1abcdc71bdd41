"""The custody ledger over HTTP, under ``/api/v1/ledger``: checkpoint, proofs, entries.

The checkpoint is public: it is made to be gossiped to peers and witnesses, and it reveals a size
and a hash. Proofs need a signed-in caller. The entries themselves name actors, authorities and
objects, so each caller reads only those the service's read rules allow (auditors: their
requests and packages; administrators: the log's own events). Errors are problem+json: a proof
asked past the end of the log is 400, a log that fails its own checks 422.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from hanoix.api.deps import get_node
from hanoix.api.security import CurrentPrincipal, require_roles
from hanoix.services.auth import Principal
from hanoix.services.custody import CustodyLedger, readable_entries
from hanoix.services.node import Node
from hanoix.services.requests import user_for_principal

router = APIRouter(prefix="/ledger", tags=["ledger"])

MAX_PAGE = 1000

Hash = Annotated[str, Field(description="a SHA-256 hash, lower-case hex")]


class CheckpointOut(BaseModel):
    """The log's signed tree head, in the C2SP tlog-checkpoint signed-note format."""

    origin: str
    tree_size: int
    root_hash: Hash
    checkpoint: str = Field(description="the signed note, verbatim")
    vkey: str = Field(description="the log's verifier key: <name>+<key id>+<base64 key>")


class InclusionProofOut(BaseModel):
    """Entry ``index`` is in the tree of ``tree_size`` (RFC 9162, 2.1.3)."""

    index: int
    tree_size: int
    leaf_hash: Hash
    root_hash: Hash
    audit_path: list[Hash]
    checkpoint: str


class ConsistencyProofOut(BaseModel):
    """The tree of ``from_size`` is a prefix of the tree of ``to_size`` (RFC 9162, 2.1.4)."""

    from_size: int
    to_size: int
    from_root: Hash
    to_root: Hash
    consistency_path: list[Hash]
    from_checkpoint: str
    to_checkpoint: str


class EntryOut(BaseModel):
    index: int
    leaf_hash: Hash
    appended_at: str
    entry: dict[str, object] = Field(description="the custody event; its RFC 8785 form is the leaf")


class EntriesOut(BaseModel):
    tree_size: int
    entries: list[EntryOut] = Field(description="the entries of the range the caller may read")
    withheld: int = Field(
        description="how many entries of the range the caller may not read (their leaf hashes "
        "are in the proofs, their contents are not shown)"
    )


def _ledger(node: Annotated[Node, Depends(get_node)]) -> CustodyLedger:
    return CustodyLedger(node)


LedgerDep = Annotated[CustodyLedger, Depends(_ledger)]
SizeQuery = Query(ge=0, description="the tree size (default: the whole log)")


@router.get("/checkpoint", response_model=CheckpointOut, summary="The log's signed checkpoint")
def checkpoint(ledger: LedgerDep) -> CheckpointOut:
    signed = ledger.checkpoint()
    return CheckpointOut(
        origin=signed.origin,
        tree_size=signed.size,
        root_hash=signed.root_hash.hex(),
        checkpoint=signed.note,
        vkey=ledger.verifier.vkey,
    )


@router.get(
    "/proof/inclusion",
    response_model=InclusionProofOut,
    summary="Inclusion proof of one entry, with the signed checkpoint it leads to",
)
def inclusion(
    ledger: LedgerDep,
    _caller: CurrentPrincipal,
    index: Annotated[int, Query(ge=0, description="the entry to prove")],
    size: Annotated[int | None, SizeQuery] = None,
) -> InclusionProofOut:
    proof = ledger.prove_inclusion(index, size)
    return InclusionProofOut.model_validate(proof.as_dict())


@router.get(
    "/proof/consistency",
    response_model=ConsistencyProofOut,
    summary="Consistency proof between two tree sizes, with both signed checkpoints",
)
def consistency(
    ledger: LedgerDep,
    _caller: CurrentPrincipal,
    from_size: Annotated[int, Query(alias="from", ge=0, description="the older tree size")],
    to_size: Annotated[int | None, Query(alias="to", ge=0, description="the newer size")] = None,
) -> ConsistencyProofOut:
    proof = ledger.prove_consistency(from_size, to_size)
    return ConsistencyProofOut.model_validate(proof.as_dict())


@router.get(
    "/entries",
    response_model=EntriesOut,
    summary="Entries of the log that the caller may read, in order (auditors, administrators)",
    description="Auditors read the entries about the requests they may see (a restricted "
    "request's only its handling authority's auditors), about packages of their authority, and "
    "about the log and its peers; administrators only the last. See docs/ledger.md.",
)
def entries(
    ledger: LedgerDep,
    node: Annotated[Node, Depends(get_node)],
    caller: Annotated[Principal, Depends(require_roles("auditor", "administrator"))],
    start: Annotated[int, Query(ge=0, description="the first index")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="how many at most")] = 100,
) -> EntriesOut:
    size = ledger.head().size
    found = readable_entries(
        node, user_for_principal(node, caller), start, min(start + limit, size)
    )
    return EntriesOut(
        tree_size=size,
        entries=[EntryOut.model_validate(entry.as_dict()) for entry in found.entries],
        withheld=found.withheld,
    )
