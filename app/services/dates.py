"""Dates as people write them: several Gregorian layouts and Solar Hijri (Jalali) dates.

Afghan documents usually carry Solar Hijri dates (e.g. 1384/01/01 = 21 March 2005). A date is
stored in the Gregorian calendar and shown both ways. The Jalali arithmetic is the 33-year
leap rule, exact for years 1178–1633 SH, which covers every living applicant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _

from app.services.errors import InvalidInput

GREGORIAN = "gregorian"
SOLAR_HIJRI = "solar_hijri"
AUTO = "auto"

# 1 Farvardin 1300 SH fell on 21 March 1921; years are counted from there.
_ANCHOR_YEAR = 1300
_ANCHOR_DATE = date(1921, 3, 21)
_JALALI_RANGE = (1200, 1500)
_GREGORIAN_RANGE = (1850, 2150)

_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "0123456789" * 2)

# Month names people type: Dari (Afghan) and Iranian Persian Jalali months; English Gregorian.
_JALALI_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("حمل", "فروردین"),
            ("ثور", "اردیبهشت"),
            ("جوزا", "خرداد"),
            ("سرطان", "تیر"),
            ("اسد", "مرداد"),
            ("سنبله", "شهریور"),
            ("میزان", "مهر"),
            ("عقرب", "آبان"),
            ("قوس", "آذر"),
            ("جدی", "دی"),
            ("دلو", "بهمن"),
            ("حوت", "اسفند"),
        ],
        start=1,
    )
    for name in names
}
_GREGORIAN_MONTHS = {
    name: number
    for number, name in enumerate(
        [
            "jan",
            "feb",
            "mar",
            "apr",
            "may",
            "jun",
            "jul",
            "aug",
            "sep",
            "oct",
            "nov",
            "dec",
        ],
        start=1,
    )
}


@dataclass(frozen=True)
class ParsedDate:
    """A date read from text: the Gregorian value and the calendar it was written in."""

    value: date
    calendar: str

    @property
    def jalali(self) -> tuple[int, int, int]:
        return gregorian_to_jalali(self.value)


def is_jalali_leap(year: int) -> bool:
    """Say whether a Solar Hijri year has 366 days (30 Esfand), by the 33-year rule."""
    return (25 * year + 11) % 33 < 8


def _jalali_year_start(year: int) -> date:
    if not _JALALI_RANGE[0] <= year <= _JALALI_RANGE[1]:
        raise ValueError(f"Solar Hijri year {year} out of range")
    days = 0
    if year >= _ANCHOR_YEAR:
        for y in range(_ANCHOR_YEAR, year):
            days += 366 if is_jalali_leap(y) else 365
    else:
        for y in range(year, _ANCHOR_YEAR):
            days -= 366 if is_jalali_leap(y) else 365
    return _ANCHOR_DATE + timedelta(days=days)


def _jalali_month_length(year: int, month: int) -> int:
    if month <= 6:
        return 31
    if month <= 11:
        return 30
    return 30 if is_jalali_leap(year) else 29


def jalali_to_gregorian(year: int, month: int, day: int) -> date:
    """Convert a Solar Hijri date; refuse days that do not exist (ValueError)."""
    if not 1 <= month <= 12 or not 1 <= day <= _jalali_month_length(year, month):
        raise ValueError("no such Solar Hijri date")
    offset = (month - 1) * 31 if month <= 7 else 186 + (month - 7) * 30
    return _jalali_year_start(year) + timedelta(days=offset + day - 1)


def gregorian_to_jalali(value: date) -> tuple[int, int, int]:
    """Convert a Gregorian date to (year, month, day) in the Solar Hijri calendar."""
    year = value.year - 621
    start = _jalali_year_start(year)
    if value < start:
        year -= 1
        start = _jalali_year_start(year)
    day_of_year = (value - start).days
    month = 1
    while day_of_year >= _jalali_month_length(year, month):
        day_of_year -= _jalali_month_length(year, month)
        month += 1
    return year, month, day_of_year + 1


def format_jalali(value: date) -> str:
    """Write a date as a Solar Hijri `YYYY/MM/DD`."""
    y, m, d = gregorian_to_jalali(value)
    return f"{y:04d}/{m:02d}/{d:02d}"


def format_both(value: date | None) -> str:
    """Write a date in both calendars: `2005-03-21 (1384/01/01 SH)`."""
    if value is None:
        return ""
    try:
        return str(
            _(
                "%(gregorian)s (%(jalali)s Solar Hijri)",
                gregorian=value.isoformat(),
                jalali=format_jalali(value),
            )
        )
    except ValueError:
        return value.isoformat()


def _bad(text: str) -> InvalidInput:
    return InvalidInput(
        _(
            "We could not read the date “%(text)s”. Write it like 2005-03-21, 21.03.2005 "
            "or, in the Solar Hijri calendar, 1384/01/01.",
            text=text[:40],
        )
    )


def parse_date(text: str, calendar: str = AUTO) -> ParsedDate:
    """Read a date written as YYYY-MM-DD, DD.MM.YYYY, DD/MM/YYYY, "21 March 2005", or Solar Hijri.

    With `calendar="auto"` a year between 1200 and 1500 is read as Solar Hijri. Persian and
    Arabic digits are accepted. Raises InvalidInput with a message saying how to write it.
    """
    raw = (text or "").strip()
    if not raw:
        raise _bad(raw)
    cleaned = raw.translate(_DIGITS).lower()
    cleaned = re.sub(r"\s*(sh|ш|ھ\.?ش|هـ\.?ش|ه\.ش)\s*$", "", cleaned)
    parts = [p for p in re.split(r"[\s/.\-,،٫]+", cleaned) if p]
    if len(parts) != 3:
        raise _bad(raw)
    month_from_name: int | None = None
    numbers: list[int | None] = []
    for part in parts:
        if part.isdigit():
            numbers.append(int(part))
            continue
        named = _JALALI_MONTHS.get(part)
        if named is not None:
            month_from_name, calendar = named, SOLAR_HIJRI
        else:
            named = _GREGORIAN_MONTHS.get(part[:3])
            if named is None:
                raise _bad(raw)
            month_from_name = named
        numbers.append(None)
    try:
        year, month, day = _order(numbers, month_from_name)
        return _build(year, month, day, calendar)
    except ValueError:
        raise _bad(raw) from None


def _order(numbers: list[int | None], named_month: int | None) -> tuple[int, int, int]:
    if named_month is not None:
        rest = [n for n in numbers if n is not None]
        if len(rest) != 2:
            raise ValueError("two numbers expected beside a month name")
        a, b = rest
        year, day = (a, b) if a > 31 else (b, a)
        return year, named_month, day
    a, b, c = (n for n in numbers if n is not None)
    if a > 31:  # year first: Y-M-D
        return a, b, c
    if c > 31:  # year last: D-M-Y, or M-D-Y when only that reading is a real date
        if b > 12 and a <= 12:
            return c, a, b
        return c, b, a
    raise ValueError("no four-digit year")


def _build(year: int, month: int, day: int, calendar: str) -> ParsedDate:
    if calendar == AUTO:
        calendar = SOLAR_HIJRI if _JALALI_RANGE[0] <= year <= _JALALI_RANGE[1] else GREGORIAN
    if calendar == SOLAR_HIJRI:
        return ParsedDate(jalali_to_gregorian(year, month, day), SOLAR_HIJRI)
    if not _GREGORIAN_RANGE[0] <= year <= _GREGORIAN_RANGE[1]:
        raise ValueError("year out of range")
    return ParsedDate(date(year, month, day), GREGORIAN)
