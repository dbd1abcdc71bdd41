"""The ``treaty chart`` picture: instruments deposited over time against the line of forty.

matplotlib is imported here, inside the function, and only its object API with the Agg canvas is
used (no pyplot, no global backend), so importing hanoix never loads it and nothing is shown.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from hanoix.convention import final_provisions as fp
from hanoix.errors import InputError
from hanoix.treaty.dataset import TreatyData
from hanoix.treaty.status import TreatyStatus


def render_chart(status: TreatyStatus, data: TreatyData, on: date, path: Path) -> dict[str, Any]:
    """Draw the chart as of ``on`` into the PNG ``path``; returns what it shows."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
    from matplotlib.figure import Figure

    def x(day: date) -> float:
        return float(date2num(day))  # type: ignore[no-untyped-call]

    needed = fp.ENTRY_INTO_FORCE_INSTRUMENTS.value
    opened = fp.SIGNATURE_HANOI_FROM.value
    deposits = status.counted_deposits(on)
    eif = status.entry_into_force_known_on(on)
    projection = status.projection(on)

    days = [opened]
    counts = [0]
    for number, day in enumerate(deposits, start=1):
        days.append(day)
        counts.append(number)
    # The observed line stops at the status date; the axis runs on to show what lies ahead.
    days.append(max(on, days[-1]))
    counts.append(counts[-1])
    end = days[-1] + timedelta(days=30)
    if eif is not None:
        end = max(end, eif.date + timedelta(days=30))
    if projection is not None:
        end = max(end, projection.entry_into_force + timedelta(days=30))

    figure = Figure(figsize=(10, 5.5), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.step([x(d) for d in days], counts, where="post", color="#1f4e79", linewidth=2,
              label="instruments counted (Art. 65(1); REIOs not counted)")  # fmt: skip
    axes.axhline(needed, color="#b22222", linestyle="--", linewidth=1.2,
                 label=f"{needed} instruments needed")  # fmt: skip
    if eif is not None:
        axes.axvline(x(eif.fortieth_deposit), color="#555555", linestyle=":", linewidth=1)
        axes.axvline(x(eif.date), color="#2e7d32", linewidth=1.5,
                     label=f"entry into force {eif.date.isoformat()} (40th + 90 days)")  # fmt: skip
        verb = "In force from" if eif.date <= on else "Enters into force on"
        headline = f"{verb} {eif.date.isoformat()}"
    elif projection is not None:
        rate = projection.rate_per_year
        axes.plot([x(deposits[-1]), x(projection.fortieth_deposit)], [len(deposits), needed],
                  color="#e07b00", linestyle="--", linewidth=1.2,
                  label=f"projection at the observed rate ({rate:.1f} a year)")  # fmt: skip
        axes.axvline(x(projection.entry_into_force), color="#e07b00", linestyle=":", linewidth=1.2,
                     label=f"projected entry into force {projection.entry_into_force.isoformat()}"
                     " (a projection, not a forecast)")  # fmt: skip
        headline = (
            f"Not in force: {len(deposits)} of {needed}; PROJECTED entry into force "
            f"{projection.entry_into_force.isoformat()}"
        )
    else:
        headline = (
            f"Not in force: {len(deposits)} of {needed} instruments counted; "
            "too few deposits to project a date"
        )
    as_of = data.info.as_of.isoformat() if data.info.as_of else "undated"
    axes.set_title(f"UN Convention against Cybercrime: instruments deposited\n{headline}")
    axes.set_xlabel(f"date (status on {on.isoformat()}; data as of {as_of})")
    axes.set_ylabel("instruments of ratification, acceptance, approval, accession")
    axes.set_ylim(0, needed + 5)
    axes.set_xlim(x(opened - timedelta(days=15)), x(end))
    locator = AutoDateLocator()  # type: ignore[no-untyped-call]
    axes.xaxis.set_major_locator(locator)
    formatter = ConciseDateFormatter(locator)  # type: ignore[no-untyped-call]
    axes.xaxis.set_major_formatter(formatter)
    axes.grid(True, alpha=0.3)
    axes.legend(loc="upper left", fontsize="small")
    if data.info.gaps:
        figure.text(
            0.01,
            0.01,
            f"Partial data (as of {as_of}): `hanoix treaty status` says what is missing.",
            fontsize=8,
            color="#b22222",
        )
    try:
        figure.savefig(path, format="png")
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror}") from exc
    return {
        "file": str(path),
        "on": on.isoformat(),
        "instruments_counted": len(deposits),
        "instruments_needed": needed,
        "entry_into_force": eif.date.isoformat() if eif else None,
        "projected_entry_into_force": (
            projection.entry_into_force.isoformat() if projection else None
        ),
        "projection_rate_per_year": round(projection.rate_per_year, 2) if projection else None,
    }
