"""Fuzz target: the manifest of an evidence package, once decrypted (file names, sizes, dates,
digests, the sender's note).

The manifest is encrypted and authenticated, so mutated packages never reach its parser: it is
fuzzed directly, as a sender who holds a valid key could write it. Its documented outcome is
:class:`MalformedError` (which opening turns into a finding of the package).
"""

from __future__ import annotations

from hanoix.evidence.format import MalformedError
from hanoix.evidence.manifest import parse_manifest
from tests.fuzz.evidence_world import packages
from tests.fuzz.harness import Parse, Target


def seeds() -> dict[str, bytes]:
    return {name: sealed.manifest.encode() for name, (_data, sealed) in packages().items()}


def prepare() -> Parse:
    return parse_manifest


TARGET = Target(
    name="evidence_manifest",
    reads="evidence package manifests (hanoix/evidence/manifest.py), once decrypted",
    documented=(MalformedError,),
    seeds=seeds,
    prepare=prepare,
)
