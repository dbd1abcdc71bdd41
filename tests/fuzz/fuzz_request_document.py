"""Fuzz target: a request document (the input of ``POST /api/v1/requests``, ``POST
/api/v1/requests/validate`` and ``hanoix request new --from-file`` / ``request validate``).

What those routes and commands run, on a real node (SQLite in a temporary home): the pydantic
model (``RequestDocument``: strict types and lengths), ``to_draft`` (kind, States, dates,
contents) and ``validate_draft`` (the Convention's required contents and the requested State's
declarations) as the drafter of an Austrian authority. The body is read with ``json.loads``
first, as FastAPI and the CLI do; what that refuses never reaches the model, and the routes and
commands answer it on their own (a 400 problem, an exit 2), so it is not this target's concern.
Documented outcomes: pydantic's :class:`ValidationError` (a 422 problem document) and
:class:`InputError` (a 400 problem document).
"""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
from pathlib import Path

from pydantic import ValidationError

from hanoix.config import load_settings
from hanoix.convention import RequestKind
from hanoix.documents.requests import RequestDocument, to_draft
from hanoix.errors import InputError
from hanoix.services import requests as service
from hanoix.services.node import Node
from tests.fuzz.harness import Parse, Target
from tests.services import requests_world as world


def seeds() -> dict[str, bytes]:
    found = {
        kind.value: json.dumps(world.document(kind), ensure_ascii=False).encode()
        for kind in RequestKind
    }
    found["minimal"] = json.dumps(
        {"kind": "preservation", "requested_state": "VNM", "language": "en"}
    ).encode()
    return found


def _memory() -> Path | None:
    """A tmpfs for the node's home where there is one: the fuzzer's time then goes to the
    code, not to the disk's fsync."""
    shm = Path("/dev/shm")
    return shm if shm.is_dir() else None


def prepare() -> Parse:
    home = Path(tempfile.mkdtemp(prefix="hanoix-fuzz-", dir=_memory()))
    atexit.register(shutil.rmtree, home, ignore_errors=True)
    node = Node.open(load_settings(home, environ={}, state="AUT"))
    node.initialise()
    world.populate(node)
    drafter = service.user_named(node, "drafter")

    def parse(data: bytes) -> object:
        try:
            body = json.loads(data)
        except (ValueError, RecursionError):
            return None  # not JSON: refused before the model, by the route or the command
        document = RequestDocument.model_validate(body)
        return service.validate_draft(node, to_draft(document), user=drafter)

    return parse


TARGET = Target(
    name="request_document",
    reads="request documents (hanoix/documents/requests.py, hanoix/requests/validation.py)",
    documented=(ValidationError, InputError),
    seeds=seeds,
    prepare=prepare,
    short_runs=300,
)
