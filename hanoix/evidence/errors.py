"""The evidence package's family of errors, under the project's one hierarchy.

Two branches, as everywhere in Hanoi Exchange:

* :class:`EvidenceInputError` (exit 2): the input cannot be used at all: a missing or unreadable
  file, a key file that does not parse or is of the wrong kind, something that is not an
  evidence package, a package of a format version this software does not know.
* :class:`PackageVerificationError` (exit 1): a well-formed package does not verify: bad
  signature, a chunk that does not match its commitment, truncation, the wrong sender, a file
  whose digest differs, a package not addressed to the key given. Each finding is a
  :class:`~hanoix.errors.Problem` naming where (``chunk 17``, ``file a/b.txt``, ``signature``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from hanoix.errors import InputError, Problem, VerificationError

if TYPE_CHECKING:
    from hanoix.evidence.verify import PackageReport


class EvidenceInputError(InputError):
    """An evidence operation could not start: its input is missing, unreadable or unusable."""

    code = "evidence-input"


class SourceError(EvidenceInputError):
    """A file or folder to seal is missing, unreadable, or changed while it was being read."""

    code = "evidence-source"


class KeyFileError(EvidenceInputError):
    """A key file is missing, corrupted, passphrase-protected without a passphrase, or of the
    wrong kind (an encryption key where a signing key is needed, a public key for a private)."""

    code = "key-file"


class NotAPackageError(EvidenceInputError):
    """The file does not start like a Hanoi Exchange evidence package."""

    code = "not-a-package"


class UnsupportedVersionError(EvidenceInputError):
    """The package's format version is newer (or other) than this software can read."""

    code = "unsupported-package-version"


class OutputError(EvidenceInputError):
    """The output cannot be written (it exists already, or its folder is not writable)."""

    code = "evidence-output"


class PackageVerificationError(VerificationError):
    """The package does not verify. ``problems`` lists every failed check; ``report`` holds
    what could still be read (sender, recipients, sizes) for a court's report."""

    code = "package-not-verified"

    def __init__(
        self,
        message: str,
        *,
        problems: Sequence[Problem] = (),
        report: PackageReport | None = None,
    ) -> None:
        super().__init__(message, problems=problems)
        self.report = report

    def as_dict(self) -> dict[str, Any]:
        data = super().as_dict()
        if self.report is not None:
            data["package"] = self.report.as_dict()
        return data


class BadSignatureError(VerificationError):
    """An Ed25519 signature does not verify with the key it is checked against."""

    code = "bad-signature"


class NotAddressedError(PackageVerificationError):
    """The package is not addressed to the key given: no recipient entry matches it."""

    code = "package-not-addressed"
