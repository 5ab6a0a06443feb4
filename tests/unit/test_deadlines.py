"""Due dates counted in working days of the official PRC calendar (REFERENCE §4)."""

from __future__ import annotations

from datetime import date

import pytest

from flows.review.deadlines import WorkCalendar, add_working_days


def test_five_working_days_from_friday_before_national_day_2019_is_october_10() -> None:
    assert add_working_days(date(2019, 9, 27), 5) == date(2019, 10, 10)


def test_make_up_sunday_counts_and_national_day_does_not() -> None:
    calendar = WorkCalendar()
    assert calendar.is_working_day(date(2019, 9, 29))
    assert not calendar.is_working_day(date(2019, 10, 1))
    assert not calendar.is_working_day(date(2019, 10, 5))


def test_start_day_is_not_counted_and_zero_days_is_the_start_day() -> None:
    assert add_working_days(date(2019, 9, 23), 1) == date(2019, 9, 24)
    assert add_working_days(date(2019, 9, 23), 0) == date(2019, 9, 23)


def test_administrator_override_beats_the_official_calendar() -> None:
    calendar = WorkCalendar({date(2019, 9, 30): False, date(2019, 10, 1): True})
    assert not calendar.is_working_day(date(2019, 9, 30))
    assert calendar.is_working_day(date(2019, 10, 1))
    assert add_working_days(date(2019, 9, 27), 5, calendar=calendar) == date(2019, 10, 10)
    assert calendar.add_working_days(date(2019, 9, 27), 2) == date(2019, 10, 1)


def test_deadline_running_into_2027_uses_the_fallback_and_reports_the_missing_year() -> None:
    due = WorkCalendar().due_date(date(2026, 12, 28), 5)
    # Tue 29, Wed 30, Thu 31; Fri 2027-01-01 off (New Year); Mon 4, Tue 5.
    assert due.due == date(2027, 1, 5)
    assert due.estimated
    assert due.missing_years == (2027,)


def test_new_year_and_national_day_are_off_in_years_the_library_does_not_know() -> None:
    calendar = WorkCalendar()
    assert not calendar.is_working_day(date(2027, 1, 1))
    assert not calendar.is_working_day(date(2027, 10, 1))
    assert not calendar.is_working_day(date(2027, 1, 2))  # a Saturday
    assert calendar.is_working_day(date(2027, 1, 4))
    assert not calendar.is_official(date(2027, 1, 4))


def test_a_single_override_does_not_make_a_year_official() -> None:
    calendar = WorkCalendar({date(2027, 1, 4): False})
    due = calendar.due_date(date(2026, 12, 28), 5)
    assert due.due == date(2027, 1, 6)
    assert due.estimated and due.missing_years == (2027,)
    assert not calendar.is_official(date(2027, 6, 1))


def test_a_year_marked_complete_makes_its_due_dates_no_longer_estimated() -> None:
    calendar = WorkCalendar({date(2027, 1, 4): False}, complete_years=[2027])
    due = calendar.due_date(date(2026, 12, 28), 5)
    assert due.due == date(2027, 1, 6)
    assert not due.estimated
    assert due.missing_years == ()
    assert calendar.is_official(date(2027, 6, 1))


@pytest.mark.parametrize(("submitted", "due"), [
    (date(2026, 12, 4), date(2026, 12, 11)),  # Friday: counted from Monday, due next Friday
    (date(2026, 12, 5), date(2026, 12, 14)),  # Saturday: received Monday, counted from Tuesday
    (date(2026, 12, 6), date(2026, 12, 14)),  # Sunday: the same
    (date(2026, 12, 7), date(2026, 12, 14)),  # Monday
])
def test_a_filing_handed_in_on_a_day_off_is_received_on_the_next_working_day(submitted: date, due: date) -> None:
    calendar = WorkCalendar()
    assert calendar.received_on(date(2026, 12, 5)) == date(2026, 12, 7)
    assert calendar.due_date(submitted, 5).due == due


def test_due_date_within_a_known_year_is_not_estimated() -> None:
    due = WorkCalendar().due_date(date(2019, 9, 27), 5)
    assert due.due == date(2019, 10, 10)
    assert not due.estimated


def test_working_days_left_and_overdue() -> None:
    calendar = WorkCalendar()
    assert calendar.working_days_between(date(2019, 9, 27), date(2019, 10, 10)) == 5
    assert calendar.working_days_between(date(2019, 10, 10), date(2019, 10, 10)) == 0
    assert calendar.working_days_between(date(2019, 10, 11), date(2019, 10, 10)) == -1
    assert calendar.working_days_between(date(2019, 10, 10), date(2019, 9, 27)) == -5


def test_missing_years_lists_only_unknown_years_in_the_range() -> None:
    calendar = WorkCalendar({date(2028, 1, 1): False}, complete_years=[2028])
    assert calendar.missing_years(date(2025, 6, 1), date(2029, 1, 1)) == [2027, 2029]
    assert calendar.missing_years(date(2029, 1, 1), date(2025, 6, 1)) == [2027, 2029]


def test_a_case_handed_in_on_a_sunday_never_shows_more_days_left_than_its_limit() -> None:
    """Before: handed in on Sunday 2026-12-06, told “5个工作日”, then shown “剩余6个工作日” (due Monday 12-14)."""
    from flows.review.timelimits import Clock, time_left

    calendar = WorkCalendar()
    clock = Clock(date(2026, 12, 6), 5)
    assert time_left(clock, calendar, date(2026, 12, 6)).due.due == date(2026, 12, 14)
    assert [time_left(clock, calendar, date(2026, 12, day)).label() for day in (6, 7, 8, 11, 14, 15)] == [
        "剩余5个工作日", "剩余5个工作日", "剩余4个工作日", "剩余1个工作日", "今天到期", "已超期1个工作日"]
