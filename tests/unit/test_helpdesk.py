"""The helpdesk answers questions in the applicant's own words by quoting the instructions, offline."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.config import get_config
from flows.filing.helpdesk import (
    FIELD_LABELS,
    Helpdesk,
    InstructionIndex,
    Passage,
    Reply,
    filing_passages,
    get_helpdesk,
)
from flows.kinds import all_filings, get_filing

C_BOOK = "《自行招用保安员单位备案网上操作须知》"


@pytest.fixture(scope="module")
def helpdesk() -> Helpdesk:
    return get_helpdesk()


def ask(helpdesk: Helpdesk, question: str, kind: str | None = None, region_code: str | None = None) -> Reply:
    return helpdesk.answer(question, kind=kind, region_code=region_code)


def test_asking_whether_a_stamp_is_needed_quotes_the_faq_on_stamping_rules_documents(helpdesk: Helpdesk) -> None:
    reply = ask(helpdesk, "需要盖章吗?", kind="C")
    assert reply.passage is not None
    assert reply.passage.source == f"{C_BOOK}·常见问题"
    assert "制度文件需要盖章吗" in reply.passage.text
    assert reply.text == f"根据{C_BOOK}·常见问题：“{reply.passage.text}”"
    assert "加盖单位公章" in reply.text


def test_the_same_stamp_question_in_the_cross_province_filing_is_about_the_contract(helpdesk: Helpdesk) -> None:
    reply = ask(helpdesk, "需要盖章吗？", kind="B")
    assert reply.passage is not None and reply.passage.kind == "B"
    assert "服务合同需要盖章吗" in reply.text


def test_asking_how_to_fill_the_roster_quotes_the_roster_faq(helpdesk: Helpdesk) -> None:
    reply = ask(helpdesk, "保安员名单怎么填")
    assert reply.passage is not None
    assert reply.passage.source.endswith("·常见问题")
    assert "保安员名单怎么填" in reply.text
    assert "Excel模板" in reply.text


def test_asking_how_long_it_takes_quotes_the_time_limit(helpdesk: Helpdesk) -> None:
    reply = ask(helpdesk, "多久能办好", kind="C")
    assert reply.passage is not None
    assert reply.passage.source == f"{C_BOOK}·办理时限"
    assert "5个工作日内" in reply.text


def test_asking_how_long_without_a_filing_still_finds_a_time_limit(helpdesk: Helpdesk) -> None:
    reply = ask(helpdesk, "多久能办好")
    assert reply.passage is not None
    assert reply.passage.source.endswith("·办理时限")


def test_asking_about_more_than_30_days_quotes_the_late_filing_faq(helpdesk: Helpdesk) -> None:
    reply = ask(helpdesk, "超过30天了还能备案吗")
    assert reply.passage is not None
    assert reply.passage.source == f"{C_BOOK}·常见问题"
    assert "超过30日还能备案吗" in reply.text
    assert "仍可提交备案" in reply.text


@pytest.mark.parametrize(
    ("question", "kind", "source", "words"),
    [
        ("要交哪些材料", "C", f"{C_BOOK}·所需材料", "保安员管理制度"),
        ("需要带什么资料", "C", f"{C_BOOK}·所需材料", "法人资格证明"),
        ("什么时候办", "C", f"{C_BOOK}·办理时间", "30日内"),
        ("谁需要办这个", "C", f"{C_BOOK}·适用对象", "物业服务企业"),
        ("办完了在哪里下载证明", "C", f"{C_BOOK}·办理结果", "我的办件"),
        ("逾期了怎么办", "C", f"{C_BOOK}·常见问题", "超过30日"),
        ("身份证号码怎么填", "C", f"{C_BOOK}·常见问题", "身份证号码"),
        ("人数多能用表格上传吗", "C", f"{C_BOOK}·常见问题", "Excel模板"),
        ("审核流程是怎样的", "B", "《保安服务公司跨省（自治区、直辖市）提供服务备案网上操作须知》·办理流程", "县（市、区）公安机关确认"),
        ("依据是什么法规", "B", "《保安服务公司跨省（自治区、直辖市）提供服务备案网上操作须知》·办理依据", "第二十三条"),
        ("法定代表人要什么条件", "A", "《保安服务公司法定代表人变更网上操作须知》·常见问题", "5年以上"),
        ("不招保安了怎么办", "D", "《自行招用保安员单位撤销备案网上操作须知》·办理时间", "撤销备案"),
    ],
)
def test_everyday_wording_finds_the_passage_that_answers_it(
    helpdesk: Helpdesk, question: str, kind: str, source: str, words: str
) -> None:
    reply = ask(helpdesk, question, kind=kind)
    assert reply.passage is not None, reply.text
    assert reply.passage.source == source
    assert words in reply.text


@pytest.mark.parametrize(
    "question",
    ["今天天气怎么样", "你好", "附近有什么好吃的", "怎么申请护照", "我想买房子", "驾驶证到期了怎么换",
     "明天会下雨吗", "收费吗", "密码忘了怎么办", "好的谢谢", "保安公司怎么注册", "备案"],
)
def test_a_question_the_instructions_do_not_answer_gets_no_quote_but_a_phone_number(
    helpdesk: Helpdesk, question: str
) -> None:
    reply = ask(helpdesk, question, kind="C")
    assert reply.passage is None
    assert reply.text.startswith("抱歉，办事须知中没有找到与您问题相关的内容。")
    assert get_config().contacts["province"].phone in reply.text


def test_the_weather_question_gives_the_prefecture_office_of_the_applicants_region(helpdesk: Helpdesk) -> None:
    contact = get_config().contact_for("650100")
    reply = ask(helpdesk, "今天天气怎么样", region_code="650100")
    assert reply.passage is None
    assert reply.text == (
        f"抱歉，办事须知中没有找到与您问题相关的内容。您可以拨打{contact.name}电话 {contact.phone} 咨询。"
    )


def test_a_county_code_gives_the_office_of_its_prefecture(helpdesk: Helpdesk) -> None:
    contact = get_config().contact_for("650100")
    reply = ask(helpdesk, "今天天气怎么样", region_code="650102")  # 天山区, in 乌鲁木齐市
    assert f"{contact.name}电话 {contact.phone}" in reply.text


@pytest.mark.parametrize("region_code", [None, "650000", "999999"])
def test_without_a_known_prefecture_the_province_corps_is_named_in_full(
    helpdesk: Helpdesk, region_code: str | None
) -> None:
    config = get_config()
    reply = ask(helpdesk, "今天天气怎么样", region_code=region_code)
    assert f"您可以拨打{config.corps}电话 {config.contacts['province'].phone} 咨询。" in reply.text


def test_an_empty_question_is_met_with_an_example_of_what_to_ask(helpdesk: Helpdesk) -> None:
    reply = ask(helpdesk, "   ")
    assert reply.passage is None
    assert "例如" in reply.text


def test_a_very_long_question_is_still_answered(helpdesk: Helpdesk) -> None:
    reply = ask(helpdesk, "保安员名单怎么填" + "。" * 5000)
    assert reply.passage is not None and "名单" in reply.passage.text


def test_every_instruction_field_and_every_faq_of_every_filing_can_be_quoted() -> None:
    for kind, filing in all_filings().items():
        sources = [p.source for p in filing_passages(filing)]
        book = f"《{filing.title}网上操作须知》"
        for _, label in FIELD_LABELS:
            assert f"{book}·{label}" in sources, (kind, label)
        assert sources.count(f"{book}·常见问题") == len(filing.instructions.faq)


def test_the_faq_passage_keeps_question_and_answer_together() -> None:
    passages = filing_passages(get_filing("C"))
    late = next(p for p in passages if "超过30日还能备案吗" in p.text)
    assert late.text == "问：超过30日还能备案吗？ 答：可以。超过30日仍可提交备案，系统会提示审核人员，请尽快办理。"


def test_the_helpdesk_is_built_once() -> None:
    assert get_helpdesk() is get_helpdesk()


def test_an_index_can_be_built_from_any_passages_so_texts_can_come_from_elsewhere() -> None:
    # The threshold is in BM25 units of the corpus it was tuned on; a two-passage corpus needs its own.
    index = InstructionIndex([
        Passage("X", "《测试须知》·办理时限", "自收到材料之日起3个工作日内办结。"),
        Passage("X", "《测试须知》·所需材料", "需上传营业执照。"),
    ], threshold=1.0)
    reply = index.answer("多久能办好", kind="X", region_code=None)
    assert reply.passage is not None and reply.passage.source == "《测试须知》·办理时限"
    assert reply.text == "根据《测试须知》·办理时限：“自收到材料之日起3个工作日内办结。”"


def test_jiebas_cache_is_kept_owner_only_never_in_the_shared_temp_directory(tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import stat
    import tempfile

    import jieba

    from flows.filing import helpdesk

    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    folder = helpdesk.private_cache_dir()
    assert folder == tmp_path / "data" / "cache" / "jieba"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    os.chmod(folder, 0o777)  # someone opened it up: not used any more
    assert helpdesk.private_cache_dir() != folder
    helpdesk.tokenize("保安服务公司设立许可")  # jieba loaded (or built) its dictionary
    used = Path(str(jieba.dt.tmp_dir))
    assert used != Path(tempfile.gettempdir()) and stat.S_IMODE(used.stat().st_mode) == 0o700
