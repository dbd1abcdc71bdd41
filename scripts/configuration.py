"""Write docs/configuration.md from the settings models themselves (``make configuration``).

Every setting a node reads is a field of :class:`hanoix.config.Settings` (``HOME/hanoix.toml``,
``HANOIX_*``) or of :class:`hanoix.federation.settings.FederationSettings`
(``HOME/federation.toml``, ``HANOIX_FEDERATION_*``): its name, variable, type, default and
description come from there, so the page cannot say something the code does not do.
tests/test_configuration_reference.py fails when the committed page differs from what this
script writes.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "docs" / "configuration.md"

INTRO = """\
# Configuration reference

This page is generated from the settings models (`hanoix/config.py`,
`hanoix/federation/settings.py`) by `make configuration` (scripts/configuration.py); a test
fails when it differs from them. Do not edit it by hand: change a setting's description in the
code and run `make configuration`.

A node reads its settings, highest precedence first, from: the command line (`--home`,
`--port`, ...), the environment (`HANOIX_*`), its configuration file (`HOME/hanoix.toml`, or
the file `HANOIX_CONFIG` names; a setting may be written by its name or by its variable, at top
level or under `[hanoix]`), then the defaults below. An unknown setting, or a value of the
wrong type, is refused at start with a message naming it. Federation settings are read the same
way from `HOME/federation.toml` and `HANOIX_FEDERATION_*`; a misspelt `HANOIX_FEDERATION_*`
variable is refused too.

Other variables a node reads, which are not settings of a file: `HANOIX_HOME` (the home, as
`--home`), `HANOIX_CONFIG` (the configuration file), `HANOIX_USER` (who a `request` command
acts as), the secrets that never go in a file: `HANOIX_HSM_PIN` (the HSM token's user PIN,
unless `hsm_pin_file` names a file), `HANOIX_KEY_PASSPHRASE` (the passphrase of an
authority's evidence keys), `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` (the S3-compatible
store's credentials), and `PROMETHEUS_MULTIPROC_DIR` (counters shared by a node's processes on
one machine: docs/monitoring.md).
"""


def _type(annotation: Any) -> str:
    origin = get_origin(annotation)
    if origin in (types.UnionType,) or str(origin) == "typing.Union":
        return " or ".join(_type(arg) for arg in get_args(annotation))
    if origin is tuple:
        return f"list of {_type(get_args(annotation)[0])}"
    if origin is Literal:
        return " or ".join(f"`{value}`" for value in get_args(annotation))
    if annotation is type(None):
        return "none"
    names = {str: "text", int: "integer", float: "number", bool: "true/false", Path: "path"}
    return names.get(annotation, getattr(annotation, "__name__", str(annotation)))


def _default(field: Any) -> str:
    if field.default_factory is not None:
        return "depends on the machine"
    value = field.default
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, tuple):
        return "`" + ",".join(value) + "`" if value else "empty"
    return f"`{value}`"


def _bounds(field: Any) -> str:
    """The range pydantic enforces (``ge``/``gt``/``le``/``lt`` of the field), as text."""
    words = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}
    parts = []
    for item in field.metadata:
        for attribute, sign in words.items():
            bound = getattr(item, attribute, None)
            if bound is not None:
                parts.append(f"{sign} {bound}")
    return ", ".join(parts)


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


def _table(model: Any, variables: dict[str, str], skip: set[str]) -> list[str]:
    by_name = {name: variable for variable, name in variables.items()}
    lines = [
        "| setting | variable | type | default | allowed | what |",
        "|---|---|---|---|---|---|",
    ]
    for name, field in model.model_fields.items():
        if name in skip:
            continue
        variable = by_name.get(name)
        lines.append(
            f"| `{name}` | {f'`{variable}`' if variable else '(none)'} | "
            f"{_type(field.annotation)} | {_default(field)} | {_bounds(field)} | "
            f"{_escape(field.description or '')} |"
        )
    return lines


def render() -> str:
    """The page, from the models as they are."""
    sys.path.insert(0, str(ROOT))
    from hanoix import config
    from hanoix.federation import settings as federation

    parts = [
        INTRO,
        "## The node: `HOME/hanoix.toml`, `HANOIX_*`",
        "",
        "The home itself is chosen by `--home` or `HANOIX_HOME` (default `./.hanoix`), before "
        "the file is read.",
        "",
        *_table(config.Settings, config._ENV_FIELDS, {"home"}),
        "",
        "## Federation: `HOME/federation.toml`, `HANOIX_FEDERATION_*`",
        "",
        *_table(federation.FederationSettings, federation._ENV, set()),
        "",
    ]
    return "\n".join(parts)


def main() -> int:
    TARGET.write_text(render(), encoding="utf-8")
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
