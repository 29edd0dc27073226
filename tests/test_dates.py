"""resolver.platforms.dates: the dates embeds write, in many languages, a time beside them or not."""

from __future__ import annotations

import pytest

from resolver.platforms.dates import parse_embed_date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("March 14, 2025", "2025-03-14"),
        ("14 mars 2025", "2025-03-14"),
        ("14. März 2025", "2025-03-14"),
        ("14 de marzo de 2025", "2025-03-14"),
        ("2025年3月14日", "2025-03-14"),
        ("14.03.2025", "2025-03-14"),
        ("October 8th 2020", "2020-10-08"),
        # a time of day beside the date: the hour is never the day
        ("8:44 AM ∙ Mar 15, 2023", "2023-03-15"),
        ("11:23 PM · Dec 27, 2022", "2022-12-27"),
        ("12:05 - 14 mars 2025", "2025-03-14"),
        ("12h05 - 14 mars 2025", "2025-03-14"),
        ("9:41 PM - 3 Jan 2019", "2019-01-03"),
        ("Jan 3, 2019 9:41 PM", "2019-01-03"),
        ("March 1, 2025 at 10:00 AM", "2025-03-01"),
        ("Mär 12, 2018 um 12:30 PDT", "2018-03-12"),
        ("Thu Oct 08 04:49:34 +0000 2020", "2020-10-08"),
        ("12:30", None),  # no year: not a signature's date
        ("Mar 2025", None),  # no day
    ],
)
def test_embed_dates(text: str, expected: str | None) -> None:
    assert parse_embed_date(text) == expected
