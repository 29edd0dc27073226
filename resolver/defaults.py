"""Defaults shared by the library and every command, so they cannot drift apart. No imports: the CLI reads
these at start-up."""

CONCURRENCY = 32  # requests in flight at once
PER_HOST = 8  # requests in flight to one host at once
TIMEOUT = 15.0  # seconds for one request as a whole: connect, headers and the capped body
ITEM_TIME = 4  # one item (a link with all its hops, retries and waits; a post's metadata) gets this many TIMEOUTs
DNS_TIMEOUT = 10.0  # seconds for one DNS lookup at most (less when TIMEOUT is less)
MAX_HOPS = 10  # longest redirect chain followed
RETRIES = 3  # extra tries for network errors, 408, 429 and 5xx
RATE = 5.0  # request starts a second per site (registrable domain), every attempt of every hop counted
# Sites whose own documented or observed capacity is far above a small site's: their default rate.
SITE_RATES = {"t.co": 20.0}


def usable_cpus() -> int:
    """The CPUs this process may use: its affinity (Linux), not the machine's count; the count elsewhere."""
    import os

    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1
