"""``hanoix content``: removing intimate images and abuse material by hash (docs/content.md).

``hash`` prints each file's signals (SHA-256, MD5, PDQ for an image, vPDQ for a video) and
needs no node.
``case new`` opens a removal case, ``add`` lists a case's content by its hashes (the media is
never stored), ``match`` checks files against every list the node holds: exit 0 when one
matched, 1 when none did.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from hanoix import inputs
from hanoix.cli.app import AsOption, JsonOption, acting_user, open_node
from hanoix.cli.keys import PassphraseStdinOption, read_passphrase
from hanoix.cli.output import report
from hanoix.errors import ConflictError

content_app = typer.Typer(no_args_is_help=True)
case_app = typer.Typer(no_args_is_help=True, help="Removal cases (Arts 14 and 16).")
content_app.add_typer(case_app, name="case")
notice_app = typer.Typer(
    no_args_is_help=True, help="Removal notices to providers and States, with deadlines."
)
content_app.add_typer(notice_app, name="notice")

#: The largest file hashed: PDQ needs the whole picture in memory.
MAX_CONTENT_BYTES = 256 * inputs.MIB

FilesArgument = Annotated[list[Path], typer.Argument(help="The files (images or any other).")]


def _read(files: list[Path]) -> list[tuple[str, bytes]]:
    return [
        (str(path), inputs.read_input(path, "content", limit=MAX_CONTENT_BYTES)) for path in files
    ]


@content_app.command("hash")
def hash_files(files: FilesArgument, as_json: JsonOption = False) -> None:
    """Each file's SHA-256 and MD5, for an image its PDQ hash and quality, for a video its
    vPDQ frame hashes (--json lists every frame)."""
    from hanoix.services.content import hash_file

    results: list[dict[str, Any]] = []
    for name, data in _read(files):
        results.append({"file": name, **hash_file(data).as_dict()})

    def render(console: Console) -> None:
        for item in results:
            console.print(f"{item['file']}: {item['size']} bytes, {item['media']}", markup=False)
            console.print(f"  sha256 {item['sha256']}", markup=False)
            console.print(f"  md5    {item['md5']}", markup=False)
            if item["pdq"]:
                pdq = item["pdq"]
                console.print(f"  pdq    {pdq['hash']} (quality {pdq['quality']})", markup=False)
            if item["vpdq"]:
                _video_lines(console, item["vpdq"])
            if item["note"]:
                console.print(f"  note: {item['note']}", markup=False)

    report(results, as_json, render)


def _video_lines(console: Console, vpdq: dict[str, Any]) -> None:
    frames = vpdq["frames"]
    qualities = sorted(f["quality"] for f in frames)
    console.print(
        f"  vpdq   {len(frames)} frames (one a second, 0-{frames[-1]['timestamp']:.0f} s), quality "
        f"{qualities[0]}-{qualities[-1]} (median {qualities[len(qualities) // 2]}); "
        f"digest {vpdq['digest']}",
        markup=False,
    )
    first = frames[0]
    console.print(f"         first frame {first['pdq']} (quality {first['quality']})", markup=False)


DistanceOption = Annotated[
    int | None,
    typer.Option(
        "--pdq-distance",
        help="Most bits two PDQ hashes may differ in and still match (default: the node's "
        "content_pdq_distance, 31).",
        show_default=False,
    ),
]
QualityOption = Annotated[
    int | None,
    typer.Option(
        "--pdq-quality",
        help="Least PDQ quality a hash needs to be matched (default: the node's "
        "content_pdq_quality, 50).",
        show_default=False,
    ),
]


def _case_lines(console: Console, case: dict[str, Any]) -> None:
    console.print(
        f"{case['case']}: Art. {case['article']} content, victim {case['victim_ref']}, "
        f"{case['authority']}, consent: {', '.join(case['consent']) or 'none'}, "
        f"{case['hashes']} hashes",
        markup=False,
    )


@case_app.command("new")
def case_new(
    ctx: typer.Context,
    article: Annotated[
        int, typer.Option("--article", help="The offence: 14 (child sexual abuse material) or 16.")
    ],
    victim_ref: Annotated[
        str,
        typer.Option(
            "--victim-ref",
            help="A pseudonymous reference to the victim (never a name: Art. 36).",
        ),
    ],
    consent: Annotated[
        list[str],
        typer.Option(
            "--consent",
            help="What the victim agreed to: hash, share, preserve (repeat), or none.",
        ),
    ],
    user: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Open a removal case for the acting user's authority."""
    from hanoix.services import content

    with open_node(ctx) as node:
        case = content.open_case(
            node,
            acting_user(node, user),
            article=article,
            victim_ref=victim_ref,
            consent=consent,
        ).as_dict()
    report(case, as_json, lambda console: _case_lines(console, case))


@case_app.command("show")
def case_show(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(help="The case (RC-NNNNNN).")],
    user: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """A removal case of the acting user's authority: its hashes, notices, linked requests and
    preserved packages."""
    from hanoix.services import content_notices

    with open_node(ctx) as node:
        case = content_notices.case_file(node, acting_user(node, user), reference).as_dict(
            node.clock.now()
        )

    def render(console: Console) -> None:
        _case_lines(console, case)
        for notice in case["notices"]:
            _notice_line(console, notice)
        for linked in case["requests"]:
            status = f"{linked['kind']}, {linked['status']}" if linked["visible"] else "not yours"
            console.print(f"  request {linked['request']} ({status})", markup=False)
        for package in case["preserved"]:
            console.print(f"  preserved in package {package['package_id']}", markup=False)
        matches = case["matches"]
        if matches["total"]:
            console.print(
                f"  matched {matches['total']} time(s); the newest {len(matches['kept'])} kept:",
                markup=False,
            )
        for kept in matches["kept"]:
            again = ", RE-UPLOAD" if kept["reopened"] else ""
            console.print(
                f"  match {kept['at'].isoformat()} ({kept['list']}) by "
                f"{'+'.join(kept['signals'])}, distance {kept['distance']}, "
                f"by {kept['by']}{again}",
                markup=False,
            )

    report(case, as_json, render)


@content_app.command("add")
def add(
    ctx: typer.Context,
    files: FilesArgument,
    reference: Annotated[str, typer.Option("--case", help="The removal case (RC-NNNNNN).")],
    preserve: Annotated[
        bool,
        typer.Option(
            "--preserve",
            help="Also seal the files into an evidence package for the case, encrypted to the "
            "authority's own key (needs --consent preserve, the victim's).",
        ),
    ] = False,
    consent: Annotated[
        list[str] | None,
        typer.Option("--consent", help="The victim's consent to this (preserve), recorded."),
    ] = None,
    passphrase_stdin: PassphraseStdinOption = False,
    user: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """List the files' hashes in a removal case. The files themselves are not kept, unless
    --preserve seals them (encrypted) into an evidence package for the case."""
    from hanoix.errors import UsageError
    from hanoix.services import content

    given = consent or []
    if given and not preserve:
        raise UsageError("--consent is for --preserve: the case's consent is given at case new")
    if preserve and "preserve" not in given:
        raise UsageError(
            "--preserve keeps the media: record the victim's consent with --consent preserve"
        )
    data = _read(files)

    def ask() -> bytes:
        return read_passphrase(passphrase_stdin, purpose="the authority's signing key")

    with open_node(ctx) as node:
        results = content.add_files(
            node,
            acting_user(node, user),
            reference,
            data,
            preserve=preserve,
            consent=given,
            ask=ask,
        )

    def render(console: Console) -> None:
        for item in results:
            console.print(
                f"{item['file']}: {item['listed']} new hashes in {reference}", markup=False
            )
            if item.get("package_id"):
                console.print(f"  sealed into package {item['package_id']}", markup=False)
            if item["vpdq"]:
                console.print(
                    f"  vpdq {item['vpdq']['frames']} frames, digest {item['vpdq']['digest']}",
                    markup=False,
                )
            if item["note"]:
                console.print(f"  note: {item['note']}", markup=False)

    report({"case": reference, "files": results}, as_json, render)


@content_app.command("match")
def match(
    ctx: typer.Context,
    files: FilesArgument,
    user: AsOption = None,
    pdq_distance: DistanceOption = None,
    pdq_quality: QualityOption = None,
    as_json: JsonOption = False,
) -> None:
    """Match files against every hash list of the node: exit 0 when one matched, 1 if none."""
    from dataclasses import replace

    from hanoix.services import content

    data = _read(files)
    with open_node(ctx) as node:
        policy = content.node_policy(node)
        policy = replace(
            policy,
            pdq_distance=policy.pdq_distance if pdq_distance is None else pdq_distance,
            pdq_quality=policy.pdq_quality if pdq_quality is None else pdq_quality,
        )
        found = content.match_and_reopen(node, acting_user(node, user), data, policy)
    results = found.results
    matched = any(result.matched for result in results)
    matches = [m.as_dict() for result in results for m in result.matches]
    answer = {
        "matched": matched,
        "matches": matches,
        "files": [result.as_dict() for result in results],
        "reopened": [item.as_dict() for item in found.reopened],
    }

    def render(console: Console) -> None:
        for result in results:
            verdict = "MATCH" if result.matched else "no match"
            console.print(f"{result.name}: {verdict}", markup=False)
            for m in result.matches:
                shares = ""
                if m.vpdq is not None:
                    shares = (
                        f", {m.vpdq.query_percent:.0f}% of its frames matched, "
                        f"{m.vpdq.compared_percent:.0f}% of the listed video's"
                    )
                console.print(
                    f"  {m.case} ({m.list}) by {m.signal}, distance {m.distance}{shares}",
                    markup=False,
                )
            if result.note:
                console.print(f"  note: {result.note}", markup=False)
        for item in found.reopened:
            console.print(
                f"RE-UPLOAD: notice {item.notice} ({item.case}, to {item.to}) reopened, "
                f"due {item.deadline.isoformat()}",
                markup=False,
            )

    report(answer, as_json, render)
    if not matched:
        raise typer.Exit(1)


# --- removal notices ----------------------------------------------------------------------------


def _notice_line(console: Console, notice: dict[str, Any]) -> None:
    overdue = "  OVERDUE" if notice["overdue"] else ""
    console.print(
        f"{notice['notice']} ({notice['case']}) to {notice['to_kind']} {notice['to']}: "
        f"{notice['state']}, due {notice['deadline'].isoformat()}{overdue}",
        markup=False,
    )
    if notice["confirmation"]:
        console.print(f"  confirmation {notice['confirmation']}", markup=False)
    if notice["reason"]:
        console.print(f"  reason: {notice['reason']}", markup=False)
    if notice["reuploads"]:
        times = "once" if notice["reuploads"] == 1 else f"{notice['reuploads']} times"
        console.print(f"  re-uploaded {times}", markup=False)


NoticeArgument = Annotated[str, typer.Argument(help="The notice (RN-NNNNNN).")]


@notice_app.command("new")
def notice_new(
    ctx: typer.Context,
    reference: Annotated[str, typer.Option("--case", help="The removal case (RC-NNNNNN).")],
    to: Annotated[
        str, typer.Option("--to", help="The service provider, or a State's code with --state.")
    ],
    deadline: Annotated[
        str,
        typer.Option(
            "--deadline",
            help="By when: a period (48h, 7d), a day (2026-12-10, its end in UTC) or a time.",
        ),
    ],
    to_state: Annotated[
        bool,
        typer.Option("--state", help="--to names another State (ISO 3166-1 alpha-3)."),
    ] = False,
    user: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record a notice asking a provider or a State to remove a case's content by a deadline
    (Art. 34 for Art. 14 or 16 content)."""
    from hanoix.content.notices import parse_deadline
    from hanoix.services import content_notices

    with open_node(ctx) as node:
        now = node.clock.now()
        sent = content_notices.send_notice(
            node,
            acting_user(node, user),
            reference,
            to=to,
            kind="state" if to_state else "provider",
            deadline=parse_deadline(deadline, now),
        ).as_dict(now)
    report(sent, as_json, lambda console: _notice_line(console, sent))


def _answer(
    ctx: typer.Context,
    reference: str,
    state: str,
    user: str | None,
    as_json: bool,
    *,
    confirmation: str | None = None,
    reason: str | None = None,
) -> None:
    from hanoix.services import content_notices

    with open_node(ctx) as node:
        answered = content_notices.answer_notice(
            node,
            acting_user(node, user),
            reference,
            state,
            confirmation=confirmation,
            reason=reason,
        ).as_dict(node.clock.now())
    report(answered, as_json, lambda console: _notice_line(console, answered))


@notice_app.command("acknowledge")
def notice_acknowledge(
    ctx: typer.Context,
    reference: NoticeArgument,
    user: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """The recipient acknowledged the notice."""
    _answer(ctx, reference, "acknowledged", user, as_json)


@notice_app.command("removed")
def notice_removed(
    ctx: typer.Context,
    reference: NoticeArgument,
    confirmation: Annotated[
        str,
        typer.Option("--confirmation", help="The provider's reference confirming the removal."),
    ],
    user: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """The recipient removed or disabled access to the content."""
    _answer(ctx, reference, "removed", user, as_json, confirmation=confirmation)


@notice_app.command("refused")
def notice_refused(
    ctx: typer.Context,
    reference: NoticeArgument,
    reason: Annotated[str, typer.Option("--reason", help="The reason the recipient gave.")],
    user: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """The recipient refused to remove the content."""
    _answer(ctx, reference, "refused", user, as_json, reason=reason)


@notice_app.command("list")
def notice_list(
    ctx: typer.Context,
    overdue: Annotated[
        bool, typer.Option("--overdue", help="Only the notices past their deadline.")
    ] = False,
    reference: Annotated[
        str | None, typer.Option("--case", help="Only this removal case's notices.")
    ] = None,
    user: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """The removal notices of the acting user's authority, overdue ones first."""
    from hanoix.services import content_notices

    with open_node(ctx) as node:
        now = node.clock.now()
        found = [
            n.as_dict(now)
            for n in content_notices.list_notices(
                node, acting_user(node, user), overdue=overdue, case=reference
            )
        ]

    def render(console: Console) -> None:
        if not found:
            console.print("no removal notices", markup=False)
        for notice in found:
            _notice_line(console, notice)

    report(found, as_json, render)


# --- links to cooperation requests --------------------------------------------------------------


@case_app.command("link")
def case_link(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(help="The case (RC-NNNNNN).")],
    request: Annotated[str, typer.Option("--request", help="The cooperation request made for it.")],
    user: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Link a removal case to a cooperation request made for it (you must be able to see it)."""
    from hanoix.services import content_notices

    with open_node(ctx) as node:
        linked = content_notices.link_request(
            node, acting_user(node, user), reference, request
        ).as_dict()
    answer = {"case": reference, **linked}
    report(
        answer,
        as_json,
        lambda console: console.print(
            f"{reference} linked to {linked['request']} ({linked['kind']}, {linked['status']})",
            markup=False,
        ),
    )


@case_app.command("unlink")
def case_unlink(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(help="The case (RC-NNNNNN).")],
    request: Annotated[str, typer.Option("--request", help="The linked cooperation request.")],
    user: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Remove a removal case's link to a cooperation request."""
    from hanoix.services import content_notices

    with open_node(ctx) as node:
        content_notices.unlink_request(node, acting_user(node, user), reference, request)
    answer = {"case": reference, "request": request, "linked": False}
    report(
        answer,
        as_json,
        lambda console: console.print(f"{reference} unlinked from {request}", markup=False),
    )


@case_app.command("package")
def case_package(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(help="The case (RC-NNNNNN).")],
    package_id: Annotated[str, typer.Argument(help="The preserved package's id (case show).")],
    out: Annotated[Path, typer.Option("-o", "--out", help="The package file to write.")],
    user: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write a case's preserved evidence package (encrypted) to a file, for 'hanoix evidence
    verify' and 'hanoix evidence open' with the authority's decryption key."""
    from hanoix.services import content_notices

    with open_node(ctx) as node:
        size = content_notices.write_preserved(
            node, acting_user(node, user), reference, package_id, out
        )
    answer = {"case": reference, "package_id": package_id, "package": str(out), "bytes": size}
    report(
        answer,
        as_json,
        lambda console: console.print(f"wrote {out} ({size} bytes)", markup=False),
    )


# --- lists shared between States (docs/content.md, "Shared lists") ---------------------------

list_app = typer.Typer(
    no_args_is_help=True, help="Hash lists shared with other States and with platforms."
)
content_app.add_typer(list_app, name="list")

FormatOption = Annotated[
    str,
    typer.Option(
        "--format",
        help="hanoix (the signed list), te-file (threatexchange's local file: one "
        "'pdq HEX' or 'video_md5 HEX' a line), stopncii (StopNCII's hash records) or ncmec "
        "(NCMEC's hash sharing entries, XML).",
    ),
]


@list_app.command("publish")
def list_publish(
    ctx: typer.Context,
    to: Annotated[
        str, typer.Option("--to", help="The States to send the list to: AUT or AUT,VNM.")
    ],
    user: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Sign the acting authority's hash list and send it to the nodes of the States named."""
    from hanoix.services import content_lists

    with open_node(ctx) as node:
        published = content_lists.publish(node, acting_user(node, user), to.split(","))
    result = published.as_dict()

    def render(console: Console) -> None:
        console.print(
            f"{result['list']} serial {result['serial']}: {result['entries']} hashes, "
            f"{result['withdrawn']} withdrawn"
            + (f", in {result['parts']} parts" if result["parts"] > 1 else "")
            + ", queued for "
            + ", ".join(f"{r['state']} ({r['node']})" for r in result["to"]),
            markup=False,
        )
        for why in result["left_out"]:
            console.print(f"  left out: {why}", markup=False)

    report(result, as_json, render)


@list_app.command("show")
def list_show(ctx: typer.Context, user: AsOption = None, as_json: JsonOption = False) -> None:
    """The acting authority's list (where it was published) and the lists held from others."""
    from hanoix.services import content_lists

    with open_node(ctx) as node:
        shown = content_lists.show_lists(node, acting_user(node, user))

    def render(console: Console) -> None:
        own = shown["own"]
        if own is not None:
            console.print(
                f"{own['list']} (this node): {own['entries']} hashes, {own['withdrawn']} withdrawn",
                markup=False,
            )
            for share in own["published_to"]:
                console.print(
                    f"  sent to {share['state']} ({share['node']}), serial {share['serial']}",
                    markup=False,
                )
        for held in shown["held"]:
            console.print(
                f"{held['list']} from {held['origin']}: serial {held['serial']}, "
                f"{held['entries']} hashes, {held['withdrawn']} withdrawn",
                markup=False,
            )
        if not shown["held"]:
            console.print("no list held from another State or a platform", markup=False)
        for pending in shown["incomplete"]:
            # A list in parts is imported only whole: say what it still waits for.
            console.print(
                f"{pending['list']} from {pending['origin']}: serial {pending['serial']} not "
                f"imported, {pending['received']} of {pending['parts']} parts received, "
                f"missing {', '.join(map(str, pending['missing']))}",
                markup=False,
            )

    report(shown, as_json, render)


@list_app.command("export")
def list_export(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("-o", "--out", help="The file to write (a new one).")],
    form: FormatOption = "hanoix",
    user: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write the acting authority's hash list to a file, for a platform or an exchange."""
    from hanoix.services import content_lists
    from hanoix.store.files import atomic_file

    if out.exists():
        raise ConflictError(f"{out} exists already; choose a new file name")
    with open_node(ctx) as node:
        data = content_lists.export_list(node, acting_user(node, user), form)
    with atomic_file(out) as handle:
        handle.write(data)
    result = {"file": str(out), "format": form, "bytes": len(data)}
    report(
        result,
        as_json,
        lambda console: console.print(f"wrote {out} ({form}, {len(data)} bytes)", markup=False),
    )


@list_app.command("import")
def list_import(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The list file.")],
    form: FormatOption = "hanoix",
    name: Annotated[
        str | None,
        typer.Option(
            "--name", help="The name to hold an unsigned list under (default: the file's name)."
        ),
    ] = None,
    article: Annotated[
        int | None,
        typer.Option("--article", help="The article of an unsigned list's content: 14 or 16."),
    ] = None,
    user: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Import a hash list: a signed one is checked against the directory; all or nothing."""
    from hanoix.services import content_lists

    data = inputs.read_input(file, "list", limit=MAX_CONTENT_BYTES)
    with open_node(ctx) as node:
        result = content_lists.import_any(
            node, acting_user(node, user), data, str(file), form, name=name, article=article
        ).as_dict()

    def render(console: Console) -> None:
        console.print(
            f"{result['list']} serial {result['serial']}: {result['added']} hashes added, "
            f"{result['withdrawn']} withdrawn" + (" (already held)" if result["repeat"] else ""),
            markup=False,
        )
        for why in result["refused"]:
            console.print(f"  refused: {why}", markup=False)

    report(result, as_json, render)


@list_app.command("feedback")
def list_feedback(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A platform's report (StopNCII's shape).")],
    platform: Annotated[
        str | None, typer.Option("--platform", help="Who reported (default: as the file says).")
    ] = None,
    user: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record a platform's feedback on listed hashes (blocked, not blocked) as custody events."""
    from hanoix.services import content_lists

    data = inputs.read_input(file, "feedback", limit=MAX_CONTENT_BYTES)
    with open_node(ctx) as node:
        result = content_lists.record_feedback(
            node, acting_user(node, user), data, str(file), platform
        ).as_dict()

    _feedback_report(result, as_json)


def _feedback_report(result: dict[str, Any], as_json: bool) -> None:
    def render(console: Console) -> None:
        for item in result["recorded"]:
            console.print(
                f"{item['value'][:16]}...: {item['verdict']} by {item['platform']} "
                f"({', '.join(item['lists'])})",
                markup=False,
            )
        for value in result["unknown"]:
            console.print(
                f"{value[:16]}...: not a hash this node holds; not recorded", markup=False
            )

    report(result, as_json, render)


@list_app.command("vote")
def list_vote(
    ctx: typer.Context,
    value: Annotated[str, typer.Argument(help="The hash (hex) voted on.")],
    vote: Annotated[
        str,
        typer.Option(
            "--vote", help="upvote (the hash is what it says) or downvote (a false positive)."
        ),
    ],
    platform: Annotated[str, typer.Option("--platform", help="Who votes (the platform).")],
    signal: Annotated[
        str | None,
        typer.Option(
            "--signal", help="sha256, md5 or pdq (needed for 64 hex digits: SHA-256 or PDQ)."
        ),
    ] = None,
    reason: Annotated[
        str | None,
        typer.Option("--reason", help="Why a downvote: NCMEC's reason id, or a short text."),
    ] = None,
    user: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record a platform's vote on a listed hash, as NCMEC's exchange has them (upvote,
    downvote), as a custody event."""
    from hanoix.content.formats import check_vote
    from hanoix.errors import UsageError
    from hanoix.services import content_lists

    if signal is None:
        if len(value.strip()) != 32:
            raise UsageError("--signal: say which hash this is (sha256 or pdq; md5 for 32 digits)")
        signal = "md5"
    checked = check_vote(signal, value, vote, reason)
    with open_node(ctx) as node:
        result = content_lists.record_votes(
            node, acting_user(node, user), platform, [checked]
        ).as_dict()
    _feedback_report(result, as_json)


@content_app.command("withdraw")
def withdraw(
    ctx: typer.Context,
    value: Annotated[str, typer.Argument(help="The hash (hex): SHA-256, MD5 or PDQ.")],
    reason: Annotated[
        str,
        typer.Option(
            "--reason",
            help="mistake, court-order or victim (only this word travels to other States).",
        ),
    ],
    user: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Withdraw a hash at once, here and on every node the list went to."""
    from hanoix.services import content_lists

    with open_node(ctx) as node:
        result = content_lists.withdraw(node, acting_user(node, user), value, reason).as_dict()

    def render(console: Console) -> None:
        for item in result["cases"]:
            console.print(f"withdrawn from {item['case']} ({item['signal']})", markup=False)
        for item in result["lists"]:
            console.print(
                f"withdrawn from {item['list']} on this node only ({item['signal']})",
                markup=False,
            )
        if result["told"]:
            console.print(
                f"withdrawal queued (urgent) for {', '.join(result['told'])}", markup=False
            )

    report(result, as_json, render)
