"""Dates as embed signature lines write them, in the languages Twitter's embed uses.

``parse_embed_date("March 14, 2025")`` → ``"2025-03-14"``; also "14 mars 2025", "14. März 2025",
"14 de marzo de 2025", "2025年3月14日", "2025년 3월 14일", "14 марта 2025 г." and friends. Only a date with a
four-digit year is accepted: a signature line without one is not a signature line.

A time of day may stand beside the date ("8:44 AM ∙ Mar 15, 2023", "12:05 - 14 mars 2025", "Mär 12, 2018 um
12:30 PDT"): clock readings are masked before the day is looked for, and the day is the number nearest the
month name, so an hour is never read as a day.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Month names (lower case, accents stripped) → month number. Prefixes of 3+ letters are accepted too.
_MONTHS: dict[str, int] = {}
_TABLE = {
    "en": "january february march april may june july august september october november december",
    "fr": "janvier fevrier mars avril mai juin juillet aout septembre octobre novembre decembre",
    "de": "januar februar marz april mai juni juli august september oktober november dezember",
    "de-at": "janner feber marz april mai juni juli august september oktober november dezember",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
    "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre",
    "pt": "janeiro fevereiro marco abril maio junho julho agosto setembro outubro novembro dezembro",
    "nl": "januari februari maart april mei juni juli augustus september oktober november december",
    "pl": "stycznia lutego marca kwietnia maja czerwca lipca sierpnia wrzesnia pazdziernika listopada grudnia",
    "pl-nom": "styczen luty marzec kwiecien maj czerwiec lipiec sierpien wrzesien pazdziernik listopad grudzien",
    "cs": "ledna unora brezna dubna kvetna cervna cervence srpna zari rijna listopadu prosince",
    "sv": "januari februari mars april maj juni juli augusti september oktober november december",
    "da": "januar februar marts april maj juni juli august september oktober november december",
    "no": "januar februar mars april mai juni juli august september oktober november desember",
    "fi": "tammikuuta helmikuuta maaliskuuta huhtikuuta toukokuuta kesakuuta heinakuuta elokuuta "
    "syyskuuta lokakuuta marraskuuta joulukuuta",
    "tr": "ocak subat mart nisan mayis haziran temmuz agustos eylul ekim kasim aralik",
    "id": "januari februari maret april mei juni juli agustus september oktober november desember",
    "ru": "января февраля марта апреля мая июня июля августа сентября октября ноября декабря",
    "uk": "січня лютого березня квітня травня червня липня серпня вересня жовтня листопада грудня",
    "ro": "ianuarie februarie martie aprilie mai iunie iulie august septembrie octombrie noiembrie decembrie",
    "hu": "januar februar marcius aprilis majus junius julius augusztus szeptember oktober november december",
    "el": "ιανουαριου φεβρουαριου μαρτιου απριλιου μαιου ιουνιου ιουλιου αυγουστου σεπτεμβριου "
    "οκτωβριου νοεμβριου δεκεμβριου",
    "ca": "gener febrer marc abril maig juny juliol agost setembre octubre novembre desembre",
}
for _names in _TABLE.values():
    for _number, _name in enumerate(_names.split(), start=1):
        _MONTHS.setdefault(_name, _number)

_WORD = re.compile(r"[^\W\d_]+")
_YEAR = re.compile(r"(?<!\d)(19[89]\d|20\d\d)(?!\d)")
_CJK_DATE = re.compile(r"(\d{4})\s*[年년]\s*(\d{1,2})\s*[月월]\s*(\d{1,2})\s*[日일]?")
_NUMERIC = re.compile(r"(?<!\d)(\d{1,2})[./](\d{1,2})[./](\d{4})(?!\d)")
_ISO = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})")
# Clock readings: "8:44", "04:49:34", "9:41 PM", "12h05". Masked (same length) before the day is looked for.
_CLOCK = re.compile(r"(?<!\d)\d{1,2}(?::\d{2}){1,2}(?:\s*[ap]\.?\s?m\b\.?)?|(?<!\d)\d{1,2}h\d{2}(?!\d)", re.IGNORECASE)
_DAY = re.compile(r"(?<!\d)(\d{1,2})(?!\d)")


def _fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _month(word: str) -> int | None:
    folded = _fold(word).rstrip(".")
    if folded in _MONTHS:
        return _MONTHS[folded]
    if len(folded) >= 3:
        for name, number in _MONTHS.items():
            if name.startswith(folded):
                return number
    return None


@lru_cache(maxsize=4096)
def parse_embed_date(text: str) -> str | None:
    """The ISO date (YYYY-MM-DD) a signature line's date text names, or None if it names none."""
    text = text.strip()
    if m := _ISO.search(text):
        return _iso(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if m := _CJK_DATE.search(text):
        return _iso(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    year_match = _YEAR.search(text)
    if not year_match:
        return None
    year = int(year_match.group(1))
    for word in _WORD.finditer(text):
        month = _month(word.group())
        if month is None:
            continue
        day = _day_near(_CLOCK.sub(lambda m: " " * len(m.group()), text), word, year_match)
        return _iso(year, month, day) if day else None
    if m := _NUMERIC.search(text):
        return _iso(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    return None


def _day_near(text: str, month: re.Match[str], year_match: re.Match[str]) -> int | None:
    """The day of the month: the 1-31 number nearest the month name (at most 12 characters away)."""
    best: tuple[int, int] | None = None
    for m in _DAY.finditer(text):
        if year_match.start() <= m.start() < year_match.end() or not 1 <= int(m.group(1)) <= 31:
            continue
        gap = month.start() - m.end() if m.end() <= month.start() else m.start() - month.end()
        if gap <= 12 and (best is None or gap < best[0]):
            best = (gap, int(m.group(1)))
    return best[1] if best else None


def _iso(year: int, month: int, day: int) -> str | None:
    import datetime as dt

    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None
