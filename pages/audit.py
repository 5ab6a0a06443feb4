"""审计日志: the security auditor's read-only view of the audit log (filter, export), and its verification.

Only the auditor sees this page (GB/T 22239 三权分立): the system administrator manages the system and
cannot read or export the record of what it did; the auditor reads, and can do nothing else.
"""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from flows.clock import today
from flows.oversight.audit_words import action_label
from flows.oversight.ledger import to_csv, to_xlsx
from flows.review.disclosure import Look, record_export
from store.audit import verify
from store.audit_view import COLUMNS, Filters, action_names, search
from store.uow import SqlUnitOfWork
from ui.layout import page_setup, set_feedback_context
from ui.session import engine
from ui.text import plain_cells

SHOWN = 100

account = page_setup("audit")
set_feedback_context(step="审计日志")
st.title("审计日志")
st.caption("系统中每一次办理、修改、查看和导出的记录（只读）。记录以密钥链式保护，并定期在数据库之外签名存证。")

with st.form("audit_filters"):
    person_col, subject_col = st.columns(2)
    person = person_col.text_input("操作人", placeholder="登录名或姓名", key="audit_person")
    subject = subject_col.text_input("对象", placeholder="办件编号，或如 case:12（办件）、user:3（账号）", key="audit_subject")
    action_col, since_col, until_col = st.columns([2, 1, 1])
    actions = action_col.multiselect("操作", action_names(engine()), format_func=action_label, placeholder="全部操作",
                                     key="audit_actions")
    since = since_col.date_input("起始日期", value=today() - timedelta(days=30), key="audit_since", format="YYYY-MM-DD")
    until = until_col.date_input("截止日期", value=today(), key="audit_until", format="YYYY-MM-DD")
    st.form_submit_button("查询", icon=":material/search:")

filters = Filters(person=person, subject=subject, actions=tuple(actions), since=since, until=until)
rows = search(engine(), filters)
if not rows:
    st.info("没有符合条件的审计记录。")
else:
    st.caption(f"共{len(rows)}条" + (f"（显示最近{SHOWN}条，导出包含全部）" if len(rows) > SHOWN else ""))
    # A static table: no toolbar download around the export button's record of who exported what.
    with st.container(key="audit-table"):  # web/assets/app.css: the short columns keep to one line
        st.table(plain_cells([{c: row[c] for c in COLUMNS} for row in rows[:SHOWN]]))
    stamp = today().strftime("%Y%m%d")
    auditor = account.actor

    def _export(fmt: str) -> bytes:
        data = to_xlsx([("审计日志", COLUMNS, rows)]) if fmt == "xlsx" else to_csv(COLUMNS, rows)
        record_export(SqlUnitOfWork(engine()), auditor, Look.EXPORT_AUDIT, "audit",
                      {"format": fmt, "rows": len(rows), **filters.described()})
        return data

    excel, csv_col, _ = st.columns([1, 1, 4])
    excel.download_button("导出Excel", lambda: _export("xlsx"), file_name=f"审计日志_{stamp}.xlsx",
                          mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                          icon=":material/download:", key="audit_xlsx", on_click="ignore")
    csv_col.download_button("导出CSV", lambda: _export("csv"), file_name=f"审计日志_{stamp}.csv", mime="text/csv",
                            icon=":material/download:", key="audit_csv", on_click="ignore")

st.divider()
st.subheader("完整性校验")
if st.button("校验审计日志", icon=":material/verified_user:", key="audit_verify"):
    report = verify(engine())
    if report.ok:
        st.success(report.summary(), icon=":material/verified_user:")
    else:
        st.error(report.summary(), icon=":material/gpp_bad:")
