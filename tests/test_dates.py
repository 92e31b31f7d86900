"""Dates as pages show them."""

from __future__ import annotations

import pytest

from site_builder.dates import long_date, short_date


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("2024-06-25", "25 June 2024"),
        ("2023-10-01", "1 October 2023"),
        ("2013-01-09", "9 January 2013"),
        (None, "unknown"),
        ("", "unknown"),
    ],
)
def test_long_date(value: str | None, shown: str) -> None:
    assert long_date(value) == shown


def test_short_date() -> None:
    assert short_date("2023-06-16") == "16 Jun"
    assert short_date("2023-09-01") == "1 Sep"


def test_a_date_that_is_not_one_is_refused() -> None:
    with pytest.raises(ValueError, match="day is out of range"):
        long_date("2024-02-30")
