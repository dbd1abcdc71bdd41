"""``hanoix treaty``: the Convention's status, a participant, whether it applies, import/export.

Every command works on the node's home and loads the shipped status into a new home, so
``hanoix treaty status`` answers out of the box. Dates are ISO 8601 (``YYYY-MM-DD``); ``--on``
defaults to the node clock's today. ``applies`` exits 1 when the answer is no.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

from hanoix.cli.app import JsonOption, open_node, state
from hanoix.cli.output import human, report
from hanoix.clock import SystemClock, today
from hanoix.errors import InputError, UsageError
from hanoix.services.treaty_reports import (
    ExportFormat,
    ImportFormat,
    applicability_report,
    home_data,
    participant_report,
    status_report,
)
from hanoix.treaty.actions import parse_date
from hanoix.treaty.dataset import TreatyData

if TYPE_CHECKING:
    from hanoix.services.node import Node

treaty_app = typer.Typer(
    no_args_is_help=True,
)

OnOption = Annotated[
    str | None,
    typer.Option(
        "--on", help="The date to answer for (YYYY-MM-DD). Default: today.", show_default=False
    ),
]


@contextmanager
def _node(ctx: typer.Context) -> Iterator[Node]:
    from hanoix.services import treaty as service

    with open_node(ctx) as node:
        service.ensure_loaded(node)
        yield node


def _data(ctx: typer.Context) -> tuple[TreatyData, date]:
    """The node's treaty data and its today: from the home's copy of its database's treaty
    tables when there is one (no database opened: issue 13), else from the database."""
    copied = home_data(state(ctx).settings)
    if copied is not None:
        return copied, today(SystemClock())
    from hanoix.services import treaty as service

    with _node(ctx) as node:
        return service.current_data(node), today(node.clock)


def _date(value: str | None, option: str) -> date | None:
    return None if value is None else parse_date(value, option)


def _warn(warnings: tuple[str, ...] | list[str]) -> None:
    for warning in warnings:
        human.print(f"[yellow]warning:[/] {escape(warning)}", markup=True, highlight=False)


def _warn_briefly(warnings: tuple[str, ...] | list[str]) -> None:
    # Answers other than `status` carry the warnings in their JSON; people get one line.
    if warnings:
        human.print(
            "[yellow]warning:[/] the treaty data is partial or dated; "
            "`hanoix treaty status` says what is missing and how to refresh it",
            markup=True,
            highlight=False,
        )


@treaty_app.command("status")
def status_command(ctx: typer.Context, on: OnOption = None, as_json: JsonOption = False) -> None:
    """The Convention's status: signatories, parties, instruments counted, entry into force."""
    when = _date(on, "--on")
    data, day = _data(ctx)
    result = status_report(data, day, when)
    s = result.summary

    def render(out: Console) -> None:
        out.print(f"status on {s.on.isoformat()}", markup=False)
        out.print(f"  signatories          {s.signatories}", markup=False)
        out.print(f"  parties              {s.parties}", markup=False)
        out.print(
            f"  instruments counted  {s.instruments_counted} of {s.instruments_needed} "
            "(Art. 65(1); an REIO's instrument is not counted)",
            markup=False,
        )
        if s.entry_into_force is None:
            out.print("  entry into force     not yet determined", markup=False)
        else:
            verb = "entered" if s.in_force else "enters"
            out.print(
                f"  entry into force     {verb} into force on {s.entry_into_force.isoformat()} "
                f"(40th instrument deposited {s.fortieth_deposit})",
                markup=False,
            )
        out.print(f"  in force             {'yes' if s.in_force else 'no'}", markup=False)
        as_of = result.dataset.as_of.isoformat() if result.dataset.as_of else "undated"
        out.print(f"  data                 {result.dataset.source} (as of {as_of})", markup=False)

    report(result, as_json, render)
    _warn(result.warnings)


@treaty_app.command("participant")
def participant_command(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="ISO 3166-1 alpha-3 code, or EUU for the EU.")],
    on: OnOption = None,
    as_json: JsonOption = False,
) -> None:
    """A participant's actions, declarations and the date the Convention is in force for it."""
    when = _date(on, "--on")
    data, day = _data(ctx)
    result = participant_report(data, code, day, when)
    p = result.status

    def render(out: Console) -> None:
        who = p.participant
        out.print(f"{who.name} ({who.code}, {who.kind.value})", markup=False)
        for action in p.actions:
            basis = f" [{action.basis.value}]" if action.basis else ""
            # A domestic act is said as such: it is not a deposit (Art. 65(1)).
            what = (
                f"{action.kind.words} (in its own law; not a deposit)"
                if action.kind.is_domestic
                else action.kind.words
            )
            out.print(f"  {action.date.isoformat()}  {what}{basis}", markup=False)
        for declaration in p.declarations:
            # As lodged: "reservation under Art. 9(2)", then what it does, then its text.
            basis = f" [{declaration.basis.value}]" if declaration.basis else ""
            out.print(
                f"  {declaration.date.isoformat()}  {declaration.lodged_form.value} under "
                f"{declaration.article} ({declaration.kind.value}){basis}: {declaration.text}",
                markup=False,
            )
        if not p.actions and not p.declarations:
            out.print("  no treaty action recorded", markup=False)
        in_force = p.in_force_from.isoformat() if p.in_force_from else "not determined"
        out.print(f"  in force for it from {in_force}", markup=False)
        out.print(f"  {p.finding.message}", markup=False)

    report(result, as_json, render)
    _warn_briefly(result.warnings)


@treaty_app.command("applies")
def applies_command(
    ctx: typer.Context,
    a: Annotated[str, typer.Argument(help="First participant (alpha-3 code or EUU).")],
    b: Annotated[str, typer.Argument(help="Second participant (alpha-3 code or EUU).")],
    on: OnOption = None,
    as_json: JsonOption = False,
) -> None:
    """Does the Convention bind both A and B on the date? Exit 0 if yes, 1 if not."""
    when = _date(on, "--on")
    data, day = _data(ctx)
    result = applicability_report(data, a, b, day, when)
    answer = result.answer

    def render(out: Console) -> None:
        verdict = "applies" if answer.applies else "does not apply"
        out.print(
            f"the Convention {verdict} between {answer.a} and {answer.b} on "
            f"{answer.on.isoformat()}",
            markup=False,
        )
        for reason in answer.reasons:
            where = f" ({reason.article})" if reason.article else ""
            out.print(f"  - {reason.message}{where}", markup=False)

    report(result, as_json, render)
    _warn_briefly(result.warnings)
    if not answer.applies:
        raise typer.Exit(1)


def _name_pairs(given: list[str]) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in given:
        name, sep, code = item.rpartition("=")
        if not sep or not name.strip() or not code.strip():
            raise UsageError(f"--map {item!r}: write NAME=ISO3, e.g. --map 'Türkiye=TUR'")
        pairs[name.strip()] = code.strip().upper()
    return pairs


@treaty_app.command("import")
def import_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The file to import.", show_default=False)],
    fmt: Annotated[
        ImportFormat | None,
        typer.Option(
            "--format",
            help="csv (participant,action,date) or un-xml (the UN Treaty Collection's status "
            "XML). Default: un-xml for a .xml file, csv otherwise.",
            show_default=False,
        ),
    ] = None,
    replace_all: Annotated[
        bool, typer.Option("--replace", help="Replace all treaty data with the file's.")
    ] = False,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="The day the file was published or downloaded (YYYY-MM-DD)."),
    ] = None,
    name_map: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            help="NAME=ISO3: a participant's name in the depositary's XML that this node does "
            "not know, and its code (repeatable), e.g. --map 'Türkiye=TUR'.",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Import treaty data, all or nothing (docs/treaty-data.md)."""
    chosen = fmt or (ImportFormat.UN_XML if file.suffix.lower() == ".xml" else ImportFormat.CSV)
    when = _date(as_of, "--as-of")
    names = _name_pairs(name_map or [])
    with _node(ctx) as node:
        from hanoix.services import treaty as service

        result = service.import_file(
            node, file, chosen, replace_all=replace_all, as_of=when, names=names
        )
    report(
        result,
        as_json,
        lambda out: out.print(
            f"imported {file.name} ({result.format.value}, {result.mode}): {result.added} added, "
            f"{result.removed} removed, {result.unchanged} unchanged; now {result.actions} "
            f"actions and {result.declarations} declarations",
            markup=False,
        ),
    )


@treaty_app.command("export")
def export_command(
    ctx: typer.Context,
    fmt: Annotated[ExportFormat, typer.Option("--format", help="csv or json.")] = ExportFormat.CSV,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write to this file instead of stdout."),
    ] = None,
) -> None:
    """Export the node's treaty data (CSV re-imports as it is)."""
    from hanoix.services import treaty as service

    with _node(ctx) as node:
        text = service.export(node, fmt)
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write {output}: {exc.strerror}") from exc
    human.print(f"wrote {output}", markup=False)


@treaty_app.command("chart")
def chart_command(
    ctx: typer.Context,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The PNG file to write.", show_default=False)
    ],
    on: OnOption = None,
    as_json: JsonOption = False,
) -> None:
    """Chart the instruments deposited over time against the 40 needed (Art. 65(1))."""
    from hanoix.cli.treaty_chart import render_chart

    when = _date(on, "--on")
    if output.suffix.lower() != ".png":
        raise InputError(f"-o {output}: the chart is a PNG; name the file FILE.png")
    if not output.parent.is_dir():
        raise InputError(f"-o {output}: the folder {output.parent} does not exist")
    from hanoix.services import treaty as service

    with _node(ctx) as node:
        status, data = service.treaty_status(node)
        day = when or node.clock.now().date()
        warnings = service.status(node, day).warnings
    result = render_chart(status, data, day, output)
    report(
        {**result, "warnings": list(warnings)},
        as_json,
        lambda out: out.print(f"wrote {output}", markup=False),
    )
    _warn_briefly(warnings)
