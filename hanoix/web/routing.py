"""Routes of the web pages: a failure becomes a page a person can read, never JSON.

The API answers errors with problem documents (:mod:`hanoix.api.problems`); a browser gets
the same message on a page, with the same status, and a way on. A page that needs a user sends
the browser to sign in and back; a form from elsewhere is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute

from hanoix.errors import HanoixError, RetryLaterError
from hanoix.web.session import (
    ENROL_PATH,
    EnrolmentRequired,
    FormRefused,
    SignInRequired,
    sign_in_location,
)
from hanoix.web.templating import gettext_for, render


def _redirect(request: Request, location: str) -> Response:
    # htmx follows a redirect inside the fragment it asked for; HX-Redirect moves the page.
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": location})
    return RedirectResponse(location, status_code=303)


class PageRoute(APIRoute):
    """An :class:`APIRoute` whose failures are pages."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInRequired as needed:
                return _redirect(request, sign_in_location(needed.back_to))
            except EnrolmentRequired:
                return _redirect(request, ENROL_PATH)
            except FormRefused:
                _ = gettext_for(request)
                message = _(
                    "This form did not come from this node's own page, or the page is too old. "
                    "Go back, reload the page and send the form again."
                )
                return render(request, "error.html", {"message": message}, status_code=403)
            except HanoixError as error:
                response = render(
                    request, "error.html", {"message": error.message}, status_code=error.http_status
                )
                if isinstance(error, RetryLaterError):
                    response.headers["Retry-After"] = str(error.retry_after)
                return response

        return page


def page_router() -> APIRouter:
    return APIRouter(route_class=PageRoute, include_in_schema=False)
