"""The legal edges of a case: China dates at midnight UTC, rare characters in names from submission to
certificate, screening hits that need a written reason, the fugitive alert, weekends in the queue."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, time

import pytest
from pypdf import PdfReader
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from flows import cases
from flows.clock import CHINA
from flows.errors import FieldError
from flows.identity.accounts import Registration, check_registration_field
from flows.ports import CaseView, ReturnItem
from flows.review.transitions import Act
from store import blobs
from store.accounts import Account, demo_password_hash, register_applicant
from store.demo import DEMO_CODES, DEMO_PASSWORD, DEMO_WATCHLIST
from store.models import AuditEntry, Notification, User
from store.queue import queue_counts, queue_page
from store.screening import configured_sources, fugitive_alerts
from tests.support import World, filled_draft, make_world, submitted

FUGITIVE_ID = next(row[0] for row in DEMO_WATCHLIST if row[1] == "网上逃犯")
CRIMINAL_ID = next(row[0] for row in DEMO_WATCHLIST if row[1] == "刑事犯罪前科")


@pytest.fixture
def world(engine: Engine) -> World:
    return make_world(engine)


def do(world: World, who: str, case: CaseView, act: Act, at: datetime, **kwargs: object) -> CaseView:
    with world.uow() as uow:
        version = uow.case(case.id).version
    return cases.act_on_case(world.uow(), getattr(world, who).actor, case.id, act, expected_version=version,
                             now=at, **kwargs)  # type: ignore[arg-type]


def pdf_text(sha256: str) -> str:
    reader = PdfReader(io.BytesIO(blobs.get(sha256)))
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


def documents(world: World, case: CaseView, doc_type: str) -> list[str]:
    with world.uow() as uow:
        return [pdf_text(d.sha256) for d in uow.documents(case.id) if d.doc_type == doc_type]


# ------------------------------------------------------------------ dates
def test_notices_generated_at_2330_utc_carry_the_next_days_china_date(world: World) -> None:
    # Friday 2026-12-04 23:30 UTC is Saturday 07:30 in Beijing; the officers act on Sunday 23:30 UTC (Monday).
    submitted_at = datetime(2026, 12, 4, 23, 30, tzinfo=UTC)
    fresh = filled_draft(world, "C", today=date(2026, 12, 5))
    case = cases.submit(world.uow(), world.applicant.actor, fresh.id, expected_version=fresh.version,
                        now=submitted_at)
    assert case.number is not None and case.number[1:9] == "20261205"
    assert case.clock_started_on == date(2026, 12, 5)
    assert case.due_on == date(2026, 12, 14)  # a Saturday filing is received on Monday: due the next Monday
    monday = datetime(2026, 12, 6, 23, 30, tzinfo=UTC)
    case = do(world, "county", case, Act.CONFIRM, monday)
    case = do(world, "prefecture", case, Act.ACCEPT, monday)
    (notice,) = documents(world, case, "acceptance_notice")
    assert "你单位于2026年12月5日通过网上办事系统提交" in notice
    assert "受理日期2026年12月7日" in notice and notice.count("2026年12月7日") >= 2  # the table and the date signed
    assert "2026年12月4日" not in notice
    assert "最迟于2026年12月14日办结" in notice
    returned = do(world, "prefecture", case, Act.RETURN, monday,
                  items=(ReturnItem("other", "【材料】其他材料", "请补充"),))
    (correction,) = documents(world, returned, "correction_notice")
    assert "你单位于2026年12月5日提交" in correction and "2026年12月4日" not in correction


def test_saturday_counts_and_badges_agree_in_the_queue(world: World) -> None:
    friday = submitted(world, "C", today=date(2026, 11, 27))  # due Friday 2026-12-04
    saturday = date(2026, 12, 5)
    counts = queue_counts(world.engine, world.county.actor, today=saturday)
    rows = queue_page(world.engine, world.county.actor, today=saturday).rows
    (row,) = [r for r in rows if r.id == friday.id]
    assert row.time_left is not None and row.time_left.overdue and row.time_left.label() == "已超期"
    assert counts.overdue == sum(1 for r in rows if r.time_left and r.time_left.overdue)
    assert counts.due_today == sum(1 for r in rows if r.time_left and r.time_left.last_day) == 0


# ------------------------------------------------------------------ rare characters
def test_a_unit_named_with_ext_a_and_a_representative_named_with_ext_b_reach_their_certificates(
    engine: Engine, world: World,
) -> None:
    unit_name = check_registration_field("unit_name", "新疆䶮盛保安服务有限公司")
    company = register_applicant(engine, Registration(unit_name=unit_name, credit_code=DEMO_CODES[2], contact="刘䶮",
                                                      mobile="13899990077", password=DEMO_PASSWORD),
                                 password_hash=demo_password_hash(DEMO_PASSWORD))
    at = datetime.combine(date(2026, 11, 27), time(11), tzinfo=CHINA)
    case = _file_a(world, company, "𠮷祥•艾力")  # typed with a bullet: kept as the middle dot “·”
    # A unit registered just now is checked against its business licence when the case is accepted.
    for who, act, options in (("prefecture", Act.ACCEPT, {"licence_checked": True}),
                              ("prefecture", Act.REPORT, {"comment": "拟同意", "opinion": "favourable"}),
                              ("province", Act.ACCEPT, {}), ("province", Act.APPROVE, {})):
        case = do(world, who, case, act, at, **options)
    (notice,) = documents(world, case, "acceptance_notice")
    assert unit_name in notice
    (review,) = documents(world, case, "review_document")
    assert unit_name in review and "𠮷祥·艾力" in review and "由王建国变更为𠮷祥·艾力" in review
    c_case = submitted(world, "C", today=date(2026, 11, 27), applicant=company)
    for who, act in (("county", Act.CONFIRM), ("prefecture", Act.ACCEPT), ("prefecture", Act.APPROVE)):
        c_case = do(world, who, c_case, act, at)
    (certificate,) = documents(world, c_case, "filing_certificate")
    assert unit_name in certificate


def _file_a(world: World, applicant: Account, new_rep_name: str) -> CaseView:
    draft = filled_draft(world, "A", today=date(2026, 11, 27), applicant=applicant)
    cases.save_answer(world.uow(), applicant.actor, draft.id, "new_rep_name", new_rep_name, today=date(2026, 11, 27))
    with world.uow() as uow:
        version = uow.case(draft.id).version
    return cases.submit(world.uow(), applicant.actor, draft.id, expected_version=version,
                        now=datetime.combine(date(2026, 11, 27), time(10), tzinfo=CHINA),
                        sources=configured_sources(world.engine))


# ------------------------------------------------------------------ screening hits
def _a_case_of(world: World, new_rep_id: str) -> CaseView:
    draft = filled_draft(world, "A", today=date(2026, 11, 27))
    cases.save_answer(world.uow(), world.applicant.actor, draft.id, "new_rep_id", new_rep_id, today=date(2026, 11, 27))
    with world.uow() as uow:
        version = uow.case(draft.id).version
    return cases.submit(world.uow(), world.applicant.actor, draft.id, expected_version=version,
                        now=datetime.combine(date(2026, 11, 27), time(10), tzinfo=CHINA),
                        sources=configured_sources(world.engine))


@pytest.fixture
def watchlist(engine: Engine) -> None:
    from store.seed import _watchlist

    _watchlist(engine)


@pytest.mark.usefixtures("watchlist")
def test_approving_or_reporting_favourably_despite_a_hit_needs_a_reason_kept_in_history_and_audit(
    world: World,
) -> None:
    at = datetime.combine(date(2026, 11, 28), time(10), tzinfo=CHINA)
    case = do(world, "prefecture", _a_case_of(world, CRIMINAL_ID), Act.ACCEPT, at)
    with pytest.raises(FieldError, match="自动比对比中刑事犯罪前科") as refused:
        do(world, "prefecture", case, Act.REPORT, at, comment="同意", opinion="favourable")
    assert refused.value.field == "justification"
    unfavourable = "【拟不同意】"
    reported = do(world, "prefecture", case, Act.REPORT, at, comment="拟任人员有刑事犯罪前科，建议不予通过。",
                  opinion="unfavourable")  # a negative opinion needs no reason beyond itself
    reported = do(world, "province", reported, Act.ACCEPT, at)
    with pytest.raises(FieldError, match="不能直接通过"):
        do(world, "province", reported, Act.APPROVE, at)
    reason = "经调取判决书核实，系同名同姓人员，非本人"
    approved = do(world, "province", reported, Act.APPROVE, at, justification=reason)
    assert approved.stage == "approved"
    with world.uow() as uow:
        events = uow.events(case.id)
    assert events[-3].comment.startswith(unfavourable)
    assert f"自动比对比中刑事犯罪前科，仍予通过的理由：{reason}" in events[-1].internal_comment
    with Session(world.engine) as session:
        entries = list(session.exec(select(AuditEntry).where(AuditEntry.subject == f"case:{case.id}",
                                                            AuditEntry.action == "approve")))
    assert reason in entries[-1].detail["screening_override"]


@pytest.mark.usefixtures("watchlist")
def test_a_fugitive_hit_alerts_the_prefectures_and_the_provinces_officers_at_once(world: World) -> None:
    case = _a_case_of(world, FUGITIVE_ID)
    with Session(world.engine) as session:
        told = {session.get(User, n.user_id).login  # type: ignore[union-attr]
                for n in session.exec(select(Notification).where(Notification.case_id == case.id,
                                                                 col(Notification.text).contains("网上逃犯")))}
    assert told == {"pref650100", "province"}  # not the other prefecture, not the county, not the applicant
    assert [a.case_id for a in fugitive_alerts(world.engine, world.prefecture.actor)] == [case.id]
    assert [a.case_id for a in fugitive_alerts(world.engine, world.province.actor)] == [case.id]
    assert fugitive_alerts(world.engine, world.other_prefecture.actor) == []
    assert fugitive_alerts(world.engine, world.applicant.actor) == []
    with Session(world.engine) as session:
        to_applicant = session.exec(select(Notification).where(Notification.user_id == world.applicant.user_id)).all()
    assert to_applicant and all("逃犯" not in n.text and "比中" not in n.text for n in to_applicant)
