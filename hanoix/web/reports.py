"""The node's statistics in the browser: one page per period with the report's tables and its
charts, and the signed report to download (docs/statistics.md).

The figures are those of :mod:`hanoix.services.statistics`, the same the CLI and the API give;
the page lays them out in the reader's language. The charts are matplotlib's SVG, drawn on the
server and shown as images from ``data:`` URLs (the pages' policy allows images from the node
and ``data:`` only, and an image runs no script); the tables beside them hold every number.
"""

from __future__ import annotations

import base64
from datetime import date
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, Response

from hanoix.clock import today
from hanoix.errors import HanoixError, PermissionDeniedError
from hanoix.services import secretariat, statistics
from hanoix.services.auth import Principal
from hanoix.statistics.readers import reads_global, reads_statistics
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
        return str(_(LABELS[code])) if code in LABELS else code.replace("_", " ")

    return label


def _svg_urls(drawn: dict[str, str]) -> dict[str, str]:
    return {
        name: "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")
        for name, svg in drawn.items()
    }


def _options(node: Any, start: str | None, end: str | None) -> statistics.Options:
    last = today(node.clock)
    return statistics.Options(
        start=statistics.parse_day(start, "from") if start else date(last.year, 1, 1),
        end=statistics.parse_day(end, "to") if end else last,
    )


@router.get("/reports", response_class=HTMLResponse)
def reports_page(
    request: Request,
    user: SignedInUser,
    node: NodeOf,
    start: FromQuery = None,
    end: ToQuery = None,
) -> HTMLResponse:
    _check(user)
    label = _label_for(request)
    context: dict[str, Any] = {"from_text": start or "", "to_text": end or "", "report": None}
    try:
        options = _options(node, start, end)
        body = statistics.make_report(node, options)
    except HanoixError as refused:
        context["problem"] = refused.message
        return render(request, "reports.html", context, status_code=refused.http_status)
    from hanoix.statistics.charts import charts

    context.update(
        report=body,
        options=options,
        label=label,
        charts=_svg_urls(charts(body, label)),
    )
    return render(request, "reports.html", context)


@router.get("/reports/signed.json")
def signed_download(
    request: Request,
    user: SignedInUser,
    node: NodeOf,
    start: FromQuery = None,
    end: ToQuery = None,
) -> Response:
    _check(user)
    options = _options(node, start, end)
    _, signed = statistics.signed_report(node, options)
    name = f"statistics-{options.start.isoformat()}-{options.end.isoformat()}.json"
    return Response(
        signed,
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


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
        "from_text": start or "",
        "to_text": end or "",
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
        else:
            return render(request, "reports_global.html", context)
        view = secretariat.global_view(node, first, last)
    except HanoixError as refused:
        context["problem"] = refused.message
        return render(request, "reports_global.html", context, status_code=refused.http_status)
    from hanoix.statistics.charts import global_charts

    context.update(
        view=view,
        charts=_svg_urls(global_charts(view, label)) if view["states"] else {},
    )
    return render(request, "reports_global.html", context)
