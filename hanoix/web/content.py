"""Removal cases in the browser: the desk (cases with overdue notices first) and a case's page
(its hashes, digests only; its notices with their deadlines and states; the requests linked to
it; its preserved packages; the matches it keeps), with forms to send a notice, record the
answers and add files (hashed in memory and dropped, or sealed as evidence).

Who sees what is the services' (``hanoix.services.content_notices``): an authority's drafters,
24/7 officers and examiners, as for the CLI; another authority's case or notice answers as a
missing one. The victim's reference is shown to them, as the CLI shows it; never a picture.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from hanoix.content.matches import KEPT_PER_CASE
from hanoix.content.notices import NoticeState, parse_deadline
from hanoix.errors import HanoixError, NotFoundError
from hanoix.services import content as content_service
from hanoix.services import content_notices as service
from hanoix.services import content_upload
from hanoix.services.auth import Principal
from hanoix.services.node import Node
from hanoix.services.requests import user_for_principal
from hanoix.web.routing import page_router
from hanoix.web.session import (
    CSRF_FIELD,
    CSRF_HEADER,
    CheckedForm,
    NodeOf,
    SignedInUser,
    check_form_token,
)
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
    "added": N_("Content added: its hashes are listed, the files were not kept."),
    "preserved": N_("Content added and sealed as evidence; the files were not kept in the clear."),
}

TextField = Annotated[str, Form(max_length=2000)]


#: Cases on one page of the desk; the next page is a link.
DESK_PAGE = 50


@router.get("/desk/removal", response_class=HTMLResponse)
def removal_desk(
    request: Request,
    principal: SignedInUser,
    node: NodeOf,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> HTMLResponse:
    page = service.desk_page(
        node, user_for_principal(node, principal), limit=DESK_PAGE, cursor=cursor
    )
    # A cursor is base64url: safe in a query as it is.
    following = None if page.next_cursor is None else f"cursor={page.next_cursor}"
    return render(
        request,
        "content/desk.html",
        {
            "rows": page.items,
            "now": node.clock.now(),
            "state_names": NOTICE_STATE_NAMES,
            "next_query": following,
            "first_page": cursor is None,
        },
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
        "kept_at_most": KEPT_PER_CASE,
        "max_files": content_upload.MAX_FILES,
        "max_bytes": content_upload.MAX_BODY_BYTES,
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


async def _checked_content_form(request: Request) -> content_upload.ContentForm:
    """The case page's file form, read into memory, once its form token is checked (as
    :data:`CheckedForm` checks it, before anything else: a form without it is refused whoever
    sends it). Read here, not by Starlette's parser, which writes large files to disk."""
    sent = request.headers.get(CSRF_HEADER)
    if sent is not None or not content_upload.is_form(request.headers):
        check_form_token(request, sent)  # no token anywhere: refused as any form without it
    form = await content_upload.read_form(request.headers, request.stream())
    if sent is None:
        check_form_token(request, next(iter(form.fields.get(CSRF_FIELD, [])), None))
    return form


@router.post("/content/cases/{reference}/content", response_class=HTMLResponse)
async def add_content(
    request: Request,
    reference: str,
    form: Annotated[content_upload.ContentForm, Depends(_checked_content_form)],
    principal: SignedInUser,
    node: NodeOf,
) -> Response:
    """The case page's file form: the files are hashed and dropped (sealed too, with the
    preserve box), never written to a disk in the clear."""
    preserve = form.flag("preserve")
    user = await run_in_threadpool(user_for_principal, node, principal)
    try:
        await run_in_threadpool(
            partial(
                content_service.add_files,
                node,
                user,
                reference,
                form.files,
                preserve=preserve,
                consent=["preserve"] if form.flag("consent_preserve") else [],
                ask=content_upload.no_passphrase,
            )
        )
    except NotFoundError:
        raise
    except HanoixError as refused:
        page = partial(_case_page, request, node, principal, reference, refused=refused)
        return await run_in_threadpool(page)
    done = "preserved" if preserve else "added"
    return RedirectResponse(f"/content/cases/{reference}?done={done}", status_code=303)
