"""办事指南 (public): one guide per business, from the same definitions the assistant shows and answers from."""

from __future__ import annotations

import streamlit as st

from flows.config import get_config
from flows.kinds import all_filings
from ui import guide_view as view
from ui import registry
from ui.layout import public_page_setup, set_feedback_context

account = public_page_setup("service_guide")
filings = all_filings()
wanted = st.query_params.get("kind")
default = filings[wanted].short_title if wanted in filings else None
set_feedback_context(step="办事指南", kind=wanted if wanted in filings else "")

st.title("办事指南")
st.write("保安服务公司和自行招用保安员的单位，可按以下指南在网上办理。"
         "办理过程中有办理助手一步一步引导，也可以随时向办理助手提问。")

tabs = st.tabs([f.short_title for f in filings.values()], default=default)
for tab, filing in zip(tabs, filings.values(), strict=True):
    with tab:
        view.guide(filing)
        st.page_link(registry.page("assistant").file, label=f"开始办理：{filing.short_title}", icon=":material/edit_note:")

st.divider()
config = get_config()
st.subheader("咨询电话")
st.caption(f"办理中遇到问题，可咨询所在州、市、地公安机关治安管理支队，或{config.corps}。")
st.table(view.contacts_table(config), hide_index=True)
