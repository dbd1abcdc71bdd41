"""``hanoix retention`` and ``hanoix personal-data``: keeping personal data only as long as the
node's policy allows, and finding it for the data-protection officer (docs/retention.md).

``retention policy`` prints the periods in force; ``retention run`` erases what is due (each
erasure recorded as a ``data.erased`` custody event), ``--dry-run`` only lists it. Both are
the operator's, on the node's machine, as ``ledger verify`` is. ``personal-data find`` acts as
a user (``--as``) who must be the data-protection officer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.console import Console

from hanoix.cli.app import AsOption, JsonOption, acting_user, open_node
from hanoix.cli.output import human, report

retention_app = typer.Typer(no_args_is_help=True)
personal_data_app = typer.Typer(no_args_is_help=True)


@contextmanager
def _bar(total: int) -> Iterator[Callable[[int, int], None]]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(
        TextColumn("erasing"), BarColumn(), MofNCompleteColumn(), console=human, transient=True
    ) as bar:
        task = bar.add_task("erasing", total=total)
        yield lambda done, _total: bar.update(task, completed=done)


@retention_app.command("policy")
def policy_command(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """The periods in force, in days, per category (the defaults and the node's settings)."""
    from hanoix.requests.retention import PERIODS, RetentionPolicy

    with open_node(ctx) as node:
        policy = RetentionPolicy.parse(node.settings.retention)
    rows = [
        {
            "category": category.value,
            "days": policy.days[category],
            "default_days": period.default_days,
            "counts_from": period.counts_from,
            "article": str(period.article),
            "basis": period.basis.value,
        }
        for category, period in PERIODS.items()
    ]

    def render(console: Console) -> None:
        for row in rows:
            console.print(
                f"{row['category']}: {row['days']} days from {row['counts_from']} "
                f"(default {row['default_days']}; {row['article']}, {row['basis']})",
                markup=False,
            )

    report(rows, as_json, render)


@retention_app.command("run")
def run_command(
    ctx: typer.Context,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what is due; erase nothing.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Erase what the node's policy says is due, keeping a data.erased custody event for each."""
    from hanoix.services import retention

    with open_node(ctx) as node:
        if dry_run or as_json:
            result = retention.run(node, dry_run=dry_run)
        else:
            due = retention.plan(node)
            with _bar(len(due)) as tick:
                result = retention.run(node, progress=tick)

    def render(console: Console) -> None:
        verb = "due" if result.dry_run else "erased"
        for item in result.items:
            console.print(
                f"{item.category.value} {item.subject}: due {item.due_at:%Y-%m-%d} under "
                f"{item.rule} ({item.article}, {item.basis.value})",
                markup=False,
            )
        count = len(result.items) if result.dry_run else result.erased
        console.print(f"{count} item(s) {verb}", markup=False)
        for line in result.skipped:
            console.print(f"skipped: {line}", markup=False)

    report(result.as_dict(), as_json, render)


@personal_data_app.command("find")
def find_command(
    ctx: typer.Context,
    identifier: Annotated[
        str, typer.Argument(help="What to look for: a name, a number, an account, an address.")
    ],
    as_user: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Every place the node holds IDENTIFIER, with who read each and when (the
    data-protection officer's; the search itself is recorded)."""
    from hanoix.services import personal_data

    with open_node(ctx) as node:
        user = acting_user(node, as_user)
        found = personal_data.find(node, user, identifier)

    def render(console: Console) -> None:
        if not found.places:
            console.print(f"nothing held for {identifier!r}", markup=False)
        for place in found.places:
            console.print(f"{place.kind} {place.subject}: {', '.join(place.where)}", markup=False)
            for line in _accesses(place.as_dict()):
                console.print(f"  {line}", markup=False)

    report(found.as_dict(), as_json, render)


def _accesses(place: dict[str, Any]) -> list[str]:
    return [f"{a['at']} {a['what']} by {a['actor']} ({a['authority']})" for a in place["accesses"]]
