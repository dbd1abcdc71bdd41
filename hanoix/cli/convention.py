"""``hanoix convention``: read the Convention as the node encodes it.

Every rule is shown with its article and its basis, so a State's lawyers can see at a glance
which rules were checked against the text and which still need checking. The commands only
read :mod:`hanoix.convention`; nothing here decides anything.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from hanoix.cli.app import JsonOption
from hanoix.cli.output import report
from hanoix.convention import (
    Basis,
    KindSpec,
    NotificationSpec,
    article_detail,
    articles,
    chapter,
    kind_spec,
    kind_specs,
)
from hanoix.convention.articles import CHAPTERS, Article
from hanoix.convention.citations import ArticleDetail
from hanoix.convention.notifications import NOTIFICATIONS

convention_app = typer.Typer(
    name="convention",
    no_args_is_help=True,
)

# Basis shown in colour so the rules that still need checking stand out.
_BASIS_STYLE = {
    Basis.VERIFIED: "green",
    Basis.SECONDARY: "cyan",
    Basis.RECALLED: "yellow",
    Basis.INFERRED: "magenta",
}


def _basis(value: str) -> str:
    basis = Basis(value)
    return f"[{_BASIS_STYLE[basis]}]{basis.value}[/]"


def _escape(text: str) -> str:
    # Rich reads "[...]" as markup; article text such as "[V-2]" must print as written.
    return text.replace("[", r"\[")


@convention_app.command("articles")
def list_articles(
    chapter_number: Annotated[
        int | None,
        typer.Option("--chapter", help=f"Only this chapter (1 to {len(CHAPTERS)})."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """List the articles, with chapter and basis."""
    found = articles(chapter_number)
    report([item.as_dict() for item in found], as_json, lambda out: _render_articles(out, found))


def _render_articles(out: Console, found: tuple[Article, ...]) -> None:
    table = Table(title="Articles of the Convention", title_justify="left")
    for column in ("Art.", "Title", "Chapter", "Basis", "Title basis"):
        table.add_column(column)
    for item in found:
        table.add_row(
            str(item.number),
            _escape(item.title),
            chapter(item.chapter).roman,
            _basis(item.basis),
            _basis(item.title_basis),
        )
    out.print(table)


@convention_app.command("article")
def show_article(
    reference: Annotated[
        str,
        typer.Argument(help="An article number (1 to 68) or a reference such as 'Art. 40(15)'."),
    ],
    as_json: JsonOption = False,
) -> None:
    """Show an article and every rule of the data that cites it."""
    detail = article_detail(reference)
    report(detail.as_dict(), as_json, lambda out: _render_article(out, detail))


def _render_article(out: Console, detail: ArticleDetail) -> None:
    item = detail.article
    out.print(
        f"[bold]Art. {item.number}[/] {_escape(item.title)} "
        f"(Chapter {detail.chapter.roman}, {_escape(detail.chapter.title)}); "
        f"number {_basis(item.basis)}, title {_basis(item.title_basis)}"
    )
    if not detail.rules:
        out.print(f"no rule in the data cites {detail.reference}")
        return
    table = Table(title=f"Rules citing {detail.reference}", title_justify="left")
    for column in ("Reference", "Basis", "Where", "Rule"):
        table.add_column(column)
    for rule in detail.rules:
        table.add_row(str(rule.art), _basis(rule.basis), rule.source, _escape(rule.text))
    out.print(table)


@convention_app.command("kinds")
def list_kinds(as_json: JsonOption = False) -> None:
    """Every kind of request with its contents, grounds, periods and dual criminality."""
    specs = kind_specs()
    report([spec.as_dict() for spec in specs], as_json, lambda out: _render_kinds(out, specs))


@convention_app.command("kind")
def show_kind(
    code: Annotated[str, typer.Argument(help="A kind code, e.g. 'preservation'.")],
    as_json: JsonOption = False,
) -> None:
    """One kind of request in full."""
    spec = kind_spec(code)
    report(spec.as_dict(), as_json, lambda out: _render_kinds(out, (spec,)))


def _render_kinds(out: Console, specs: tuple[KindSpec, ...]) -> None:
    for spec in specs:
        legal = ", ".join(str(art) for art in spec.legal_basis)
        out.rule(f"[bold]{spec.code}[/]: {_escape(spec.title)}")
        out.print(_escape(spec.summary))
        out.print(
            f"legal basis {legal} ({_basis(spec.basis)}); channel {spec.channel.value} "
            f"({spec.channel_art}, {_basis(spec.channel_basis)}); "
            f"{'urgent' if spec.urgent else 'not urgent'} as a rule"
        )
        rule = spec.dual_criminality
        out.print(
            f"dual criminality: {rule.rule.value} ({rule.art}, {_basis(rule.basis)}) "
            f"{_escape(rule.note)}"
        )
        contents = Table(title="Contents", title_justify="left")
        for column in ("Field", "Requirement", "Art.", "Basis", "Description"):
            contents.add_column(column)
        for content in spec.contents:
            requirement = content.requirement.value
            if content.condition is not None:
                requirement += f": {content.condition.description}"
            contents.add_row(
                content.name,
                _escape(requirement),
                str(content.art),
                _basis(content.basis),
                _escape(content.description),
            )
        out.print(contents)
        if spec.refusal_grounds or spec.excluded_grounds:
            grounds = Table(title="Grounds of refusal", title_justify="left")
            for column in ("Code", "Allowed", "Art.", "Basis", "Description"):
                grounds.add_column(column)
            for ground in spec.refusal_grounds:
                grounds.add_row(
                    ground.code,
                    "yes",
                    str(ground.art),
                    _basis(ground.basis),
                    _escape(ground.description),
                )
            for ground in spec.excluded_grounds:
                grounds.add_row(
                    ground.code,
                    "[red]no[/]",
                    str(ground.art),
                    _basis(ground.basis),
                    _escape(ground.description),
                )
            out.print(grounds)
        if spec.refusal_reasons is not None:
            reasons = spec.refusal_reasons
            out.print(
                f"refusal: {_escape(reasons.description)} ({reasons.art}, {_basis(reasons.basis)})"
            )
        for period in spec.periods:
            out.print(
                f"period {period.name}: {period} ({period.art}, {_basis(period.basis)}) "
                f"{_escape(period.note)}"
            )
        for related in spec.related:
            out.print(
                f"related: {related.relation.value} {related.kind.value} "
                f"({related.art}, {_basis(related.basis)})"
            )


@convention_app.command("notifications")
def list_notifications(as_json: JsonOption = False) -> None:
    """What a State notifies, declares or reserves, with article, timing and basis."""
    report(
        [spec.as_dict() for spec in NOTIFICATIONS],
        as_json,
        lambda out: _render_notifications(out, NOTIFICATIONS),
    )


def _render_notifications(out: Console, specs: tuple[NotificationSpec, ...]) -> None:
    table = Table(title="Notifications to the Secretary-General", title_justify="left")
    for column in ("Code", "Form", "Art.", "When", "Holds", "Basis"):
        table.add_column(column)
    for spec in specs:
        holds = ", ".join(f"{item.name} ({item.type.value})" for item in spec.fields) or "-"
        table.add_row(
            spec.code, spec.form.value, str(spec.art), spec.timing.value, holds, _basis(spec.basis)
        )
    out.print(table)
