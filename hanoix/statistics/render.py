"""A report's body as CSV (one line per published number) and as a self-contained HTML page
(its tables and SVG charts inline: no script, no style sheet or font fetched from anywhere)."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from html import escape
from typing import Any

from hanoix.convention.kinds import RequestKind
from hanoix.statistics.charts import charts, global_charts

CSV_HEADER = ("section", "table", "row", "column", "value")

TABLE_TITLES = {
    "outcomes_sent": "Requests sent, by kind and outcome",
    "outcomes_received": "Requests received, by kind and outcome",
    "counterparts": "Requests by counterpart State",
    "refusal_grounds": "Refusals by coded ground (a refusal may cite several)",
    "preservations": "Preservations (Art. 42) by fate",
    "content_cases": "Content-removal cases opened, by article",
    "content_notices": "Removal notices sent, by where they stand now and whom they asked",
}


def _value(value: Any) -> str:
    return "" if value is None else str(value)


def to_csv(report: Mapping[str, Any]) -> str:
    """Every published number of the report, one per line, withheld ones as their marker."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    period = report["period"]
    writer.writerow(("report", "period", "from", "", period["from"]))
    writer.writerow(("report", "period", "to", "", period["to"]))
    writer.writerow(("report", "state", "", "", report["state"]))
    for line in protection_lines(report):
        writer.writerow(("report", "protection", "", "", line))
    for found in report["tables"]:
        name = found["name"]
        for row in found["rows"]:
            for column, value in zip(found["columns"], row["cells"], strict=True):
                writer.writerow(("table", name, row["label"], column, _value(value)))
            writer.writerow(("table", name, row["label"], "total", _value(row["total"])))
        for column, value in zip(found["columns"], found["column_totals"], strict=True):
            writer.writerow(("table", name, "total", column, _value(value)))
        writer.writerow(("table", name, "total", "total", _value(found["total"])))
    for scope, measures in report["timings"].items():
        for measure, directions in measures.items():
            for direction, figures in directions.items():
                for figure, value in figures.items():
                    writer.writerow(
                        ("timing", f"{scope}.{measure}", direction, figure, _value(value))
                    )
    return out.getvalue()


def protection_lines(report: Mapping[str, Any]) -> list[str]:
    """The protection the report applied, in words (English)."""
    protection = report["protection"]
    small = protection["small_cells"]
    lines = [
        f"Counts under {small['threshold']} are withheld and shown as {small['shown_as']}; "
        f"further counts are withheld, shown as {small['complementary']}, so that no total "
        "gives a withheld count back (complementary suppression). Times are given only when "
        f"at least {small['threshold']} requests were measured."
    ]
    private = protection.get("differential_privacy")
    if private:
        lines.append(
            f"Counts by counterpart State are differentially private with epsilon "
            f"{private['epsilon']} ({private['mechanism']}; {private['library']})."
        )
    else:
        lines.append("No differential privacy was applied.")
    return lines


#: The tables whose rows are kinds of request, shown by their titles in the HTML report (the CSV
#: keeps the stable codes, which a spreadsheet joins on).
KIND_TABLES = frozenset({"outcomes_sent", "outcomes_received"})
KIND_CODES = frozenset(kind.value for kind in RequestKind)


def kind_title(code: str) -> str:
    """A kind of request's title with its code, ``Mutual legal assistance (mla)``; any other
    label as it is."""
    from hanoix.convention.checks import kind_spec

    if code in KIND_CODES:
        return f"{kind_spec(code).title} ({code})"
    return code


def _table_html(found: Mapping[str, Any]) -> str:
    head = "".join(f"<th scope='col'>{escape(str(c))}</th>" for c in found["columns"])
    label = kind_title if found["name"] in KIND_TABLES else str
    body = []
    for row in found["rows"]:
        cells = "".join(f"<td>{escape(_value(v))}</td>" for v in row["cells"])
        body.append(
            f"<tr><th scope='row'>{escape(label(row['label']))}</th>{cells}"
            f"<td>{escape(_value(row['total']))}</td></tr>"
        )
    totals = "".join(f"<td>{escape(_value(v))}</td>" for v in found["column_totals"])
    body.append(
        f"<tr class='total'><th scope='row'>total</th>{totals}"
        f"<td>{escape(_value(found['total']))}</td></tr>"
    )
    title = TABLE_TITLES.get(found["name"], found["name"])
    noisy = " (differentially private)" if found.get("noisy") else ""
    return (
        f"<table><caption>{escape(title)}{noisy}</caption><thead><tr><td></td>{head}"
        f"<th scope='col'>total</th></tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def _timings_html(report: Mapping[str, Any]) -> str:
    parts = []
    for scope, measures in report["timings"].items():
        caption = "All requests" if scope == "all" else "Through the 24/7 point of contact"
        rows = []
        for measure, directions in measures.items():
            for direction, figures in directions.items():
                rows.append(
                    f"<tr><th scope='row'>{escape(measure.replace('_', ' '))}</th>"
                    f"<td>{escape(direction)}</td><td>{escape(_value(figures['n']))}</td>"
                    f"<td>{escape(_value(figures['median_hours']))}</td>"
                    f"<td>{escape(_value(figures['p90_hours']))}</td></tr>"
                )
        parts.append(
            f"<table><caption>Time to each step, hours: {escape(caption)}</caption>"
            "<thead><tr><th scope='col'>from sending to</th><th scope='col'>direction</th>"
            "<th scope='col'>requests</th><th scope='col'>median</th>"
            f"<th scope='col'>90th percentile</th></tr></thead><tbody>{''.join(rows)}"
            "</tbody></table>"
        )
    return "".join(parts)


_STYLE = (
    "body{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}"
    "table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.2rem .5rem;"
    "text-align:right}th[scope=row]{text-align:left}caption{text-align:left;font-weight:bold}"
    "tr.total{font-weight:bold}figure{margin:1rem 0}svg{max-width:100%;height:auto}"
)


def to_html(report: Mapping[str, Any], signer: str | None = None) -> str:
    """A self-contained HTML page of the report (English)."""
    period = report["period"]
    title = f"Cooperation statistics of {report['state']}, {period['from']} to {period['to']}"
    protection = "".join(f"<p>{escape(line)}</p>" for line in protection_lines(report))
    signed = f"<p>Signed by the node {escape(signer)}.</p>" if signer else ""
    figures = "".join(
        f"<figure>{svg}<figcaption>{escape(name)}</figcaption></figure>"
        for name, svg in charts(report).items()
    )
    tables = "".join(_table_html(found) for found in report["tables"])
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{escape(title)}</h1><p>Made {escape(report['generated_at'])} by "
        f"{escape(report['origin'])}.</p>{signed}<h2>Protection</h2>{protection}"
        f"<h2>Charts</h2>{figures}<h2>Tables</h2>{tables}{_timings_html(report)}"
        "</body></html>\n"
    )


GLOBAL_TITLES = {
    "by_state": "Reporting States: requests sent and received, differential privacy applied",
    "median_hours_received": "Median time of each State for the requests it received, hours",
}


def global_to_html(world: Mapping[str, Any]) -> str:
    """The secretariat's global tables as a self-contained HTML page (English): a sum that
    includes a withheld cell is a lower bound, shown as ``>=N``."""
    period = world["period"]
    title = f"Cooperation statistics of the States Parties, {period['from']} to {period['to']}"
    figures = "".join(
        f"<figure>{svg}<figcaption>{escape(name)}</figcaption></figure>"
        for name, svg in global_charts(world).items()
    )
    tables = []
    for found in world["tables"]:
        head = "".join(f"<th scope='col'>{escape(str(c))}</th>" for c in found["columns"])
        body = "".join(
            f"<tr><th scope='row'>{escape(str(row['label']))}</th>"
            + "".join(f"<td>{escape(_value(v))}</td>" for v in row["cells"])
            + "</tr>"
            for row in found["rows"]
        )
        caption = GLOBAL_TITLES.get(found["name"]) or TABLE_TITLES.get(found["name"], found["name"])
        tables.append(
            f"<table><caption>{escape(caption)}</caption><thead><tr><td></td>{head}</tr>"
            f"</thead><tbody>{body}</tbody></table>"
        )
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{escape(title)}</h1><p>States reporting: {escape(', '.join(world['states']))}. "
        "Each figure is what the States published: a sum that includes a withheld count is a "
        "lower bound, shown as &gt;=N.</p>"
        f"<h2>Charts</h2>{figures}<h2>Tables</h2>{''.join(tables)}</body></html>\n"
    )
