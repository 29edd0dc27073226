"""Defaults shared by the library and every command, so they cannot drift apart. No imports: the CLI reads
these at start-up."""

CONCURRENCY = 32  # requests in flight at once
PER_HOST = 8  # requests in flight to one host at once
TIMEOUT = 15.0  # seconds per request (connect, and each read); a hop as a whole gets twice that
MAX_HOPS = 10  # longest redirect chain followed
RETRIES = 3  # extra tries for network errors, 408, 429 and 5xx
