"""``hanoix.ledger`` names its members lazily (PEP 562, issue 13): each name of ``__all__`` is
the object its module defines, the events alone load no cryptography, and a name it does not
have is refused as a module refuses one."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import hanoix.ledger as ledger
from hanoix.ledger import checkpoint, errors, events, merkle, proofs, witness

HOMES = {
    "hanoix.ledger.checkpoint": checkpoint,
    "hanoix.ledger.errors": errors,
    "hanoix.ledger.events": events,
    "hanoix.ledger.merkle": merkle,
    "hanoix.ledger.proofs": proofs,
    "hanoix.ledger.witness": witness,
}


def test_every_exported_name_is_the_object_of_the_module_that_defines_it() -> None:
    assert len(ledger.__all__) == 40
    for name in ledger.__all__:
        found = [home for home in HOMES.values() if name in vars(home)]
        assert found, name
        assert getattr(ledger, name) is getattr(found[0], name), name
    assert ledger.leaf_hash(b"") == merkle.leaf_hash(b"")
    assert ledger.CustodyEvent is events.CustodyEvent
    assert ledger.SplitViewError is errors.SplitViewError


def test_a_name_the_package_does_not_have_is_refused_as_python_refuses_it() -> None:
    with pytest.raises(
        AttributeError, match=r"^module 'hanoix\.ledger' has no attribute 'no_such_thing'$"
    ):
        ledger.__getattr__("no_such_thing")
    with pytest.raises(ImportError, match="cannot import name 'Merkle'"):
        exec("from hanoix.ledger import Merkle", {})
    assert importlib.import_module("hanoix.ledger") is ledger


def test_the_events_alone_load_no_signature_cryptography() -> None:
    script = (
        "import sys\n"
        "from hanoix.ledger import CustodyEvent, canonical_json\n"
        "print(sorted(m for m in ('cryptography', 'hanoix.ledger.witness') if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"
