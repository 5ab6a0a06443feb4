"""Pieces several filings share: contact questions, provinces, service kinds."""

from __future__ import annotations

from flows.filing.schema import ColType, Column, Paper, Person, QType, Question, ReadField, Reads

PROVINCES: tuple[str, ...] = (
    "北京市", "天津市", "河北省", "山西省", "内蒙古自治区", "辽宁省", "吉林省", "黑龙江省",
    "上海市", "江苏省", "浙江省", "安徽省", "福建省", "江西省", "山东省", "河南省", "湖北省",
    "湖南省", "广东省", "广西壮族自治区", "海南省", "重庆市", "四川省", "贵州省", "云南省",
    "西藏自治区", "陕西省", "甘肃省", "青海省", "宁夏回族自治区", "新疆维吾尔自治区",
)

SERVICE_KINDS: tuple[str, ...] = (
    "门卫", "巡逻", "守护", "押运", "随身护卫", "安全检查", "安全技术防范", "安全风险评估",
)

CONTACT_SECTION = "联系人"
ADULT = 18  # 《保安服务管理条例》第十六条: guards are at least 18; so are those who answer for a unit


def contact_questions() -> tuple[Question, ...]:
    """The applicant's contact person, taken from the account and never asked."""
    return (
        Question(id="contact_name", section=CONTACT_SECTION, label="联系人姓名", type=QType.TEXT,
                 prefill="account.contact"),
        Question(id="contact_mobile", section=CONTACT_SECTION, label="联系人手机号码", type=QType.MOBILE,
                 prefill="account.mobile"),
    )


def person_questions(prefix: str, section: str, role: str, *, mobile: bool = True) -> tuple[Question, ...]:
    """Name, ID number and (optionally) mobile of one person."""
    questions = [
        Question(id=f"{prefix}_name", section=section, label=f"{role}姓名", type=QType.TEXT,
                 hint="与居民身份证上的姓名一致", max_length=30),
        Question(id=f"{prefix}_id", section=section, label=f"{role}居民身份证号码", type=QType.ID_NUMBER,
                 hint="18位，最后一位可能是X", example="11010519491231002X", min_age=ADULT,
                 name_question=f"{prefix}_name"),
    ]
    if mobile:
        questions.append(
            Question(id=f"{prefix}_mobile", section=section, label=f"{role}手机号码", type=QType.MOBILE,
                     hint="11位手机号码")
        )
    return tuple(questions)


def guard_roster(qid: str, section: str, *, certificate_required: bool) -> Question:
    """The roster of guards: one row per guard, ID numbers checked and unique."""
    return Question(
        id=qid, section=section, label="保安员名单", type=QType.ROSTER, min_rows=1, unique_column="id_number",
        hint="每行一名保安员。可直接在表格中填写，也可下载Excel模板填好后上传。",
        columns=(
            Column(id="name", label="姓名", max_length=30),
            Column(id="id_number", label="居民身份证号码", type=ColType.ID_NUMBER, min_age=ADULT,
                   min_age_rule="保安员应当年满18周岁，《保安服务管理条例》第十六条"),
            Column(id="certificate_no", label="保安员证编号", required=certificate_required,
                   hint="尚未取得保安员证的可不填" if not certificate_required else "",
                   warn_if_empty=None if certificate_required else
                   "未填写保安员证编号（保安从业单位直接从事保安服务的人员应当持有保安员证，"
                   "《公安机关实施保安服务管理条例办法》第二十四条）"),
            Column(id="mobile", label="手机号码", type=ColType.MOBILE),
        ),
    )


# What the pre-check (智能预审) reads from each paper, and which answers the values must match.
def licence_reads(code_question: str, name_question: str) -> Reads:
    """A business licence (or another legal-person certificate): its credit code and name."""
    return Reads(paper=Paper.BUSINESS_LICENCE, compare=((ReadField.CREDIT_CODE, code_question),
                                                         (ReadField.UNIT_NAME, name_question)))


def id_card_reads(id_question: str, name_question: str) -> Reads:
    """A resident ID card: the number and the name of the person asked about."""
    return Reads(paper=Paper.ID_CARD, compare=((ReadField.ID_NUMBER, id_question),
                                                (ReadField.PERSON_NAME, name_question)))


def security_licence_reads(number_question: str, name_question: str) -> Reads:
    """A 保安服务许可证: its number and the company's name."""
    return Reads(paper=Paper.SECURITY_LICENCE, compare=((ReadField.LICENCE_NUMBER, number_question),
                                                         (ReadField.UNIT_NAME, name_question)))


# Example guards (demo data and tests): one row each, ID numbers those of the first demo people.
EXAMPLE_GUARDS: tuple[dict[str, object], ...] = (
    {"name": "张伟", "id_number": Person(n=0), "certificate_no": "新6501001", "mobile": "13899100001"},
    {"name": "李强", "id_number": Person(n=1), "certificate_no": "新6501002", "mobile": "13899100002"},
    {"name": "阿不都", "id_number": Person(n=2), "certificate_no": "新6501003", "mobile": "13899100003"},
)
