"""证书核验 (public): is this certificate genuine and still valid? Opened by hand, from the QR code
(whose link carries the organ's signature, checked against the archive), or with the PDF file itself
(compared byte for byte with the archived original)."""

from __future__ import annotations

import streamlit as st

from flows import clock
from flows.clock import chinese_date
from flows.documents import signing
from store.verification import LIMITER, MAX_FILE_BYTES, FileCheck, VerificationResult, check_file, lookup
from ui import applicant_view as view
from ui.layout import public_page_setup, set_feedback_context
from ui.session import address, engine
from ui.text import md_escape

RESULT = "verify_result"

account = public_page_setup("verify")
set_feedback_context(step="证书核验")
st.title("证书核验")
st.write("输入备案证明、撤销备案证明或审核意见书上的验证码，或用手机扫描证明上的二维码，"
         "即可核验该证明是否由公安机关出具、目前是否有效。")


def wait_left() -> int:
    """Seconds this client address still has to wait (repeated failures, or too many look-ups): counted per
    address for the whole server (store.verification.LIMITER), so a reload or a new tab does not reset it."""
    return LIMITER.wait_left(address(), clock.now())


def attempted(*, failed: bool) -> None:
    LIMITER.attempted(address(), clock.now(), failed=failed)


def check(code: str, signature: str | None = None) -> None:
    left = wait_left()
    if left:
        st.session_state[RESULT] = ("wait", left)
        return
    result = lookup(engine(), code, signature=signature, actor_id=account.user_id if account else None)
    attempted(failed=result is None or result.signature == "invalid")
    st.session_state[RESULT] = ("done", result)


def check_pdf(data: bytes) -> None:
    left = wait_left()
    if left:
        st.session_state[RESULT] = ("wait", left)
        return
    checked = check_file(engine(), data, actor_id=account.user_id if account else None)
    attempted(failed=checked.outcome != "match")
    st.session_state[RESULT] = ("file", checked)


def show_lookup(result: VerificationResult | None) -> None:
    if result is not None and result.signature == "invalid":
        st.error("二维码签名核验未通过：该二维码不是发证机关签发的，或证明信息已被改动。"
                 "请勿采信，并向发证机关核实。", icon=":material/gpp_bad:")
        return
    view.verification(result)
    if result is not None and result.signature == "valid":
        st.caption("二维码签名有效：二维码中的签名与发证机关存档的证明信息一致。")


def show_file(checked: FileCheck) -> None:
    if checked.outcome == "match" and checked.result is not None:
        st.success("文件与存档一致：上传的文件与发证机关出具时存档的文件完全相同（逐字节比对）。",
                   icon=":material/task_alt:")
        view.verification(checked.result)
    elif checked.outcome == "mismatch" and checked.result is not None:
        st.error("与存档不一致：该文件中的验证码对应的证明真实存在，但文件内容与发证机关存档的原件不同，"
                 "可能已被修改。请以下列存档信息为准：", icon=":material/gpp_bad:")
        archived = checked.result
        with st.container(border=True, key="verify-archived"):
            st.markdown("\n".join(f"- **{label}**：{md_escape(value)}" for label, value in (
                ("证明名称", archived.title), ("证明编号", archived.number), ("单位名称", archived.unit_name),
                ("出具日期", f"{chinese_date(archived.issued_on)}"), ("状态", archived.status_label))))
    elif checked.outcome == "unreadable":
        st.error("无法读取该文件，请上传从本系统下载的PDF格式证明。", icon=":material/error:")
    elif checked.outcome == "busy":
        st.warning("系统繁忙，暂时无法核验该文件，请稍后重新上传。", icon=":material/hourglass_empty:")
    else:
        st.error("未找到该证明：该文件不是本系统出具的证明，或其中的验证码不存在。", icon=":material/search_off:")


# A QR link (/verify?code=...&sig=...) is looked up once, then the parameters are dropped from the URL.
from_link = st.query_params.get("code")
if from_link:
    signature = st.query_params.get("sig")
    st.session_state["verify_code"] = from_link[:100]
    for name in ("code", "sig"):
        if name in st.query_params:
            del st.query_params[name]
    check(from_link[:100], signature[:200] if signature is not None else None)

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
        st.warning(f"查询失败次数或查询次数较多，为防止恶意查询，请{value}秒后再试。", icon=":material/hourglass_top:")
    elif state == "file":
        show_file(value)
    else:
        show_lookup(value)

with st.expander("持有PDF文件？上传文件与存档原件逐字节比对", icon=":material/upload_file:",
                 expanded=st.session_state.get("verify_file") is not None):
    st.caption("文件只用于本次比对，不会保存。被修改过的文件（哪怕只改了一个字）都会显示“与存档不一致”。")
    uploaded = st.file_uploader("证明PDF文件", type=["pdf"], key="verify_file",
                                max_upload_size=MAX_FILE_BYTES // (1024 * 1024))
    if st.button("比对文件", icon=":material/fact_check:", disabled=uploaded is None) and uploaded is not None:
        check_pdf(uploaded.getvalue())
        st.rerun()  # the answer is drawn above, with the code's

with st.expander("发证机关签名公钥（供离线核验）", icon=":material/key:"):
    st.caption("证明二维码中的 sig 参数是发证机关对“验证码、证明编号、单位名称、统一社会信用代码、业务类别、出具日期”"
               "的 Ed25519 签名，可用下列公钥离线核验。")
    st.code(f"密钥指纹 {signing.key_id()}\n{signing.public_key_pem()}", language=None)
