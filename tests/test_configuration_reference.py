"""docs/configuration.md is what scripts/configuration.py makes of the settings models: a
setting added, renamed or re-described without `make configuration` fails here."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

from hanoix import config
from hanoix.federation import settings as federation

ROOT = Path(__file__).resolve().parents[1]


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "configuration_script", ROOT / "scripts" / "configuration.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_reference_is_what_the_settings_say() -> None:
    committed = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert committed == _script().render(), (
        "docs/configuration.md is stale: run 'make configuration' and commit it"
    )


def test_every_setting_is_listed_with_its_variable_and_a_description() -> None:
    page = _script().render()
    for model, variables, skip in (
        (config.Settings, config._ENV_FIELDS, {"home"}),
        (federation.FederationSettings, federation._ENV, set()),
    ):
        named = set(variables.values())
        for name, field in model.model_fields.items():
            if name in skip:
                continue
            assert name in named, f"{name} has no environment variable"
            assert field.description, f"{name} has no description"
            variable = next(v for v, n in variables.items() if n == name)
            assert f"| `{name}` | `{variable}` |" in page


def test_every_variable_the_code_reads_is_named_on_the_page() -> None:
    page = _script().render()
    named = set()
    for source in (ROOT / "hanoix").rglob("*.py"):
        named.update(re.findall(r"HANOIX_[A-Z_]*[A-Z]", source.read_text(encoding="utf-8")))
    missing = sorted(v for v in named if f"`{v}`" not in page and v != "HANOIX_FEDERATION")
    assert not missing, f"docs/configuration.md does not name {missing}"
