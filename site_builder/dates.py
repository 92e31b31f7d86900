"""Dates as pages show them: fixed English month names, with no dependence on the machine's locale."""

from __future__ import annotations

from datetime import date

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December")


def long_date(value: str | None) -> str:
    """ "2024-06-25" -> "25 June 2024"; "unknown" when there is no date."""
    if not value:
        return "unknown"
    day = date.fromisoformat(value)
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def short_date(value: str) -> str:
    """ "2023-06-16" -> "16 Jun"."""
    day, month, _ = long_date(value).split()
    return f"{day} {month[:3]}"
