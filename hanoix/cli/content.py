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
from hanoix.cli.app import JsonOption
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
