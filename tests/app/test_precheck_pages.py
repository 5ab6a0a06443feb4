"""The pre-check in the pages: the applicant is told what was read and may confirm the file; the officer
sees the checklist with that confirmation and can return the case with a finding as its reason."""

from __future__ import annotations

import io
from datetime import datetime, time

from PIL import Image

from flows import cases, clock
from flows.kinds import get_filing
from flows.review.transitions import Act, Stage
from flows.uploads.precheck.limited import LimitedReader
from store.db import default_engine
from store.demo import DEMO_CODES
from store.precheck_worker import Worker
from tests.app.conftest import open_page, texts
from tests.support import World, filled_draft

STAND_IN = "tests.integration.precheck_child_misbehaving"  # reads every file as a licence with code READ
READ = "91650100MA77TEB291"


def licence_jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (900, 640), (240, 240, 240)).save(out, "JPEG")
    return out.getvalue()


def summary_rows(at: object) -> list[str]:
    """The plain texts of the page (the summary's rows are `st.text`)."""
    return [str(t.value) for t in at.text]  # type: ignore[attr-defined]


def read_all() -> None:
    reader = LimitedReader(module=STAND_IN)
    worker = Worker(default_engine(), reader)
    try:
        while worker.run_once():
            pass
    finally:
        reader.close()


def test_the_applicant_is_told_the_code_read_confirms_the_file_and_the_officer_returns_on_the_finding(
        app_world: World) -> None:
    world, today = app_world, clock.today()
    draft = filled_draft(world, "C", today=today)
    cases.upload_material(world.uow(), world.applicant.actor, draft.id, "legal_person_proof", filename="营业执照.jpg",
                          data=licence_jpeg())
    for optional in (m for m in get_filing("C").materials if not m.required):  # on to the summary
        cases.skip_material(world.uow(), world.applicant.actor, draft.id, optional.id)
    at = open_page("pages/assistant.py", world.applicant)
    assert "正在自动核对“法人资格证明”" in texts(at)  # the page does not wait for the reading
    assert any(row.startswith("营业执照.jpg") and row.endswith("（正在自动核对）")
               for row in summary_rows(at))  # said on the summary too
    read_all()

    at.run()
    shown = texts(at)
    flagged = [row for row in summary_rows(at) if row.startswith("营业执照.jpg")]
    assert flagged and flagged[0].endswith("（自动核对有提示，请看上方说明：修改、重新上传或确认文件无误）")
    assert f"营业执照上的统一社会信用代码是 {READ}（第1页左上部），与您账户登记的 {DEMO_CODES[0]} 不一致，请核对。" in shown
    buttons = [b.key for b in at.button]
    assert "pc-replace-legal_person_proof" in buttons
    assert "pc-fix-legal_person_proof" not in buttons  # the unit's code is the account's: not typed, not corrected here
    at.button(key="pc-confirm-legal_person_proof").click().run()
    assert "您已确认文件无误" in texts(at)
    assert not [row for row in summary_rows(at) if "自动核对有提示" in row]  # confirmed: no longer flagged

    with world.uow() as uow:
        version = uow.case(draft.id).version
    cases.submit(world.uow(), world.applicant.actor, draft.id, expected_version=version,
                 now=datetime.combine(today, time(10), tzinfo=clock.CHINA))
    cases.act_on_case(world.uow(), world.county.actor, draft.id, Act.CONFIRM,
                      expected_version=version + 1)
    officer = open_page("pages/case.py", world.prefecture, id=str(draft.id))
    shown = texts(officer)
    assert "智能预审" in shown and f"代码不一致：证照上为{READ}" in shown and "申请人已确认文件无误" in shown
    officer.button(key="act-accept").click().run()
    officer.button(key="act_do").click().run()
    officer.button(key="act-return").click().run()
    option = "precheck:legal_person_proof:0"
    assert any(f"【预审】法人资格证明：代码不一致：证照上为{READ}" in o for o in officer.multiselect(key="act_items").options)
    officer.multiselect(key="act_items").select(option).run()
    assert "智能预审发现" in officer.text_input(key=f"act_reason_{option}").value
    officer.button(key="act_do").click().run()
    assert not officer.exception
    with world.uow() as uow:
        event = uow.events(draft.id)[-1]
        assert uow.case(draft.id).stage == Stage.RETURNED
    assert [i.item_id for i in event.items] == ["legal_person_proof"]
    assert READ in event.items[0].reason and "智能预审发现" in event.items[0].reason


def test_a_returned_case_says_a_flagged_file_outside_the_notice_cannot_be_replaced_only_confirmed(
        app_world: World) -> None:
    """Before: the note on a file the correction notice does not name offered only 文件无误, with no word why the
    file could not be uploaded again."""
    from flows.ports import ReturnItem

    world, today = app_world, clock.today()
    draft = filled_draft(world, "C", today=today)
    cases.upload_material(world.uow(), world.applicant.actor, draft.id, "legal_person_proof", filename="营业执照.jpg",
                          data=licence_jpeg())
    read_all()
    with world.uow() as uow:
        version = uow.case(draft.id).version
    cases.submit(world.uow(), world.applicant.actor, draft.id, expected_version=version,
                 now=datetime.combine(today, time(10), tzinfo=clock.CHINA))
    for officer, act in ((world.county, Act.CONFIRM), (world.prefecture, Act.ACCEPT)):
        with world.uow() as uow:
            version = uow.case(draft.id).version
        cases.act_on_case(world.uow(), officer.actor, draft.id, act, expected_version=version)
    with world.uow() as uow:
        version = uow.case(draft.id).version
    cases.act_on_case(world.uow(), world.prefecture.actor, draft.id, Act.RETURN, expected_version=version,
                      items=(ReturnItem("area_size", "【填报】守护区域面积", "与平面图不符"),), comment="请改正")

    at = open_page("pages/assistant.py", world.applicant, case=str(draft.id))
    shown = texts(at)
    assert f"营业执照上的统一社会信用代码是 {READ}" in shown
    assert "本次补正不涉及这份材料，不能重新上传" in shown
    buttons = [b.key for b in at.button]
    assert "pc-confirm-legal_person_proof" in buttons and "pc-replace-legal_person_proof" not in buttons
    assert not at.exception
