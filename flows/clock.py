"""Time in the province: timestamps are timezone-aware; business days are dates in China Standard Time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

CHINA = timezone(timedelta(hours=8), "CST")


def now() -> datetime:
    """The current moment, aware, to the second."""
    return datetime.now(UTC).replace(microsecond=0)


def today() -> date:
    """Today's date in China (Xinjiang offices keep Beijing time for official business)."""
    return datetime.now(CHINA).date()


def local(moment: datetime) -> datetime:
    """A stored moment shown in China time."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(CHINA)


def chinese_date(day: date) -> str:
    """A date as written on Chinese documents and pages: 2026年11月27日 (no leading zeros)."""
    return f"{day.year}年{day.month}月{day.day}日"


def local_date(moment: datetime) -> date:
    return local(moment).date()


def show(moment: datetime | None) -> str:
    """A moment as the pages print it: 2026-11-27 19:05."""
    return local(moment).strftime("%Y-%m-%d %H:%M") if moment else ""
