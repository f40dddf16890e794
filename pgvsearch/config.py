"""Resolve configuration once into a frozen :class:`Settings` that every command receives.

Connection precedence: command-line ``--dsn`` > ``PGVSEARCH_DSN`` > config file ``dsn`` >
libpq ``PG*`` variables (when any is set) > the embedded server in ``PGVSEARCH_HOME``.

The config file is TOML at ``$PGVSEARCH_CONFIG`` or ``<user config dir>/pgvsearch/config.toml``
(``~/.config/pgvsearch/config.toml`` on Linux). Keys: ``dsn``, ``collection``, ``home``,
``llm_url``, ``llm_model``, ``connect_timeout``, ``read_dsn`` (a string or a list of strings),
``max_lag`` (seconds), ``device``.

Read replicas (docs/scaling.md): ``--read-dsn`` (repeatable) > ``PGVSEARCH_READ_DSN`` > config
file ``read_dsn``; ``--max-lag`` > ``PGVSEARCH_MAX_LAG`` > config ``max_lag`` > 30 seconds.

Embedding device: ``--device`` > ``PGVSEARCH_DEVICE`` > config ``device`` > ``cpu``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from .errors import ConfigError, UsageError

DEFAULT_COLLECTION = "default"
COLLECTION_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
LIBPQ_VARIABLES = ("PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE", "PGPASSWORD")
CONFIG_KEYS = {"dsn", "collection", "home", "llm_url", "llm_model", "connect_timeout", "read_dsn", "max_lag", "device"}
DEVICES: tuple[str, ...] = ("cpu", "cuda", "auto")
"""Where the ONNX embedder runs: the CPU, CUDA (onnxruntime-gpu), or CUDA when onnxruntime offers it."""
DEFAULT_DEVICE = "cpu"
DEFAULT_MAX_LAG = 30.0
"""Seconds a read replica may be behind its primary before queries go elsewhere."""
_SOURCE_RANK = {"option": 0, "env": 1, "config": 2, "libpq": 3, "embedded": 4}


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
    read_dsns: tuple[str, ...] = ()
    """Read replicas for the query commands, tried in order before the primary (``dsn``)."""
    read_dsn_source: str | None = None
    """``option``, ``env`` or ``config``; where ``read_dsns`` (or the ignored ones) came from."""
    read_dsns_ignored: bool = False
    """Read DSNs were configured at a lower precedence than the primary's DSN (e.g. the config
    file's ``read_dsn`` with ``--dsn``): they may be replicas of another database, so unused."""
    max_lag: float = DEFAULT_MAX_LAG
    device: str = DEFAULT_DEVICE
    """cpu, cuda or auto: where the ONNX embedder runs (pgvsearch.embedding.execution_providers)."""

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
        expected = {"connect_timeout": (int, str), "max_lag": (int, float), "read_dsn": (str, list)}.get(key, (str,))
        if (not isinstance(value, expected) or isinstance(value, bool)
                or (key == "read_dsn" and isinstance(value, list) and not all(isinstance(v, str) for v in value))):
            kind = {"connect_timeout": "a whole number of seconds", "max_lag": "a number of seconds",
                    "read_dsn": "a string or a list of strings"}.get(key, "a string")
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
    read_dsn: Sequence[str] | None = None,
    max_lag: float | None = None,
    device: str | None = None,
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
    read_dsns, read_source = resolve_read_dsns(read_dsn, env, file_cfg)
    ignored = read_source is not None and _SOURCE_RANK[read_source] > _SOURCE_RANK[source]
    return Settings(
        dsn=resolved_dsn,
        dsn_source=source,
        home=home_path,
        collection=validate_collection(str(name)),
        connect_timeout=timeout,
        llm_url=llm_url,
        llm_model=llm_model,
        config_path=config_path if file_cfg else None,
        read_dsns=() if ignored else read_dsns,
        read_dsn_source=read_source,
        read_dsns_ignored=ignored,
        max_lag=resolve_max_lag(max_lag, env, file_cfg),
        device=resolve_device(device, env, file_cfg),
    )


# --- read replicas -------------------------------------------------------------------------

_NEW_DSN_RE = re.compile(r",\s*(?=postgres(?:ql)?://|([A-Za-z_]+)\s*=)")


def split_read_dsns(value: str) -> list[str]:
    """One ``--read-dsn`` / ``PGVSEARCH_READ_DSN`` value as a list of DSNs.

    DSNs are separated by commas, but a comma starts a new DSN only when what follows it is a
    ``postgresql://`` (or ``postgres://``) URI or a libpq keyword and ``=`` (``host=``,
    ``dbname=``, ``service=``...). So ``host=a,b`` (libpq's list of hosts) and
    ``postgresql://a:5432,b:5432/db`` (a multi-host URI) stay one DSN each, and
    ``host=r1 dbname=app,host=r2 dbname=app`` is two. Put a password in ``~/.pgpass`` (or use
    the config file's TOML list) rather than one that contains ``,host=``.
    """
    if "," not in value:
        return [value.strip()] if value.strip() else []
    keywords: set[str] | None = None
    pieces, start = [], 0
    for match in _NEW_DSN_RE.finditer(value):
        if match.group(1):
            if keywords is None:
                keywords = _libpq_keywords()
            if match.group(1).lower() not in keywords:
                continue  # ``password=a,b=c``: not a libpq keyword, so not a new DSN
        pieces.append(value[start:match.start()])
        start = match.end()
    pieces.append(value[start:])
    return [p.strip() for p in pieces if p.strip()]


def _libpq_keywords() -> set[str]:
    """The connection keywords of the libpq psycopg uses (``host``, ``dbname``, ``sslmode``...)."""
    from psycopg import pq

    return {opt.keyword.decode() for opt in pq.Conninfo.get_defaults()}


def resolve_read_dsns(
    option: Sequence[str] | None, env: Mapping[str, str], file_cfg: Mapping[str, Any]
) -> tuple[tuple[str, ...], str | None]:
    """The read DSNs and where they came from: ``--read-dsn`` (repeatable, each value may be a
    comma list) > ``PGVSEARCH_READ_DSN`` (a comma list) > config ``read_dsn`` (string or TOML list)."""
    if option:
        return tuple(d for value in option for d in split_read_dsns(value)), "option"
    if env.get("PGVSEARCH_READ_DSN", "").strip():
        return tuple(split_read_dsns(env["PGVSEARCH_READ_DSN"])), "env"
    configured = file_cfg.get("read_dsn")
    # A TOML list holds one DSN per string (no splitting: any password works); a string is a comma list.
    found = [d.strip() for d in configured] if isinstance(configured, list) else split_read_dsns(configured or "")
    found = [d for d in found if d]
    return (tuple(found), "config") if found else ((), None)


def resolve_max_lag(option: float | None, env: Mapping[str, str], file_cfg: Mapping[str, Any]) -> float:
    """Seconds a replica may lag: ``--max-lag`` > ``PGVSEARCH_MAX_LAG`` > config ``max_lag`` > 30."""
    for raw, where in ((option, "--max-lag"), (env.get("PGVSEARCH_MAX_LAG") or None, "PGVSEARCH_MAX_LAG"),
                       (file_cfg.get("max_lag"), "max_lag in the config file")):
        if raw is None:
            continue
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise ConfigError(f"{where} must be a number of seconds, got {raw!r}") from None
        if not value >= 0 or value == float("inf"):
            raise ConfigError(f"{where} must be 0 or more seconds, got {raw!r}")
        return value
    return DEFAULT_MAX_LAG


def resolve_device(option: str | None, env: Mapping[str, str], file_cfg: Mapping[str, Any]) -> str:
    """The embedding device: ``--device`` > ``PGVSEARCH_DEVICE`` > config ``device`` > cpu.

    An unknown value is a usage error on the command line (exit 2), a configuration error
    in the environment or the file (exit 4)."""
    for raw, where, error in ((option, "--device", UsageError), (env.get("PGVSEARCH_DEVICE") or None, "PGVSEARCH_DEVICE", ConfigError),
                              (file_cfg.get("device"), "device in the config file", ConfigError)):
        if raw is None:
            continue
        value = str(raw).strip().lower()
        if value not in DEVICES:
            raise error(f"{where} must be {', '.join(DEVICES[:-1])} or {DEVICES[-1]}, not {raw!r}")
        return value
    return DEFAULT_DEVICE
