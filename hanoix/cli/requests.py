"""``hanoix request``: cooperation requests from the command line, on the same services as the
API.

Who acts: every command that reads or changes requests acts as a user of the node's user store,
named with ``--as USERNAME`` or the ``HANOIX_USER`` environment variable; the user's roles and
authority decide, exactly as for an API token. ``request schema`` needs no user, and
``request validate`` needs one only when the file does not name its ``requesting_state`` (and
the node has no ``HANOIX_STATE``).

Input files are the API's request document (``hanoix request schema KIND`` prints its JSON
Schema). Exit codes: 0 success; 1 the answer is no (``validate``: the request is not valid; a
step the Convention or the lifecycle refuses; not allowed); 2 unreadable input or wrong usage.
State changes apply to the request's current version; ``--if-version N`` makes a change
conditional on version N, as the API's If-Match does.
"""

from __future__ import annotations

from contextlib import nullcontext
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from hanoix import inputs
from hanoix.cli.app import AsOption, JsonOption, acting_user, open_node, state
from hanoix.cli.letters import OfflineOption, ProofOption, print_checks, read_proof
from hanoix.cli.output import finding, human, report, to_json
from hanoix.clock import SystemClock
from hanoix.convention import RequestKind
from hanoix.documents.request_views import (
    DeadlineOut,
    ErasureOut,
    HistoryOut,
    RequestOut,
    SummaryOut,
    ValidationOut,
)
from hanoix.documents.requests import (
    EditIn,
    IncomingIn,
    RequestDocument,
    granted_consent,
    kind_schema,
    parse_date_field,
    read_document,
    schema_problems,
    to_draft,
    to_incoming,
)
from hanoix.errors import InputError, Problem, UsageError
from hanoix.requests import (
    TRANSITIONS,
    Action,
    ConditionsAttachment,
    DeleteBy,
    ExecutionReport,
    FollowUpLink,
    IntendedUse,
    KeepConfidential,
    NoOnwardTransfer,
    Postponement,
    PreservationExtension,
    Refusal,
    RequestReference,
    Status,
    Transition,
    UseAction,
    UseCondition,
    UseOnlyForProceeding,
)
from hanoix.services.validation import home_treaty, unusable_document, validate_document_with

request_app = typer.Typer(
    no_args_is_help=True,
)

VersionOption = Annotated[
    int | None,
    typer.Option("--if-version", help="Only if the request is still at this version."),
]
NoteOption = Annotated[str | None, typer.Option(help="Why (some steps require it).")]
RequiredNoteOption = Annotated[str | None, typer.Option(help="Why (required for this step).")]
KINDS = ", ".join(k.value for k in RequestKind)


def _kind(value: str) -> RequestKind:
    try:
        return RequestKind(value)
    except ValueError:
        raise UsageError(f"--kind: unknown kind {value!r}; the kinds are: {KINDS}") from None


#: A request document is at most about 1 MiB (docs/requests.md, Sizes); a file may hold a few.
REQUEST_FILE_LIMIT = 4 * 1024 * 1024


def _read_json(path: Path) -> Any:
    # A regular file, at most a few request documents long, nested a few levels deep.
    return inputs.read_json(path, "request document", limit=REQUEST_FILE_LIMIT)


def _unusable(path: Path, problems: list[Problem]) -> InputError:
    first = problems[0]
    where = f"{first.field}: " if first.field else ""
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return InputError(f"{path}: {where}{first.message}{more}", problems=problems)


def _document(path: Path, kind: RequestKind | None = None) -> RequestDocument:
    data = _read_json(path)
    if isinstance(data, dict) and kind is not None:
        given = data.setdefault("kind", kind.value)
        if given != kind.value:
            raise UsageError(f"--kind {kind.value} but {path} is a '{given}' request")
    try:
        return RequestDocument.model_validate(data)
    except ValidationError as error:
        raise _unusable(path, schema_problems(error)) from None


def _show(out: Console, shown: RequestOut) -> None:
    out.print(
        f"{shown.reference}  {shown.kind}  {shown.status}  (version {shown.version})",
        markup=False,
    )
    out.print(
        f"  {shown.requesting.state} ({shown.requesting.authority}) -> "
        f"{shown.requested.state} ({shown.requested.authority}), {shown.side} side, "
        f"handled by {shown.handled_by}",
        markup=False,
    )
    _erasures(out, shown.erasures)
    if shown.possible_actions:
        out.print(f"  next steps: {', '.join(shown.possible_actions)}", markup=False)
    for deadline in shown.deadlines:
        out.print(
            f"  deadline {deadline.kind}: {deadline.due or 'held'} ({deadline.state})"
            f"{' ' + deadline.article if deadline.article else ''}",
            markup=False,
        )
    refusal = shown.refusal or {}
    for caution in refusal.get("cautions", ()):
        out.print(f"  caution: {caution['message']}", markup=False)
    validation = shown.validation
    if validation is not None:
        _validation(out, validation)


def _erasures(out: Console, erasures: list[ErasureOut]) -> None:
    for erased in erasures:
        out.print(
            f"  {erased.category} erased on {erased.erased_at[:10]} under rule {erased.rule} "
            f"({erased.article}; ledger entry {erased.ledger_index})",
            markup=False,
        )


def _validation(out: Console, validation: ValidationOut) -> None:
    out.print("  valid" if validation.valid else "  NOT valid", markup=False)
    for label, items in (("error", validation.problems), ("warning", validation.warnings)):
        for item in items:
            line = finding(item.message, item.field, item.article, item.basis)
            out.print(f"  - {label}: {line}", markup=False)


def _render_request(request: RequestOut, as_json: bool) -> None:
    report(request.model_dump(), as_json, lambda out: _show(out, request))


@request_app.command("schema")
def schema(kind: Annotated[str, typer.Argument(help=f"One of: {KINDS}")]) -> None:
    """Print the JSON Schema of a request of KIND: the input format of --from-file."""
    typer.echo(to_json(kind_schema(_kind(kind))))


@request_app.command("validate")
def validate(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A request document (JSON).")],
    as_user: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Validate a request document: exit 0 if valid, 1 if not (every gap named with its
    article), 2 if it cannot be read as a request (an unknown kind or State, a date not written
    YYYY-MM-DD, a field of the wrong type), listing every gap with the reasons, as the API
    answers 422."""
    data = _read_json(file)
    # One pass: a document that cannot be read as a request yet gets why (fields, States,
    # dates, who requests) with every gap (each content the kind requires, the proceeding),
    # so a drafter fixes the whole document at once.
    reading = read_document(data)
    named = data.get("requesting_state") if isinstance(data, dict) else None
    # The node is opened only for what needs it: the acting user, or the treaty data of a
    # readable document when the home cannot give it without its database (a database of its
    # own, or none, and a copy of its treaty data: validation.home_treaty); so a plain
    # validation of a file, and an unreadable one, open no database.
    settings = state(ctx).settings
    treaty = home_treaty(settings) if reading.draft is not None and not as_user else None
    needs_node = bool(as_user) or (reading.draft is not None and treaty is None)
    with open_node(ctx) if needs_node else nullcontext() as node:
        user = acting_user(node, as_user) if node is not None and as_user else None
        result = unusable_document(
            reading,
            node_state=settings.state,
            requesting_state=named if isinstance(named, str) else None,
            user=user,
        )
        if result is None and node is not None:
            from hanoix.services import requests as service

            result = service.validate_document(node, data, user=user)
        elif result is None and treaty is not None:
            now = SystemClock().now()
            result = validate_document_with(treaty, data, node_state=settings.state, now=now)
    assert result is not None
    answer = result.as_dict()
    answer.pop("usable")
    if not result.usable:
        error = _unusable(file, list(result.errors))
        if not as_json:
            raise error  # the message, then every problem, each with its field
        report(answer, True, lambda out: None)
        human.print(f"error: {error.message}", markup=False)
        raise typer.Exit(2)
    shown = ValidationOut.model_validate(answer)
    report(answer, as_json, lambda out: _validation(out, shown))
    if not result.valid:
        raise typer.Exit(1)


@request_app.command("new")
def new(
    ctx: typer.Context,
    kind: Annotated[str, typer.Option("--kind", help=f"One of: {KINDS}")],
    from_file: Annotated[
        Path | None, typer.Option("--from-file", help="The request document (JSON).")
    ] = None,
    to: Annotated[
        str | None, typer.Option("--to", help="Requested State (without --from-file).")
    ] = None,
    language: Annotated[str, typer.Option(help="Language (without --from-file).")] = "en",
    idempotency_key: Annotated[
        str | None, typer.Option(help="Retry safely: the same key gives the same request.")
    ] = None,
    as_user: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Draft a new request, from a file or as an empty draft to --to a State."""
    chosen = _kind(kind)
    if from_file is not None:
        document = _document(from_file, chosen)
    elif to is not None:
        document = RequestDocument(kind=chosen.value, requested_state=to, language=language)
    else:
        raise UsageError("give --from-file FILE, or --to STATE for an empty draft")
    draft = to_draft(document)
    with open_node(ctx) as node:
        from hanoix.services import requests as service

        created = service.create(
            node, acting_user(node, as_user), draft, idempotency_key=idempotency_key
        )
    _render_request(RequestOut.of(created.request, [], created.report), as_json)


@request_app.command("list")
def list_(
    ctx: typer.Context,
    kind: Annotated[str | None, typer.Option(help="Only this kind.")] = None,
    state_code: Annotated[str | None, typer.Option("--state", help="Either party's State.")] = None,
    status: Annotated[str | None, typer.Option(help="Only this status.")] = None,
    side: Annotated[str | None, typer.Option(help="requesting or requested.")] = None,
    deadline_before: Annotated[
        str | None, typer.Option(help="Next deadline before this date (YYYY-MM-DD, UTC).")
    ] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only overdue ones.")] = False,
    limit: Annotated[int, typer.Option(help="Page size.")] = 50,
    cursor: Annotated[str | None, typer.Option(help="next_cursor of the previous page.")] = None,
    as_user: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """List the requests you may see, newest first."""
    if kind is not None:
        _kind(kind)
    if status is not None and status not in {s.value for s in Status}:
        raise UsageError(f"--status: unknown status {status!r}")
    if side is not None and side not in ("requesting", "requested"):
        raise UsageError("--side: requesting or requested")
    problems: list[Problem] = []
    before = parse_date_field(deadline_before, "--deadline-before", None, problems)
    if problems:
        raise UsageError(f"--deadline-before: {problems[0].message}")
    with open_node(ctx) as node:
        from hanoix.store.requests import ListFilter

        filters = ListFilter(
            kind=kind,
            state=state_code,
            status=status,
            side=side,
            deadline_before=datetime.combine(before, datetime.min.time(), UTC) if before else None,
            overdue_at=node.clock.now() if overdue else None,
        )
        from hanoix.services import requests as service

        page = service.list_requests(
            node, acting_user(node, as_user), filters, limit=limit, cursor=cursor
        )
    rows = [SummaryOut.of(r) for r in page.items]

    def render(out: Console) -> None:
        table = Table("reference", "kind", "status", "parties", "next deadline", "version")
        for r in rows:
            table.add_row(
                r.reference,
                r.kind,
                r.status,
                f"{r.requesting_state}->{r.requested_state}",
                r.next_deadline or "",
                str(r.version),
            )
        out.print(table)
        if page.next_cursor:
            out.print(f"more: --cursor {page.next_cursor}", markup=False)

    report(
        {"items": [r.model_dump() for r in rows], "next_cursor": page.next_cursor},
        as_json,
        render,
    )


@request_app.command("show")
def show(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(help="e.g. AUT-2026-000123")],
    as_user: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show a request, its contents and its open deadlines."""
    with open_node(ctx) as node:
        from hanoix.services import requests as service

        shown = service.show(node, acting_user(node, as_user), reference)
    _render_request(
        RequestOut.of(
            shown.request, shown.deadlines, erasures=[e.as_dict() for e in shown.erasures]
        ),
        as_json,
    )


def _step(
    ctx: typer.Context,
    reference: str,
    action: Action,
    as_user: str | None,
    as_json: bool,
    version: int | None,
    **kwargs: Any,
) -> None:
    with open_node(ctx) as node:
        from hanoix.services import requests as service

        changed = service.take_step(
            node, acting_user(node, as_user), reference, action, expected_version=version, **kwargs
        )
    _render_request(RequestOut.of(changed), as_json)


def _simple(transition: Transition, help_text: str) -> None:
    def command(
        ctx: typer.Context,
        reference: Annotated[str, typer.Argument(help="e.g. AUT-2026-000123")],
        note: NoteOption = None,
        if_version: VersionOption = None,
        as_user: AsOption = None,
        as_json: JsonOption = False,
    ) -> None:
        _step(ctx, reference, transition.action, as_user, as_json, if_version, note=note)

    command.__doc__ = help_text
    if transition.needs_note:
        command.__annotations__["note"] = RequiredNoteOption
    request_app.command(transition.action.value.replace("_", "-"))(command)


# The steps a user takes that carry no payload, only a note: one command each, named as the
# API's route. Steps with a payload have commands of their own below; the receipt is the
# node's own step.
_SIMPLE_HELP = {
    Action.SUBMIT: "Submit a draft for approval (it must be valid).",
    Action.RETURN_TO_DRAFT: "Return a submitted or approved request to draft (--note says why).",
    Action.APPROVE: "Approve a submitted request (four-eyes: not its author).",
    Action.SEND: "Send an approved request to the requested State.",
    Action.ACKNOWLEDGE: "Acknowledge a received request.",
    Action.REQUEST_MORE_INFORMATION: "Ask the requesting State for more information "
    "(--note says what).",
    Action.SUPPLY_INFORMATION: "Supply the information the requested State asked for "
    "(--note gives it).",
    Action.START_EXECUTION: "Start executing an acknowledged request.",
    Action.RESUME: "Resume the execution of a postponed request.",
    Action.WITHDRAW: "Withdraw a request (--note says why).",
    Action.CLOSE: "Close a request that was executed, refused or withdrawn.",
}
for _transition in TRANSITIONS:
    if not _transition.payload and not _transition.automatic:
        _simple(_transition, _SIMPLE_HELP.get(_transition.action, _transition.label))


@request_app.command("edit")
def edit(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(help="A draft, e.g. AUT-2026-000123")],
    from_file: Annotated[
        Path,
        typer.Option(
            "--from-file",
            help="The changes (JSON): any field of the request document but its kind; "
            "absent fields stay as they are, an empty content removes it, null unsets a field.",
        ),
    ],
    if_version: VersionOption = None,
    as_user: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Change a draft: its contents, proceeding, requested State, legal basis, deadline, flags."""
    data = _read_json(from_file)
    try:
        changes = EditIn.model_validate(data)
    except ValidationError as error:
        raise _unusable(from_file, schema_problems(error, EditIn)) from None
    with open_node(ctx) as node:
        user = acting_user(node, as_user)
        from hanoix.services import requests as service

        changed = service.take_step(
            node, user, reference, Action.EDIT, expected_version=if_version,
            payload=changes.payload(),
        )  # fmt: skip
        # The drafter's next question is what is still missing: answer it with the edit.
        checked = service.validate_request(node, user, reference)
    _render_request(RequestOut.of(changed, [], checked), as_json)


@request_app.command("register")
def register_incoming(
    ctx: typer.Context,
    from_file: Annotated[
        Path,
        typer.Option(
            "--from-file",
            help="The request as received (JSON): the request document with 'reference', "
            "'requesting_state' and 'requesting_authority' of the requesting State.",
        ),
    ],
    as_user: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Register a request that came outside the network (paper, e-mail, diplomatic channels)."""
    data = _read_json(from_file)
    try:
        document = IncomingIn.model_validate(data)
    except ValidationError as error:
        raise _unusable(from_file, schema_problems(error, IncomingIn)) from None
    with open_node(ctx) as node:
        user = acting_user(node, as_user)
        from hanoix.services import requests as service

        incoming = to_incoming(document, service.require_role(user, Action.REGISTER))
        registered = service.register(node, user, incoming)
    _render_request(RequestOut.of(registered), as_json)


@request_app.command("link-follow-up")
def link_follow_up(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(help="The preservation, e.g. AUT-2026-000123")],
    follow_up: Annotated[
        str, typer.Option("--follow-up", help="The MLA request that follows it up.")
    ],
    note: NoteOption = None,
    if_version: VersionOption = None,
    as_user: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Link an existing MLA request to the preservation it follows up (Art. 42(8))."""
    try:
        link = FollowUpLink(reference=RequestReference.parse(follow_up))
    except InputError as error:
        raise UsageError(f"--follow-up: {error.message}") from None
    _step(
        ctx,
        reference,
        Action.LINK_FOLLOW_UP,
        as_user,
        as_json,
        if_version,
        payload=link,
        note=note,
    )


@request_app.command("answer")
def answer(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(help="e.g. VNM-2026-000042")],
    summary: Annotated[str, typer.Option(help="What was done or provided.")] = "",
    partial: Annotated[bool, typer.Option("--partial", help="Executed in part.")] = False,
    preserved_on: Annotated[
        str | None, typer.Option(help="Preservation: the local date data was preserved.")
    ] = None,
    note: NoteOption = None,
    if_version: VersionOption = None,
    as_user: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Answer a request in execution: executed (or, with --partial, executed in part)."""
    problems: list[Problem] = []
    day = parse_date_field(preserved_on, "preserved_on", None, problems)
    if problems:
        raise InputError(f"--preserved-on: {problems[0].message}", problems=problems)
    action = Action.EXECUTE_PARTIALLY if partial else Action.EXECUTE
    payload = ExecutionReport(preserved_on=day, summary=summary)
    _step(ctx, reference, action, as_user, as_json, if_version, payload=payload, note=note)


@request_app.command("refuse")
def refuse(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(help="e.g. VNM-2026-000042")],
    ground: Annotated[
        list[str] | None,
        typer.Option("--ground", help="A ground of refusal of the kind (repeatable)."),
    ] = None,
    reasons: Annotated[str, typer.Option(help="The reasons (mandatory).")] = "",
    consulted: Annotated[
        bool, typer.Option("--consulted", help="The States consulted first.")
    ] = False,
    if_version: VersionOption = None,
    as_user: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Refuse a request, with grounds from the kind's list and reasons."""
    payload = Refusal(grounds=tuple(ground or ()), reasons=reasons, consulted=consulted)
    _step(ctx, reference, Action.REFUSE, as_user, as_json, if_version, payload=payload)


@request_app.command("postpone")
def postpone(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(help="e.g. VNM-2026-000042")],
    until: Annotated[str, typer.Option(help="Postponed until (YYYY-MM-DD).")],
    reason: Annotated[str, typer.Option(help="Why (mandatory).")] = "",
    consulted: Annotated[bool, typer.Option("--consulted")] = False,
    if_version: VersionOption = None,
    as_user: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Postpone execution until a date, with the reason."""
    problems: list[Problem] = []
    day = parse_date_field(until, "until", None, problems)
    if day is None:
        raise InputError(f"--until: {problems[0].message}", problems=problems)
    payload = Postponement(until=day, reason=reason, consulted=consulted)
    _step(ctx, reference, Action.POSTPONE, as_user, as_json, if_version, payload=payload)


@request_app.command("history")
def history(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(help="e.g. AUT-2026-000123")],
    as_user: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Every step's custody event with its inclusion proof in the ledger."""
    with open_node(ctx) as node:
        from hanoix.services import requests as service

        found = service.history(node, acting_user(node, as_user), reference)
    shown = HistoryOut.model_validate(found.as_dict())

    def render(out: Console) -> None:
        out.print(
            f"{shown.reference}: {len(shown.steps)} steps, proved against the ledger's "
            f"checkpoint of size {shown.tree_size}",
            markup=False,
        )
        for s in shown.steps:
            proved = "proved" if s.entry_matches else "ENTRY DOES NOT MATCH ITS PROOF"
            out.print(
                f"  {s.seq:>3} {s.at} {s.action:<24} {s.from_status or '-'} -> {s.to_status} "
                f"by {s.actor} ({s.authority}); ledger entry {s.ledger_index}, {proved}",
                markup=False,
            )
        _erasures(out, shown.erasures)

    report(shown.model_dump(), as_json, render)
    if not all(s.entry_matches for s in shown.steps):
        raise typer.Exit(1)


@request_app.command("deadlines")
def deadlines(
    ctx: typer.Context,
    within_days: Annotated[int | None, typer.Option(help="Only those due within N days.")] = None,
    as_user: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Open deadlines of the requests you may see: overdue first, then the soonest."""
    with open_node(ctx) as node:
        within = timedelta(days=within_days) if within_days is not None else None
        from hanoix.services import requests as service

        found = service.deadlines(node, acting_user(node, as_user), within=within)
    rows = [DeadlineOut.of(s) for s in found]

    def render(out: Console) -> None:
        table = Table("reference", "deadline", "due (UTC)", "state", "article")
        for d in rows:
            table.add_row(d.reference, d.kind, d.due or "held", d.state, d.article or d.basis)
        out.print(table)

    report([d.model_dump() for d in rows], as_json, render)


# --- preservations and conditions on use ----------------------------------------------------

USES = ", ".join(u.value for u in UseAction)


def _use_action(value: str, option: str) -> UseAction:
    try:
        return UseAction(value)
    except ValueError:
        raise UsageError(f"{option}: {value!r} is not one of: {USES}") from None


def _day(value: str, option: str) -> date:
    problems: list[Problem] = []
    day = parse_date_field(value, option.removeprefix("--"), None, problems)
    if day is None:
        raise InputError(f"{option}: {problems[0].message}", problems=problems)
    return day


@request_app.command("extend-preservation")
def extend_preservation(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(help="e.g. VNM-2026-000042")],
    days: Annotated[int, typer.Option(min=1, max=3650, help="Days added (Art. 42(9)).")],
    reason: Annotated[str, typer.Option(help="Why.")] = "",
    note: NoteOption = None,
    if_version: VersionOption = None,
    as_user: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Extend a preservation this node executed by --days more days, before it ends."""
    payload = PreservationExtension(days=days, reason=reason)
    _step(
        ctx,
        reference,
        Action.EXTEND_PRESERVATION,
        as_user,
        as_json,
        if_version,
        payload=payload,
        note=note,
    )


@request_app.command("follow-up")
def follow_up(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(help="The preservation, e.g. AUT-2026-000123")],
    kind: Annotated[
        str | None,
        typer.Option("--kind", help="The follow-up's kind (default: stored-data-access)."),
    ] = None,
    from_file: Annotated[
        Path | None,
        typer.Option("--from-file", help="Contents of the follow-up (JSON object), if any."),
    ] = None,
    if_version: VersionOption = None,
    as_user: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Draft the MLA request that follows up a preservation (Art. 42(8)) and link the two."""
    chosen = _kind(kind) if kind is not None else None
    contents: dict[str, Any] = {}
    if from_file is not None:
        data = _read_json(from_file)
        if not isinstance(data, dict) or not all(
            isinstance(v, str | bool | list) for v in data.values()
        ):
            raise InputError(
                f"{from_file}: a JSON object of contents, each a text, a list or true/false"
            )
        contents = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
    with open_node(ctx) as node:
        from hanoix.services import requests as service

        result = service.follow_up(
            node,
            acting_user(node, as_user),
            reference,
            expected_version=if_version,
            kind=chosen,
            contents=contents,
        )
    _render_request(RequestOut.of(result.mla, [], result.report), as_json)


@request_app.command("attach-conditions")
def attach_conditions(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(help="e.g. VNM-2026-000042")],
    use_only_for: Annotated[
        str | None, typer.Option(help="Use only for this proceeding (Art. 40(19)).")
    ] = None,
    no_onward_transfer: Annotated[
        bool, typer.Option("--no-onward-transfer", help="No transfer on (Art. 36(3)).")
    ] = False,
    in_writing: Annotated[
        bool, typer.Option("--in-writing", help="Onward transfer only with written consent.")
    ] = False,
    keep_confidential: Annotated[
        bool, typer.Option("--keep-confidential", help="Keep confidential (Art. 40(20)).")
    ] = False,
    delete_by: Annotated[
        str | None, typer.Option(help="Delete by this date, YYYY-MM-DD (Art. 36(1)(b)).")
    ] = None,
    note: NoteOption = None,
    if_version: VersionOption = None,
    as_user: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Attach conditions on the use of what this node provides (the requested side)."""
    conditions: list[UseCondition] = []
    if use_only_for:
        conditions.append(UseOnlyForProceeding(proceeding=use_only_for))
    if no_onward_transfer or in_writing:
        conditions.append(NoOnwardTransfer(written=in_writing))
    if keep_confidential:
        conditions.append(KeepConfidential())
    if delete_by is not None:
        conditions.append(DeleteBy(on=_day(delete_by, "--delete-by")))
    if not conditions:
        raise UsageError(
            "name at least one condition: --use-only-for, --no-onward-transfer, "
            "--keep-confidential, --delete-by"
        )
    payload = ConditionsAttachment(tuple(conditions))
    _step(
        ctx,
        reference,
        Action.ATTACH_CONDITIONS,
        as_user,
        as_json,
        if_version,
        payload=payload,
        note=note,
    )


@request_app.command("consent-to-use")
def consent_to_use(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(help="e.g. VNM-2026-000042")],
    use: Annotated[
        str | None, typer.Option("--use", help=f"Consent to this use: {USES} (Art. 40(19)).")
    ] = None,
    retain_until: Annotated[
        str | None,
        typer.Option(help="Or: consent to keeping it until this date, YYYY-MM-DD."),
    ] = None,
    proceeding: Annotated[str | None, typer.Option(help="The proceeding consented to.")] = None,
    recipient: Annotated[str | None, typer.Option(help="The recipient consented to.")] = None,
    written: Annotated[bool, typer.Option("--written", help="The consent is in writing.")] = False,
    letter: Annotated[str | None, typer.Option(help="The reference of that writing.")] = None,
    note: NoteOption = None,
    if_version: VersionOption = None,
    as_user: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record this State's consent to one use (--use) or a later deletion (--retain-until)."""
    if (use is None) == (retain_until is None):
        raise UsageError("give either --use ACTION or --retain-until DATE")
    with open_node(ctx) as node:
        user = acting_user(node, as_user)
        payload = granted_consent(
            user,
            node.clock.now(),
            use=_use_action(use, "--use") if use is not None else None,
            until=_day(retain_until, "--retain-until") if retain_until is not None else None,
            proceeding=proceeding,
            recipient=recipient,
            written=written,
            letter=letter,
        )
        from hanoix.services import requests as service

        changed = service.take_step(
            node,
            user,
            reference,
            Action.CONSENT_TO_USE,
            expected_version=if_version,
            payload=payload,
            note=note,
        )
    _render_request(RequestOut.of(changed), as_json)


@request_app.command("check-use")
def check_use(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(help="e.g. AUT-2026-000123")],
    use: Annotated[str, typer.Option("--use", help=f"What you want to do: {USES}.")],
    proceeding: Annotated[
        str | None,
        typer.Option(help="The proceeding (for use_in_proceeding and disclose_exculpatory)."),
    ] = None,
    recipient: Annotated[str | None, typer.Option(help="The recipient (for forward).")] = None,
    as_user: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """May I make this use of what was received? Exit 0 yes; 1 no, naming each condition
    that forbids it and its article. Every answer is recorded in the custody ledger."""
    intended = IntendedUse(_use_action(use, "--use"), proceeding=proceeding, recipient=recipient)
    with open_node(ctx) as node:
        from hanoix.services import requests as service

        decision = service.check_intended_use(node, acting_user(node, as_user), reference, intended)
    answer = {
        "allowed": True,
        "action": intended.action.value,
        "reference": reference,
        "notice": decision.notice,
    }

    def render(out: Console) -> None:
        out.print(f"{reference}: {intended.action.value} is allowed", markup=False)
        if decision.notice == "sent":
            out.print("  the requested State's node was notified (Art. 40(19))", markup=False)
        elif decision.notice == "by-other-means":
            out.print(
                "  notify the requested State before disclosing (Art. 40(19)): it is not "
                "reachable over the network for this request",
                markup=False,
            )

    report(answer, as_json, render)


@request_app.command("letter")
def letter(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(help="e.g. AUT-2026-000123")],
    out: Annotated[Path, typer.Option("-o", "--out", help="The PDF file to write (new).")],
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            help="The letter's language (ISO 639-1; default: the request's language, one the "
            "requested State accepts).",
        ),
    ] = None,
    as_user: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write the request as a formal letter: PDF/A-3, the request's document embedded; a
    request not yet approved gives a DRAFT (watermarked, unsigned). See docs/letters.md."""
    from hanoix.services import letters
    from hanoix.store.files import atomic_file

    if out.exists():
        raise UsageError(f"{out} exists already; choose a new file name")
    with open_node(ctx) as node:
        issued = letters.issue(node, acting_user(node, as_user), reference, lang)
    with atomic_file(out) as handle:
        handle.write(issued.pdf)
    result = {**issued.as_dict(), "file": str(out)}
    kind = "DRAFT letter" if issued.draft else "letter"
    report(
        result,
        as_json,
        lambda console: console.print(
            f"wrote {out}: {kind} of {issued.reference} in {issued.language}, "
            f"document sha256 {issued.sha256}",
            markup=False,
        ),
    )


@request_app.command("import-letter")
def import_letter(
    ctx: typer.Context,
    letter_file: Annotated[Path, typer.Argument(help="The letter (PDF) a requesting State sent.")],
    proof_file: ProofOption = None,
    offline: OfflineOption = False,
    as_user: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Register the request a letter carries (its embedded document), as received by your
    authority, after every check of 'hanoix letter verify' (the record of its issue asked of the
    requesting node unless --offline, or read from --proof) and those a request arriving over
    the network gets."""
    from hanoix.letters.reading import MAX_LETTER_BYTES
    from hanoix.services import letters

    data = inputs.read_input(letter_file, "letter", limit=MAX_LETTER_BYTES)
    proof = read_proof(proof_file)
    with open_node(ctx) as node:
        imported = letters.import_letter(
            node, acting_user(node, as_user), data, proof, fetch=not offline
        )
    if not as_json:
        print_checks(Console(stderr=True), imported.checked)
    _render_request(RequestOut.of(imported.request), as_json)
