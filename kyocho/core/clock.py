"""Time: the only place that asks what time it is, and business days on the Japanese calendar."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings
from django.utils import timezone


def now() -> dt.datetime:
    return timezone.now()


def display_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


@lru_cache(maxsize=64)
def _japanese_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("JP", years=year)


def is_business_day(day: dt.date) -> bool:
    """Weekdays that are not Japanese public holidays nor the year-end closure (12/29–1/3)."""
    if day.weekday() >= 5 or day in _japanese_holidays(day.year):
        return False
    return not ((day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3))


def add_business_days(start: dt.datetime, days: int) -> dt.datetime:
    """The same local time of day, ``days`` business days later in the display zone."""
    local = start.astimezone(display_zone())
    day = local.date()
    remaining = days
    while remaining > 0:
        day += dt.timedelta(days=1)
        if is_business_day(day):
            remaining -= 1
    return dt.datetime.combine(day, local.timetz()).astimezone(dt.UTC)
