"""The province's feedback inbox: one page at a time, with who sent each entry and the case's number."""

from __future__ import annotations

from typing import Any

import sqlalchemy
from sqlalchemy import event

from store.feedback import add_feedback, feedback_pages, inbox
from tests.support import make_world


def test_the_inbox_pages_newest_first_with_senders_in_two_queries(engine: sqlalchemy.Engine) -> None:
    world = make_world(engine)
    for n in range(45):
        add_feedback(engine, user_id=world.applicant.user_id if n % 2 else None, page="assistant", step=f"第{n}步",
                     kind="C", text=f"意见{n}")
    add_feedback(engine, user_id=world.prefecture.user_id, page="queue", step="", kind="", text="队列太慢")

    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        first = inbox(engine, per_page=20)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 2
    assert first.total == 46 and first.pages == 3 and len(first.items) == 20
    assert first.items[0].feedback.text == "队列太慢"
    assert first.items[0].sender == "pref650100"
    assert first.items[1].sender == "未登录访客"  # 意见44
    assert first.items[2].sender == "乌鲁木齐幸福物业服务有限公司（马丽）"  # 意见43

    last = inbox(engine, per_page=20, number=99)  # past the end: the last page
    assert last.page == 3 and [i.feedback.text for i in last.items] == ["意见5", "意见4", "意见3", "意见2", "意见1",
                                                                       "意见0"]
    only_queue = inbox(engine, page="queue")
    assert only_queue.total == 1
    assert feedback_pages(engine) == ["assistant", "queue"]


def test_a_prefectures_inbox_holds_what_is_about_its_own_service_on_both_databases(engine: sqlalchemy.Engine) -> None:
    from flows import clock
    from tests.support import submitted

    world = make_world(engine)
    own = submitted(world, "C", today=clock.today())  # 乌鲁木齐市
    other = submitted(world, "C", today=clock.today(), applicant=world.other_applicant, prefecture="650200",
                      county="650202")
    add_feedback(engine, user_id=world.applicant.user_id, page="assistant", step="", kind="C", text="本地办件",
                 case_id=own.id)
    add_feedback(engine, user_id=world.county.user_id, page="queue", step="", kind="", text="本地县局")
    add_feedback(engine, user_id=world.other_applicant.user_id, page="assistant", step="", kind="C", text="外地办件",
                 case_id=other.id)
    add_feedback(engine, user_id=None, page="home", step="", kind="", text="访客")
    mine = inbox(engine, prefecture="650100")
    assert mine.total == 2 and {i.feedback.text for i in mine.items} == {"本地办件", "本地县局"}
    assert {i.feedback.text for i in inbox(engine, prefecture="650200").items} == {"外地办件"}
    assert inbox(engine).total == 4
