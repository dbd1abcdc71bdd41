"""Removal cases in the browser: the desk (cases with overdue notices first) and a case's page
(its hashes, digests only; its notices with their deadlines and states; the requests linked to
it; its preserved packages), with forms to send a notice and record the answers.

Who sees what is the services' (``hanoix.services.content_notices``): an authority's drafters,
24/7 officers and examiners, as for the CLI; another authority's case or notice answers as a
missing one. The victim's reference is shown to them, as the CLI shows it; never a picture.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hanoix.content.notices import NoticeState, parse_deadline
from hanoix.errors import HanoixError, NotFoundError
from hanoix.services import content_notices as service
from hanoix.services.auth import Principal
from hanoix.services.node import Node
from hanoix.services.requests import user_for_principal
from hanoix.web.routing import page_router
from hanoix.web.session import CheckedForm, NodeOf, SignedInUser
from hanoix.web.templating import N_, gettext_for, render

router = page_router()

#: What a person reads for each state of a notice; the code stays beside it on the page.
NOTICE_STATE_NAMES = {
    NoticeState.SENT.value: N_("Sent"),
    NoticeState.ACKNOWLEDGED.value: N_("Acknowledged"),
    NoticeState.REMOVED.value: N_("Removed"),
    NoticeState.REFUSED.value: N_("Refused"),
    NoticeState.REUPLOADED.value: N_("Re-uploaded"),
}
#: The answers a form may record, by the path's last part.
ANSWERS = {
    "acknowledge": NoticeState.ACKNOWLEDGED,
    "removed": NoticeState.REMOVED,
    "refused": NoticeState.REFUSED,
}
DONE = {
    "sent": N_("Notice sent."),
    "acknowledged": N_("Acknowledgement recorded."),
    "removed": N_("Removal recorded."),
    "refused": N_("Refusal recorded."),
}

TextField = Annotated[str, Form(max_length=2000)]


@router.get("/desk/removal", response_class=HTMLResponse)
def removal_desk(request: Request, principal: SignedInUser, node: NodeOf) -> HTMLResponse:
    rows = service.desk(node, user_for_principal(node, principal))
    return render(
        request,
        "content/desk.html",
        {"rows": rows, "now": node.clock.now(), "state_names": NOTICE_STATE_NAMES},
    )


def _case_page(
    request: Request,
    node: Node,
    principal: Principal,
    reference: str,
    *,
    done: str = "",
    refused: HanoixError | None = None,
) -> HTMLResponse:
    user = user_for_principal(node, principal)
    found = service.case_file(node, user, reference)
    now = node.clock.now()
    _ = gettext_for(request)
    context: dict[str, Any] = {
        "found": found,
        "now": now,
        "state_names": NOTICE_STATE_NAMES,
        "answers": {state.value: path for path, state in ANSWERS.items()},
        "open_states": {
            s.value for s in (NoticeState.SENT, NoticeState.ACKNOWLEDGED, NoticeState.REUPLOADED)
        },
        "confirmation": _(DONE[done]) if done in DONE else None,
        "refused": refused.message if refused else None,
        "problems": refused.problems if refused else [],
    }
    status = refused.http_status if refused else 200
    return render(request, "content/case.html", context, status_code=status)


@router.get("/content/cases/{reference}", response_class=HTMLResponse)
def case_page(
    request: Request, reference: str, principal: SignedInUser, node: NodeOf, done: str = ""
) -> HTMLResponse:
    return _case_page(request, node, principal, reference, done=done)


@router.post(
    "/content/cases/{reference}/notices", response_class=HTMLResponse, dependencies=[CheckedForm]
)
def new_notice(
    request: Request,
    reference: str,
    principal: SignedInUser,
    node: NodeOf,
    to: Annotated[str, Form(max_length=200)] = "",
    kind: Annotated[str, Form(max_length=20)] = "provider",
    deadline: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    user = user_for_principal(node, principal)
    try:
        service.send_notice(
            node,
            user,
            reference,
            to=to,
            kind=kind,
            deadline=parse_deadline(deadline, node.clock.now()),
        )
    except NotFoundError:
        raise  # another authority's case, or none: the same page as a missing one
    except HanoixError as refused:
        return _case_page(request, node, principal, reference, refused=refused)
    return RedirectResponse(f"/content/cases/{reference}?done=sent", status_code=303)


@router.post(
    "/content/notices/{notice}/{answer}", response_class=HTMLResponse, dependencies=[CheckedForm]
)
def answer_notice(
    request: Request,
    notice: str,
    answer: str,
    principal: SignedInUser,
    node: NodeOf,
    case: Annotated[str, Form(max_length=40)] = "",
    confirmation: Annotated[str, Form(max_length=200)] = "",
    reason: TextField = "",
    version: Annotated[int | None, Form()] = None,
) -> Response:
    state = ANSWERS.get(answer)
    if state is None:
        raise NotFoundError(f"no such answer to a notice: {answer[:40]}")
    user = user_for_principal(node, principal)
    try:
        answered = service.answer_notice(
            node,
            user,
            notice,
            state.value,
            confirmation=confirmation or None,
            reason=reason or None,
            expected_version=version,
        )
    except NotFoundError:
        raise
    except HanoixError as refused:
        if not case:
            raise
        return _case_page(request, node, principal, case, refused=refused)
    return RedirectResponse(f"/content/cases/{answered.case}?done={state.value}", status_code=303)
