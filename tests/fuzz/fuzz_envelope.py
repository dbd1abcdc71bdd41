"""Fuzz target: a federation envelope as a peer (or anyone) posts it to /federation/v1/envelopes.

The whole of ``open_envelope`` runs (steps 1-6: size and shape, recipient, directory, signature,
time, decryption), so mutations of a sealed envelope exercise the strict JSON codec, every
field check, canonicalisation for the signature and the refusal paths. The only documented
outcome of a bad envelope is :class:`EnvelopeRejectedError` (with its reason slug).
"""

from __future__ import annotations

from hanoix.federation.envelope import open_envelope
from hanoix.federation.errors import EnvelopeRejectedError
from tests.fuzz import federation_world as world
from tests.fuzz.harness import Parse, Target


def prepare() -> Parse:
    def parse(data: bytes) -> object:
        return open_envelope(
            data,
            recipient=world.VNM,
            directory=world.DIRECTORY,
            decryption_key=world.decryption_key,
            now=world.NOW,
        )

    return parse


TARGET = Target(
    name="envelope",
    reads="federation envelopes (hanoix/federation/envelope.py, codec.py) from any client",
    documented=(EnvelopeRejectedError,),
    seeds=world.envelopes,
    prepare=prepare,
    short_runs=1000,
)
