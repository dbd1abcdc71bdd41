"""The data-protection officer's search in the browser (docs/retention.md): a form that sends
the identifier in the body of a POST, never in the URL (URLs reach access logs, histories and
proxies), with the site's form token; the answer lists every place the node holds it and who
accessed each and when. The search is :func:`hanoix.services.personal_data.find`, the one the
CLI and the API run: it checks the role and records the search (by a digest of the identifier).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import HTMLResponse

from hanoix.errors import HanoixError, PermissionDeniedError
from hanoix.requests import Role
from hanoix.services import personal_data
from hanoix.services.auth import Principal
from hanoix.services.requests import user_for_principal
from hanoix.web.routing import page_router
from hanoix.web.session import CheckedForm, NodeOf, SignedInUser
from hanoix.web.templating import finds_personal_data, render

router = page_router()

PAGE = "personal_data.html"


def _check(principal: Principal) -> None:
    if not finds_personal_data(principal.roles):
        raise PermissionDeniedError(
            "finding a person's data is the data-protection officer's: it needs the role "
            f"{Role.DATA_PROTECTION_OFFICER.value}"
        )


@router.get("/personal-data", response_class=HTMLResponse)
def search_form(request: Request, user: SignedInUser) -> HTMLResponse:
    _check(user)
    return render(request, PAGE, {"found": None, "problem": None})


@router.post("/personal-data", response_class=HTMLResponse, dependencies=[CheckedForm])
def search(
    request: Request,
    user: SignedInUser,
    node: NodeOf,
    identifier: Annotated[str, Form(max_length=2 * personal_data.MAX_IDENTIFIER)] = "",
) -> HTMLResponse:
    _check(user)
    try:
        found = personal_data.find(node, user_for_principal(node, user), identifier)
    except HanoixError as refused:
        context = {"found": None, "problem": refused.message, "identifier": identifier}
        return render(request, PAGE, context, status_code=refused.http_status)
    return render(request, PAGE, {"found": found, "problem": None, "identifier": identifier})
