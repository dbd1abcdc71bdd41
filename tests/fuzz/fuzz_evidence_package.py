"""Fuzz target: an evidence package as ``hanoix evidence verify`` (and a receiving node) reads it.

``verify`` parses the preamble, the public header (JSON), the footer and the trailer (summary,
chunk hashes, manifest length, signature) of untrusted bytes before any signature is checked,
then checks the signature, the Merkle commitment, the layout and every chunk. Documented
outcomes: :class:`EvidenceInputError` (not a package, an unknown version) and
:class:`PackageVerificationError` (every failed check, collected).
"""

from __future__ import annotations

import io

from hanoix.evidence.errors import EvidenceInputError, PackageVerificationError
from hanoix.evidence.verify import verify
from tests.fuzz.evidence_world import packages
from tests.fuzz.harness import Parse, Target


def seeds() -> dict[str, bytes]:
    return {name: data for name, (data, _sealed) in packages().items()}


def prepare() -> Parse:
    def parse(data: bytes) -> object:
        return verify(io.BytesIO(data))

    return parse


TARGET = Target(
    name="evidence_package",
    reads="evidence package headers and trailers (hanoix/evidence/format.py, verify.py)",
    documented=(EvidenceInputError, PackageVerificationError),
    seeds=seeds,
    prepare=prepare,
)
