"""The processes a node runs: its HTTP server, the federation TLS listener and the delivery
worker, and the ``hanoix`` entry point that starts them.

This is the top floor: it may import every other package (interfaces, use cases, protocol,
store), and none imports it (``.importlinter``, contract ``runtime``).
"""
