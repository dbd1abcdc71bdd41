"""Fuzz target: a directory document, as ``hanoix directory import`` and the federation read it.

Two parsers run on each input: ``open_directory`` on the bytes as a file (size, shape, format,
signature by the trusted key, then the body), and ``parse_body`` on its ``directory`` member
directly, since a mutated body never gets past the signature and the body's parser (entries,
keys, TLS certificates, ledger keys) must hold on its own. Documented outcomes:
:class:`DirectoryError` (unreadable) and :class:`DirectoryVerificationError` (not signed by the
trusted key).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from hanoix.federation import codec
from hanoix.federation.directory import open_directory, parse_body, sign_directory
from hanoix.federation.errors import DirectoryError, DirectoryVerificationError
from tests.fuzz import federation_world as world
from tests.fuzz.harness import Parse, Target


def seeds() -> dict[str, bytes]:
    only_one = replace(world.DIRECTORY, serial=1, nodes=(world.A_ENTRY,))
    rotating = replace(world.B_ENTRY, tls_next_certificate=world.A_ENTRY.tls_certificate)
    later = replace(
        world.DIRECTORY,
        serial=2**40,
        issued=world.NOW + timedelta(microseconds=5),
        nodes=(world.A_ENTRY, rotating),
    )
    return {
        "directory": sign_directory(world.DIRECTORY, world.AUTHORITY),
        "directory-one-node": sign_directory(only_one, world.AUTHORITY),
        "directory-rotation": sign_directory(later, world.AUTHORITY),
    }


def prepare() -> Parse:
    trusted = world.AUTHORITY.public

    def parse(data: bytes) -> object:
        try:
            document = codec.json_object(data, "directory")
        except codec.FieldError:
            document = {}
        if "directory" in document:
            parse_body(document["directory"])
        return open_directory(data, trusted)

    return parse


TARGET = Target(
    name="directory",
    reads="directory documents (hanoix/federation/directory.py) from the directory authority",
    documented=(DirectoryError, DirectoryVerificationError),
    seeds=seeds,
    prepare=prepare,
    short_runs=500,
)
