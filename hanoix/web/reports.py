"""The node's statistics in the browser: one page per period with the report's tables and its
charts, and the signed report to download (docs/statistics.md).

The figures are those of :mod:`hanoix.services.statistics`, the same the CLI and the API give;
the page lays them out in the reader's language. The charts are matplotlib's SVG, drawn on the
server and shown as images from ``data:`` URLs (the pages' policy allows images from the node
and ``data:`` only, and an image runs no script); the tables beside them hold every number.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from hanoix.clock import today
from hanoix.errors import HanoixError, InputError, PermissionDeniedError
from hanoix.services import secretariat, statistics
from hanoix.services.auth import Principal
from hanoix.statistics import DEFAULT_THRESHOLD, check_period
from hanoix.statistics.privacy import MAX_EPSILON, MIN_EPSILON, check_epsilon
from hanoix.statistics.readers import reads_global, reads_statistics
from hanoix.statistics.render import KIND_CODES, kind_title, to_csv
from hanoix.statistics.report import MAX_THRESHOLD, check_threshold
from hanoix.web.routing import page_router
from hanoix.web.session import NodeOf, SignedInUser
from hanoix.web.templating import N_, gettext_for, render

router = page_router()

FromQuery = Annotated[str | None, Query(alias="from", max_length=40)]
ToQuery = Annotated[str | None, Query(alias="to", max_length=40)]

#: Every code and title the page shows, marked for the catalogue.
LABELS = {
    "outcomes_sent": N_("Requests sent, by kind and outcome"),
    "outcomes_received": N_("Requests received, by kind and outcome"),
    "counterparts": N_("Requests by counterpart State"),
    "refusal_grounds": N_("Refusals by coded ground (a refusal may cite several)"),
    "preservations": N_("Preservations (Art. 42) by fate"),
    "content_cases": N_("Content-removal cases opened, by article"),
    "content_notices": N_("Removal notices sent, by where they stand now and whom they asked"),
    "executed": N_("executed"),
    "partly_executed": N_("partly executed"),
    "refused": N_("refused"),
    "withdrawn": N_("withdrawn"),
    "pending": N_("pending"),
    "sent": N_("sent"),
    "received": N_("received"),
    "cases": N_("cases"),
    "followed_up_in_time": N_("followed up in time"),
    "lapsed": N_("lapsed"),
    "open": N_("open"),
    "acknowledgement": N_("acknowledgement"),
    "first_answer": N_("first answer"),
    "execution": N_("execution"),
    "all": N_("All requests"),
    "contact_24_7": N_("Through the 24/7 point of contact"),
    "Requests by outcome": N_("Requests by outcome"),
    "Requests by counterpart State": N_("Requests by counterpart State"),
    "Median time, in hours": N_("Median time, in hours"),
    "requests": N_("requests"),
    "hours": N_("hours"),
    "by_state": N_("Reporting States: requests sent and received"),
    "median_hours_received": N_("Median time of each State for the requests it received, hours"),
    "differential_privacy": N_("differential privacy"),
    "Requests by reporting State": N_("Requests by reporting State"),
}


def _check(principal: Principal) -> None:
    if not reads_statistics(principal.roles):
        raise PermissionDeniedError(
            "only the node's officers, auditors and administrators may read its statistics"
        )


def _label_for(request: Request) -> Any:
    _ = gettext_for(request)

    def label(code: str) -> str:
        if code in LABELS:
            return str(_(LABELS[code]))
        return kind_title(code) if code in KIND_CODES else code.replace("_", " ")

    return label


def _svg_urls(drawn: dict[str, str]) -> dict[str, str]:
    return {
        name: "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")
        for name, svg in drawn.items()
    }


@dataclass(frozen=True)
class _Fields:
    """The page's fields as written: the period, the threshold, epsilon."""

    start: str | None
    end: str | None
    threshold: str | None
    epsilon: str | None

    def query(self, options: statistics.Options) -> str:
        """The query of the downloads: the same report's options."""
        asked = {"from": options.start.isoformat(), "to": options.end.isoformat()}
        asked["threshold"] = str(options.threshold)
        if options.epsilon is not None:
            asked["epsilon"] = str(options.epsilon)
        return urlencode(asked)


class _FieldsError(Exception):
    """The page's fields that cannot be used, each with what to write instead."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(problems)
        self.problems = problems


def _day(text: str | None, default: date, field: str, problems: dict[str, str], _: Any) -> date:
    if not text:
        return default
    try:
        return statistics.parse_day(text, field)
    except InputError:
        problems[field] = _("Write the date as YYYY-MM-DD, for example 2026-01-31.")
        return default


def _options(request: Request, node: Any, fields: _Fields) -> statistics.Options:
    """The report's options from the page's fields; :class:`_FieldsError` naming each field that
    cannot be used (in the reader's language) when one cannot."""
    _ = gettext_for(request)
    problems: dict[str, str] = {}
    last = today(node.clock)
    first = _day(fields.start, date(last.year, 1, 1), "from", problems, _)
    last = _day(fields.end, last, "to", problems, _)
    threshold = DEFAULT_THRESHOLD
    if fields.threshold:
        try:
            threshold = int(fields.threshold.strip())
            check_threshold(threshold)
        except (ValueError, InputError):
            problems["threshold"] = _("The threshold must be a whole number from 1 to %(max)s.") % {
                "max": MAX_THRESHOLD
            }
    epsilon = None
    if fields.epsilon:
        try:
            epsilon = check_epsilon(float(fields.epsilon.strip()))
        except (ValueError, InputError):
            problems["epsilon"] = _(
                "Epsilon must be a number from %(min)s to %(max)s, or left empty for no "
                "differential privacy."
            ) % {"min": MIN_EPSILON, "max": MAX_EPSILON}
    if not problems:
        try:
            check_period(first, last)
        except InputError as refused:
            problems["period"] = refused.message
    if problems:
        raise _FieldsError(problems)
    return statistics.Options(start=first, end=last, threshold=threshold, epsilon=epsilon)


def _fields(
    start: FromQuery = None,
    end: ToQuery = None,
    threshold: Annotated[str | None, Query(max_length=20)] = None,
    epsilon: Annotated[str | None, Query(max_length=20)] = None,
) -> _Fields:
    return _Fields(start, end, threshold, epsilon)


Fields = Annotated[_Fields, Depends(_fields)]


@router.get("/reports", response_class=HTMLResponse)
def reports_page(
    request: Request, user: SignedInUser, node: NodeOf, fields: Fields
) -> HTMLResponse:
    _check(user)
    label = _label_for(request)
    context: dict[str, Any] = {"fields": fields, "report": None, "problems": {}}
    try:
        options = _options(request, node, fields)
        body = statistics.make_report(node, options)
    except _FieldsError as refused:
        context["problems"] = refused.problems
        return render(request, "reports.html", context, status_code=400)
    except HanoixError as refused:
        context["problems"] = {"period": refused.message}
        return render(request, "reports.html", context, status_code=refused.http_status)
    from hanoix.statistics.charts import charts

    context.update(
        report=body,
        options=options,
        query=fields.query(options),
        label=label,
        charts=_svg_urls(charts(body, label)),
    )
    return render(request, "reports.html", context)


def _download_options(request: Request, node: Any, fields: _Fields) -> statistics.Options:
    try:
        return _options(request, node, fields)
    except _FieldsError as refused:
        raise InputError(" ".join(refused.problems.values())) from None


def _attachment(data: bytes | str, media_type: str, name: str) -> Response:
    return Response(
        data,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/reports/signed.json")
def signed_download(request: Request, user: SignedInUser, node: NodeOf, fields: Fields) -> Response:
    _check(user)
    options = _download_options(request, node, fields)
    _, signed = statistics.signed_report(node, options)
    name = f"statistics-{options.start.isoformat()}-{options.end.isoformat()}.json"
    return _attachment(signed, "application/json", name)


@router.get("/reports/report.csv")
def csv_download(request: Request, user: SignedInUser, node: NodeOf, fields: Fields) -> Response:
    """Every published number of the report, one per line (what ``--csv`` prints); not signed:
    the signed JSON is the report of record."""
    _check(user)
    options = _download_options(request, node, fields)
    body = statistics.make_report(node, options)
    name = f"statistics-{options.start.isoformat()}-{options.end.isoformat()}.csv"
    return _attachment(to_csv(body), "text/csv; charset=utf-8", name)


@router.get("/reports/global", response_class=HTMLResponse)
def global_page(
    request: Request,
    user: SignedInUser,
    node: NodeOf,
    start: FromQuery = None,
    end: ToQuery = None,
) -> HTMLResponse:
    """On a secretariat node: the periods the States reported on, and for one of them (the
    latest by default) the global tables, their chart and each State's report."""
    if not reads_global(user.roles):
        raise PermissionDeniedError(
            "only a secretariat's auditors and administrators may read the global tables"
        )
    periods = secretariat.received_periods(node)
    label = _label_for(request)
    context: dict[str, Any] = {
        "fields": _Fields(start, end, None, None),
        "problems": {},
        "periods": periods,
        "view": None,
        "label": label,
    }
    try:
        if start or end:
            first = statistics.parse_day(start or "", "from")
            last = statistics.parse_day(end or "", "to")
        elif periods:
            first, last = (date.fromisoformat(day) for day in periods[0])
            context["fields"] = _Fields(*periods[0], None, None)
        else:
            return render(request, "reports_global.html", context)
        view = secretariat.global_view(node, first, last)
    except HanoixError as refused:
        context["problems"] = {"period": refused.message}
        return render(request, "reports_global.html", context, status_code=refused.http_status)
    from hanoix.statistics.charts import global_charts

    context.update(
        view=view,
        charts=_svg_urls(global_charts(view, label)) if view["states"] else {},
    )
    return render(request, "reports_global.html", context)
