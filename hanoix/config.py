"""Node configuration: defaults that need nothing, environment variables, an optional TOML file.

All of a node's state lives under one home directory (``--home DIR``, ``HANOIX_HOME``, default
``./.hanoix``): the SQLite database, the blob folder, keys, and the optional ``hanoix.toml``.
Two homes never share anything, so several nodes can run side by side.

Precedence, highest first: explicit arguments, ``HANOIX_*`` environment variables, the TOML file
(``HANOIX_CONFIG`` or ``HOME/hanoix.toml``), the defaults.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from hanoix.errors import ConfigurationError

DEFAULT_HOME = Path(".hanoix")
CONFIG_FILE_NAME = "hanoix.toml"


class Settings(BaseModel):
    """Everything a node needs to start. Immutable once built."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    home: Path = Field(description="the node's home directory; all its state lives here")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: SQLite file HOME/hanoix.db"
    )
    blob_dir: Path | None = Field(default=None, description="blob folder; default HOME/blobs")
    blob_url: str | None = Field(
        default=None,
        description="s3://BUCKET[/PREFIX][?endpoint=URL&region=R]: keep evidence packages in an "
        "S3-compatible store instead of the blob folder (credentials from AWS_ACCESS_KEY_ID "
        "and AWS_SECRET_ACCESS_KEY, never from this file)",
    )
    host: str = Field(default="127.0.0.1", description="address the HTTP server binds to")
    port: int = Field(default=8470, ge=0, le=65535, description="port of the HTTP server")
    log_level: str = Field(default="info", description="debug, info, warning or error")
    log_json: bool = Field(default=False, description="write logs as JSON lines")
    state: str | None = Field(default=None, description="ISO 3166-1 alpha-3 code of the State")
    origin: str | None = Field(default=None, description="the node's origin name (ledger, peers)")
    role: Literal["national", "secretariat"] = Field(
        default="national",
        description="national: a State's node; secretariat: the Conference's secretariat, "
        "which receives the States' signed statistics reports (docs/statistics.md)",
    )
    token_max_days: int = Field(
        default=90, ge=1, le=3660, description="the longest an API token may live, in days"
    )
    content_pdq_distance: int = Field(
        default=31,
        ge=0,
        le=128,
        description="the most bits two PDQ hashes may differ in and still match (docs/content.md)",
    )
    content_pdq_quality: int = Field(
        default=50,
        ge=0,
        le=100,
        description="the least PDQ quality a hash needs to be listed or matched",
    )
    content_vpdq_distance: int = Field(
        default=31,
        ge=0,
        le=128,
        description="the most bits a video's frame may differ in from a listed video's frame "
        "and still match it (vPDQ, docs/content.md)",
    )
    content_vpdq_quality: int = Field(
        default=50,
        ge=0,
        le=100,
        description="the least PDQ quality a video's frame needs to be compared (vPDQ)",
    )
    content_vpdq_query_percent: float = Field(
        default=80.0,
        ge=0,
        le=100,
        description="the least share (percent) of a video's frames that must match a listed "
        "video's frames for the video to match it (vPDQ)",
    )
    content_vpdq_compared_percent: float = Field(
        default=0.0,
        ge=0,
        le=100,
        description="the least share (percent) of a listed video's frames that a video must "
        "match to match it (vPDQ)",
    )
    content_list_part_bytes: int = Field(
        default=600 * 1024,
        ge=16 * 1024,
        le=700 * 1024,
        description="the most bytes of a shared hash list sent in one envelope: a larger list "
        "travels in numbered parts, imported once all have come (at most 700 KiB, an "
        "envelope's payload; docs/content.md)",
    )
    evidence_upload_max_bytes: int = Field(
        default=64 * 1024**3,
        ge=0,
        description="the most a user may upload through the web pages to seal into one "
        "package for a request, in bytes (all their staged files together)",
    )
    evidence_upload_expiry_hours: int = Field(
        default=48,
        ge=1,
        le=24 * 365,
        description="staged uploads not sealed this many hours after they began are removed",
    )
    trusted_proxies: tuple[str, ...] = Field(
        default=("127.0.0.1", "::1"),
        description="addresses (or networks) of the proxies whose X-Forwarded-For and "
        "X-Forwarded-Proto are believed; empty: the peer's own address counts",
    )
    login_limit_account: str = Field(
        default="5/minute;30/day",
        description="failed sign-ins allowed per account (limits notation), then 429",
    )
    login_limit_address: str = Field(
        default="20/minute;300/day",
        description="failed sign-ins allowed per client address (limits notation), then 429",
    )
    login_lockout_after: int = Field(
        default=10, ge=1, description="consecutive failed sign-ins that lock an account"
    )
    login_concurrency: int = Field(
        default_factory=lambda: max(1, (os.cpu_count() or 2) // 2),
        ge=1,
        description="password checks (argon2) run at once; more wait in the queue",
    )
    login_queue: int = Field(
        default=16, ge=0, description="sign-ins that may wait for a password check; then 503"
    )
    totp_required_roles: tuple[str, ...] = Field(
        default=(),
        description="roles whose users must sign in with a one-time code (TOTP), e.g. approver",
    )
    retention: dict[str, int] = Field(
        default_factory=dict,
        description="days each category of data is kept (docs/retention.md), e.g. "
        "personal-data=365,sessions=30; a category not named keeps its default",
    )
    retention_interval_minutes: int = Field(
        default=60,
        ge=0,
        le=7 * 24 * 60,
        description="minutes between two retention runs in hanoix serve; 0: no scheduled run",
    )
    hsm_module: Path | None = Field(
        default=None,
        description="the HSM's PKCS#11 library, for signing keys held in a token (docs/hsm.md)",
    )
    hsm_pin_file: Path | None = Field(
        default=None,
        description="a file holding the token's user PIN; default: the HANOIX_HSM_PIN variable",
    )

    @field_validator("trusted_proxies", "totp_required_roles", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str):
            if value.strip().lower() == "none":
                return ()
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("retention", mode="before")
    @classmethod
    def _retention_periods(cls, value: Any) -> Any:
        from hanoix.errors import InputError
        from hanoix.requests.retention import RetentionPolicy

        if isinstance(value, str):
            periods: dict[str, Any] = {}
            for part in (p.strip() for p in value.split(",")):
                if not part:
                    continue
                name, separator, days = part.partition("=")
                if not separator:
                    raise ValueError(
                        f"{part!r} is not CATEGORY=DAYS (write e.g. personal-data=365,sessions=30)"
                    )
                periods[name.strip()] = days.strip()
            value = periods
        if not isinstance(value, dict):
            raise ValueError("write the periods as a table of CATEGORY = DAYS")
        try:
            policy = RetentionPolicy.parse(value)
        except InputError as exc:
            raise ValueError(exc.message) from None
        return {name: days for name, days in policy.as_dict().items() if name in value}

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError as exc:
                raise ValueError(
                    f"{entry!r} is not an IP address or network (write e.g. 127.0.0.1 or "
                    "10.0.0.0/8, comma-separated; 'none' for no proxy)"
                ) from exc
        return value

    @field_validator("login_limit_account", "login_limit_address")
    @classmethod
    def _rate_limits(cls, value: str) -> str:
        from limits import parse_many  # only when a rate is configured: a costly import

        try:
            parse_many(value)
        except ValueError as exc:
            raise ValueError(f"{value!r} is not a rate such as '5/minute;30/day'") from exc
        return value

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str | None) -> str | None:
        if value is not None:
            check_database_url(value)
        return value

    @property
    def default_database_file(self) -> Path:
        """The SQLite database of the home, used when no ``database_url`` is set."""
        return self.home / "hanoix.db"

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.default_database_file.resolve()}"

    @property
    def effective_blob_dir(self) -> Path:
        return self.blob_dir if self.blob_dir is not None else self.home / "blobs"

    @property
    def keys_dir(self) -> Path:
        return self.home / "keys"


# The databases a node runs on, by the scheme of their URL (SQLAlchemy's dialect names).
DATABASE_SCHEMES = ("sqlite", "postgresql", "postgresql+psycopg")
_DATABASE_EXAMPLES = "sqlite:///PATH/hanoix.db or postgresql://USER@HOST:5432/DATABASE"


def check_database_url(url: str) -> None:
    """Refuse, with what to write instead, a URL that names no database a node can use."""
    scheme, separator, rest = url.partition("://")
    if not separator or not scheme or not rest:
        raise ValueError(f"{url!r} is not a database URL; write {_DATABASE_EXAMPLES}")
    if scheme not in DATABASE_SCHEMES:
        raise ValueError(
            f"the {scheme!r} database is not supported; a node runs on SQLite or PostgreSQL: "
            f"write {_DATABASE_EXAMPLES}"
        )


_ENV_FIELDS = {
    "HANOIX_DATABASE_URL": "database_url",
    "HANOIX_BLOB_DIR": "blob_dir",
    "HANOIX_BLOB_URL": "blob_url",
    "HANOIX_HOST": "host",
    "HANOIX_PORT": "port",
    "HANOIX_LOG_LEVEL": "log_level",
    "HANOIX_LOG_JSON": "log_json",
    "HANOIX_STATE": "state",
    "HANOIX_ORIGIN": "origin",
    "HANOIX_ROLE": "role",
    "HANOIX_TOKEN_MAX_DAYS": "token_max_days",
    "HANOIX_CONTENT_PDQ_DISTANCE": "content_pdq_distance",
    "HANOIX_CONTENT_PDQ_QUALITY": "content_pdq_quality",
    "HANOIX_CONTENT_VPDQ_DISTANCE": "content_vpdq_distance",
    "HANOIX_CONTENT_VPDQ_QUALITY": "content_vpdq_quality",
    "HANOIX_CONTENT_VPDQ_QUERY_PERCENT": "content_vpdq_query_percent",
    "HANOIX_CONTENT_VPDQ_COMPARED_PERCENT": "content_vpdq_compared_percent",
    "HANOIX_CONTENT_LIST_PART_BYTES": "content_list_part_bytes",
    "HANOIX_TRUSTED_PROXIES": "trusted_proxies",
    "HANOIX_EVIDENCE_UPLOAD_MAX_BYTES": "evidence_upload_max_bytes",
    "HANOIX_EVIDENCE_UPLOAD_EXPIRY_HOURS": "evidence_upload_expiry_hours",
    "HANOIX_LOGIN_LIMIT_ACCOUNT": "login_limit_account",
    "HANOIX_LOGIN_LIMIT_ADDRESS": "login_limit_address",
    "HANOIX_LOGIN_LOCKOUT_AFTER": "login_lockout_after",
    "HANOIX_HSM_MODULE": "hsm_module",
    "HANOIX_HSM_PIN_FILE": "hsm_pin_file",
    "HANOIX_LOGIN_CONCURRENCY": "login_concurrency",
    "HANOIX_LOGIN_QUEUE": "login_queue",
    "HANOIX_TOTP_REQUIRED_ROLES": "totp_required_roles",
    "HANOIX_RETENTION": "retention",
    "HANOIX_RETENTION_INTERVAL_MINUTES": "retention_interval_minutes",
}


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise ConfigurationError(f"cannot read configuration file {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"configuration file {path} is not valid TOML: {exc}") from exc
    section = data.get("hanoix", data)
    if not isinstance(section, dict):
        raise ConfigurationError(f"configuration file {path}: [hanoix] must be a table")
    return setting_names(section, _ENV_FIELDS, f"configuration file {path}")


def setting_names(values: dict[str, Any], variables: dict[str, str], where: str) -> dict[str, Any]:
    """``values`` with each key written as its environment variable (``HANOIX_PORT``) read as
    the setting's name (``port``): a file may use either spelling, not both for one setting."""
    named: dict[str, Any] = {}
    for key, value in values.items():
        name = variables.get(key.upper(), key) if key.upper().startswith("HANOIX_") else key
        if name in named:
            raise ConfigurationError(f"{where}: {key} and {name} are the same setting; keep one")
        named[name] = value
    return named


def load_settings(
    home: Path | str | None = None,
    environ: dict[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """Build the settings from arguments, environment and the optional TOML file."""
    env = dict(os.environ if environ is None else environ)
    home_path = Path(home) if home is not None else Path(env.get("HANOIX_HOME") or DEFAULT_HOME)

    values: dict[str, Any] = {}
    config_file = env.get("HANOIX_CONFIG")
    toml_path = Path(config_file) if config_file else home_path / CONFIG_FILE_NAME
    if config_file or toml_path.is_file():
        values.update(_read_toml(toml_path))
        values.pop("home", None)  # the home is chosen before the file is read
        values.pop("HANOIX_HOME", None)
    for variable, name in _ENV_FIELDS.items():
        if env.get(variable):
            values[name] = env[variable]
    values.update({k: v for k, v in overrides.items() if v is not None})
    values["home"] = home_path
    try:
        return Settings(**values)
    except ValidationError as exc:
        raise ConfigurationError(
            settings_error(exc, "configuration", sorted(_ENV_FIELDS.values()))
        ) from None


def settings_error(error: ValidationError, what: str, names: list[str]) -> str:
    """One line saying which setting is wrong and how, for a ValidationError of settings."""
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or what
    if first["type"] == "extra_forbidden":
        return f"{what}: unknown setting {where!r}; the settings are: {', '.join(names)}"
    message = str(first["msg"]).removeprefix("Value error, ")
    return f"{what} {where}: {message}"


def config_file(home: Path, environ: dict[str, str] | None = None) -> Path:
    """The node's configuration file: ``HANOIX_CONFIG``, else ``HOME/hanoix.toml``."""
    env = os.environ if environ is None else environ
    named = env.get("HANOIX_CONFIG")
    return Path(named) if named else home / CONFIG_FILE_NAME


def record_settings(path: Path, values: dict[str, str]) -> dict[str, str]:
    """Write ``values`` into the configuration file at ``path`` (made if missing), keeping
    its comments and layout; returns those that were not there yet. A setting the file already
    gives another value is refused: a node's State or origin is not changed by a command."""
    import tomlkit  # only ``init`` writes the file

    try:
        document = tomlkit.parse(path.read_text(encoding="utf-8")) if path.exists() else None
    except OSError as exc:
        raise ConfigurationError(f"cannot read configuration file {path}: {exc.strerror}") from exc
    except tomlkit.exceptions.ParseError as exc:
        raise ConfigurationError(f"configuration file {path} is not valid TOML: {exc}") from exc
    if document is None:
        document = tomlkit.document()
        document.add(tomlkit.comment("Hanoi Exchange node settings (README: Configuration)"))
    table: Any = document.get("hanoix", document)
    present = setting_names(dict(table), _ENV_FIELDS, f"configuration file {path}")
    added: dict[str, str] = {}
    for name, value in values.items():
        if name not in present:
            table[name] = value
            added[name] = value
        elif present[name] != value:
            raise ConfigurationError(
                f"configuration file {path} already says {name} = {present[name]!r}; "
                f"edit the file yourself if {value!r} is right"
            )
    if added:
        staged = path.with_name(f".{path.name}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with staged.open("w", encoding="utf-8") as handle:
                handle.write(tomlkit.dumps(document))
                handle.flush()
                os.fsync(handle.fileno())
            staged.replace(path)
        except OSError as exc:
            staged.unlink(missing_ok=True)
            raise ConfigurationError(f"cannot write configuration file {path}: {exc}") from exc
    return added
