"""The documents people write and read: the formats at the node's edges, between the core and
the adapters.

A document module knows the core and pydantic only. The API, the CLI and the web forms read
and render through it, so an interface never borrows another's format; the node's database and
the protocol between States have codecs of their own (:mod:`hanoix.store.request_codec`,
:mod:`hanoix.federation.request_wire`).
"""
