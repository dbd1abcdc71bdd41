"""docs/requests.md carries the lifecycle generated from the transition table."""

from __future__ import annotations

from pathlib import Path

from hanoix.requests import Status, mermaid_state_diagram
from hanoix.requests.transitions import markdown_transition_table

DOC = Path(__file__).resolve().parents[2] / "docs" / "requests.md"


def test_the_documented_diagram_is_the_generated_one() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert f"```mermaid\n{mermaid_state_diagram()}```" in text


def test_the_documented_table_is_the_generated_one() -> None:
    assert markdown_transition_table() in DOC.read_text(encoding="utf-8")


def test_the_diagram_shows_every_state() -> None:
    diagram = mermaid_state_diagram()
    assert diagram.startswith("stateDiagram-v2\n")
    for status in Status:
        assert f" {status.value} " in diagram or f"--> {status.value} " in diagram
