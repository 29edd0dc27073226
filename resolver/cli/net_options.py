"""The network options: what may be reached, how fast, how long, with which headers, cached where.

Their defaults may come from the config file or a ``RESOLVER_*`` variable (``config.py``): each --help says
so, and shows as default the value that applies now.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .. import defaults
from .config import LIMITS, ConfigError, parse_header


def _src(key: str, note: str = "") -> str:
    """Where this option's default may also come from, for its --help."""
    more = f", {note}" if note else ""
    return f" Default also from the config file ({key} = ...) or RESOLVER_{key.upper().replace('-', '_')}{more}."


def _check_allow_hosts(values: list[str] | None) -> list[str]:
    if not values:
        return []  # the guard's module (and asyncio with it) is loaded only to check a value given
    from ..net.guard import AllowRule

    for value in values:
        try:
            AllowRule.parse(value)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from None
    return values


def _check_headers(values: list[str] | None) -> list[str]:
    for value in values or []:
        try:
            parse_header(value)
        except ConfigError as exc:
            raise typer.BadParameter(str(exc)) from None
    return values or []


def headers_of(values: list[str] | None) -> tuple[tuple[str, str], ...]:
    """``-H 'Name: value'`` options → (name, value) pairs."""
    return tuple(parse_header(v) for v in values or ())


AllowPrivateOpt = Annotated[
    bool,
    typer.Option(
        "--allow-private",
        help="Allow loopback, private, link-local and other non-public addresses (all of them; see --allow-host)."
        + _src("allow-private"),
    ),
]
AllowHostOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--allow-host",
        help=(
            "Allow this one non-public host (repeatable): a name (cms.intranet, *.intranet.example), an address "
            "or a network (10.1.2.3, 10.0.0.0/8, [fd00::1]), optionally :PORT."
        )
        + _src("allow-host"),
        callback=_check_allow_hosts,
        metavar="HOST",
        show_default=False,
    ),
]
TimeoutOpt = Annotated[
    float,
    typer.Option(
        "--timeout",
        help=(
            "Seconds one request may take in all (connect, headers, body). One item - a link with all its "
            "hops, retries and waits, or one post's metadata - gets 4 times that; a Retry-After longer than "
            "30 s ends the item as error at once."
        )
        + _src("timeout"),
        min=LIMITS["timeout"][0],
    ),
]
UserAgentOpt = Annotated[
    str | None,
    typer.Option(
        "--user-agent",
        help=(
            "The User-Agent sent with every request (resolver's own honest one by default; the Wayback Machine "
            "and Common Crawl ask for a contact in it)."
        )
        + _src("user-agent"),
        show_default=False,
    ),
]
HeaderOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--header",
        "-H",
        help=(
            "A header sent with every request, 'Name: value' (repeatable; it replaces a default of that name). "
            "It goes to every host, strangers' included: no secrets."
        )
        + _src("header", "one a line"),
        callback=_check_headers,
        show_default=False,
    ),
]
CacheOpt = Annotated[
    Path | None,
    typer.Option(
        "--cache",
        help="The SQLite cache file. Default: in the user's cache directory." + _src("cache"),
    ),
]
NoCacheOpt = Annotated[bool, typer.Option("--no-cache", help="Keep nothing between runs.")]
ConcurrencyOpt = Annotated[
    int,
    typer.Option(
        "--concurrency",
        help="Requests in flight at once." + _src("concurrency"),
        min=LIMITS["concurrency"][0],
        max=LIMITS["concurrency"][1],
    ),
]
def _site_rates() -> str:
    own = ", ".join(f"{site} {rate:g}" for site, rate in sorted(defaults.SITE_RATES.items()))
    return (
        f"Default: {defaults.RATE:g} a second per site; {own}; no limit for your own addresses (loopback and "
        "private networks, reached with --allow-host or --allow-private)."
    )


RateOpt = Annotated[
    float | None,
    typer.Option(
        "--rate",
        help=(
            "Request starts a second per site (registrable domain: t.co, bit.ly, example.co.uk), every attempt of "
            "every hop counted - redirects, retries, post metadata, Wayback, URL sources; a Retry-After pauses "
            "the site for the whole run. 0: no limit. Given, it applies to every site. "
        )
        + _site_rates()
        + _src("rate"),
        min=LIMITS["rate"][0],
        max=LIMITS["rate"][1],
        metavar="N",
    ),
]
PerHostOpt = Annotated[
    int,
    typer.Option(
        "--per-host",
        help="Requests in flight to one host at once (politeness)." + _src("per-host"),
        min=LIMITS["per_host"][0],
        max=LIMITS["per_host"][1],
    ),
]
MaxHopsOpt = Annotated[
    int,
    typer.Option(
        "--max-hops",
        help="Longest redirect chain followed." + _src("max-hops"),
        min=LIMITS["max_hops"][0],
        max=LIMITS["max_hops"][1],
    ),
]
CassetteOpt = Annotated[
    Path | None,
    typer.Option(
        "--cassette",
        help="Replay HTTP from this vcrpy YAML cassette (a directory: all cassettes in it); touch no network.",
        exists=True,
    ),
]
DeadlineOpt = Annotated[
    float | None,
    typer.Option(
        "--deadline",
        help=(
            "Seconds for the whole run - fetching URL sources, resolving, post metadata, archiving; "
            "unfinished items end as errors."
        )
        + _src("deadline"),
    ),
]
RetriesOpt = Annotated[
    int,
    typer.Option(
        "--retries",
        help="Extra tries for 408, 429, 5xx and network errors." + _src("retries"),
        min=LIMITS["retries"][0],
    ),
]
