"""The officers' queues on a real database (SQLite and PostgreSQL): who sees what, filters, search, paging."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from flows import cases
from flows.clock import CHINA
from flows.ports import CaseView
from flows.review.screening import CATEGORIES, CategoryResult, Outcome
from flows.review.transitions import Act, Stage
from store.models import Case
from store.queue import like_pattern, queue_counts, queue_page
from tests.support import World, filled_draft, make_world, submitted

TODAY = date(2026, 12, 4)  # a Friday


def act(world: World, who: str, case: CaseView, what: Act, **kwargs: object) -> CaseView:
    with world.uow() as uow:
        version = uow.case(case.id).version
    at = datetime(2026, 12, 1, 11, 0, tzinfo=CHINA)
    return cases.act_on_case(world.uow(), getattr(world, who).actor, case.id, what, expected_version=version,
                             now=at, **kwargs)  # type: ignore[arg-type]


@dataclass
class Queues:
    world: World
    county_old: CaseView  # C, 天山区, submitted 11-20: overdue on 12-04
    county_due: CaseView  # C, 天山区, submitted 11-27: due 12-04
    sibling: CaseView  # C, 沙依巴克区: another county of the same prefecture
    to_accept: CaseView  # B, 天山区, confirmed: waits on the prefecture to accept
    in_review: CaseView  # C, 天山区, confirmed and accepted: prefecture review
    a_new: CaseView  # A, 乌鲁木齐市, submitted 12-01: waits on the prefecture
    a_reported: CaseView  # A, 乌鲁木齐市, reported to the province
    elsewhere: CaseView  # A, 克拉玛依市: another prefecture


@pytest.fixture
def q(engine: Engine) -> Queues:
    world = make_world(engine)
    county_old = submitted(world, "C", today=date(2026, 11, 20))
    county_due = submitted(world, "C", today=date(2026, 11, 27))
    sibling = submitted(world, "C", today=date(2026, 11, 27), county="650103")
    to_accept = act(world, "county", submitted(world, "B", today=date(2026, 11, 30)), Act.CONFIRM)
    in_review = submitted(world, "C", today=date(2026, 11, 30))
    in_review = act(world, "prefecture", act(world, "county", in_review, Act.CONFIRM), Act.ACCEPT)
    a_new = submitted(world, "A", today=date(2026, 12, 1))
    a_reported = submitted(world, "A", today=date(2026, 11, 26))
    a_reported = act(world, "prefecture", act(world, "prefecture", a_reported, Act.ACCEPT), Act.REPORT,
                     comment="拟同意", opinion="favourable")
    elsewhere = submitted(world, "A", today=date(2026, 12, 1), applicant=world.other_applicant,
                          prefecture="650200")
    return Queues(world, county_old, county_due, sibling, to_accept, in_review, a_new, a_reported, elsewhere)


def ids(page: object) -> list[int]:
    return [row.id for row in page.rows]  # type: ignore[attr-defined]


def test_each_officer_sees_only_the_cases_waiting_on_them_in_their_jurisdiction(q: Queues) -> None:
    w = q.world

    def queue(who: str) -> set[int]:
        return set(ids(queue_page(w.engine, getattr(w, who).actor, today=TODAY)))

    assert queue("county") == {q.county_old.id, q.county_due.id}
    assert queue("sibling_county") == {q.sibling.id}
    assert queue("prefecture") == {q.to_accept.id, q.in_review.id, q.a_new.id}
    assert queue("other_prefecture") == {q.elsewhere.id}
    assert queue("province") == {q.a_reported.id}
    assert queue("applicant") == set()


def test_counts_cover_only_the_officers_own_queue(q: Queues) -> None:
    w = q.world
    county = queue_counts(w.engine, w.county.actor, today=TODAY)
    assert (county.waiting, county.overdue, county.due_today) == (2, 1, 1)
    assert queue_counts(w.engine, w.sibling_county.actor, today=TODAY).overdue == 0
    other = queue_counts(w.engine, w.other_prefecture.actor, today=TODAY)
    assert (other.waiting, other.overdue, other.due_today) == (1, 0, 0)


def test_a_row_carries_what_the_queue_shows(q: Queues) -> None:
    row = queue_page(q.world.engine, q.world.county.actor, today=TODAY).rows[0]
    assert row.id == q.county_old.id and row.number == q.county_old.number
    assert row.kind == "C" and row.kind_title == "自行招用保安员单位备案"
    assert row.unit_name == "乌鲁木齐幸福物业服务有限公司"
    assert row.stage == Stage.COUNTY_CONFIRM and row.stage_label == "待县级公安机关确认"
    assert row.due_on == date(2026, 11, 27)
    assert row.time_left is not None and row.time_left.overdue
    assert row.time_left.label() == "已超期5个工作日"
    assert row.submitted_at is not None
    assert row.warnings == 0 and row.alerts == ()


def test_queue_is_sorted_by_due_date_with_cases_without_one_last(q: Queues) -> None:
    w = q.world
    page = queue_page(w.engine, w.prefecture.actor, today=TODAY)
    assert ids(page) == [q.to_accept.id, q.in_review.id, q.a_new.id]  # due 12-07, 12-07, 12-08
    with Session(w.engine) as session:
        row = session.get(Case, q.to_accept.id)
        assert row is not None
        row.due_on = None
        session.add(row)
        session.commit()
    assert ids(queue_page(w.engine, w.prefecture.actor, today=TODAY)) == [q.in_review.id, q.a_new.id,
                                                                        q.to_accept.id]


def test_filters_by_kind_stage_and_due(q: Queues) -> None:
    w, pref = q.world, q.world.prefecture.actor
    assert ids(queue_page(w.engine, pref, kinds=["A"], today=TODAY)) == [q.a_new.id]
    assert ids(queue_page(w.engine, pref, kinds=["B", "C"], today=TODAY)) == [q.to_accept.id, q.in_review.id]
    assert ids(queue_page(w.engine, pref, kinds=[], today=TODAY)) == []
    assert ids(queue_page(w.engine, pref, stages=[Stage.PREFECTURE_REVIEW], today=TODAY)) == [q.in_review.id]
    # A stage outside the officer's queue never widens it.
    assert ids(queue_page(w.engine, pref, stages=[Stage.COUNTY_CONFIRM], today=TODAY)) == []
    county = w.county.actor
    assert ids(queue_page(w.engine, county, due="overdue", today=TODAY)) == [q.county_old.id]
    assert ids(queue_page(w.engine, county, due="today", today=TODAY)) == [q.county_due.id]
    assert ids(queue_page(w.engine, pref, due="week", today=TODAY)) == [q.to_accept.id, q.in_review.id, q.a_new.id]
    assert ids(queue_page(w.engine, pref, due="overdue", today=TODAY)) == []


def test_search_by_number_unit_name_or_credit_code_within_the_queue_only(q: Queues) -> None:
    w, county = q.world, q.world.county.actor
    assert q.county_due.number is not None
    assert ids(queue_page(w.engine, county, search=q.county_due.number, today=TODAY)) == [q.county_due.id]
    assert ids(queue_page(w.engine, county, search=q.county_due.number.lower(), today=TODAY)) == [q.county_due.id]
    assert len(ids(queue_page(w.engine, county, search=" 幸福物业 ", today=TODAY))) == 2
    assert len(ids(queue_page(w.engine, county, search=w.applicant.credit_code or "", today=TODAY))) == 2
    # The other prefecture's unit is never found by a county of this one.
    assert ids(queue_page(w.engine, county, search="克拉玛依", today=TODAY)) == []
    assert ids(queue_page(w.engine, w.other_prefecture.actor, search="克拉玛依", today=TODAY)) == [q.elsewhere.id]


def test_wildcards_typed_into_the_search_are_taken_literally(q: Queues) -> None:
    w, county = q.world, q.world.county.actor
    for text in ("%", "幸福%", "_", "C_0", "\\", "%%"):
        assert ids(queue_page(w.engine, county, search=text, today=TODAY)) == [], text
    with Session(w.engine) as session:
        row = session.get(Case, q.county_due.id)
        assert row is not None
        row.unit_name = "百分之百%物业_公司"
        session.add(row)
        session.commit()
    assert ids(queue_page(w.engine, county, search="百%物业_", today=TODAY)) == [q.county_due.id]
    assert ids(queue_page(w.engine, county, search="%物业_公", today=TODAY)) == [q.county_due.id]


def test_like_pattern_escapes_wildcards() -> None:
    assert like_pattern("a%b_c\\") == "%a\\%b\\_c\\\\%"


def test_paging_keeps_the_order_and_the_total(q: Queues) -> None:
    w, pref = q.world, q.world.prefecture.actor
    first = queue_page(w.engine, pref, per_page=2, page=1, today=TODAY)
    second = queue_page(w.engine, pref, per_page=2, page=2, today=TODAY)
    assert (first.total, first.pages, second.page) == (3, 2, 2)
    assert ids(first) + ids(second) == [q.to_accept.id, q.in_review.id, q.a_new.id]
    beyond = queue_page(w.engine, pref, per_page=2, page=9, today=TODAY)
    assert beyond.page == 2 and ids(beyond) == ids(second)
    assert queue_page(w.engine, pref, per_page=2, page=0, today=TODAY).page == 1


def test_cases_due_the_same_day_wait_in_the_order_they_were_submitted(q: Queues) -> None:
    """First come, first served: the draft started first but submitted later waits behind the other."""
    w = q.world
    started_first = filled_draft(w, "C", today=date(2026, 12, 2))
    started_later = filled_draft(w, "C", today=date(2026, 12, 2))
    for draft, hour in ((started_later, 9), (started_first, 15)):
        cases.submit(w.uow(), w.applicant.actor, draft.id, expected_version=draft.version,
                     now=datetime(2026, 12, 2, hour, 0, tzinfo=CHINA), sources=[])
    rows = queue_page(w.engine, w.county.actor, today=TODAY).rows
    assert rows[-1].due_on == rows[-2].due_on
    assert [row.id for row in rows][-2:] == [started_later.id, started_first.id]


@dataclass
class FakeSource:
    """A screening source answering the same for everyone: `hits` are hit, the rest clear."""

    hits: tuple[str, ...] = ()
    name: str = "测试比对库"
    categories: tuple[str, ...] = CATEGORIES

    def check(self, id_number: str) -> list[CategoryResult]:
        return [CategoryResult(c, Outcome.HIT if c in self.hits else Outcome.CLEAR, self.name, reference="T-1")
                for c in self.categories]


def test_screened_cases_are_flagged_with_their_latest_comparison(q: Queues) -> None:
    w, pref = q.world, q.world.prefecture.actor

    def flags() -> dict[int, tuple[str, ...]]:
        return {row.id: row.alerts for row in queue_page(w.engine, pref, today=TODAY).rows}

    # Compared without any source: the comparison is not done, and shows so (never as clear).
    assert flags()[q.a_new.id] == ()  # filed with the embedded source: all clear
    cases.rescreen(w.uow(), pref, q.a_new.id, [])
    cases.rescreen(w.uow(), q.world.province.actor, q.a_reported.id, [])
    assert flags() == {q.to_accept.id: (), q.in_review.id: (), q.a_new.id: ("比对未完成",)}
    cases.rescreen(w.uow(), pref, q.a_new.id, [FakeSource(hits=("fugitive", "criminal"))])
    assert flags()[q.a_new.id] == ("比中刑事犯罪前科", "比中网上逃犯")
    cases.rescreen(w.uow(), pref, q.a_new.id, [FakeSource()])
    assert flags()[q.a_new.id] == ()
    # The county never sees comparison flags; the province sees those of the cases it holds.
    assert [r.alerts for r in queue_page(w.engine, q.world.province.actor, today=TODAY).rows] == [("比对未完成",)]
