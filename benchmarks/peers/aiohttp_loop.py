"""Peer for the resolve benchmark: a bare aiohttp loop that follows HTTP redirects, as a process of its own.

    python aiohttp_loop.py LINKS_FILE OUT_JSONL CONCURRENCY PER_HOST

One GET per link, duplicates included (aiohttp follows 3xx itself), retried up to 3 times on 429; writes one
JSON line per distinct link: {"url", "status", "final_url"}. It does what a hand-written script would: no
meta refresh, no dedupe, no cache, no canonical URLs; the same concurrency and per-host limits as the
resolver is given. (This is the loop the issues' figures were measured with.)
"""

import asyncio
import json
import sys

import aiohttp


async def main(links_file: str, out_file: str, concurrency: int, per_host: int) -> None:
    with open(links_file) as fh:
        links = [line.strip() for line in fh if line.strip()]
    sem = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=per_host)
    results = {}
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(url: str) -> None:
            async with sem:
                for _ in range(4):
                    async with session.get(url) as r:
                        await r.read()
                        if r.status != 429:
                            break
                results[url] = ("dead" if r.status in (404, 410) else "ok", str(r.url))

        await asyncio.gather(*(one(u) for u in links))
    with open(out_file, "w") as out:
        for url, (status, final) in results.items():
            out.write(json.dumps({"url": url, "status": status, "final_url": final}) + "\n")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
