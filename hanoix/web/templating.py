"""Rendering pages: one Jinja2 environment per language, the same context on every page.

A page is rendered in the request's language (:mod:`hanoix.web.i18n`) and its dates in the
user's time zone, always shown with the zone's name so that a clerk in Vienna and an officer in
Hanoi reading the same deadline know which clock it is on.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import jinja2
from babel.dates import format_date, format_datetime
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

import hanoix
from hanoix.requests import Action, Role
from hanoix.requests.authorisation import allowed_roles
from hanoix.statistics.readers import reads_global, reads_statistics
from hanoix.web import i18n
from hanoix.web.nav import desk_links

WEB_DIR = Path(__file__).parent
TEMPLATES_DIR = WEB_DIR / "templates"
TIME_ZONE_COOKIE = "hanoix_tz"
DEFAULT_TIME_ZONE = "UTC"


def N_(message: str) -> str:  # noqa: N802  (gettext's name for "translate later")
    """Mark a message for the catalogue; it is translated where it is shown."""
    return message


ROLE_NAMES = {
    "drafter": N_("drafter"),
    "approver": N_("approver"),
    "officer_24_7": N_("24/7 officer"),
    "examiner": N_("examiner"),
    "auditor": N_("auditor"),
    "administrator": N_("administrator"),
    "matcher": N_("matcher (content by hash)"),
    "data_protection_officer": N_("data-protection officer"),
}


# How sure a rule is (../shared/convention/FACTS.md): shown beside every article a page cites.
BASIS_NAMES = {
    "verified": N_("verified against the Convention's text"),
    "secondary": N_("from a secondary source"),
    "recalled": N_("recalled, not yet checked against the text"),
    "inferred": N_("inferred"),
}


@cache
def time_zones() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))


def time_zone_of(request: Request) -> ZoneInfo:
    name = request.cookies.get(TIME_ZONE_COOKIE) or DEFAULT_TIME_ZONE
    try:
        return ZoneInfo(name) if name in time_zones() else ZoneInfo(DEFAULT_TIME_ZONE)
    except ZoneInfoNotFoundError:
        return ZoneInfo(DEFAULT_TIME_ZONE)


def language_of(request: Request) -> str:
    cached = getattr(request.state, "language", None)
    if isinstance(cached, str):
        return cached
    language = i18n.choose(
        request.cookies.get(i18n.LANGUAGE_COOKIE), request.headers.get("accept-language")
    )
    request.state.language = language
    return language


@cache
def environment(language: str) -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        # The templates are the installed package's: no need to look at each file's time on
        # every use (an include in a loop did, once per row). A changed template needs a restart.
        auto_reload=False,
    )
    env.install_gettext_translations(i18n.translations(language), newstyle=True)  # type: ignore[attr-defined]
    templates = Jinja2Templates(env=env)
    translate = i18n.translations(language).gettext
    templates.env.globals["role_names"] = {k: translate(v) for k, v in ROLE_NAMES.items()}
    templates.env.globals["basis_names"] = {k: translate(v) for k, v in BASIS_NAMES.items()}
    templates.env.globals["may"] = may
    templates.env.globals["language"] = language
    templates.env.globals["direction"] = "rtl" if i18n.is_right_to_left(language) else "ltr"
    templates.env.globals["desk_links"] = desk_links
    templates.env.globals["reads_statistics"] = reads_statistics
    templates.env.globals["reads_global_here"] = reads_global_here
    templates.env.globals["finds_personal_data"] = finds_personal_data
    templates.env.globals["static"] = static
    return templates


@jinja2.pass_context
def static(context: jinja2.runtime.Context, path: str) -> str:
    """The path of one of the node's own static files (``/static/...``, under the root path
    the node is served at): what url_for('static', ...) gives, without searching the routes
    on every page."""
    return _static_path(context["request"].scope.get("root_path", ""), path)


@lru_cache(maxsize=256)
def _static_path(root_path: str, path: str) -> str:
    return f"{root_path}/static/{quote(path)}"


def finds_personal_data(roles: frozenset[str]) -> bool:
    """Whether ``roles`` may search where the node holds a person's data (the header's link;
    the service decides)."""
    return Role.DATA_PROTECTION_OFFICER.value in roles


def reads_global_here(request: Request, roles: frozenset[str]) -> bool:
    """Whether the node is a secretariat and ``roles`` may read its global tables (for the
    header's link; the page checks again)."""
    node = request.app.state.node
    return getattr(node.settings, "role", None) == "secretariat" and reads_global(roles)


def may(roles: frozenset[str], action: str) -> bool:
    """Whether one of ``roles`` may take ``action`` at all (the rule of
    :func:`hanoix.requests.authorisation.allowed_roles`), for showing a link or not; the
    service still decides each request."""
    return bool({role.value for role in allowed_roles(Action(action))} & set(roles))


def gettext_for(request: Request) -> Any:
    """``_`` for a page's Python code (a message built outside a template)."""
    return i18n.translations(language_of(request)).gettext


@lru_cache(maxsize=8192)
def _local_time(value: datetime, length: str, zone: ZoneInfo, language: str) -> str:
    # Babel takes most of a desk's rendering to format a time (~0.3 ms); a desk shows the same
    # times to every user who polls or reloads it, so each is formatted once per zone.
    local = format_datetime(value, length, tzinfo=zone, locale=language)
    return f"{local} ({zone.key})"


def _formatters(language: str, zone: ZoneInfo) -> dict[str, Any]:
    def when(value: datetime | None, length: str = "medium") -> str:
        if value is None:
            return ""
        return _local_time(value, length, zone, language)

    def day(value: date | None, length: str = "medium") -> str:
        return "" if value is None else format_date(value, length, locale=language)

    return {"when": when, "day": day, "time_zone": zone.key}


def fragment(request: Request, template: str, context: Mapping[str, Any]) -> Markup:
    """A part of a page, rendered on its own with the page's language and time zone (to be kept
    and put into pages): it is given nothing of one user (their form token, their name)."""
    language = language_of(request)
    full = {**_formatters(language, time_zone_of(request)), **context}
    # Jinja escaped what it rendered (autoescape): the result is markup already.
    return Markup(environment(language).env.get_template(template).render(full))  # noqa: S704


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """A page: ``template`` with ``context`` and what every page needs (the user, the form
    token, the language, the time zone, the version)."""
    language = language_of(request)
    full: dict[str, Any] = {
        "version": hanoix.__version__,
        "user": getattr(request.state, "user", None),
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "languages": [(code, i18n.native_name(code)) for code in i18n.languages()],
        **_formatters(language, time_zone_of(request)),
        **(context or {}),
    }
    response = environment(language).TemplateResponse(
        request, template, full, status_code=status_code
    )
    response.headers["Content-Language"] = language
    # Pages show a user's cases: never kept by a shared cache or the browser's back button.
    response.headers["Cache-Control"] = "no-store"
    return response
