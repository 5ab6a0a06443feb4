"""The applicant's home: what needs the unit now, first (a returned case to correct, a draft to finish,
a notice or certificate to download)."""

from __future__ import annotations

import functools
from datetime import timedelta
from typing import Literal

import streamlit as st
from sqlalchemy import Engine

from flows import clock
from flows.kinds import get_filing
from flows.review.transitions import Stage
from flows.vocabulary import DocumentStatus
from store import blobs
from store.accounts import Account
from store.queries import IssuedDocument, WaitingCase, applicant_todo
from ui import registry
from ui.text import md_escape

ASSISTANT = registry.page("assistant").file
RECENT_DAYS = 14  # documents issued this recently are offered on the home page


def needs_me_now(engine: Engine, account: Account) -> None:
    """The unit's to-do list; nothing at all when nothing waits on it."""
    waiting, issued = applicant_todo(engine, account.unit_id or -1,
                                     documents_since=clock.now() - timedelta(days=RECENT_DAYS), limit=6)
    if not waiting and not issued:
        return
    with st.container(border=True, key="needs-me-now"):
        st.markdown("#### 需要您处理")
        for case in waiting:
            _waiting_case(case)
        for document in issued:
            _issued_document(document)


def _waiting_case(case: WaitingCase) -> None:
    title = get_filing(case.kind).short_title
    text, button = st.columns([4, 1.3], vertical_alignment="center")
    kind: Literal["primary", "secondary"]
    if case.stage == Stage.RETURNED:
        text.markdown(f":orange-badge[已退回] **{md_escape(case.number or '')}**　{title}  \n"
                      f"需要补正{case.open_items}项，改好后重新提交。" if case.open_items else
                      f":orange-badge[已退回] **{md_escape(case.number or '')}**　{title}  \n请按补正告知修改后重新提交。")
        label, kind = "去补正", "primary"
    else:
        text.markdown(f":gray-badge[未提交] **{title}**  \n上次填写于{clock.show(case.updated_at)}，已自动保存。")
        label, kind = "继续填写", "secondary"
    if button.button(label, key=f"todo-{case.id}", type=kind, width="stretch"):
        st.switch_page(ASSISTANT, query_params={"case": str(case.id)})


def _issued_document(document: IssuedDocument) -> None:
    text, button = st.columns([4, 1.3], vertical_alignment="center")
    cancelled = "　:red-badge[已撤销]" if document.status == DocumentStatus.CANCELLED else ""
    text.markdown(f":green-badge[可下载] **{md_escape(document.case_number)}**　"
                  f"《{md_escape(document.title)}》{md_escape(document.number)}{cancelled}  \n"
                  f":gray[:small[出具于{clock.show(document.issued_at)}]]")
    button.download_button("下载", data=functools.partial(blobs.get, document.sha256),
                           file_name=f"{document.case_number}-{document.title}.pdf", mime="application/pdf",
                           key=f"todo-doc-{document.number}-{document.sha256[:8]}", on_click="ignore",
                           icon=":material/download:", width="stretch")
