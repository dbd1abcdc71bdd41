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
from hanoix.cli.output import report

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

    report(answer, as_json, render)
    if not matched:
        raise typer.Exit(1)
