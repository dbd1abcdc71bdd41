"""The JSON shapes of requests: what a refused request tells its reader (issue 12, item 7)."""

from __future__ import annotations

from hanoix.convention import RequestKind
from hanoix.documents.request_views import RequestOut
from hanoix.requests import Action, Refusal, apply
from tests.requests.builders import T0, VNM_APPROVER, received, sent


def _refused(kind: RequestKind, ground: str) -> RequestOut:
    request = received(sent(kind))
    step = apply(request, Action.REFUSE, VNM_APPROVER, T0, payload=Refusal((ground,), "reasons"))
    return RequestOut.of(step.request)


def test_a_refusal_on_a_contested_ground_carries_its_caution() -> None:
    shown = _refused(RequestKind.PRESERVATION, "contrary-to-legal-system")
    assert shown.refusal is not None
    [caution] = shown.refusal["cautions"]
    assert (caution["field"], caution["article"]) == ("grounds", "Art. 42(6)")
    assert "contested" in caution["message"]


def test_a_refusal_on_an_uncontested_ground_has_no_caution() -> None:
    shown = _refused(RequestKind.MLA, "contrary-to-legal-system")
    assert shown.refusal is not None
    assert shown.refusal["cautions"] == []
