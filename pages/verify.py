"""证书核验 (public): is this certificate genuine and still valid? Opened by hand or from the QR code."""

from __future__ import annotations

import time

import streamlit as st

from store.verification import delay_after, lookup
from ui import applicant_view as view
from ui.layout import page_setup, set_feedback_context
from ui.session import engine

FAILURES = "verify_failures"
LAST_FAILURE = "verify_last_failure"
RESULT = "verify_result"

account = page_setup("证书核验", page_id="verify", public=True)
set_feedback_context(step="证书核验")
st.title("证书核验")
st.write("输入备案证明、撤销备案证明或审核意见书上的验证码，或用手机扫描证明上的二维码，"
         "即可核验该证明是否由公安机关出具、目前是否有效。")


def wait_left() -> int:
    """Seconds this visitor still has to wait after repeated failed look-ups (0: may look up now)."""
    failures = int(st.session_state.get(FAILURES, 0))
    needed = delay_after(failures)
    if not needed:
        return 0
    elapsed = time.monotonic() - float(st.session_state.get(LAST_FAILURE, 0.0))
    return max(0, int(needed - elapsed + 0.999))


def check(code: str) -> None:
    left = wait_left()
    if left:
        st.session_state[RESULT] = ("wait", left)
        return
    result = lookup(engine(), code, actor_id=account.user_id if account else None)
    if result is None:
        st.session_state[FAILURES] = int(st.session_state.get(FAILURES, 0)) + 1
        st.session_state[LAST_FAILURE] = time.monotonic()
    st.session_state[RESULT] = ("done", result)


# A QR link (/verify?code=...) looks the code up once, then the parameter is dropped from the URL.
from_link = st.query_params.get("code")
if from_link:
    st.session_state["verify_code"] = from_link[:100]
    del st.query_params["code"]
    check(from_link[:100])

with st.form("verify", border=True):
    code = st.text_input("验证码", max_chars=100, key="verify_code",
                         placeholder="证明右下角二维码旁的验证码，如 ABCD EFGH …")
    sent = st.form_submit_button("核验", type="primary", icon=":material/verified:")
if sent:
    if not code.strip():
        st.session_state.pop(RESULT, None)
        st.error("请输入验证码。")
    else:
        check(code)

outcome = st.session_state.get(RESULT)
if outcome is not None:
    state, value = outcome
    if state == "wait":
        st.warning(f"查询失败次数较多，为防止恶意查询，请{value}秒后再试。", icon=":material/hourglass_top:")
    else:
        view.verification(value)
