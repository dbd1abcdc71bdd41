"""Hanoi Exchange: a State's node for cooperation under the UN Convention against Cybercrime."""

__version__ = "0.1.0"
