"""``hanoix demo``: three nodes on loopback and one case between them (see hanoix/demo.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from hanoix.cli.app import JsonOption
from hanoix.cli.output import human, report

demo_app = typer.Typer(
    invoke_without_command=True,
    no_args_is_help=False,
    subcommand_metavar="",  # one command, no subcommands
)


def _show_step(out: Console) -> object:
    def show(result: object) -> None:
        from hanoix.demo import StepResult

        assert isinstance(result, StepResult)
        mark = "[green]✓[/]" if result.ok else "[bold red]✗[/]"
        out.print(
            f"{mark} {result.number:2d}. {result.title} [dim]({result.seconds:.1f} s)[/]",
            markup=True,
            highlight=False,
        )
        if result.detail:
            out.print(f"       {result.detail}", markup=False, highlight=False)

    return show


@demo_app.callback()
def demo(
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Play the scenario on fresh temporary homes, stop the nodes, and exit 0 only "
            "if every step succeeded (1 if one failed, 2 if setting up failed).",
        ),
    ] = False,
    folder: Annotated[
        Path,
        typer.Option(
            "--dir",
            help="Where the three homes go (wiped and made again on each run).",
        ),
    ] = Path(".hanoix-demo"),
    as_json: JsonOption = False,
) -> None:
    """Set up three nodes, play a preservation followed by an MLA request end to end, print
    each node's URL and the demo logins, and keep the nodes running until Ctrl-C."""
    from hanoix.demo import DEFAULT_PORTS, Demo, Outcome, wait_for_interrupt
    from hanoix.demo import check as run_check
    from hanoix.logs import configure_logging

    configure_logging("error")  # the steps speak for themselves; node logs are in serve.log

    def notice(text: str) -> None:
        human.print(f"[yellow]note:[/] {text}", markup=True, highlight=False)

    show = None if as_json else _show_step(human)
    if check:
        human.print("Hanoi Exchange demo check: three fresh nodes, one case", markup=False)
        outcome = run_check(on_step=show, notice=notice)  # type: ignore[arg-type]
        _finish(outcome, as_json)
        raise typer.Exit(outcome.exit_code)

    demo_run = Demo(folder, ports=dict(DEFAULT_PORTS), on_step=show, notice=notice)  # type: ignore[arg-type]
    try:
        human.print(f"Setting up three nodes under {folder} ...", markup=False)
        try:
            demo_run.setup()
        except OSError as exc:
            outcome = Outcome([], str(exc))
            _finish(outcome, as_json)
            raise typer.Exit(2) from None
        _print_nodes(demo_run)
        demo_run.play()
        outcome = Outcome(demo_run.results)
        _finish(outcome, as_json)
        _print_logins(demo_run)
        wait_for_interrupt(
            demo_run,
            on_waiting=lambda: human.print(
                "The nodes keep running; press Ctrl-C to stop them.", markup=False
            ),
        )
    finally:
        human.print("Stopping the nodes ...", markup=False)
        demo_run.stop()
    raise typer.Exit(outcome.exit_code)


def _finish(outcome: object, as_json: bool) -> None:
    from hanoix.demo import Outcome

    assert isinstance(outcome, Outcome)

    def render(out: Console) -> None:
        if outcome.setup_error is not None:
            out.print(f"[bold red]setup failed:[/] {outcome.setup_error}", markup=True)
            return
        passed = sum(1 for r in outcome.results if r.ok)
        colour = "green" if outcome.ok else "bold red"
        out.print(
            f"[{colour}]{passed} of {len(outcome.results)} steps succeeded[/]",
            markup=True,
            highlight=False,
        )

    report(outcome, as_json, render)
    if as_json:
        render(human)


def _print_nodes(demo_run: object) -> None:
    from hanoix.demo import Demo

    assert isinstance(demo_run, Demo)
    for member in demo_run.nodes.values():
        human.print(
            f"  {member.state.name:<13} {member.url}/   (home {member.home})",
            markup=False,
            highlight=False,
        )


def _print_logins(demo_run: object) -> None:
    from hanoix.demo import PASSWORD, USERS, Demo

    assert isinstance(demo_run, Demo)
    human.print("", markup=False)
    human.print("Nodes:", markup=False)
    _print_nodes(demo_run)
    human.print("", markup=False)
    human.print(f"Logins (the same on every node; password: {PASSWORD}):", markup=False)
    for username, (role, suffix, title) in USERS.items():
        human.print(
            f"  {username:<11} {role:<13} {'<STATE>-' + suffix:<11} {title}",
            markup=False,
            highlight=False,
        )
    facts = demo_run.facts
    if facts:
        aut = demo_run.nodes["AUT"].url
        human.print("", markup=False)
        human.print(
            f"The case: preservation {facts.get('preservation', '?')} and the MLA request "
            f"{facts.get('mla', '?')} that follows it up. Explore them in the browser: sign in "
            f"at {aut}/ as drafter and open {aut}/requests/{facts.get('mla', '?')} (each "
            f"node's desks, drafting, treaty status and ledger are in its header); or through "
            f"the API ({aut}/api/v1/docs): POST /api/v1/auth/login as officer, then GET "
            f"/api/v1/requests/{facts.get('mla', '?')}/history. See docs/demo.md.",
            markup=False,
            highlight=False,
        )
