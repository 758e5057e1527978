"""Dates as people write them, including Solar Hijri dates converted both ways."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.services import dates
from app.services.errors import InvalidInput


@pytest.mark.parametrize(
    ("jalali", "gregorian"),
    [
        ((1384, 1, 1), date(2005, 3, 21)),
        ((1403, 1, 1), date(2024, 3, 20)),
        ((1399, 12, 30), date(2021, 3, 20)),
        ((1404, 1, 1), date(2025, 3, 21)),
        ((1357, 11, 22), date(1979, 2, 11)),
        ((1403, 12, 30), date(2025, 3, 20)),
    ],
)
def test_known_solar_hijri_dates(jalali, gregorian):
    assert dates.jalali_to_gregorian(*jalali) == gregorian
    assert dates.gregorian_to_jalali(gregorian) == jalali


def test_conversion_round_trips_every_day_for_a_century():
    day = date(1940, 1, 1)
    while day < date(2040, 1, 1):
        assert dates.jalali_to_gregorian(*dates.gregorian_to_jalali(day)) == day
        day += timedelta(days=1)


def test_a_day_that_does_not_exist_is_refused():
    with pytest.raises(ValueError):
        dates.jalali_to_gregorian(1404, 12, 30)  # 1404 is not a leap year
    with pytest.raises(ValueError):
        dates.jalali_to_gregorian(1404, 7, 31)


@pytest.mark.parametrize(
    ("text", "expected", "calendar"),
    [
        ("2005-03-21", date(2005, 3, 21), "gregorian"),
        ("21.03.2005", date(2005, 3, 21), "gregorian"),
        ("21/03/2005", date(2005, 3, 21), "gregorian"),
        ("03/21/2005", date(2005, 3, 21), "gregorian"),
        ("21 March 2005", date(2005, 3, 21), "gregorian"),
        ("1384/01/01", date(2005, 3, 21), "solar_hijri"),
        ("۱۳۸۴/۰۱/۰۱", date(2005, 3, 21), "solar_hijri"),
        ("1 حمل 1384", date(2005, 3, 21), "solar_hijri"),
        ("01.01.1384", date(2005, 3, 21), "solar_hijri"),
    ],
)
def test_parse_accepts_the_formats_people_use(app_ctx, text, expected, calendar):
    parsed = dates.parse_date(text)
    assert parsed.value == expected
    assert parsed.calendar == calendar


def test_explicit_calendar_wins(app_ctx):
    assert dates.parse_date("1384-01-01", dates.SOLAR_HIJRI).value == date(2005, 3, 21)
    with pytest.raises(InvalidInput):
        dates.parse_date("1384-01-01", dates.GREGORIAN)


@pytest.mark.parametrize("text", ["", "yesterday", "2005-13-01", "31.02.2005", "12/12", "99/99/99"])
def test_unreadable_dates_say_how_to_write_them(app_ctx, text):
    with pytest.raises(InvalidInput) as err:
        dates.parse_date(text)
    assert "2005-03-21" in str(err.value)


def test_shown_both_ways(app_ctx):
    assert dates.format_both(date(2005, 3, 21)) == "2005-03-21 (1384/01/01 Solar Hijri)"
    assert dates.format_both(None) == ""
