"""B. 保安服务公司跨省（自治区、直辖市）提供服务备案: cross-province service filing."""

from __future__ import annotations

from flows.filing.schema import (
    SECURITY_COMPANY,
    Certificate,
    DateWindow,
    Days,
    DetailRow,
    Filing,
    Here,
    Instructions,
    LedgerColumn,
    LedgerEntry,
    Material,
    Person,
    QType,
    Question,
    Route,
)
from flows.kinds.common import (
    EXAMPLE_GUARDS,
    PROVINCES,
    SERVICE_KINDS,
    contact_questions,
    guard_roster,
    licence_reads,
    person_questions,
    security_licence_reads,
)

S_COMPANY = "公司信息"
S_CLIENT = "服务对象"
S_SERVICE = "服务内容"
S_LEAD = "项目负责人"
S_GUARDS = "派驻保安员"

FILING = Filing(
    kind="B",
    title="保安服务公司跨省（自治区、直辖市）提供服务备案",
    short_title="跨省提供服务备案",
    summary="外省（区、市）的保安服务公司派保安员到本区提供服务时，在开始服务前向服务所在地公安机关备案。",
    version=1,
    route=Route(county_confirm=True, province_approval=False),
    sections=(S_COMPANY, S_CLIENT, S_SERVICE, S_LEAD, S_GUARDS, "联系人"),
    location_field="service_region",
    unit_types=(SECURITY_COMPANY,),
    result_document="备案证明",
    ledger=LedgerEntry(book="current", headcount="guards", columns=(
        LedgerColumn(label="服务期限", parts=("{contract_start} 至 {contract_end}",)),
        LedgerColumn(label="服务区域", parts=("{service_region}{service_address}",
                                              "（客户单位：{client_name}；{service_kinds}）")),
    )),
    baseline_names=("跨省", "保安服务公司"),
    examples={
        "licence_no": "豫公保服20120008号", "licence_province": "河南省", "home_province": "河南省",
        "client_name": "新疆某能源有限公司", "client_uscc": "9144030071526726XG",
        "service_region": Here(), "service_address": "某路8号", "service_kinds": ["门卫", "巡逻"],
        "contract_start": Days(days=10), "contract_end": Days(days=375),
        "lead_name": "周明", "lead_id": Person(n=5), "lead_mobile": "13999100005", "guards": EXAMPLE_GUARDS,
    },
    certificate=Certificate(
        doc_type="filing_certificate", title="备案证明", issuer="prefecture",
        body=("{unit_name}派出保安员跨省（自治区、直辖市）提供保安服务的备案材料收悉。"
              "经审核，依照《保安服务管理条例》第二十三条和《公安机关实施保安服务管理条例办法》第二十六条的规定，"
              "予以备案。特此证明。",),
        rows=(
            DetailRow(label="保安服务许可证编号", answer="licence_no"),
            DetailRow(label="许可证发证机关所在省份", answer="licence_province"),
            DetailRow(label="客户单位", answer="client_name"),
            DetailRow(label="服务地点", answer="service_region", show="place", address="service_address"),
            DetailRow(label="服务类型", answer="service_kinds", show="list"),
            DetailRow(label="服务期限", answer="contract_start", show="period", until="contract_end"),
            DetailRow(label="项目负责人", answer="lead_name"),
            DetailRow(label="派驻保安员人数", answer="guards", show="count"),
        ),
        footer="本证明仅证明上述单位跨省（自治区、直辖市）提供保安服务的事项已经备案；备案单位应当接受备案地公安机关的监督管理。",
    ),
    instructions=Instructions(
        who="经其他省（自治区、直辖市）公安机关许可的保安服务公司，派出保安员到本区为客户单位提供保安服务的。",
        when="应当在开始提供保安服务之前（之前30个工作日内）备案（《公安机关实施保安服务管理条例办法》第二十六条）。",
        materials_note=(
            "需上传：保安服务许可证和营业执照；与客户单位签订的保安服务合同；项目负责人及保安员基本情况"
            "（可不上传，系统会根据您填写的名单生成）。文件可为PDF或JPG、PNG图片，每个不超过10MB。"
        ),
        process=(
            "网上提交后，先由服务所在地县（市、区）公安机关确认，再由州、市、地公安局受理、审核并备案。"
            "材料不齐的，公安机关会一次性告知需要补正的全部内容。"
        ),
        time_limit="州、市、地公安机关自材料收齐并符合法定条件之日起5个工作日内完成备案（含县级公安机关确认时间）。",
        result="备案通过后，可在“我的办件”中下载备案证明。备案证明带有验证码和二维码，任何人可在线核验真伪。",
        basis="《保安服务管理条例》第二十三条；《公安机关实施保安服务管理条例办法》第四条、第二十六条。",
        faq=(
            ("保安员名单怎么填？",
             "在对话中的表格里逐行填写每名派驻保安员的姓名、身份证号码、保安员证编号和手机号码；"
             "人数多时可以下载Excel模板，填好后上传。"),
            ("服务合同需要盖章吗？", "需要。请上传双方签字盖章后的合同扫描件。"),
        ),
    ),
    questions=(
        Question(id="company_name", section=S_COMPANY, label="公司名称", type=QType.TEXT, prefill="unit.name"),
        Question(id="company_uscc", section=S_COMPANY, label="统一社会信用代码", type=QType.USCC,
                 prefill="unit.credit_code"),
        Question(id="licence_no", section=S_COMPANY, label="保安服务许可证编号", type=QType.TEXT, max_length=40),
        Question(id="licence_province", section=S_COMPANY, label="保安服务许可证发证机关所在省份",
                 type=QType.CHOICE, options=PROVINCES),
        Question(id="home_province", section=S_COMPANY, label="公司注册地所在省份", type=QType.CHOICE,
                 options=PROVINCES, choice_rule="other_province"),
        Question(id="client_name", section=S_CLIENT, label="客户单位名称", type=QType.TEXT, max_length=80),
        Question(id="client_uscc", section=S_CLIENT, label="客户单位统一社会信用代码", type=QType.USCC),
        Question(id="service_region", section=S_SERVICE, label="服务所在地", type=QType.REGION,
                 hint="先选州、市、地，再选县（市、区）；决定由哪个公安机关办理"),
        Question(id="service_address", section=S_SERVICE, label="服务地点详细地址", type=QType.TEXT,
                 max_length=120, in_region="service_region",
                 hint="上一步已选所在地，从街道、路名和门牌号写起即可"),
        Question(id="service_kinds", section=S_SERVICE, label="服务类型", type=QType.MULTI_CHOICE,
                 options=SERVICE_KINDS),
        Question(id="contract_start", section=S_SERVICE, label="合同约定的服务开始日期", type=QType.DATE,
                 window=DateWindow(rule="before_submission",
                                   warning="跨省提供保安服务应当在开始服务之前备案，您填写的开始日期已过。"
                                           "仍可继续提交，审核人员会看到这一提示。")),
        Question(id="contract_end", section=S_SERVICE, label="合同约定的服务结束日期", type=QType.DATE,
                 not_before="contract_start"),
        *person_questions("lead", S_LEAD, "项目负责人"),
        guard_roster("guards", S_GUARDS, certificate_required=True),
        *contact_questions(),
    ),
    materials=(
        Material(id="licences", label="保安服务许可证和营业执照", hint="两证可合并为一个PDF，或分别拍照",
                 reads=(licence_reads("company_uscc", "company_name"),
                        security_licence_reads("licence_no", "company_name"))),
        Material(id="contract", label="保安服务合同", hint="双方签字盖章后的扫描件", sealed=True),
        Material(id="roster_doc", label="项目负责人及保安员基本情况", required=False,
                 hint="可不上传：系统会根据您填写的名单生成"),
        Material(id="other", label="其他材料", required=False),
    ),
)
