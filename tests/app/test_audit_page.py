"""The auditor's audit log page through AppTest (issue 14, item 4): only the auditor opens it, filters narrow the
table, the export neutralises formulas and is itself recorded; the auditor opens no administrator or case page."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, col, select
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from flows.review.transitions import Role
from store import audit
from store.accounts import Account, create_user, demo_password_hash, get_account
from store.db import write_session
from store.demo import DEMO_PASSWORD
from store.models import AuditEntry
from tests.app.conftest import open_page, shown_cell, texts
from tests.support import World

REFUSED = "您无权访问此页面。"


def _account(world: World, login: str, role: Role) -> Account:
    user_id = create_user(world.engine, login=login, password=DEMO_PASSWORD, display_name=f"{login}姓名", role=role,
                          region_code="650000", password_hash=demo_password_hash(DEMO_PASSWORD))
    account = get_account(world.engine, user_id)
    assert account is not None
    return account


@pytest.fixture
def auditor(app_world: World) -> Account:
    with write_session(app_world.engine) as session:
        audit.append(session, actor_id=app_world.county.user_id, action="confirm", subject="case:7")
        audit.append(session, actor_id=app_world.applicant.user_id, action="feedback", subject="=HYPERLINK(\"x\")")
        session.commit()
    return _account(app_world, "shenji", Role.AUDITOR)


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """Files a download button makes on click, made here as the click would (AppTest cannot click them)."""
    found: dict[str, bytes] = {}
    deferred = MediaFileManager.add_deferred

    def make_now(self: MediaFileManager, data_callable: Callable[[], Any], mimetype: str | None, coordinates: str,
                 file_name: str | None = None, **kwargs: Any) -> str:
        if file_name:
            data = data_callable()
            found[file_name] = data.encode("utf-8") if isinstance(data, str) else data
        return deferred(self, data_callable, mimetype, coordinates, file_name=file_name, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", make_now)
    return found


def _table(at: AppTest) -> list[dict[str, Any]]:
    return [{k: shown_cell(v) for k, v in row.items()} for row in at.table[0].value.to_dict("records")] if at.table else []


def _query(at: AppTest, **fields: str) -> AppTest:
    for key, value in fields.items():
        at.text_input(key=key).input(value)
    next(b for b in at.button if b.label == "查询").click()
    return at.run()


def test_the_auditor_filters_the_log_and_exports_are_neutralised_and_audited(
        app_world: World, auditor: Account, downloads: dict[str, bytes]) -> None:
    at = open_page("pages/audit.py", auditor)
    assert not at.exception
    shown = _table(at)
    # In the auditor's words (before: the codes confirm, reveal_personal_data, material_id=…).
    assert {"办件：确认", "提交意见反馈"} <= {row["操作"] for row in shown}
    at = _query(at, audit_person=app_world.county.login)
    assert [(row["操作"], row["对象"], row["登录名"]) for row in _table(at)] == \
        [("办件：确认", "case:7", app_world.county.login)]
    at = _query(at, audit_person="", audit_subject="HYPERLINK")
    assert [row["操作"] for row in _table(at)] == ["提交意见反馈"]
    # The exports, made as the click would: the formula is text, and each export is an audit entry.
    (csv_name,) = [n for n in downloads if n.endswith(".csv")]
    rows = list(csv.DictReader(io.StringIO(downloads[csv_name].decode("utf-8-sig"))))
    assert rows[-1]["对象"] == "'=HYPERLINK(\"x\")"
    (xlsx_name,) = [n for n in downloads if n.endswith(".xlsx")]
    sheet = load_workbook(io.BytesIO(downloads[xlsx_name])).active
    assert sheet is not None and sheet.cell(2, 6).value == "'=HYPERLINK(\"x\")"
    with Session(app_world.engine) as session:
        exports = session.exec(select(AuditEntry).where(col(AuditEntry.action) == "audit_export")).all()
    # (each run here made the files, as a click would have: one entry per made file)
    assert exports and all(e.actor_id == auditor.user_id for e in exports)
    assert {(e.detail["format"], e.detail["rows"]) for e in exports if e.detail["subject"] == "HYPERLINK"} == \
        {("csv", 1), ("xlsx", 1)}


def test_the_auditor_checks_the_logs_integrity_on_the_page(app_world: World, auditor: Account) -> None:
    audit.write_checkpoint(app_world.engine, reason="test")
    at = open_page("pages/audit.py", auditor)
    at.button(key="audit_verify").click().run()
    assert "审计日志校验通过" in texts(at)


def test_only_the_auditor_sees_the_page_and_the_auditor_sees_nothing_else(app_world: World, auditor: Account) -> None:
    admin = _account(app_world, "admin", Role.ADMIN)
    for who in (admin, app_world.province, app_world.county, app_world.applicant):
        at = open_page("pages/audit.py", who)
        assert REFUSED in texts(at) and not at.table
        assert "审计日志" not in [link.label for link in at.sidebar.get("page_link")]
    home = open_page("streamlit_app.py", auditor)
    assert not home.exception and "您好，shenji姓名" in texts(home)
    assert "审计日志" in [link.label for link in home.sidebar.get("page_link")]
    for page in ("pages/admin.py", "pages/queue.py", "pages/case.py", "pages/ledger.py", "pages/units.py"):
        assert REFUSED in texts(open_page(page, auditor)), page



def test_a_case_is_found_by_its_number_and_shown_with_it(app_world: World, auditor: Account) -> None:
    """Before: the 对象 column said case:49, and only that found it; the auditor knows the case's number."""
    from flows import clock
    from store.audit_view import Filters, search
    from tests.support import submitted

    case = submitted(app_world, "C", today=clock.today())
    rows = search(app_world.engine, Filters(subject=case.number or ""))
    assert rows and {row["对象"] for row in rows} == {f"case:{case.id}（{case.number}）"}
    assert "办件：提交申请" in {row["操作"] for row in rows}


def test_a_refused_filing_reads_as_its_decision_says_in_the_log(app_world: World, auditor: Account) -> None:
    """A refused kind-C filing: 办件：不予备案 and 新状态=已办结（不予备案）, as the decision it issued is titled
    (before: 不予通过或不予备案 for every refusal, since the entry did not say which business it was)."""
    from flows import cases, clock
    from flows.review.transitions import Act
    from store.audit_view import Filters, search
    from tests.support import submitted

    case = submitted(app_world, "C", today=clock.today())
    for officer, act, comment in ((app_world.county, Act.CONFIRM, ""), (app_world.prefecture, Act.ACCEPT, ""),
                                  (app_world.prefecture, Act.REJECT, "不符合备案条件")):
        with app_world.uow() as uow:
            version = uow.case(case.id).version
        cases.act_on_case(app_world.uow(), officer.actor, case.id, act, expected_version=version, comment=comment,
                          licence_checked=True)
    rows = search(app_world.engine, Filters(subject=case.number or "", actions=("reject",)))
    assert [row["操作"] for row in rows] == ["办件：不予备案"]
    assert "新状态=已办结（不予备案）" in rows[0]["详情"]
