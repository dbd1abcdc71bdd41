"""``hanoix statistics``: the node's cooperation statistics for a period, signed, and the
check of a signed report (docs/statistics.md).

``report`` prints a summary; ``--json`` prints the signed report (the file a secretariat
receives), ``--csv`` every published number, ``-o FILE`` writes the signed report (``.json``),
the CSV (``.csv``) or a self-contained HTML page with SVG charts (``.html``). ``verify`` exits 0
when the report's signature verifies against the node's directory, 1 naming what failed
(altered, or signed by a node or key the directory does not list), 2 when the file is not a
signed report. Both are the node operator's (they read the node's keys and database).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from hanoix import inputs
from hanoix.cli.app import JsonOption, open_node
from hanoix.cli.output import report as print_report
from hanoix.errors import InputError, UsageError

statistics_app = typer.Typer(no_args_is_help=True)

FORMATS = (".json", ".csv", ".html")

FromOption = Annotated[str, typer.Option("--from", help="First day of the period (YYYY-MM-DD).")]
ToOption = Annotated[str, typer.Option("--to", help="Last day of the period, included.")]
ThresholdOption = Annotated[
    int, typer.Option("--threshold", help="Counts under this are withheld (<5).")
]
EpsilonOption = Annotated[
    float | None,
    typer.Option(
        "--epsilon",
        help="Make the counts by counterpart State differentially private with this epsilon "
        "(0.01 to 10; OpenDP's Laplace mechanism).",
        show_default=False,
    ),
]


def _options(start: str, end: str, threshold: int = 5, epsilon: float | None = None) -> Any:
    """The report's options from the command's (dates read, the rest checked where used)."""
    from hanoix.services import statistics

    return statistics.Options(
        start=statistics.parse_day(start, "--from"),
        end=statistics.parse_day(end, "--to"),
        threshold=threshold,
        epsilon=epsilon,
    )


def _summary(console: Console, body: dict[str, Any], signer: str) -> None:
    period = body["period"]
    console.print(
        f"Statistics of {body['state']} ({body['origin']}), {period['from']} to {period['to']}, "
        f"signed by {signer}",
        markup=False,
    )
    from hanoix.statistics.render import TABLE_TITLES, protection_lines

    for found in body["tables"]:
        table = Table(title=TABLE_TITLES.get(found["name"], found["name"]), title_justify="left")
        table.add_column("")
        for column in [*found["columns"], "total"]:
            table.add_column(column.replace("_", " "), justify="right")
        for row in found["rows"]:
            table.add_row(row["label"], *(str(v) for v in [*row["cells"], row["total"]]))
        table.add_row("total", *(str(v) for v in [*found["column_totals"], found["total"]]))
        console.print(table)
    for line in protection_lines(body):
        console.print(line, markup=False)


@statistics_app.command("report")
def report_command(
    ctx: typer.Context,
    start: FromOption,
    end: ToOption,
    threshold: ThresholdOption = 5,
    epsilon: EpsilonOption = None,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV on stdout.")] = False,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            help="Write the report to FILE: .json (signed), .csv or .html (tables and charts).",
            show_default=False,
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """The node's statistics for a period, signed with its federation key."""
    from hanoix.services import statistics
    from hanoix.statistics.render import to_csv, to_html

    if sum((as_json, as_csv, output is not None)) > 1:
        raise UsageError("give one of --json, --csv and -o FILE")
    if output is not None and output.suffix.lower() not in FORMATS:
        raise UsageError(f"-o takes a file ending in {', '.join(FORMATS)}, not {output.name!r}")
    options = _options(start, end, threshold, epsilon)
    with open_node(ctx) as node:
        body, signed = statistics.signed_report(node, options)
    if as_json:
        sys.stdout.write(signed.decode("utf-8"))
        return
    if as_csv:
        sys.stdout.write(to_csv(body))
        return
    if output is not None:
        suffix = output.suffix.lower()
        if suffix == ".json":
            data = signed
        elif suffix == ".csv":
            data = to_csv(body).encode("utf-8")
        else:
            data = to_html(body, signer=body["origin"]).encode("utf-8")
        try:
            output.write_bytes(data)
        except OSError as exc:
            raise InputError(f"cannot write {output}: {exc.strerror}") from None
        print_report({"written": str(output)}, False, lambda c: c.print(f"wrote {output}"))
        return
    print_report(body, False, lambda console: _summary(console, body, body["origin"]))


@statistics_app.command("verify")
def verify_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A signed statistics report (.json).")],
    as_json: JsonOption = False,
) -> None:
    """Check a signed report against the node's directory: exit 0 valid, 1 not, 2 unreadable."""
    from hanoix.federation.statistics import MAX_REPORT_BYTES
    from hanoix.services import statistics

    data = inputs.read_input(file, "statistics report", limit=MAX_REPORT_BYTES)
    with open_node(ctx) as node:
        verified = statistics.verify(node, data)
    answer = {
        "valid": True,
        "origin": verified.origin,
        "state": verified.state,
        "key_id": verified.key_id,
        "period": verified.report.get("period"),
    }
    print_report(
        answer,
        as_json,
        lambda c: c.print(
            f"valid: a report of {verified.state}, signed by {verified.origin} "
            f"(key {verified.key_id})",
            markup=False,
        ),
    )


SecretariatOption = Annotated[
    str,
    typer.Option("--secretariat", help="The secretariat node's origin, as the directory lists it."),
]


@statistics_app.command("send")
def send_command(
    ctx: typer.Context,
    start: FromOption,
    end: ToOption,
    secretariat: SecretariatOption,
    threshold: ThresholdOption = 5,
    epsilon: EpsilonOption = None,
    as_json: JsonOption = False,
) -> None:
    """Send the signed report of a period to the secretariat (again: it replaces the last)."""
    from hanoix.services import secretariat as service

    options = _options(start, end, threshold, epsilon)
    with open_node(ctx) as node:
        sent = service.send_report(node, options, secretariat)
    print_report(sent, as_json, lambda c: c.print(f"queued for {secretariat}: {sent['envelope']}"))


@statistics_app.command("withdraw")
def withdraw_command(
    ctx: typer.Context,
    start: FromOption,
    end: ToOption,
    secretariat: SecretariatOption,
    as_json: JsonOption = False,
) -> None:
    """Withdraw this node's reports of a period from the secretariat."""
    from hanoix.services import secretariat as service

    period = _options(start, end)
    with open_node(ctx) as node:
        sent = service.withdraw_report(node, period.start, period.end, secretariat)
    print_report(sent, as_json, lambda c: c.print(f"queued for {secretariat}: {sent['envelope']}"))


@statistics_app.command("global")
def global_command(
    ctx: typer.Context,
    start: FromOption,
    end: ToOption,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            help="Write the global tables and their chart to FILE.html.",
            show_default=False,
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """On a secretariat node: the global tables of a period from the States' reports."""
    from hanoix.services import secretariat as service
    from hanoix.statistics.render import global_to_html

    if output is not None and output.suffix.lower() != ".html":
        raise UsageError(f"-o takes a file ending in .html, not {output.name!r}")
    period = _options(start, end)
    with open_node(ctx) as node:
        world = service.global_report(node, period.start, period.end)
    if output is not None:
        try:
            output.write_text(global_to_html(world), "utf-8")
        except OSError as exc:
            raise InputError(f"cannot write {output}: {exc.strerror}") from None
        print_report({"written": str(output)}, as_json, lambda c: c.print(f"wrote {output}"))
        return

    def render(console: Console) -> None:
        console.print(f"States reporting: {', '.join(world['states'])}", markup=False)
        for found in world["tables"]:
            table = Table(title=found["name"], title_justify="left")
            table.add_column("")
            for column in found["columns"]:
                table.add_column(column.replace("_", " "), justify="right")
            for row in found["rows"]:
                table.add_row(row["label"], *(str(v) for v in row["cells"]))
            console.print(table)

    print_report(world, as_json, render)
