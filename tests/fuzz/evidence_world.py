"""Sealed evidence packages made with the project's own sealing code: the seeds of the
evidence fuzz targets (small chunks, so that a few bytes of content make several chunks)."""

from __future__ import annotations

from functools import cache

from hanoix.evidence.seal import SealedPackage
from tests.evidence.helpers import authority, seal_bytes

SENDER = authority(1, "Ministry of Justice", "AUT")
RECIPIENTS = (authority(2, "Ministry of Public Security", "VNM"), authority(3, "Court", "VNM"))


@cache
def packages() -> dict[str, tuple[bytes, SealedPackage]]:
    """Packages of several shapes: one file, folders, an empty file, two recipients."""
    return {
        "one-file": seal_bytes({"disk.img": b"\x00\x01" * 700}, SENDER, RECIPIENTS[:1]),
        "folders": seal_bytes(
            {
                "case/photos/a.jpg": b"\xff\xd8\xff" + bytes(range(256)) * 5,
                "case/notes.txt": "Übersicht — 概要\n".encode() * 40,
                "case/empty": b"",
            },
            SENDER,
            RECIPIENTS,
            seed=8,
            note=None,
        ),
        "no-request": seal_bytes({"x": b"abc"}, SENDER, RECIPIENTS[1:], seed=9, request=None),
    }
