"""Who is signed in to a page, and the form token that proves a form came from the node.

The session is the API's (:func:`hanoix.services.auth.resume_session`): one cookie, HttpOnly
and SameSite=Strict, signs the user in to both. Every form also carries a token derived from a
secret the browser holds only in an HttpOnly cookie (the session id once signed in, a random
pre-session value on the sign-in page): another site can make a browser send the cookie, never
read it, so it cannot forge the token. A request that says it comes from another origin is
refused as well (``Origin`` and ``Sec-Fetch-Site``), whatever it carries.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request
from fastapi.responses import Response

from hanoix.errors import AuthenticationError
from hanoix.services import auth
from hanoix.services.auth import SESSION_LIFETIME, Principal
from hanoix.services.node import Node

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
PRE_SESSION_COOKIE = "hanoix_form"
ENROL_PATH = "/account/second-factor"
_TOKEN_CONTEXT = b"hanoix web form token v1"


class SignInRequired(Exception):  # noqa: N818  (a redirect, not an error of the user's)
    """The page needs a signed-in user: send the browser to the sign-in page, then back."""

    def __init__(self, back_to: str) -> None:
        super().__init__(back_to)
        self.back_to = back_to


class EnrolmentRequired(Exception):  # noqa: N818
    """The user's role needs a second factor they have not enrolled: that page first."""


class FormRefused(Exception):  # noqa: N818
    """A form without this node's token, or sent from another site."""


def node_of(request: Request) -> Node:
    node = request.app.state.node
    assert isinstance(node, Node)
    return node


NodeOf = Annotated[Node, Depends(node_of)]


def session_cookie(request: Request) -> str:
    name = getattr(request.app.state, "session_cookie", None)
    if not isinstance(name, str):
        name = request.app.state.session_cookie = auth.session_cookie_name(node_of(request))
    return name


def form_token(secret: str) -> str:
    digest = hmac.new(secret.encode(), _TOKEN_CONTEXT, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def local_path(target: str | None) -> str:
    """``target`` if it is a path on this node, else ``/``: the sign-in page's ``next`` must
    never send a user to another site (an open redirect)."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    if "\\" in target or any(ord(ch) < 0x20 for ch in target):
        return "/"
    return target


def sign_in_location(back_to: str) -> str:
    return "/sign-in?next=" + quote(local_path(back_to), safe="/")


def _resume(request: Request) -> tuple[Principal, str] | None:
    session_id = request.cookies.get(session_cookie(request))
    if not session_id:
        return None
    node = node_of(request)
    try:
        # One query and at most one row written, as the API resumes a session (Node.reading).
        with node.reading() as session:
            principal = auth.resume_session(
                session, node.clock, session_id, node.credentials.policy
            )
    except AuthenticationError:
        return None
    return principal, session_id


def optional_user(request: Request) -> Principal | None:
    """The signed-in user, or None; sets what every page shows (the header, the form token)."""
    resumed = _resume(request)
    if resumed is None:
        pre_session = request.cookies.get(PRE_SESSION_COOKIE)
        request.state.csrf_token = form_token(pre_session) if pre_session else ""
        request.state.user = None
        return None
    principal, session_id = resumed
    request.state.user = principal
    request.state.csrf_token = form_token(session_id)
    return principal


def signed_in_user(request: Request) -> Principal:
    """The signed-in user; otherwise the browser goes to the sign-in page and comes back."""
    principal = optional_user(request)
    if principal is None:
        back_to = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(back_to if request.method == "GET" else "/")
    if principal.must_enrol and not request.url.path.startswith(ENROL_PATH):
        raise EnrolmentRequired
    return principal


OptionalUser = Annotated[Principal | None, Depends(optional_user)]
SignedInUser = Annotated[Principal, Depends(signed_in_user)]


def _same_origin(request: Request) -> bool:
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    # "null" says nothing: browsers send it for a form posted from a page whose referrer
    # policy is no-referrer (every page of the node), as well as from sandboxed contexts.
    if origin is None or origin == "null":
        return True
    own = f"{request.url.scheme}://{request.url.netloc}"
    return hmac.compare_digest(origin.encode(), own.encode())


async def checked_form(request: Request) -> None:
    """Refuse a POST that does not carry this browser's form token or comes from elsewhere."""
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and _same_origin(request):
        form = await request.form()
        field = form.get(CSRF_FIELD)
        sent = field if isinstance(field, str) else None
    check_form_token(request, sent)


def check_form_token(request: Request, sent: str | None) -> None:
    """Refuse a POST from elsewhere, or whose form token (``sent``, from the header or the
    form) is not this browser's. For a route that reads its form itself (files kept in
    memory: web/content.py) rather than through :data:`CheckedForm`."""
    if not _same_origin(request):
        raise FormRefused
    secret = request.cookies.get(session_cookie(request)) or request.cookies.get(PRE_SESSION_COOKIE)
    if (
        not secret
        or not sent
        or not hmac.compare_digest(sent.encode(), form_token(secret).encode())
    ):
        raise FormRefused


CheckedForm = Depends(checked_form)


def start_form(request: Request) -> str | None:
    """Give a browser that is not signed in its form secret (for the sign-in form). Returns a
    new secret for :func:`keep_form_secret` to set, or None when the browser has one."""
    secret = request.cookies.get(PRE_SESSION_COOKIE)
    created = None
    if not secret:
        secret = created = secrets.token_urlsafe(32)
    request.state.csrf_token = form_token(secret)
    return created


def keep_form_secret(request: Request, response: Response, secret: str | None) -> None:
    if secret is None:
        return
    response.set_cookie(
        PRE_SESSION_COOKIE,
        secret,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )


def set_session(request: Request, response: Response, session_id: str) -> None:
    response.set_cookie(
        session_cookie(request),
        session_id,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    response.delete_cookie(PRE_SESSION_COOKIE, path="/")


def clear_session(request: Request, response: Response) -> None:
    response.delete_cookie(session_cookie(request), path="/")
