"""Signing in and out, and the user's own account: password, second factor, language, zone."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hanoix.errors import AuthenticationError, HanoixError, InputError, RetryLaterError
from hanoix.services import auth
from hanoix.services.auth import MIN_PASSWORD_LENGTH, SecondFactorRequiredError
from hanoix.web import i18n
from hanoix.web.routing import page_router
from hanoix.web.session import (
    ENROL_PATH,
    CheckedForm,
    NodeOf,
    OptionalUser,
    SignedInUser,
    clear_session,
    keep_form_secret,
    local_path,
    session_cookie,
    set_session,
    start_form,
)
from hanoix.web.templating import TIME_ZONE_COOKIE, gettext_for, render, time_zones

router = page_router()

PREFERENCE_MAX_AGE = 365 * 24 * 3600


def _sign_in_page(
    request: Request,
    *,
    back_to: str,
    username: str = "",
    message: str | None = None,
    ask_code: bool = False,
    status_code: int = 200,
) -> HTMLResponse:
    created = start_form(request)
    context = {"next": back_to, "username": username, "message": message, "ask_code": ask_code}
    response = render(request, "sign_in.html", context, status_code=status_code)
    keep_form_secret(request, response, created)
    return response


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_form(request: Request, user: OptionalUser, next: str = "/") -> Response:
    if user is not None:
        return RedirectResponse(local_path(next), status_code=303)
    return _sign_in_page(request, back_to=local_path(next))


@router.post("/sign-in", response_class=HTMLResponse, dependencies=[CheckedForm])
def sign_in(
    request: Request,
    node: NodeOf,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    code: Annotated[str, Form(max_length=20)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    _ = gettext_for(request)
    back_to = local_path(next)
    username = username.strip()
    if not username or not password:
        return _sign_in_page(
            request,
            back_to=back_to,
            username=username,
            message=_("Type your username and your password."),
            status_code=400,
        )
    address = request.client.host if request.client is not None else None
    try:
        signed_in = auth.sign_in(
            node, username, password, code=code.strip() or None, address=address
        )
    except SecondFactorRequiredError:
        return _sign_in_page(
            request,
            back_to=back_to,
            username=username,
            message=_(
                "This account signs in with a one-time code too: type your password again and "
                "the 6-digit code your authenticator app shows now."
            ),
            ask_code=True,
            status_code=401,
        )
    except (AuthenticationError, RetryLaterError) as refused:
        response = _sign_in_page(
            request,
            back_to=back_to,
            username=username,
            message=_(refused.message),
            ask_code=bool(code),
            status_code=refused.http_status,
        )
        if isinstance(refused, RetryLaterError):
            response.headers["Retry-After"] = str(refused.retry_after)
        return response
    # A role that needs a second factor not yet set up goes there first (nothing else opens).
    landing = ENROL_PATH if signed_in.principal.must_enrol else back_to
    signed_in_response = RedirectResponse(landing, status_code=303)
    set_session(request, signed_in_response, signed_in.session_id)
    return signed_in_response


@router.post("/sign-out", dependencies=[CheckedForm])
def sign_out(request: Request, node: NodeOf) -> Response:
    session_id = request.cookies.get(session_cookie(request))
    if session_id:
        with node.unit_of_work() as session:
            auth.end_session(session, node.clock, session_id)
    response = RedirectResponse("/sign-in", status_code=303)
    clear_session(request, response)
    return response


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, user: SignedInUser, node: NodeOf) -> HTMLResponse:
    with node.reading() as session:
        info = auth.describe_user(session, user.username)
    context = {"info": info, "time_zones": time_zones(), "saved": request.query_params.get("saved")}
    return render(request, "account.html", context)


@router.post("/account/preferences", dependencies=[CheckedForm])
def preferences(
    request: Request,
    user: SignedInUser,
    language: Annotated[str, Form(max_length=20)] = "",
    time_zone: Annotated[str, Form(max_length=80)] = "",
) -> Response:
    _ = gettext_for(request)
    if language and language not in i18n.languages():
        raise InputError(_("That language is not available on this node."))
    if time_zone and time_zone not in time_zones():
        raise InputError(_("That time zone is not known: choose one from the list."))
    response = RedirectResponse("/account?saved=preferences", status_code=303)
    secure = request.url.scheme == "https"
    for name, value in ((i18n.LANGUAGE_COOKIE, language), (TIME_ZONE_COOKIE, time_zone)):
        if value:
            response.set_cookie(
                name, value, max_age=PREFERENCE_MAX_AGE, samesite="lax", secure=secure, path="/"
            )
    return response


@router.get("/account/password", response_class=HTMLResponse)
def password_form(request: Request, user: SignedInUser) -> HTMLResponse:
    return render(request, "password.html", {"minimum": MIN_PASSWORD_LENGTH, "problems": {}})


@router.post("/account/password", response_class=HTMLResponse, dependencies=[CheckedForm])
def change_password(
    request: Request,
    user: SignedInUser,
    node: NodeOf,
    current_password: Annotated[str, Form(max_length=1000)] = "",
    new_password: Annotated[str, Form(max_length=1000)] = "",
    repeat_password: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    _ = gettext_for(request)
    problems: dict[str, str] = {}
    if new_password != repeat_password:
        problems["repeat_password"] = _("The two new passwords differ: type the same twice.")
    else:
        try:
            auth.change_password(
                node,
                user.user_id,
                current_password,
                new_password,
                keep_session=request.cookies.get(session_cookie(request)),
            )
        except HanoixError as refused:
            if isinstance(refused, RetryLaterError):
                raise
            for problem in refused.problems or ():
                problems[problem.field or "current_password"] = _(problem.message)
            if not problems:
                problems["current_password"] = _(refused.message)
    if problems:
        context = {"minimum": MIN_PASSWORD_LENGTH, "problems": problems}
        return render(request, "password.html", context, status_code=400)
    return RedirectResponse("/account?saved=password", status_code=303)


@router.get("/account/second-factor", response_class=HTMLResponse)
def second_factor(request: Request, user: SignedInUser, node: NodeOf) -> HTMLResponse:
    with node.reading() as session:
        info = auth.describe_user(session, user.username)
    return render(request, "second_factor.html", {"info": info, "enrolment": None})


@router.post("/account/second-factor", response_class=HTMLResponse, dependencies=[CheckedForm])
def enrol_second_factor(request: Request, user: SignedInUser, node: NodeOf) -> HTMLResponse:
    enrolment = auth.enrol_totp(node, user.username)
    with node.reading() as session:
        info = auth.describe_user(session, user.username)
    return render(request, "second_factor.html", {"info": info, "enrolment": enrolment})


@router.post(
    "/account/second-factor/confirm", response_class=HTMLResponse, dependencies=[CheckedForm]
)
def confirm_second_factor(
    request: Request,
    user: SignedInUser,
    node: NodeOf,
    code: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    try:
        auth.confirm_totp(node, user.username, code.strip())
    except InputError as refused:
        _ = gettext_for(request)
        with node.reading() as session:
            info = auth.describe_user(session, user.username)
        context = {"info": info, "enrolment": None, "message": _(refused.message)}
        return render(request, "second_factor.html", context, status_code=400)
    return RedirectResponse("/account?saved=second-factor", status_code=303)
