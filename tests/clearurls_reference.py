"""An independent port of the ClearURLs add-on's cleaning, to measure resolver's rules against.

It follows the add-on's ``pureCleaning`` → ``removeFieldsFormURL`` (clearurls.js) with its default settings:
every provider in the data (its self-tests included), referral marketing allowed unless asked otherwise,
domain blocking on (a ``completeProvider`` URL is left as it is). Query fields are decoded and rebuilt the
way ``URLSearchParams`` and the add-on's ``urlSearchParamsToString`` do, so a field name that decodes to a
whole query is split on the next pass, as in the browser. Patterns go through resolver/jsregex.py: the
translation is shared, the application logic is not. Written for this project; no ClearURLs code.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, unquote, unquote_plus

from resolver.resolve.jsregex import compile_js


class BareClearURLs:
    def __init__(self, data: dict[str, Any], *, referral_marketing_allowed: bool = True) -> None:
        self.providers: list[dict[str, Any]] = []
        for spec in data["providers"].values():
            rules = list(spec.get("rules", []))
            if not referral_marketing_allowed:
                rules += spec.get("referralMarketing", [])
            self.providers.append(
                {
                    "pattern": compile_js(spec.get("urlPattern", "")),
                    "complete": bool(spec.get("completeProvider")),
                    "rules": [compile_js(f"^{r}$") for r in rules],
                    "raw": [compile_js(r) for r in spec.get("rawRules", [])],
                    "exceptions": [compile_js(e) for e in spec.get("exceptions", [])],
                    "redirections": [compile_js(r) for r in spec.get("redirections", [])],
                }
            )

    def clean(self, url: str) -> tuple[str, int]:
        """pureCleaning: passes until nothing changes; returns the URL and the fields removed."""
        removed = 0
        for _ in range(10):
            after, n = self._one_pass(url)
            removed += n
            if after == url:
                break
            url = after
        return url, removed

    def _one_pass(self, url: str) -> tuple[str, int]:
        removed = 0
        for p in self.providers:
            if not p["pattern"].search(url) or any(e.search(url) for e in p["exceptions"]):
                continue
            for redirection in p["redirections"]:
                m = redirection.search(url)
                if m and m.lastindex:
                    target = unquote(m.group(1))
                    while target != unquote(target):
                        target = unquote(target)
                    return (target if target.startswith("http") else "http://" + target), removed
            if p["complete"]:
                continue  # domain blocking on: the request is cancelled, the URL left as it is
            for raw in p["raw"]:
                url = raw.sub("", url)
            base, _, fragment = url.partition("#")
            path, question, query = base.partition("?")
            if not question:
                continue
            fields = [piece.split("=", 1) for piece in query.split("&") if piece]
            kept = []
            for field in fields:
                key = unquote_plus(field[0])
                if any(rule.search(key) for rule in p["rules"]):
                    removed += 1
                else:
                    value = unquote_plus(field[1]) if len(field) > 1 else ""
                    kept.append(f"{key}={quote(value, safe='-_.!~*()' + chr(39))}" if value else key)
            url = path + ("?" + "&".join(kept) if kept else "") + ("#" + fragment if fragment else "")
        return url, removed
