"""The evidence errors as the CLI and the API render them: code, message, problems, report."""

from __future__ import annotations

import io

import pytest

from hanoix.errors import Problem
from hanoix.evidence import verify
from hanoix.evidence.errors import NotAddressedError, PackageVerificationError
from tests.evidence.helpers import authority, seal_bytes


def test_a_verification_error_without_a_report_renders_its_problems_only() -> None:
    error = PackageVerificationError(
        "the package does not verify", problems=[Problem("step 5: bad signature", "signature")]
    )
    assert error.report is None
    assert error.as_dict() == {
        "error": "package-not-verified",
        "message": "the package does not verify",
        "problems": [Problem("step 5: bad signature", "signature").as_dict()],
    }


def test_a_verification_error_carries_what_could_be_read_of_the_package() -> None:
    package, sealed = seal_bytes({"a": b"x"}, authority(1), [authority(2, "Police", "VNM")])
    report = verify(io.BytesIO(package)).report
    error = NotAddressedError("not addressed to this key", report=report)
    assert error.report is report
    assert error.as_dict() == {
        "error": "package-not-addressed",
        "message": "not addressed to this key",
        "problems": [],
        "package": report.as_dict(),
    }
    assert error.as_dict()["package"]["package_id"] == sealed.package_id


def test_a_verification_error_is_raised_with_its_message() -> None:
    with pytest.raises(PackageVerificationError, match=r"^cut short$"):
        raise PackageVerificationError("cut short")
