from __future__ import annotations

from pathlib import Path

import pytest

from hanoix.config import load_settings
from hanoix.errors import ConfigurationError


def test_defaults_need_nothing(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, environ={})
    assert settings.home == tmp_path
    assert settings.effective_database_url == f"sqlite:///{(tmp_path / 'hanoix.db').resolve()}"
    assert settings.effective_blob_dir == tmp_path / "blobs"
    assert settings.host == "127.0.0.1"


def test_home_comes_from_the_environment_when_not_given(tmp_path: Path) -> None:
    settings = load_settings(environ={"HANOIX_HOME": str(tmp_path / "n1")})
    assert settings.home == tmp_path / "n1"


def test_environment_overrides_the_toml_file(tmp_path: Path) -> None:
    (tmp_path / "hanoix.toml").write_text('[hanoix]\nport = 9000\nstate = "AUT"\n')
    settings = load_settings(tmp_path, environ={"HANOIX_PORT": "9100"})
    assert settings.port == 9100
    assert settings.state == "AUT"


def test_database_url_override(tmp_path: Path) -> None:
    url = "postgresql://postgres@127.0.0.1:5432/test"
    settings = load_settings(tmp_path, environ={"HANOIX_DATABASE_URL": url})
    assert settings.effective_database_url == url


def test_unknown_key_in_the_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "hanoix.toml").write_text("prot = 9000\n")
    with pytest.raises(ConfigurationError, match="prot"):
        load_settings(tmp_path, environ={})


def test_broken_toml_is_reported_with_the_file(tmp_path: Path) -> None:
    (tmp_path / "hanoix.toml").write_text("port = \n")
    with pytest.raises(ConfigurationError, match="not valid TOML"):
        load_settings(tmp_path, environ={})


def test_two_homes_share_nothing(tmp_path: Path) -> None:
    a = load_settings(tmp_path / "a", environ={})
    b = load_settings(tmp_path / "b", environ={})
    assert a.effective_database_url != b.effective_database_url
    assert a.effective_blob_dir != b.effective_blob_dir


def test_credential_settings_from_the_environment_and_the_file(tmp_path: Path) -> None:
    defaults = load_settings(tmp_path, environ={})
    assert defaults.token_max_days == 90
    assert defaults.trusted_proxies == ("127.0.0.1", "::1")
    assert defaults.totp_required_roles == ()
    env = {
        "HANOIX_TOKEN_MAX_DAYS": "30",
        "HANOIX_TRUSTED_PROXIES": "none",
        "HANOIX_TOTP_REQUIRED_ROLES": "approver, administrator",
        "HANOIX_LOGIN_LIMIT_ACCOUNT": "3/minute",
    }
    settings = load_settings(tmp_path, environ=env)
    assert settings.token_max_days == 30
    assert settings.trusted_proxies == ()
    assert settings.totp_required_roles == ("approver", "administrator")
    (tmp_path / "hanoix.toml").write_text('trusted_proxies = ["10.0.0.0/8"]\n', encoding="utf-8")
    assert load_settings(tmp_path, environ={}).trusted_proxies == ("10.0.0.0/8",)


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("HANOIX_TOKEN_MAX_DAYS", "0", "token_max_days"),
        ("HANOIX_TRUSTED_PROXIES", "proxy.example", "not an IP address"),
        ("HANOIX_LOGIN_LIMIT_ADDRESS", "lots", "not a rate"),
        ("HANOIX_LOGIN_QUEUE", "-1", "login_queue"),
    ],
)
def test_bad_credential_settings_are_named(
    tmp_path: Path, variable: str, value: str, named: str
) -> None:
    with pytest.raises(ConfigurationError, match=named):
        load_settings(tmp_path, environ={variable: value})
