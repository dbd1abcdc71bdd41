"""The protocol between nodes: codecs, envelopes, receipts, the signed directory, errors, the
handler registry, settings, and the HTTP/TLS client and transport.

It speaks bytes and values and imports only the core (``.importlinter``, contract
``protocol``): what a message does on arrival is a use case (:mod:`hanoix.services.federation`),
and the processes that carry messages run in :mod:`hanoix.runtime`.
"""
