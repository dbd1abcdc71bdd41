"""Removing intimate images and abuse material by hash (Arts 14, 16 and 34; docs/content.md).

The rules of removal cases and of matching, and the hashing of content, as pure functions over
bytes and values: no file, database or network here. The store keeps cases and hashes, never
the media (``hanoix.store.content``); the use cases are ``hanoix.services.content``.
"""
