"""Statistics between nodes: national nodes send their signed reports to the secretariat (the
Secretary-General's, in practice UNODC: Art. 58, recalled, FACTS.md §8), which verifies them
and builds the global tables (issue 17, docs/statistics.md).

Two message types, registered like every other in the federation's handler registry:

* ``statistics.report``: a signed report (payload ``{"report": <the signed document>}``). The
  secretariat verifies it against its directory, exactly as ``hanoix statistics verify`` does,
  and keeps it only if the node that sent the envelope is the node that signed the report (a
  node publishes its own State's figures, never another's). Sending again for the same period
  reissues: the newest counts.
* ``statistics.withdraw``: the sender's reports for a period (``{"from": …, "to": …}``) are
  withdrawn; they stay on record, marked, and no longer count.

A node that is not a secretariat (``role = "secretariat"`` in hanoix.toml) refuses both. The
global tables hold only what the States published: a withheld cell stays withheld, and a sum
that includes one is shown as a lower bound (``>=N``), never as a guess.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from hanoix.errors import ConfigurationError, HanoixError, NotFoundError
from hanoix.federation import codec
from hanoix.federation.envelope import OpenedEnvelope
from hanoix.federation.errors import EnvelopeRejectedError, Reason
from hanoix.federation.statistics import verify_report
from hanoix.services import statistics
from hanoix.services.federation import Message, registry
from hanoix.services.node import Node
from hanoix.statistics.report import MEASURES, check_period
from hanoix.store import statistics as store

STATISTICS_REPORT = "statistics.report"
STATISTICS_WITHDRAW = "statistics.withdraw"
SECRETARIAT = "secretariat"


def _period(start: date, end: date) -> tuple[str, str]:
    check_period(start, end)
    return start.isoformat(), end.isoformat()


def send_report(node: Node, options: statistics.Options, secretariat: str) -> dict[str, Any]:
    """Make, sign and queue this node's report for ``options`` to the node ``secretariat``."""
    body, signed = statistics.signed_report(node, options)
    with node.unit_of_work() as session:
        node.federation.peer(session, secretariat)
        sealed = node.federation.enqueue(
            session,
            Message(secretariat, STATISTICS_REPORT, {"report": json.loads(signed)}),
        )
    return {"envelope": sealed.header.id, "to": secretariat, "period": body["period"]}


def withdraw_report(node: Node, start: date, end: date, secretariat: str) -> dict[str, Any]:
    """Queue the withdrawal of this node's reports for the period to ``secretariat``."""
    first, last = _period(start, end)
    with node.unit_of_work() as session:
        node.federation.peer(session, secretariat)
        sealed = node.federation.enqueue(
            session, Message(secretariat, STATISTICS_WITHDRAW, {"from": first, "to": last})
        )
    return {"envelope": sealed.header.id, "to": secretariat, "withdrawn": [first, last]}


def _refuse(envelope: OpenedEnvelope, message: str) -> EnvelopeRejectedError:
    return EnvelopeRejectedError(Reason.BAD_PAYLOAD, message, envelope_id=envelope.id)


def _require_secretariat(node: Node, envelope: OpenedEnvelope) -> None:
    if node.settings.role != SECRETARIAT:
        raise _refuse(envelope, "this node is not a secretariat: it takes no statistics reports")


def _on_report(node: Node, session: Session, envelope: OpenedEnvelope) -> None:
    _require_secretariat(node, envelope)
    document = envelope.payload.get("report")
    if set(envelope.payload) != {"report"} or not isinstance(document, dict):
        raise _refuse(envelope, "payload: must be {'report': <a signed statistics report>}")
    data = json.dumps(document, ensure_ascii=False).encode("utf-8")
    directory = node.federation.require_directory(session)
    try:
        verified = verify_report(data, directory)
    except HanoixError as failed:
        raise _refuse(envelope, f"the report does not verify: {failed.message}") from None
    if verified.origin != envelope.sender:
        raise _refuse(
            envelope,
            f"the report is signed by {verified.origin!r}, not by the node that sent it: a node "
            "sends its own reports only",
        )
    period = verified.report.get("period")
    try:
        if not isinstance(period, dict):
            raise codec.FieldError("period", "must be a JSON object")
        first = date.fromisoformat(codec.text(period, "from", max_length=10))
        last = date.fromisoformat(codec.text(period, "to", max_length=10))
        span = _period(first, last)
    except (codec.FieldError, ValueError, HanoixError) as exc:
        raise _refuse(envelope, f"the report's period is not one: {exc}") from None
    store.add_received(
        session,
        origin=verified.origin,
        state=verified.state,
        period=span,
        at=node.clock.now(),
        digest=hashlib.sha256(data).hexdigest(),
        document=data.decode("utf-8"),
    )


def _on_withdraw(node: Node, session: Session, envelope: OpenedEnvelope) -> None:
    _require_secretariat(node, envelope)
    try:
        codec.members(envelope.payload, {"from", "to"}, set(), "payload")
        first = date.fromisoformat(codec.text(envelope.payload, "from", max_length=10))
        last = date.fromisoformat(codec.text(envelope.payload, "to", max_length=10))
        span = _period(first, last)
    except (codec.FieldError, ValueError, HanoixError) as exc:
        raise _refuse(envelope, f"payload: {exc}") from None
    store.withdraw_received(session, envelope.sender, span, node.clock.now())


registry.register(
    STATISTICS_REPORT,
    _on_report,
    description="a State's signed statistics report, for the secretariat (docs/statistics.md)",
)
registry.register(
    STATISTICS_WITHDRAW,
    _on_withdraw,
    description="a State withdraws its statistics reports of a period from the secretariat",
)


# --- the global tables -------------------------------------------------------------------


def _add(total: dict[str, int], value: Any) -> None:
    if isinstance(value, int) and not isinstance(value, bool):
        total["sum"] += value
    elif isinstance(value, str) and value.startswith("<"):
        total["withheld"] += 1
        total["sum"] += 1  # a small count is at least one
    else:
        total["withheld"] += 1  # a complement: zero or more


def _shown(total: Mapping[str, int]) -> int | str:
    return total["sum"] if not total["withheld"] else f">={total['sum']}"


def _combine(reports: list[dict[str, Any]], name: str) -> dict[str, Any]:
    columns: list[str] = []
    cells: dict[tuple[str, str], dict[str, int]] = {}
    rows: list[str] = []
    for report in reports:
        for found in report.get("tables", []):
            if found.get("name") != name:
                continue
            for column in found["columns"]:
                if column not in columns:
                    columns.append(column)
            for row in found["rows"]:
                if row["label"] not in rows:
                    rows.append(row["label"])
                for column, value in zip(found["columns"], row["cells"], strict=True):
                    _add(cells.setdefault((row["label"], column), {"sum": 0, "withheld": 0}), value)
    rows.sort()
    return {
        "name": name,
        "columns": columns,
        "rows": [
            {
                "label": row,
                "cells": [_shown(cells.get((row, c), {"sum": 0, "withheld": 0})) for c in columns],
            }
            for row in rows
        ],
    }


def global_report(node: Node, start: date, end: date) -> dict[str, Any]:
    """The secretariat's global tables for a period, from the newest report of each State."""
    if node.settings.role != SECRETARIAT:
        raise ConfigurationError(
            'this node is not a secretariat: set role = "secretariat" in hanoix.toml'
        )
    span = _period(start, end)
    with node.reading() as session:
        received = store.current_received(session, span)
    if not received:
        raise NotFoundError(f"no State has sent a report for {span[0]} to {span[1]}")
    return _world(span, received)


def _world(span: tuple[str, str], received: list[tuple[str, str, str]]) -> dict[str, Any]:
    reports = [(state, json.loads(document)["report"]) for _, state, document in received]
    bodies = [body for _, body in reports]
    names: list[str] = []
    for body in bodies:
        for found in body.get("tables", []):
            if found["name"] not in names:
                names.append(found["name"])
    by_state = {
        "name": "by_state",
        "columns": ["sent", "received", "differential_privacy"],
        "rows": [
            {
                "label": state,
                "cells": [
                    _table_total(body, "outcomes_sent"),
                    _table_total(body, "outcomes_received"),
                    (body.get("protection") or {}).get("differential_privacy") is not None,
                ],
            }
            for state, body in sorted(reports, key=lambda item: item[0])
        ],
    }
    medians = {
        "name": "median_hours_received",
        "columns": [m.value for m in MEASURES],
        "rows": [
            {
                "label": state,
                "cells": [
                    body["timings"]["all"][m.value]["received"]["median_hours"] for m in MEASURES
                ],
            }
            for state, body in sorted(reports, key=lambda item: item[0])
        ],
    }
    return {
        "period": {"from": span[0], "to": span[1]},
        "states": sorted(state for state, _ in reports),
        "tables": [by_state, *(_combine(bodies, name) for name in names), medians],
    }


def _table_total(body: Mapping[str, Any], name: str) -> Any:
    for found in body.get("tables", []):
        if found.get("name") == name:
            return found.get("total")
    return None


# --- what the secretariat's pages and API show --------------------------------------------


def is_secretariat(node: Node) -> bool:
    return node.settings.role == SECRETARIAT


def _require_secretariat_here(node: Node) -> None:
    # On a national node there are no States' reports to show: the page and the route are
    # not found there (the CLI says how to configure one, :func:`global_report`).
    if not is_secretariat(node):
        raise NotFoundError("this node is not a secretariat: it holds no States' reports")


def received_periods(node: Node) -> list[tuple[str, str]]:
    """The periods some State has reported on, the latest first."""
    _require_secretariat_here(node)
    with node.reading() as session:
        return store.received_periods(session)


def _protection(document: str) -> dict[str, Any]:
    protection = json.loads(document)["report"].get("protection") or {}
    small = protection.get("small_cells") or {}
    private = protection.get("differential_privacy") or {}
    return {"threshold": small.get("threshold"), "epsilon": private.get("epsilon")}


def _with_status(rows: list[store.ReceivedReportRow]) -> list[dict[str, Any]]:
    """Each report kept for one period, oldest first, with its status: ``received`` or
    ``reissued`` (a node's newest, which counts; reissued when the node sent one before),
    ``replaced`` (a newer one of the node counts instead) or ``withdrawn``; and the protection
    its State applied."""
    newest = {row.origin: row.id for row in rows if row.withdrawn_at is None}
    earlier: set[str] = set()
    out = []
    for row in rows:
        if row.withdrawn_at is not None:
            status = "withdrawn"
        elif newest[row.origin] != row.id:
            status = "replaced"
        else:
            status = "reissued" if row.origin in earlier else "received"
        earlier.add(row.origin)
        out.append(
            {
                "origin": row.origin,
                "state": row.state,
                "status": status,
                "received_at": row.received_at,
                "withdrawn_at": row.withdrawn_at,
                "digest": row.digest,
                **_protection(row.document),
            }
        )
    return out


def global_view(node: Node, start: date, end: date) -> dict[str, Any]:
    """What the secretariat shows of a period: the global tables (empty when no report
    counts) and every report kept for it, with its status and protection."""
    _require_secretariat_here(node)
    span = _period(start, end)
    with node.reading() as session:
        rows = store.received_reports(session, span)
        received = store.current_received(session, span)
        reports = _with_status(rows)
    world = (
        _world(span, received)
        if received
        else {"period": {"from": span[0], "to": span[1]}, "states": [], "tables": []}
    )
    return {**world, "reports": reports}
