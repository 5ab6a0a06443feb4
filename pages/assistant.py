"""申请办理: the guided conversation. One question at a time; every answer saved as it is given."""

from __future__ import annotations

import streamlit as st

from flows import cases
from flows.errors import DomainError, FieldError
from flows.kinds import all_filings, get_filing
from flows.review.transitions import Role
from store.queries import open_work
from store.uow import SqlUnitOfWork
from ui import conversation, keys, registration
from ui.layout import public_page_setup, set_feedback_context, show_error
from ui.session import engine
from ui.text import md_escape

account = public_page_setup("assistant")
if account is not None and account.role != Role.APPLICANT:
    st.title("申请办理")
    st.info("此页面供申请单位办理业务使用。公安机关工作人员请使用“待办队列”。")
    st.stop()
st.title("申请办理")


def uow() -> SqlUnitOfWork:
    return SqlUnitOfWork(engine())


# What a visitor chose before having an account (kept under the browser's visitor cookie: it survives a
# refresh, and the login or registration that follows).
visitor = registration.visitor_draft() if account is None or not st.session_state.get("visitor_loaded") else {}
if not st.session_state.get("visitor_loaded"):
    st.session_state["visitor_loaded"] = True
    for key in ("kind", "instructions_read"):
        if visitor.get(key) and key not in st.session_state:
            st.session_state[key] = visitor[key]
    if account is not None and visitor:
        registration.forget_all()  # carried over into this session; the case itself is kept from now on

# Which case: one asked for by link (My cases → correct), the one in this session, or the unit's open draft.
if account is not None:
    wanted = st.query_params.get("case")
    if wanted and wanted.isdigit():
        st.session_state[keys.CASE_ID] = int(wanted)
        del st.query_params["case"]
    if keys.CASE_ID not in st.session_state and not st.session_state.get(keys.CHOOSING):
        work = open_work(engine(), account.unit_id or -1)  # a returned case to correct first, else a draft
        if work is not None:
            st.session_state[keys.CASE_ID] = work
            st.session_state[keys.RESUMED] = True

if account is not None and registration.REGISTERED in st.query_params:
    del st.query_params[registration.REGISTERED]
    st.session_state[keys.JUST_REGISTERED] = True
if account is not None and st.session_state.get(keys.JUST_REGISTERED):
    st.success(f"注册成功！“{md_escape(account.unit_name or '本单位')}”的账号已开通。以后请用登录名（您的手机号码）和刚设置的密码登录。"
               "下面继续办理。", icon=":material/how_to_reg:")

case_id = st.session_state.get(keys.CASE_ID)
if account is not None and case_id is not None:
    try:
        draft = cases.load_draft(SqlUnitOfWork(engine(), read_only=True), account.actor, int(case_id))
    except DomainError as error:
        show_error(error.message)
        st.session_state.pop(keys.CASE_ID, None)
        st.stop()
    conversation.run(draft, account, uow)
    st.stop()

# No case yet: choose the business, read its instructions, then register or log in.
conversation.greeting()
kind = st.session_state.get(keys.KIND)
if kind is None:
    set_feedback_context(step="选择业务")
    if account is None:
        visitor = registration.remember(visitor, kind=None, instructions_read=None)
    chosen = conversation.choose_kind(all_filings())
    if chosen:
        st.session_state[keys.KIND] = chosen
        if account is None:
            registration.remember(visitor, kind=chosen)
        st.rerun()
    st.stop()

filing = get_filing(kind)
set_feedback_context(step="阅读须知", kind=kind)
if not st.session_state.get("instructions_read") == kind:
    if account is None and visitor.get("instructions_read"):
        visitor = registration.remember(visitor, instructions_read=None)
    if conversation.instructions(filing, account.unit_name if account is not None else None):
        st.session_state["instructions_read"] = kind
        if account is None:
            registration.remember(visitor, kind=kind, instructions_read=kind)
        st.rerun()
    st.stop()
conversation.instructions_done(filing)

if account is None:
    set_feedback_context(step="注册账号", kind=kind)
    registration.register_or_log_in(visitor)
    st.stop()

assert account.unit_name and account.credit_code
try:
    new = cases.start_draft(uow(), account.actor, kind, unit_name=account.unit_name,
                            credit_code=account.credit_code, contact=account.display_name,
                            mobile=account.mobile or "")
    cases.confirm_instructions(uow(), account.actor, new.id)
except (DomainError, FieldError) as error:
    show_error(error.message)
    st.stop()
st.session_state[keys.CASE_ID] = new.id
st.session_state.pop(keys.CHOOSING, None)
st.rerun()
