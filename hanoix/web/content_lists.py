"""The hash lists a node holds, in the browser (docs/content.md, "Shared lists"): the
authority's own list (its hashes, those withdrawn, where and at which serial it was published)
and the lists imported from other States and from files (their origin, serial, key, counts),
with forms to publish the list to other States and to withdraw a hash, as ``hanoix content
list show``, ``list publish`` and ``content withdraw`` do, through the same services.

Who may do what is the services' rule: the roles that work removal cases.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hanoix.content.lists import WithdrawalReason
from hanoix.errors import HanoixError
from hanoix.requests import User
from hanoix.services import content_lists as service
from hanoix.services.auth import Principal
from hanoix.services.node import Node
from hanoix.services.requests import user_for_principal
from hanoix.web.routing import page_router
from hanoix.web.session import CheckedForm, NodeOf, SignedInUser
from hanoix.web.templating import N_, gettext_for, render

router = page_router()

PAGE = "/content/lists"
_HEX = re.compile(r"[0-9a-f]{32,64}")

#: What a person reads for each reason of a withdrawal; only the code travels.
REASONS = {
    WithdrawalReason.MISTAKE.value: N_("Listed by mistake"),
    WithdrawalReason.COURT_ORDER.value: N_("A court ordered it"),
    WithdrawalReason.VICTIM.value: N_("The victim asked for it"),
}
DONE = {
    "published": N_("The list was signed and queued for the States named."),
    "withdrawn": N_("The hash was withdrawn: it no longer matches here."),
}


def _lists_page(
    request: Request,
    node: Node,
    principal: Principal,
    *,
    done: str = "",
    outcome: dict[str, Any] | None = None,
    refused: HanoixError | None = None,
    value: str = "",
) -> HTMLResponse:
    shown = service.show_lists(node, user_for_principal(node, principal))
    own = shown["own"]
    _ = gettext_for(request)
    context: dict[str, Any] = {
        "own": own,
        "held": shown["held"],
        "last_serial": max((s["serial"] for s in own["published_to"]), default=None)
        if own
        else None,
        "reasons": REASONS,
        "confirmation": _(DONE[done]) if done in DONE else None,
        "outcome": outcome,
        "refused": refused.message if refused else None,
        "problems": refused.problems if refused else [],
        # A hash to withdraw, from a case page's link: the form is opened with it filled in.
        "value": value if _HEX.fullmatch(value) else "",
    }
    status = refused.http_status if refused else 200
    return render(request, "content/lists.html", context, status_code=status)


@router.get(PAGE, response_class=HTMLResponse)
def lists_page(
    request: Request,
    principal: SignedInUser,
    node: NodeOf,
    done: str = "",
    withdraw: Annotated[str, Query(max_length=64)] = "",
) -> HTMLResponse:
    return _lists_page(request, node, principal, done=done, value=withdraw)


@router.post(f"{PAGE}/publish", response_class=HTMLResponse, dependencies=[CheckedForm])
def publish(
    request: Request,
    principal: SignedInUser,
    node: NodeOf,
    to: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    states = to.replace(" ", ",").split(",")
    return _act(request, node, principal, lambda user: service.publish(node, user, states))


@router.post(f"{PAGE}/withdraw", response_class=HTMLResponse, dependencies=[CheckedForm])
def withdraw(
    request: Request,
    principal: SignedInUser,
    node: NodeOf,
    value: Annotated[str, Form(max_length=200)] = "",
    reason: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    return _act(
        request, node, principal, lambda user: service.withdraw(node, user, value.strip(), reason)
    )


def _act(
    request: Request,
    node: Node,
    principal: Principal,
    action: Callable[[User], service.Published | service.Withdrawn],
) -> Response:
    """Run a form's use case; a refusal is shown on the page with what to fix."""
    try:
        done = action(user_for_principal(node, principal))
    except HanoixError as refused:
        return _lists_page(request, node, principal, refused=refused)
    if isinstance(done, service.Published):
        return RedirectResponse(f"{PAGE}?done=published", status_code=303)
    # Shown at once rather than after a redirect: which cases and lists, which nodes told.
    return _lists_page(request, node, principal, done="withdrawn", outcome=done.as_dict())
