"""Resolve configuration once into a frozen :class:`Settings` that every command receives.

Connection precedence: command-line ``--dsn`` > ``PGVSEARCH_DSN`` > config file ``dsn`` >
libpq ``PG*`` variables (when any is set) > the embedded server in ``PGVSEARCH_HOME``.

The config file is TOML at ``$PGVSEARCH_CONFIG`` or ``<user config dir>/pgvsearch/config.toml``
(``~/.config/pgvsearch/config.toml`` on Linux). Keys: ``dsn``, ``collection``, ``home``,
``llm_url``, ``llm_model``, ``connect_timeout``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from .errors import ConfigError, UsageError

DEFAULT_COLLECTION = "default"
COLLECTION_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
LIBPQ_VARIABLES = ("PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE", "PGPASSWORD")
CONFIG_KEYS = {"dsn", "collection", "home", "llm_url", "llm_model", "connect_timeout"}


@dataclass(frozen=True)
class Settings:
    """Everything a command needs to know about where to connect and what to use."""

    dsn: str | None
    """libpq connection string; ``None`` means the embedded server; ``""`` means libpq ``PG*`` variables."""
    dsn_source: str
    """``option``, ``env``, ``config``, ``libpq`` or ``embedded``."""
    home: Path
    collection: str = DEFAULT_COLLECTION
    connect_timeout: int = 10
    llm_url: str | None = None
    llm_model: str | None = None
    config_path: Path | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def embedded(self) -> bool:
        return self.dsn is None

    @property
    def model_cache(self) -> Path:
        return self.home / "models"

    @property
    def pgdata(self) -> Path:
        return self.home / "pgdata"


def default_home() -> Path:
    env = os.environ.get("PGVSEARCH_HOME")
    if env:
        return Path(env).expanduser().resolve()
    import platformdirs

    return Path(platformdirs.user_data_dir("pgvsearch", appauthor=False))


def default_config_path() -> Path:
    env = os.environ.get("PGVSEARCH_CONFIG")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_config_dir("pgvsearch", appauthor=False)) / "config.toml"


def read_config_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    import tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from None
    unknown = set(data) - CONFIG_KEYS
    if unknown:
        raise ConfigError(f"unknown key(s) in config file {path}: {', '.join(sorted(unknown))}")
    for key, value in data.items():
        expected = (int, str) if key == "connect_timeout" else (str,)
        if not isinstance(value, expected) or isinstance(value, bool):
            kind = "a whole number of seconds" if key == "connect_timeout" else "a string"
            raise ConfigError(f"{key} in config file {path} must be {kind}, not {type(value).__name__}")
    if "collection" in data:
        try:
            validate_collection(data["collection"])
        except UsageError as exc:
            raise ConfigError(f"collection in config file {path}: {exc}") from None
    return data


def validate_collection(name: str) -> str:
    if not COLLECTION_NAME_RE.match(name):
        raise UsageError(
            f"invalid collection name {name!r}: use 1-48 lowercase letters, digits or underscores, starting with a letter"
        )
    return name


def resolve_llm_endpoint(
    url: str | None = None,
    model: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    file_cfg: Mapping[str, Any] | None = None,
) -> tuple[str | None, str | None]:
    """The language model's URL and name: command line > ``OPENAI_BASE_URL`` /
    ``PGVSEARCH_LLM_MODEL`` > config file ``llm_url`` / ``llm_model``."""
    env = os.environ if environ is None else environ
    file_cfg = file_cfg or {}
    return (url or env.get("OPENAI_BASE_URL") or file_cfg.get("llm_url"),
            model or env.get("PGVSEARCH_LLM_MODEL") or file_cfg.get("llm_model"))


def resolve_settings(
    *,
    dsn: str | None = None,
    collection: str | None = None,
    home: str | Path | None = None,
    llm_url: str | None = None,
    llm_model: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Apply the precedence rules. Arguments are the command-line values (``None`` = not given)."""
    env = os.environ if environ is None else environ
    config_path = default_config_path()
    file_cfg = read_config_file(config_path)

    if dsn:
        resolved_dsn, source = dsn, "option"
    elif env.get("PGVSEARCH_DSN"):
        resolved_dsn, source = env["PGVSEARCH_DSN"], "env"
    elif file_cfg.get("dsn"):
        resolved_dsn, source = str(file_cfg["dsn"]), "config"
    elif any(env.get(name) for name in LIBPQ_VARIABLES):
        resolved_dsn, source = "", "libpq"
    else:
        resolved_dsn, source = None, "embedded"

    if home is not None:
        home_path = Path(home).expanduser().resolve()
    elif env.get("PGVSEARCH_HOME"):
        home_path = Path(env["PGVSEARCH_HOME"]).expanduser().resolve()
    elif file_cfg.get("home"):
        home_path = Path(str(file_cfg["home"])).expanduser().resolve()
    else:
        home_path = default_home()

    name = collection or env.get("PGVSEARCH_COLLECTION") or file_cfg.get("collection") or DEFAULT_COLLECTION
    if not collection and env.get("PGVSEARCH_COLLECTION"):
        try:
            validate_collection(env["PGVSEARCH_COLLECTION"])
        except UsageError as exc:
            raise ConfigError(f"PGVSEARCH_COLLECTION: {exc}") from None
    timeout_raw = env.get("PGVSEARCH_CONNECT_TIMEOUT") or file_cfg.get("connect_timeout") or 10
    try:
        timeout = max(1, int(timeout_raw))
    except (TypeError, ValueError):
        raise ConfigError(f"connect_timeout must be a whole number of seconds, got {timeout_raw!r}") from None

    llm_url, llm_model = resolve_llm_endpoint(llm_url, llm_model, environ=env, file_cfg=file_cfg)
    return Settings(
        dsn=resolved_dsn,
        dsn_source=source,
        home=home_path,
        collection=validate_collection(str(name)),
        connect_timeout=timeout,
        llm_url=llm_url,
        llm_model=llm_model,
        config_path=config_path if file_cfg else None,
    )
