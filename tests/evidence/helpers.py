"""Builders for evidence tests: deterministic keys, in-memory sources and sinks."""

from __future__ import annotations

import io
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from hanoix.clock import FixedClock
from hanoix.evidence import keys, open_package, seal, verify
from hanoix.evidence.keys import DecryptionKey, PublicKey, SigningKey
from hanoix.evidence.manifest import FileEntry
from hanoix.evidence.open import OpenedPackage
from hanoix.evidence.seal import SealedPackage
from hanoix.evidence.streams import Source
from hanoix.evidence.verify import VerifiedPackage

CHUNK = 1024  # the smallest chunk the format allows: many chunks from small inputs
WHEN = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
MODIFIED = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)


def rng_source(seed: int) -> Callable[[int], bytes]:
    rng = random.Random(seed)
    return rng.randbytes


@dataclass(frozen=True)
class Authority:
    signing: SigningKey
    decryption: DecryptionKey

    @property
    def recipient(self) -> PublicKey:
        return self.decryption.public

    @property
    def sender(self) -> PublicKey:
        return self.signing.public


def authority(seed: int, name: str = "Ministry of Justice", state: str = "AUT") -> Authority:
    signing, decryption = keys.generate(name, state, rng_source(seed))
    return Authority(signing, decryption)


def sources(files: Mapping[str, bytes]) -> list[Source]:
    return [
        Source(path, (lambda data=data: io.BytesIO(data)), MODIFIED, len(data))
        for path, data in files.items()
    ]


def seal_bytes(
    files: Mapping[str, bytes],
    sender: Authority,
    recipients: Sequence[Authority],
    *,
    seed: int = 7,
    chunk_size: int = CHUNK,
    request: str | None = "AUT-2026-0001",
    note: str | None = "seized 2026-11-20",
) -> tuple[bytes, SealedPackage]:
    out = io.BytesIO()
    sealed = seal(
        sources(files),
        out,
        signer=sender.signing,
        recipients=[r.recipient for r in recipients],
        clock=FixedClock(WHEN),
        random=rng_source(seed),
        request=request,
        note=note,
        chunk_size=chunk_size,
    )
    return out.getvalue(), sealed


class _Buffer(io.BytesIO):
    def close(self) -> None:  # keep the bytes readable after the writer is closed
        pass


@dataclass
class MemorySink:
    staged: dict[str, _Buffer] = field(default_factory=dict)
    committed: dict[str, bytes] | None = None
    aborted: bool = False

    def create(self, path: str) -> _Buffer:
        assert path not in self.staged
        self.staged[path] = _Buffer()
        return self.staged[path]

    def commit(self, files: Sequence[FileEntry]) -> None:
        assert [f.path for f in files] == list(self.staged)
        self.committed = {path: buf.getvalue() for path, buf in self.staged.items()}

    def abort(self) -> None:
        self.aborted = True


def verify_bytes(package: bytes, sender: PublicKey | None = None) -> VerifiedPackage:
    return verify(io.BytesIO(package), sender=sender)


def open_bytes(
    package: bytes, who: Authority, sender: PublicKey | None = None
) -> tuple[OpenedPackage, MemorySink]:
    sink = MemorySink()
    opened = open_package(io.BytesIO(package), who.decryption, sink, sender=sender)
    return opened, sink


def seal_folder(
    folder: Path,
    package: Path,
    sender: Authority,
    recipient: Authority,
    *,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Seal a folder on disk into a package file, as `hanoix evidence pack` does."""
    from hanoix.services import evidence

    evidence.seal_files(
        evidence.collect_sources([folder]),
        package,
        signer=sender.signing,
        recipients=[recipient.recipient],
        clock=FixedClock(WHEN),
        progress=progress,
    )


def released(view: memoryview) -> bool:
    """Whether a lent view was released (any use of a released view raises ValueError)."""
    try:
        len(view)
    except ValueError:
        return True
    return False
