"""The service guide (办事指南) of each filing, drawn from the same definition the assistant uses."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from flows.config import ProvinceConfig
from flows.filing.schema import Filing, QType
from flows.regions import get_regions

FILE_TYPES = {"pdf": "PDF", "jpeg": "JPG", "png": "PNG"}


def route_steps(filing: Filing) -> list[str]:
    """Who does what, in order, for this filing's route."""
    steps = ["申请单位在网上填写信息、上传材料并提交"]
    if filing.route.county_confirm:
        steps.append("所在地县（市、区）公安机关确认（或退回补正）")
    if filing.route.province_approval:
        steps.append("州、市、地公安机关受理、审核，提出意见后报公安厅")
        steps.append("公安厅受理、审批，由治安管理总队承办（通过、不予通过或退回州、市、地公安机关）")
    else:
        steps.append(f"州、市、地公安机关受理、审核并备案（或退回补正、{filing.refusal_verb}）")
    steps.append(f"办结后在“我的办件”中下载{filing.result_document}")
    return steps


def materials_table(filing: Filing) -> pd.DataFrame:
    rows = []
    for material in filing.materials:
        needed = "必交" if material.required and material.when is None else (
            "视情况提交" if material.when is not None else "选交")
        rows.append({"材料名称": material.label, "是否必交": needed, "说明": material.hint or "—",
                     "文件格式": "、".join(FILE_TYPES[t] for t in material.allowed),
                     "大小上限": f"{material.max_mb}MB"})
    return pd.DataFrame(rows)


_SELF_EXPLAINING = frozenset({QType.ID_NUMBER, QType.MOBILE, QType.USCC, QType.PHONE})


def _questions_text(filing: Filing) -> str:
    lines = []
    for section in filing.sections:
        asked = [q for q in filing.questions if q.section == section and q.prefill is None]
        if not asked:
            continue
        parts = []
        for q in asked:
            extra = "" if q.type in _SELF_EXPLAINING else q.hint or (f"例如：{q.example}" if q.example else "")
            if q.type == QType.ROSTER:
                extra = "每人一行：" + "、".join(c.label for c in q.columns)
            parts.append(f"{q.label}（{extra}）" if extra else q.label)
        lines.append(f"- **{section}**：" + "；".join(parts))
    return "\n".join(lines)


def contacts_table(config: ProvinceConfig) -> pd.DataFrame:
    regions = get_regions()
    rows = []
    for code, contact in config.contacts.items():
        if code == "province":
            area = config.province_name
        else:
            try:
                area = regions.get(code).name
            except KeyError:
                area = code
        rows.append({"地区": area, "办公室": contact.name, "咨询电话": contact.phone})
    return pd.DataFrame(rows)


def _section(heading: str, body: str) -> None:
    st.markdown(f"##### {heading}")
    st.markdown(body)


def guide(filing: Filing) -> None:
    """The service guide of one filing, from the same definition the assistant uses."""
    text = filing.instructions
    st.subheader(filing.title)
    st.caption(filing.summary)
    _section("办理对象", text.who)
    _section("办理时间要求", text.when)
    _section("申请材料", text.materials_note)
    st.table(materials_table(filing), hide_index=True)
    _section("网上填写的内容", _questions_text(filing))
    _section("办理流程", "\n".join(f"{n}. {step}" for n, step in enumerate(route_steps(filing), start=1)))
    st.markdown(text.process)
    for heading, body in (("办结时限", text.time_limit), ("办理结果", text.result), ("设定依据", text.basis)):
        _section(heading, body)
    if text.faq:
        st.markdown("##### 常见问题")
        for question, answer in text.faq:
            with st.expander(question):
                st.markdown(answer)
