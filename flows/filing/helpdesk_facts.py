"""Questions the product answers from its own facts before quoting the instructions.

- *Which office, which phone* (「我们公司在阿勒泰，应该找哪个公安局？」): the place named in the question
  (a prefecture or county of the region file, by full or short name) or else the case's own region,
  with the organ names and phone numbers of the configuration.
- *What status, which deadline* (「我的申请到哪一步了？」): the applicant's own case (`CaseFacts`).
- Everything else goes to the instructions index, which quotes a passage with its source or says
  that nothing matched and whom to call.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import cache

from flows.clock import chinese_date
from flows.config import get_config
from flows.errors import DomainError
from flows.filing.helpdesk import Helpdesk, Reply, contact_line, get_helpdesk
from flows.kinds import all_filings
from flows.regions import Region, get_regions

OFFICE = re.compile(r"公安局|公安机关|派出所|分局|支队|哪个部门|哪个单位|哪个机关|找谁|向谁|找哪|去哪|到哪里办|在哪里办|哪里办理|"
                    r"在哪办|归谁管|谁管|谁审|谁负责|电话|联系方式|联系谁|咨询")
STATUS = re.compile(r"进度|状态|到哪|哪一步|什么阶段|审核到|审到|批了没|通过了没|办好了没|办完了没|结果出来|"
                    r"什么时候(能|可以|会)?(办好|办完|办结|出结果|通过|批)|截止|期限|还要多久|还需要多久|多久能办好|"
                    r"我的(申请|办件|案子)")
# Endings a place is also called without (乌鲁木齐市 → 乌鲁木齐, 伊犁哈萨克自治州 → 伊犁).
SUFFIXES = ("哈萨克自治州", "柯尔克孜自治州", "蒙古自治州", "回族自治州", "自治州", "自治县", "地区", "市", "县", "区")


@dataclass(frozen=True)
class CaseFacts:
    """What the helpdesk may say about the applicant's own case."""

    number: str | None  # None: not submitted yet
    stage: str  # e.g. 待县级公安机关确认
    holder: str  # who has it now
    due: date | None = None
    due_estimated: bool = False  # the due date falls in a year whose holiday schedule is not official yet
    time_limit: str = ""  # the route's time limits in one phrase (`flows.review.timelimits.limit_summary`)


def short_name(name: str) -> str:
    for suffix in SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


@cache
def _names() -> tuple[tuple[str, str, Region], ...]:
    """(full name, short name, region) of every prefecture and county."""
    regions = get_regions()
    return tuple((r.name, short_name(r.name), r) for r in (*regions.prefectures(), *regions.all_counties()))


def place_in(question: str) -> Region | None:
    """The prefecture or county a question names, if any; the county when both are named
    (「乌鲁木齐市天山区」), the prefecture when a short name could be either (「阿勒泰」)."""
    full = [r for name, _, r in _names() if name in question]
    short = [r for name, brief, r in _names() if brief != name and brief in question and r not in full]
    counties = [r for r in full if r.level == "county"]
    if counties:
        return counties[0]
    prefectures = [r for r in full if r.level == "prefecture"] or [r for r in short if r.level == "prefecture"]
    named_counties = [r for r in short if r.level == "county"]
    if prefectures:
        inside = [c for c in named_counties if get_regions().prefecture_of(c.code) == prefectures[0]
                  and short_name(c.name) != short_name(prefectures[0].name)]
        return inside[0] if inside else prefectures[0]
    return named_counties[0] if named_counties else None


def _route(kind: str | None) -> tuple[bool, bool]:
    filing = all_filings().get(kind or "")
    if filing is None:
        return True, False  # most filings: county first, then the prefecture
    return filing.route.county_confirm, filing.route.province_approval


def office_answer(question: str, *, kind: str | None, region_code: str | None) -> str | None:
    """Which organ handles it and how to reach it, from the regions and the configuration."""
    if not OFFICE.search(question):
        return None
    config = get_config()
    regions = get_regions()
    place = place_in(question)
    code = place.code if place is not None else region_code
    if not code or code not in regions or code == config.province_code:
        return ("网上提交即可，不用跑腿：办件由单位所在地（跨省服务为服务所在地）的州、市、地公安机关受理。"
                f"请告诉我单位在哪个州、市、地，或查看“办事指南”中的咨询电话。{contact_line(None)}")
    prefecture = regions.prefecture_of(code)
    county = regions.get(code) if regions.get(code).level == "county" else None
    try:
        contact = config.contact_for(prefecture.code)
        phone = f"咨询电话：{contact.name} {contact.phone}。"
    except DomainError:
        phone = contact_line(None)
    county_confirm, province = _route(kind)
    where = regions.full_name(code)
    steps = []
    if county_confirm:
        first = config.organ_for(county.code) if county else f"{prefecture.name}所辖的县（市、区）公安局"
        steps.append(f"先由{first}确认")
    steps.append(f"{'再' if steps else ''}由{config.organ_for(prefecture.code)}受理、审核")
    if province:
        steps.append(f"最后报{config.department}审批（{config.corps}承办）")
    return f"单位在{where}的，网上提交即可，不用跑腿：{'，'.join(steps)}。{phone}"


def status_answer(question: str, facts: CaseFacts | None) -> str | None:
    """Where the applicant's own case is and when it is due."""
    if facts is None or not STATUS.search(question):
        return None
    if facts.number is None:
        limit = f"（{facts.time_limit}）" if facts.time_limit else ""
        return ("您的申请还没有提交。填完全部内容、上传材料并在核对页点击“提交申请”后，"
                f"由公安机关在规定时限内办结{limit}。")
    text = f"您的办件{facts.number}当前状态：{facts.stage}，当前办理：{facts.holder}。"
    if facts.due is not None:
        text += f"办结期限：{chinese_date(facts.due)}{'（预计）' if facts.due_estimated else ''}。"
    return text + "进度变化时会在“我的办件”中通知您。"


class FactsHelpdesk:
    """Own facts first (office, status), then the instructions (`Helpdesk` that quotes passages)."""

    def __init__(self, instructions: Helpdesk) -> None:
        self.instructions = instructions

    def answer(self, question: str, *, kind: str | None, region_code: str | None,
               facts: CaseFacts | None = None) -> Reply:
        asked = question[:500]
        for found in (status_answer(asked, facts), office_answer(asked, kind=kind, region_code=region_code)):
            if found is not None:
                return Reply(None, 0.0, found)
        return self.instructions.answer(question, kind=kind, region_code=region_code)


@cache
def get_assistant_helpdesk() -> FactsHelpdesk:
    """The helpdesk of the assistant's question box, built once."""
    return FactsHelpdesk(get_helpdesk())
