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


@pytest.mark.parametrize("key", ["port", "HANOIX_PORT", "hanoix_port"])
def test_the_file_takes_a_setting_by_its_name_or_its_variable(tmp_path: Path, key: str) -> None:
    (tmp_path / "hanoix.toml").write_text(f'{key} = 8475\nHANOIX_STATE = "AUT"\n')
    settings = load_settings(tmp_path, environ={})
    assert (settings.port, settings.state) == (8475, "AUT")


def test_one_setting_spelt_both_ways_in_the_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "hanoix.toml").write_text("port = 8475\nHANOIX_PORT = 8476\n")
    with pytest.raises(ConfigurationError, match="HANOIX_PORT and port are the same setting"):
        load_settings(tmp_path, environ={})


def test_an_unknown_setting_is_named_with_the_known_ones(tmp_path: Path) -> None:
    (tmp_path / "hanoix.toml").write_text("HANOIX_PROT = 9000\n")
    with pytest.raises(ConfigurationError) as refused:
        load_settings(tmp_path, environ={})
    assert "unknown setting 'HANOIX_PROT'" in refused.value.message
    assert "database_url" in refused.value.message and "port" in refused.value.message


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("mysql://x", "the 'mysql' database is not supported"),
        ("notaurl", "'notaurl' is not a database URL"),
        ("postgresql://", "is not a database URL"),
    ],
)
def test_a_database_url_the_node_cannot_use_is_refused(tmp_path: Path, url: str, says: str) -> None:
    with pytest.raises(ConfigurationError) as refused:
        load_settings(tmp_path, environ={"HANOIX_DATABASE_URL": url})
    assert says in refused.value.message
    assert "sqlite:///" in refused.value.message and "\n" not in refused.value.message


def test_every_setting_has_its_variable() -> None:
    from hanoix.config import _ENV_FIELDS, Settings
    from hanoix.federation.settings import _ENV, FederationSettings

    assert set(_ENV_FIELDS.values()) == set(Settings.model_fields) - {"home"}
    assert set(_ENV.values()) == set(FederationSettings.model_fields)
    assert all(v == "HANOIX_FEDERATION_" + n.upper() for v, n in _ENV.items())


def test_federation_variables_are_read_and_a_misspelt_one_is_refused(tmp_path: Path) -> None:
    from hanoix.federation.errors import FederationConfigError
    from hanoix.federation.settings import load_federation_settings

    settings = load_settings(tmp_path, environ={})
    read = load_federation_settings(
        settings,
        environ={
            "HANOIX_FEDERATION_BATCH": "16",
            "HANOIX_FEDERATION_TTL": "3600",
            "HANOIX_FEDERATION_MAX_TRANSFER_BYTES": "1048576",
        },
    )
    assert (read.batch, read.ttl, read.max_transfer_bytes) == (16, 3600.0, 1048576)
    with pytest.raises(
        FederationConfigError, match="unknown federation setting HANOIX_FEDERATION_BACTH"
    ):
        load_federation_settings(settings, environ={"HANOIX_FEDERATION_BACTH": "16"})
    with pytest.raises(FederationConfigError, match="federation setting batch"):
        load_federation_settings(settings, environ={"HANOIX_FEDERATION_BATCH": "0"})
    (tmp_path / "federation.toml").write_text("HANOIX_FEDERATION_TLS_PORT = 9471\nworker = false\n")
    from_file = load_federation_settings(settings, environ={})
    assert (from_file.tls_port, from_file.worker) == (9471, False)


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
