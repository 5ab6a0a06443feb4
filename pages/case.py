"""办件审核: one case for an officer: everything in it, and the acts they may do on it now.

The case id comes from the URL (`?id=`). A case outside the officer's jurisdiction gets the same
answer as a missing one. Each act has a confirmation step; it is carried out in a button callback
so the page that follows is drawn from the fresh case.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import streamlit as st

from flows.cases import LICENCE_LINE, act_on_case, rescreen, verifies_unit
from flows.clock import today
from flows.errors import DomainError, NotFound, StaleCase
from flows.filing.corrections import corrections, last_resubmission
from flows.kinds import act_name, stage_name
from flows.ports import ReturnItem
from flows.review.checklists import act_checklist
from flows.review.disclosure import (
    Look,
    may_reveal,
    record_case_look,
    record_case_looks,
    reveal_personal_data,
)
from flows.review.dossier import SCREENING_READERS, Dossier, open_dossier
from flows.review.screening import CATEGORY_LABELS
from flows.review.transitions import STAGE_LABELS, Act, Actor, decide
from store.screening import configured_sources
from store.uow import SqlUnitOfWork
from ui import registry
from ui.case_view import (
    draw_answers,
    draw_corrections,
    draw_documents,
    draw_dossier_download,
    draw_header,
    draw_history,
    draw_materials,
    draw_screening,
)
from ui.layout import page_setup, set_feedback_context, show_error
from ui.precheck import ReturnOption, officer_checklist, return_options
from ui.session import engine
from ui.text import md_escape

PENDING = "case_pending"  # the act being confirmed: {"case_id", "act", "version"}
OUTCOME = "case_outcome"  # ("success" | "error", message) from the last act, shown once
PANEL_ERROR = "case_act_error"
KEPT = "case_kept_inputs"  # {"case_id", "values"}: what was typed when a colleague acted first
LICENCE = "act_licence"  # the licence line: ticked again for each act, never kept
INPUTS = ("act_comment", "act_internal", "act_items", "act_justification", "act_opinion", LICENCE)
INPUT_LABELS = {"act_comment": "理由或说明", "act_internal": "内部意见", "act_justification": "仍予办理的理由",
                "act_opinion": "意见"}
REPORT_OPINION = "经审核，申请材料齐全，拟同意变更法定代表人，报请审批。"
OPINION_LABELS = {"favourable": "拟同意", "unfavourable": "拟不同意"}
OPENED = "case_opened"  # ids of the cases whose opening this browser session has recorded
PREVIEWED = "case_previewed"  # ids of the materials whose preview this browser session has recorded
REVEALED = "case_revealed"  # ids of the cases whose full numbers this browser session has revealed
REVEAL_LABEL = "显示完整号码"

account = page_setup("case")
actor = account.actor
st.page_link(registry.page("queue").file, label="返回待办队列", icon=":material/arrow_back:")


def requested_id() -> int | None:
    raw = str(st.query_params.get("id", "")).strip()
    return int(raw) if raw.isdigit() and len(raw) <= 12 else None


def clear_inputs() -> None:
    for key in [k for k in st.session_state if str(k).startswith("act_reason_") or k in INPUTS]:
        del st.session_state[key]
    st.session_state.pop(PANEL_ERROR, None)


def typed_inputs() -> dict[str, Any]:
    return {str(k): v for k, v in st.session_state.items()
            if (k in INPUTS or str(k).startswith("act_reason_")) and k != LICENCE and v not in ("", [], None)}


def keep_inputs(case_id: int) -> None:
    """A colleague acted first: what this officer typed is kept, shown, and filled in again on the next act."""
    if values := typed_inputs():
        st.session_state[KEPT] = {"case_id": case_id, "values": values}


def begin(case_id: int, act: Act, version: int, kind: str = "") -> None:
    clear_inputs()
    kept = st.session_state.get(KEPT)
    if kept and kept["case_id"] == case_id:
        st.session_state.update(kept["values"])
    st.session_state[PENDING] = {"case_id": case_id, "act": act.value, "version": version, "kind": kind}


def cancel() -> None:
    st.session_state.pop(PENDING, None)
    clear_inputs()


def perform(who: Actor, labels: dict[str, str], findings: dict[str, ReturnOption]) -> None:
    """Carry out the pending act with what was typed into the confirmation step."""
    pending = st.session_state.get(PENDING)
    if not pending:
        return
    act = Act(pending["act"])
    state = st.session_state
    items = return_items([str(k) for k in state.get("act_items", [])], labels, findings) if act == Act.RETURN else ()
    try:
        case = act_on_case(SqlUnitOfWork(engine()), who, pending["case_id"], act,
                           expected_version=pending["version"], comment=str(state.get("act_comment", "")),
                           internal_comment=str(state.get("act_internal", "")), items=items,
                           justification=str(state.get("act_justification", "")),
                           opinion=str(state.get("act_opinion") or ""),
                           licence_checked=bool(state.get(LICENCE)))
    except StaleCase as error:
        keep_inputs(pending["case_id"])
        cancel()
        state[OUTCOME] = ("error", error.message)
    except DomainError as error:
        state[PANEL_ERROR] = error.message
    else:
        state.pop(KEPT, None)
        cancel()
        label = act_name(act, str(pending.get("kind", "")))
        state[OUTCOME] = ("success", f"已办理“{label}”。办件当前状态：{stage_name(case.stage, case.kind)}。")


def flagged(dossier: Dossier) -> str | None:
    """Why going on needs a written reason: the comparison found something, or is not done (None if clear)."""
    if not dossier.screened:
        return None
    latest = dossier.screenings[0] if dossier.screenings else None
    if latest is None or latest.not_done:
        return "自动比对尚未完成。请先重新比对；确需在未完成比对的情况下继续的，须写明理由。"
    if latest.hits:
        names = "、".join(CATEGORY_LABELS[r.category] for r in latest.hits)
        return f"自动比对比中{names}。经核查确需继续的，须写明理由，理由记入办理记录和审计日志。"
    return None


def justification_input(dossier: Dossier, acting: str) -> None:
    if reason := flagged(dossier):
        st.warning(reason, icon=":material/gpp_maybe:")
        st.text_area(f"仍予{acting}的理由（必填，仅公安机关可见）", key="act_justification")


def return_items(chosen: list[str], labels: dict[str, str], findings: dict[str, ReturnOption]) -> tuple[ReturnItem, ...]:
    """The itemised reasons chosen: an item or a pre-check finding (which names its material), one per item."""
    reasons: dict[str, list[str]] = {}
    for key in chosen:
        item_id = findings[key].item_id if key in findings else key
        reason = str(st.session_state.get(f"act_reason_{key}", "")).strip()
        reasons.setdefault(item_id, [])
        if reason:
            reasons[item_id].append(reason)
    return tuple(ReturnItem(item_id, labels.get(item_id, item_id), "；".join(texts)) for item_id, texts in reasons.items())


def act_inputs(dossier: Dossier, act: Act) -> None:
    """What the confirmation step asks for, by act."""
    if not dossier.unit_verified and verifies_unit(act, dossier.case, dossier.filing.route):
        st.warning("申请单位的账号待核验（本单位首次办理）：请对照其上传的营业执照（或登记证书）核对单位名称和统一社会信用代码。",
                   icon=":material/domain_verification:")
        st.checkbox(LICENCE_LINE, key=LICENCE)
    # What accepting and approving issue is on the act's checklist above (flows.review.checklists), said once.
    if act == Act.APPROVE:
        justification_input(dossier, "通过")
    elif act == Act.RETURN:
        findings = return_options(dossier.filing, dossier.case.id, dossier.answers)
        labels = {**{key: option.label for key, option in findings.items()}, **dict(dossier.correctable)}
        chosen = st.multiselect("需要补正的事项（从本办件的填报项和材料中选择）", list(labels),
                                format_func=labels.__getitem__, key="act_items", placeholder="选择一项或多项")
        for item_id in chosen:
            if item_id in findings and f"act_reason_{item_id}" not in st.session_state:
                st.session_state[f"act_reason_{item_id}"] = findings[item_id].reason
            st.text_input(f"{labels[item_id]}：存在的问题和补正要求（必填）", key=f"act_reason_{item_id}")
        st.text_area("其他说明（告知申请单位，可不填）", key="act_comment", height=80)
    elif act == Act.REJECT:
        verb = dossier.filing.refusal_verb
        st.text_area(f"{verb}的理由（写入决定书，告知申请单位，必填）", key="act_comment")
    elif act == Act.RETURN_TO_PREFECTURE:
        st.text_area("退回理由（告知州、市、地公安机关，必填）", key="act_comment")
    elif act == Act.REPORT:
        st.caption("审核意见报公安厅审批，由公安厅作出决定；意见为内部意见，申请单位看不到。")
        clear = flagged(dossier) is None
        if clear:
            st.session_state.setdefault("act_opinion", "favourable")
            st.session_state.setdefault("act_comment", REPORT_OPINION)
        st.radio("意见", list(OPINION_LABELS), format_func=OPINION_LABELS.__getitem__, key="act_opinion",
                 index=None, horizontal=True)
        st.text_area("审核意见（报公安厅，必填）", key="act_comment")
        if st.session_state.get("act_opinion") == "favourable":
            justification_input(dossier, "拟同意上报")
    st.text_area("内部意见（仅公安机关内部可见，可不填）", key="act_internal", height=80)


def rescreen_now(who: Actor, case_id: int) -> None:
    """Run the automatic comparison again with the sources configured now."""
    try:
        result = rescreen(SqlUnitOfWork(engine()), who, case_id, configured_sources(engine()))
    except DomainError as error:
        st.session_state[OUTCOME] = ("error", error.message)
    else:
        done = "比对未完成，请稍后再试。" if result.not_done else "比对已完成。"
        st.session_state[OUTCOME] = ("success", f"已重新比对：{done}")


def draw_screening_card(dossier: Dossier) -> None:
    if not dossier.screened or actor.role not in SCREENING_READERS:
        return
    draw_screening(dossier.screenings)
    st.button("重新比对", key="rescreen", icon=":material/refresh:", on_click=rescreen_now,
              args=(actor, dossier.case.id))


def draw_kept(dossier: Dossier) -> None:
    """What this officer typed before a colleague acted first, until an act of theirs succeeds."""
    kept = st.session_state.get(KEPT)
    if not kept or kept["case_id"] != dossier.case.id:
        return
    labels = dict(dossier.correctable)
    with st.container(border=True, key="kept-inputs"):
        st.markdown("**您此前填写的内容已保留**" + ("（再次点击办理按钮时会自动填回）：" if dossier.acts
                                                 else "（此办件已不在您的办理环节，可复制后另作他用）："))
        for key, value in kept["values"].items():
            if key == "act_items":
                st.text("补正事项：" + "、".join(labels.get(i, i) for i in value))
            elif key.startswith("act_reason_"):
                st.text(f"{labels.get(key.removeprefix('act_reason_'), '')}的补正要求：{value}")
            else:
                shown = OPINION_LABELS.get(value, value) if key == "act_opinion" else value
                st.text(f"{INPUT_LABELS.get(key, '')}：{shown}")


def draw_acts(dossier: Dossier) -> None:
    case = dossier.case
    pending: dict[str, Any] | None = st.session_state.get(PENDING)
    if pending and pending["case_id"] != case.id:
        cancel()
        pending = None
    if pending and (pending["version"] != case.version or Act(pending["act"]) not in dossier.acts):
        keep_inputs(case.id)
        cancel()
        show_error(StaleCase().message)
        pending = None
    draw_kept(dossier)
    with st.container(border=True):
        st.markdown("**办理**")
        if not dossier.acts:
            st.caption("当前环节无需您办理。")
            return
        row = st.container(horizontal=True)
        kind = dossier.filing.kind
        for act in dossier.acts:
            row.button(act_name(act, kind), key=f"act-{act.value}", on_click=begin,
                       args=(case.id, act, case.version, kind),
                       type="primary" if pending and pending["act"] == act.value else "secondary")
        if not pending:
            return
        act = Act(pending["act"])
        target = decide(actor, case.at(dossier.filing.route), act)
        st.markdown(f"**即将办理：{act_name(act, kind)}**　办理后状态：{stage_name(target, kind)}")
        if points := act_checklist(dossier.filing, act, case.stage):
            st.markdown("办理前请确认：\n" + "\n".join(f"- {point}" for point in points))
        act_inputs(dossier, act)
        if message := st.session_state.get(PANEL_ERROR):
            show_error(message)
        buttons = st.container(horizontal=True)
        findings = return_options(dossier.filing, case.id, dossier.answers) if act == Act.RETURN else {}
        buttons.button("确定办理", key="act_do", type="primary", on_click=perform,
                       args=(actor, dict(dossier.correctable), findings))
        buttons.button("取消", key="act_cancel", on_click=cancel)


def record_open(dossier: Dossier) -> None:
    """The first look at the case in this browser session is recorded, with the materials previewed in it
    (a material uploaded later, by a resubmission, is recorded when it is first shown)."""
    opened: set[int] = st.session_state.setdefault(OPENED, set())
    previewed: set[int] = st.session_state.setdefault(PREVIEWED, set())
    looks: list[tuple[Look, Mapping[str, Any] | None]] = [] if dossier.case.id in opened else [(Look.OPEN_CASE, {})]
    looks += [(Look.PREVIEW_MATERIAL, {"material": m.id, "material_id": m.material_id})
              for m in dossier.materials if m.id not in previewed]
    if not looks:
        return
    record_case_looks(SqlUnitOfWork(engine()), actor, dossier.case.id, looks)
    opened.add(dossier.case.id)
    previewed.update(m.id for m in dossier.materials)


def record_look(case_id: int, look: Look, detail: Mapping[str, Any]) -> None:
    """A download's audit entry (runs when the file is asked for, before it is made)."""
    record_case_look(SqlUnitOfWork(engine()), actor, case_id, look, detail)


def reveal(case_id: int) -> None:
    try:
        reveal_personal_data(SqlUnitOfWork(engine()), actor, case_id)
    except DomainError as error:
        st.session_state[OUTCOME] = ("error", error.message)
    else:
        st.session_state.setdefault(REVEALED, set()).add(case_id)


def hide(case_id: int) -> None:
    st.session_state.setdefault(REVEALED, set()).discard(case_id)


def draw_reveal(case_id: int) -> bool:
    """Whether this case's full numbers are shown; the switch to reveal (recorded) or hide them again."""
    shown = case_id in st.session_state.get(REVEALED, set())
    if not may_reveal(actor):
        st.caption("身份证号码和手机号码已部分隐藏。")
        return False
    row = st.container(horizontal=True, vertical_alignment="center", key="reveal-row")
    if shown:
        row.caption("已显示完整号码（仅本次浏览本办件有效），查看已记入审计日志。")
        row.button("隐藏完整号码", key="hide-numbers", on_click=hide, args=(case_id,),
                   icon=":material/visibility_off:")
    else:
        row.caption("身份证号码和手机号码已部分隐藏。确需核对时可显示完整号码，查看将记入审计日志。")
        row.button(REVEAL_LABEL, key="reveal-numbers", on_click=reveal, args=(case_id,),
                   icon=":material/visibility:")
    return shown


case_id = requested_id()
try:
    if case_id is None:
        raise NotFound()
    dossier = open_dossier(SqlUnitOfWork(engine(), read_only=True), actor, case_id, today=today())
except NotFound as refusal:
    st.title("办件审核")
    show_error(refusal.message)
    st.stop()

case = dossier.case
record_open(dossier)
recorder = functools.partial(record_look, case.id)
set_feedback_context(step=f"办件审核：{STAGE_LABELS[case.stage]}", kind=case.kind, case_id=case.id)
if outcome := st.session_state.pop(OUTCOME, None):
    tone, message = outcome
    if tone == "success":
        st.success(md_escape(message), icon=":material/check_circle:")
    else:
        show_error(message)
draw_header(case, dossier.filing, dossier.time_left, first_submitted=dossier.first_submitted,
            warnings=dossier.findings())
if not dossier.unit_verified:
    st.caption("申请单位账号状态：待核验（尚无公安机关核对过其营业执照）")
resubmission = last_resubmission(dossier.events)
draw_corrections(corrections(dossier.filing, dossier.events, dossier.answers, dossier.materials,
                             dossier.before_correction),
                 resubmitted_at=resubmission[1].at if resubmission else None)
draw_screening_card(dossier)
officer_checklist(dossier.filing, case.id, dossier.answers)
draw_acts(dossier)

open_items = case.open_items or ()
answers_tab, materials_tab, history_tab, documents_tab = st.tabs([
    "申请内容", f"材料（{len(dossier.materials)}）", f"办理记录（{len(dossier.events)}）",
    f"文书（{len(dossier.documents)}）"])
with answers_tab:
    revealed = draw_reveal(case.id)
    draw_answers(dossier.filing, dossier.answers, mask_personal=not revealed, highlight=open_items)
with materials_tab:
    if missing := dossier.missing_materials():
        st.warning("以下必交材料没有文件：" + "、".join(missing))
    draw_dossier_download(case, dossier.materials)
    draw_materials(dossier.filing, case.id, dossier.materials, highlight=open_items, record=recorder)
with history_tab:
    draw_history(dossier.events, dossier.case.kind, internal=True)
with documents_tab:
    draw_documents(dossier.documents, record=recorder)
