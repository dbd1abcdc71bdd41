"""Treaty status in the browser: the Convention's status, a chart of instruments over time,
each participant's record, and whether the Convention binds two States on a date.

Every figure is what :mod:`hanoix.services.treaty` and :mod:`hanoix.services.treaty_reports`
compute for ``hanoix treaty`` and ``/api/v1/treaty``; the pages only lay them out. The chart is
an SVG drawn here from those figures (no script, no inline style), with the same numbers in a
table beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import HTMLResponse

from hanoix.clock import today
from hanoix.convention import final_provisions as fp
from hanoix.convention.notifications import NotificationForm, ValueType, notification
from hanoix.errors import HanoixError
from hanoix.services import treaty as service
from hanoix.services.treaty_reports import status_report
from hanoix.treaty.actions import Declaration, parse_date
from hanoix.treaty.status import ParticipantStatus, TreatyStatus
from hanoix.web.routing import page_router
from hanoix.web.session import NodeOf, SignedInUser
from hanoix.web.templating import gettext_for, render

router = page_router()

# The rules the status page's figures come from, each shown with its article and basis.
RULES = (
    fp.ENTRY_INTO_FORCE_INSTRUMENTS,
    fp.ENTRY_INTO_FORCE_DELAY,
    fp.REIO_INSTRUMENT_COUNTED,
    fp.LATER_PARTY_DELAY,
    fp.DENUNCIATION_DELAY,
)
DateQuery = Annotated[str | None, Query(max_length=40)]
CodeQuery = Annotated[str, Query(max_length=40)]


def _day(text: str | None, what: str) -> date | None:
    """The date a form field gives, or None when left empty; a malformed one is an error
    naming the field."""
    if text is None or not text.strip():
        return None
    return parse_date(text, what)


# --- the chart -------------------------------------------------------------------------------

WIDTH, HEIGHT = 720, 320
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 40


@dataclass(frozen=True)
class ChartPoint:
    """The instruments counted once the deposits of ``day`` are in, and where it is drawn."""

    day: date
    deposited: int  # on that day
    count: int  # all counted deposits up to that day
    x: float
    y: float


@dataclass(frozen=True)
class Tick:
    label: str
    at: float


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    points: tuple[ChartPoint, ...]
    steps: str  # the polyline's points attribute: a step up at each deposit day
    needed: int
    needed_y: float
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    status_x: float
    entry_into_force: date | None
    entry_into_force_x: float | None
    plot_left: int
    plot_right: int
    plot_top: int
    plot_bottom: int


def build_chart(deposits: Sequence[date], needed: int, on: date, eif: date | None) -> Chart:
    """Lay out the instruments counted over time: one point per deposit day, from the opening
    for signature to the status date (and the entry into force, when known)."""
    start = fp.SIGNATURE_HANOI_FROM.value
    end = max([on, start + timedelta(days=30), *deposits, *([eif] if eif else [])])
    span = max((end - start).days, 1)
    top_count = needed + 5
    plot_right, plot_bottom = WIDTH - RIGHT, HEIGHT - BOTTOM

    def x(day: date) -> float:
        return round(LEFT + (day - start).days / span * (plot_right - LEFT), 1)

    def y(count: int) -> float:
        return round(plot_bottom - count / top_count * (plot_bottom - TOP), 1)

    per_day: dict[date, int] = {}
    for day in deposits:
        per_day[day] = per_day.get(day, 0) + 1
    points: list[ChartPoint] = []
    running = 0
    for day in sorted(per_day):
        running += per_day[day]
        points.append(ChartPoint(day, per_day[day], running, x(day), y(running)))
    corners = [(x(start), y(0))]
    level = 0
    for point in points:
        corners += [(point.x, y(level)), (point.x, point.y)]
        level = point.count
    corners.append((x(max(on, points[-1].day if points else on)), y(level)))
    months = _month_starts(start, end)
    every = max(1, len(months) // 8 + (1 if len(months) % 8 else 0))
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        points=tuple(points),
        steps=" ".join(f"{cx},{cy}" for cx, cy in corners),
        needed=needed,
        needed_y=y(needed),
        x_ticks=tuple(Tick(m.strftime("%Y-%m"), x(m)) for m in months[::every]),
        y_ticks=tuple(Tick(str(n), y(n)) for n in range(0, top_count + 1, 10)),
        status_x=x(on),
        entry_into_force=eif,
        entry_into_force_x=x(eif) if eif else None,
        plot_left=LEFT,
        plot_right=plot_right,
        plot_top=TOP,
        plot_bottom=plot_bottom,
    )


def _month_starts(start: date, end: date) -> list[date]:
    months = []
    day = date(start.year, start.month, 1)
    while day <= end:
        if day >= start:
            months.append(day)
        day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return months


# --- pages -----------------------------------------------------------------------------------


def _record(status: TreatyStatus, on: date) -> list[ParticipantStatus]:
    """Every participant the data names, with its standing on ``on``."""
    codes = {a.participant for a in status.actions} | {d.participant for d in status.declarations}
    return sorted(
        (status.participant(code, on) for code in codes), key=lambda p: p.participant.code
    )


@router.get("/treaty", response_class=HTMLResponse)
def status_page(
    request: Request, user: SignedInUser, node: NodeOf, on: DateQuery = None
) -> HTMLResponse:
    day = _day(on, "on")
    status, data = service.treaty_status(node)
    report = status_report(data, today(node.clock), day)
    summary = report.summary
    eif = status.entry_into_force_known_on(summary.on)
    chart = build_chart(
        status.counted_deposits(summary.on),
        summary.instruments_needed,
        summary.on,
        eif.date if eif else None,
    )
    context = {
        "report": report,
        "summary": summary,
        "chart": chart,
        "projection": status.projection(summary.on),
        "participants": _record(status, summary.on),
        "rules": RULES,
        "on_text": on or "",
    }
    return render(request, "treaty/status.html", context)


def _grouped(declarations: Sequence[Declaration]) -> dict[str, list[Declaration]]:
    """Reservations, designated authorities (a notification that gives an authority's contact)
    and the other declarations and notifications, as lodged."""
    groups: dict[str, list[Declaration]] = {"reservations": [], "authorities": [], "others": []}
    for declaration in declarations:
        spec = notification(declaration.kind)
        if declaration.lodged_form is NotificationForm.RESERVATION:
            groups["reservations"].append(declaration)
        elif any(item.type is ValueType.CONTACT for item in spec.fields):
            groups["authorities"].append(declaration)
        else:
            groups["others"].append(declaration)
    return groups


@router.get("/treaty/participants/{code}", response_class=HTMLResponse)
def participant_page(
    request: Request, user: SignedInUser, node: NodeOf, code: str, on: DateQuery = None
) -> HTMLResponse:
    report = service.participant(node, code, _day(on, "on"))
    context = {
        "report": report,
        "p": report.status,
        "groups": _grouped(report.status.declarations),
        "notification": notification,
        "on_text": on or "",
    }
    return render(request, "treaty/participant.html", context)


@router.get("/treaty/applies", response_class=HTMLResponse)
def applies_page(
    request: Request,
    user: SignedInUser,
    node: NodeOf,
    a: CodeQuery = "",
    b: CodeQuery = "",
    on: DateQuery = None,
) -> HTMLResponse:
    _ = gettext_for(request)
    context: dict[str, Any] = {"a": a, "b": b, "on_text": on or "", "report": None}
    if not (a.strip() or b.strip() or on):
        return render(request, "treaty/applies.html", context)  # the empty form
    if not a.strip() or not b.strip():
        context["problem"] = _(
            "Give both States: an ISO 3166-1 alpha-3 code each (e.g. VNM), or EUU."
        )
        return render(request, "treaty/applies.html", context, status_code=400)
    try:
        context["report"] = service.applies(node, a, b, _day(on, _("Date")))
    except HanoixError as refused:
        # The form stays, filled in, with what to fix beside it.
        context["problem"] = refused.message
        return render(request, "treaty/applies.html", context, status_code=refused.http_status)
    return render(request, "treaty/applies.html", context)
