"""Enrich: posts → their metadata, offline from the markup first, then from each platform's keyless sources.

In: ``Post`` findings and links whose canonical URL is a post; out: ``PostMeta`` (with ``source``, where it
came from) and a verdict — found, gone (``dead``), refused (``blocked``) or failed for a reason worth
retrying (``error``). The fetchers are the platform modules' own (``resolver.platforms``); answers are kept
in the store, failures are not.
"""

from .posts import Enriched, Enricher, Fetcher, merge, offline_meta, snowflake_time

__all__ = ["Enriched", "Enricher", "Fetcher", "merge", "offline_meta", "snowflake_time"]
