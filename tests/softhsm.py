"""A SoftHSM2 token for the tests of keys in hardware: Debian's ``softhsm2``, its tokens in a
temporary folder (``SOFTHSM2_CONF`` points at a configuration made there), made once per test
session. Skipped only where softhsm2 is absent and CI is not set; in CI, scripts/test-setup.sh
installs it, and its absence fails."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hanoix.store.hsm import Hsm

MODULE = Path("/usr/lib/softhsm/libsofthsm2.so")
TOKEN = "hanoix-test"
EMPTY_TOKEN = "hanoix-empty"
PIN_TOKEN = "hanoix-pin"  # opened by no test with the right PIN: a wrong one reaches C_Login
PIN = "4711-test-pin"
SO_PIN = "0000-so-pin"


@dataclass(frozen=True)
class SoftHsm:
    module: Path
    token: str
    empty_token: str
    pin_token: str
    pin_file: Path

    def hsm(self, pin_file: Path | None = None) -> Hsm:
        return Hsm(self.module, pin_file=pin_file or self.pin_file)

    @staticmethod
    def label(what: str = "key") -> str:
        """A label no other test uses: the token lives for the whole session."""
        return f"{what}-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def softhsm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SoftHsm]:
    util = shutil.which("softhsm2-util")
    if util is None or not MODULE.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"softhsm2 is missing ({MODULE}): scripts/test-setup.sh installs it")
        pytest.skip("softhsm2 is not installed (apt-get install softhsm2); CI runs these tests")
    root = tmp_path_factory.mktemp("softhsm")
    (root / "tokens").mkdir()
    config = root / "softhsm2.conf"
    config.write_text(
        f"directories.tokendir = {root / 'tokens'}\nobjectstore.backend = file\n"
        "log.level = ERROR\nslots.removable = false\n"
    )
    pin_file = root / "pin"
    pin_file.write_text(PIN + "\n")
    pin_file.chmod(0o600)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOFTHSM2_CONF", str(config))
        for label in (TOKEN, EMPTY_TOKEN, PIN_TOKEN):
            subprocess.run(
                [
                    util,
                    "--init-token",
                    "--free",
                    "--label",
                    label,
                    "--so-pin",
                    SO_PIN,
                    "--pin",
                    PIN,
                ],
                check=True,
                capture_output=True,
                env={**os.environ, "SOFTHSM2_CONF": str(config)},
            )
        import pkcs11

        # The library reads SOFTHSM2_CONF when initialised: once loaded in this process, it
        # reads it again here.
        pkcs11.lib(str(MODULE)).reinitialize()
        yield SoftHsm(MODULE, TOKEN, EMPTY_TOKEN, PIN_TOKEN, pin_file)
