"""The request as its reader sees it: what a refused request tells its reader (issue 12, item
7), and conditions and consents in their reading form."""

from __future__ import annotations

import json
from pathlib import Path

from hanoix.convention import RequestKind
from hanoix.documents.request_views import RequestOut, condition_view, consent_view
from hanoix.requests import Action, Refusal, apply
from tests.golden import read_golden
from tests.requests import samples
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


def test_conditions_and_consents_read_as_the_api_answered_before_the_codecs_split() -> None:
    # The golden file of the stored conditions was made when the API showed the stored layout:
    # the reading form keeps that shape, now without depending on the store.
    store_golden = Path(__file__).parents[1] / "store" / "golden"
    golden = json.loads(read_golden(store_golden, "conditions.json"))
    request = samples.stored_request(RequestKind.MLA)
    shown = RequestOut.of(request)
    assert shown.conditions == golden["conditions"]
    assert shown.consents == golden["consents"]
    assert [condition_view(c) for c in samples.CONDITIONS] == golden["conditions"]
    assert [consent_view(c) for c in samples.CONSENTS] == golden["consents"]
