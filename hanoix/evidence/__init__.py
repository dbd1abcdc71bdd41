"""Electronic evidence packages: sealed, encrypted, streamed, verifiable offline.

The recipes are the whole public surface; key agreement, chunk framing and nonces stay inside:

* :func:`seal` — files in, one package out, signed by the sender, encrypted to recipients;
* :func:`verify` — check a package without any private key (signature, structure, chunks);
* :func:`open_package` — decrypt for one recipient, check every digest, then release files;
* :mod:`hanoix.evidence.keys` — authority key sets and their files;
* :func:`provenance_graph` — the package's provenance as a CASE/UCO JSON-LD graph.

The format is specified in ``docs/evidence-format.md``.
"""

from __future__ import annotations

from hanoix.evidence.errors import (
    BadSignatureError,
    EvidenceInputError,
    KeyFileError,
    NotAddressedError,
    NotAPackageError,
    OutputError,
    PackageVerificationError,
    SourceError,
    UnsupportedVersionError,
)
from hanoix.evidence.keys import DecryptionKey, KeyKind, PublicKey, SigningKey
from hanoix.evidence.manifest import FileEntry, Manifest
from hanoix.evidence.open import OpenedPackage, Sink, open_package
from hanoix.evidence.seal import SealedPackage, seal
from hanoix.evidence.streams import Readable, Source, Writable, WritableFile
from hanoix.evidence.verify import PackageReport, VerifiedPackage, verify

__all__ = [
    "BadSignatureError",
    "DecryptionKey",
    "EvidenceInputError",
    "FileEntry",
    "KeyFileError",
    "KeyKind",
    "Manifest",
    "NotAPackageError",
    "NotAddressedError",
    "OpenedPackage",
    "OutputError",
    "PackageReport",
    "PackageVerificationError",
    "PublicKey",
    "Readable",
    "SealedPackage",
    "SigningKey",
    "Sink",
    "Source",
    "SourceError",
    "UnsupportedVersionError",
    "VerifiedPackage",
    "Writable",
    "WritableFile",
    "open_package",
    "seal",
    "verify",
]
