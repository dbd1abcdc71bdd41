"""The report's charts as SVG, drawn on the server by matplotlib (no script, nothing fetched).

Only published numbers are drawn: a withheld cell (``<5`` or ``x``) is left out of its chart
and named under it, so a chart never shows what the tables hide. matplotlib is imported inside
the functions with its object API and the Agg canvas (no pyplot, no global backend), as
:mod:`hanoix.cli.treaty_chart` does; the SVG carries no date and a fixed hash salt, so the same
report draws the same bytes.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from hanoix.statistics.report import DIRECTIONS, MEASURES, table

_METADATA = re.compile(r"\s*<metadata>.*?</metadata>", re.DOTALL)
_COLOURS = ("#1f4e79", "#e07b00", "#2e7d32", "#b22222", "#6a3d9a")


def _svg(figure: Any) -> str:
    from matplotlib import rc_context

    buffer = io.StringIO()
    with rc_context({"svg.hashsalt": "hanoix-statistics", "svg.fonttype": "none"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    text = buffer.getvalue()
    # The XML declaration and DOCTYPE are for files, and the RDF metadata names only the
    # drawing program: the chart is embedded in a page without them.
    text = _METADATA.sub("", text[text.index("<svg") :])
    return text


def _bars(
    title: str,
    groups: Sequence[str],
    series: Mapping[str, Sequence[Any]],
    ylabel: str,
) -> str:
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7, 3.2), dpi=100)
    FigureCanvasSVG(figure)
    axes = figure.add_subplot()
    width = 0.8 / max(1, len(series))
    withheld: list[str] = []
    for number, (name, values) in enumerate(series.items()):
        xs: list[float] = []
        ys: list[float] = []
        for position, value in enumerate(values):
            if isinstance(value, int | float) and not isinstance(value, bool):
                xs.append(position + number * width)
                ys.append(float(value))
            elif value is not None:
                withheld.append(f"{groups[position]} ({name})")
        axes.bar(xs, ys, width=width, label=name, color=_COLOURS[number % len(_COLOURS)])
    axes.set_xticks([p + width * (len(series) - 1) / 2 for p in range(len(groups))])
    axes.set_xticklabels(groups, rotation=20, ha="right", fontsize=8)
    axes.set_ylabel(ylabel)
    axes.set_title(title, fontsize=10)
    if series:
        axes.legend(fontsize=8)
    if withheld:
        figure.text(0.01, -0.08, "<5 / x: " + ", ".join(withheld)[:200], fontsize=7)
    return _svg(figure)


def _same(text: str) -> str:
    return text.replace("_", " ")


def charts(report: Mapping[str, Any], label: Callable[[str], str] = _same) -> dict[str, str]:
    """The report's charts, by name: SVG text of each. ``label`` turns each title and each
    code (an outcome, a direction, a measure) into the words shown (the web page's language);
    by default the English titles and the codes with spaces."""
    directions = [d.value for d in DIRECTIONS]
    result: dict[str, str] = {}
    outcomes = {d: table(report, f"outcomes_{d}") for d in directions}
    columns = outcomes[directions[0]]["columns"]
    result["outcomes"] = _bars(
        label("Requests by outcome"),
        [label(c) for c in columns],
        {label(d): outcomes[d]["column_totals"] for d in directions},
        label("requests"),
    )
    counterparts = table(report, "counterparts")
    rows = counterparts["rows"]
    result["counterparts"] = _bars(
        label("Requests by counterpart State"),
        [r["label"] for r in rows],
        {label(d): [r["cells"][i] for r in rows] for i, d in enumerate(directions)},
        label("requests"),
    )
    timings = report["timings"]["all"]
    result["timings"] = _bars(
        label("Median time, in hours"),
        [label(m.value) for m in MEASURES],
        {label(d): [timings[m.value][d]["median_hours"] for m in MEASURES] for d in directions},
        label("hours"),
    )
    return result


def global_charts(world: Mapping[str, Any], label: Callable[[str], str] = _same) -> dict[str, str]:
    """The secretariat's charts of the global tables: each State's requests sent and
    received (a State's withheld total is named under the chart, not drawn). ``label`` as for
    :func:`charts`."""
    by_state = table(world, "by_state")
    rows = by_state["rows"]
    return {
        "states": _bars(
            label("Requests by reporting State"),
            [r["label"] for r in rows],
            {
                label("sent"): [r["cells"][0] for r in rows],
                label("received"): [r["cells"][1] for r in rows],
            },
            label("requests"),
        )
    }
