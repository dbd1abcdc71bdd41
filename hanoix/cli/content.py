"""``hanoix content``: removing intimate images and abuse material by hash (docs/content.md).

``hash`` prints each file's signals (SHA-256, MD5, and PDQ for an image) and needs no node.
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
from hanoix.cli.output import report
from hanoix.errors import ConflictError

content_app = typer.Typer(no_args_is_help=True)
case_app = typer.Typer(no_args_is_help=True, help="Removal cases (Arts 14 and 16).")
content_app.add_typer(case_app, name="case")

#: The largest file hashed: PDQ needs the whole picture in memory.
MAX_CONTENT_BYTES = 256 * inputs.MIB

FilesArgument = Annotated[list[Path], typer.Argument(help="The files (images or any other).")]


def _read(files: list[Path]) -> list[tuple[str, bytes]]:
    return [
        (str(path), inputs.read_input(path, "content", limit=MAX_CONTENT_BYTES)) for path in files
    ]


@content_app.command("hash")
def hash_files(files: FilesArgument, as_json: JsonOption = False) -> None:
    """Each file's SHA-256 and MD5, and for an image its PDQ hash and quality."""
    from hanoix.content.signals import hash_content

    results: list[dict[str, Any]] = []
    for name, data in _read(files):
        results.append({"file": name, **hash_content(data).as_dict()})

    def render(console: Console) -> None:
        for item in results:
            console.print(f"{item['file']}: {item['size']} bytes, {item['media']}", markup=False)
            console.print(f"  sha256 {item['sha256']}", markup=False)
            console.print(f"  md5    {item['md5']}", markup=False)
            if item["pdq"]:
                pdq = item["pdq"]
                console.print(f"  pdq    {pdq['hash']} (quality {pdq['quality']})", markup=False)
            if item["note"]:
                console.print(f"  note: {item['note']}", markup=False)

    report(results, as_json, render)


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
    """A removal case of the acting user's authority."""
    from hanoix.services import content

    with open_node(ctx) as node:
        case = content.show_case(node, acting_user(node, user), reference).as_dict()
    report(case, as_json, lambda console: _case_lines(console, case))


@content_app.command("add")
def add(
    ctx: typer.Context,
    files: FilesArgument,
    reference: Annotated[str, typer.Option("--case", help="The removal case (RC-NNNNNN).")],
    user: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """List the files' hashes in a removal case. The files themselves are not kept."""
    from hanoix.services import content

    data = _read(files)
    with open_node(ctx) as node:
        added = content.add_content(node, acting_user(node, user), reference, data)
    results = [item.as_dict() for item in added]

    def render(console: Console) -> None:
        for item in results:
            console.print(
                f"{item['file']}: {item['listed']} new hashes in {reference}", markup=False
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
    from hanoix.content.cases import MatchPolicy
    from hanoix.services import content

    data = _read(files)
    with open_node(ctx) as node:
        policy = content.node_policy(node)
        policy = MatchPolicy(
            pdq_distance=policy.pdq_distance if pdq_distance is None else pdq_distance,
            pdq_quality=policy.pdq_quality if pdq_quality is None else pdq_quality,
        )
        results = content.match(node, acting_user(node, user), data, policy)
    matched = any(result.matched for result in results)
    matches = [m.as_dict() for result in results for m in result.matches]
    answer = {
        "matched": matched,
        "matches": matches,
        "files": [result.as_dict() for result in results],
    }

    def render(console: Console) -> None:
        for result in results:
            verdict = "MATCH" if result.matched else "no match"
            console.print(f"{result.name}: {verdict}", markup=False)
            for m in result.matches:
                console.print(
                    f"  {m.case} ({m.list}) by {m.signal}, distance {m.distance}", markup=False
                )
            if result.note:
                console.print(f"  note: {result.note}", markup=False)

    report(answer, as_json, render)
    if not matched:
        raise typer.Exit(1)


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
            f"{result['withdrawn']} withdrawn, queued for "
            + ", ".join(f"{r['state']} ({r['node']})" for r in result["to"]),
            markup=False,
        )

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
