"""Defaults for the network options, from a TOML file and ``RESOLVER_*`` environment variables.

Precedence, highest first: the command line, the environment (``RESOLVER_CONCURRENCY=8``), the config file,
the built-in default. The file is ``$XDG_CONFIG_HOME/resolver/config.toml`` (``~/.config/resolver/
config.toml`` when ``XDG_CONFIG_HOME`` is unset or empty), or the path in ``RESOLVER_CONFIG``. Its keys are the
options' names without the dashes in front (``per-host = 4``; ``per_host`` works too)::

    user-agent = "newsroom-archiver/1.0 (+mailto:desk@example.org)"
    header = ["From: desk@example.org"]      # or a table: [headers] From = "desk@example.org"
    concurrency = 16
    timeout = 20
    rate = 2                                  # requests a second per site (0: no limit)

A file that cannot be read, is not TOML, names an unknown setting or gives a value of the wrong type raises
:class:`ConfigError`, one line naming the file (the CLI exits 2). This module only reads and types the
file; the command line checks ranges with the options' own rules.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ResolverError

ENV_PREFIX = "RESOLVER_"
CONFIG_ENV = "RESOLVER_CONFIG"


@dataclass(frozen=True)
class Setting:
    """One default the file or the environment may set: the option's parameter, its type, its range."""

    param: str
    kind: type
    low: float | None = None
    high: float | None = None
    split: str | None = None  # how a RESOLVER_* variable lists several values (None: whitespace)
    what: str = "a number of seconds"  # what a number given for it means, for the one-line error


SETTINGS: dict[str, Setting] = {
    "concurrency": Setting("concurrency", int, 1, 512),
    "per-host": Setting("per_host", int, 1, 128),
    "timeout": Setting("timeout", float, 0.1),
    "retries": Setting("retries", int, 0),
    "max-hops": Setting("max_hops", int, 1, 50),
    "deadline": Setting("deadline", float, 0.0),
    "rate": Setting("rate", float, 0.0, 10000.0, what="a number of requests a second"),
    "user-agent": Setting("user_agent", str),
    "header": Setting("header", list, split="\n"),  # a header value may hold spaces: one header a line
    "cache": Setting("cache", str),
    "allow-host": Setting("allow_host", list),
    "allow-private": Setting("allow_private", bool),
    "jobs": Setting("jobs", int, 0, 64, what="a number of worker processes (0: one per CPU)"),
}
LIMITS = {s.param: (s.low, s.high) for s in SETTINGS.values()}  # the command line's ranges too

# Headers the transport owns: what it can decode (bounded), and the framing of the message itself.
RESERVED_HEADERS = frozenset({"accept-encoding", "host", "content-length", "transfer-encoding", "connection"})
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # RFC 9110 field-name


class ConfigError(ResolverError):
    """The config file (or a RESOLVER_* variable) cannot be used; the message is one line."""


def envvar(param: str) -> str:
    """``per_host`` → ``RESOLVER_PER_HOST``."""
    return ENV_PREFIX + param.upper()


def config_path(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    if env.get(CONFIG_ENV):
        return Path(env[CONFIG_ENV]).expanduser()
    base = env.get("XDG_CONFIG_HOME") or ""
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".config"  # XDG: relative is invalid
    return root / "resolver" / "config.toml"


def load(path: Path) -> dict[str, Any]:
    """The settings in ``path``, by parameter name, typed; {} when there is no file."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"config file {path}: cannot be read: {exc.strerror or exc}") from None
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        table = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"config file {path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path}: not valid TOML: {exc}") from None
    return settings(table, f"config file {path}")


def settings(table: Mapping[str, Any], where: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for raw_key, value in table.items():
        key = raw_key.replace("_", "-")
        if key == "headers" and isinstance(value, dict):  # [headers] Name = "value"
            value = [f"{name}: {text}" for name, text in value.items()]
            key = "header"
        if key == "headers":
            key = "header"
        if key not in SETTINGS:
            known = ", ".join(sorted(SETTINGS))
            raise ConfigError(f"{where}: unknown setting {raw_key!r} (known: {known})")
        setting, place = SETTINGS[key], f"{where}: {raw_key}"
        out[setting.param] = _checked(setting, _typed(value, setting.kind, place, setting.what), place)
    return out


def from_environment(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The settings ``RESOLVER_*`` variables give, by parameter name, typed and checked (an empty variable
    is unset). Several values in one variable: whitespace-separated, headers one a line."""
    env = os.environ if environ is None else environ
    out: dict[str, Any] = {}
    for setting in SETTINGS.values():
        name = envvar(setting.param)
        raw = env.get(name, "")
        if not raw.strip():
            continue
        where = f"{name}={raw!r}"
        text = raw.strip()
        value: Any
        if setting.kind is list:
            value = [v.strip() for v in text.split(setting.split)] if setting.split else text.split()
            value = [v for v in value if v]
        elif setting.kind is bool:
            lowered = text.lower()
            if lowered not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
                raise ConfigError(f"{where}: must be true or false (1/0, yes/no)")
            value = lowered in ("1", "true", "yes", "on")
        elif setting.kind in (int, float):
            try:
                value = setting.kind(text)
            except ValueError:
                kind = "a whole number" if setting.kind is int else setting.what
                raise ConfigError(f"{where}: must be {kind}") from None
        else:
            value = text
        out[setting.param] = _checked(setting, value, where)
    return out


def _checked(setting: Setting, value: Any, where: str) -> Any:
    if setting.kind in (int, float) and not _within(value, setting.low, setting.high):
        bounds = f"at least {setting.low:g}" if setting.high is None else f"from {setting.low:g} to {setting.high:g}"
        raise ConfigError(f"{where}: must be {bounds}")
    if setting.param == "header":
        for header in value:
            parse_header(header, where)
    if setting.param == "allow_host":
        from ..net.guard import AllowRule

        for rule in value:
            try:
                AllowRule.parse(rule)
            except ValueError as exc:
                raise ConfigError(f"{where}: {exc}") from None
    return value


def _within(value: float, low: float | None, high: float | None) -> bool:
    return (low is None or value >= low) and (high is None or value <= high)


def _typed(value: Any, kind: type, where: str, what: str = "a number of seconds") -> Any:
    if kind is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where} must be true or false, not {value!r}")
        return value
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where} must be a whole number, not {value!r}")
        return value
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where} must be {what}, not {value!r}")
        return float(value)
    if kind is str:
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{where} must be a non-empty string, not {value!r}")
        return value
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) and item for item in items):
        raise ConfigError(f"{where} must be a string or a list of strings, not {value!r}")
    return list(items)


def parse_header(text: str, where: str = "--header") -> tuple[str, str]:
    """``"Name: value"`` → (name, value): a valid field name, a value without line breaks, and not one of the
    headers the transport owns (``Accept-Encoding``: only codings whose decoding can be bounded are asked for)."""
    name, sep, value = text.partition(":")
    name, value = name.strip(), value.strip()
    if not sep or not _TOKEN.match(name):
        raise ConfigError(f"{where}: {text!r} is not a header like 'Name: value'")
    if any(c in value for c in "\r\n\0"):
        raise ConfigError(f"{where}: the value of {name} holds a line break")
    if name.lower() in RESERVED_HEADERS:
        raise ConfigError(f"{where}: {name} is set by resolver itself and cannot be changed")
    return name, value


def misspelt_variables(environ: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
    """``RESOLVER_*`` variables that look like a setting's but are not (``RESOLVER_CONCURENCY``), with the
    setting meant: a typo would otherwise be ignored without a word. Other ``RESOLVER_*`` names are left
    alone (a wrapper script may use its own)."""
    import difflib

    env = os.environ if environ is None else environ
    known = sorted({envvar(setting.param) for setting in SETTINGS.values()} | {CONFIG_ENV})
    out = []
    for name in sorted(env):
        if name.startswith(ENV_PREFIX) and name not in known:
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.85)
            if close:
                out.append((name, close[0]))
    return out
