"""E. 保安服务公司设立分公司备案: a security service company files the branch office it sets up.

Basis: 《保安服务管理条例》第十二条第二款 — a security service company that sets up a branch files with
the public security organ of the districted city (设区的市级, here the 州、市、地) where the branch is,
providing the head office's 保安服务许可证 and business licence, and the basic information of the head
office's legal representative, the branch's head (负责人) and its guards; 《公安机关实施保安服务管理条例办法》
第四条 puts the filing with that prefecture-level organ. The law names no county step and no time limit;
as the issue asks for a route the law leaves open, it takes the route of the other filings with a
prefecture (B, C): the county where the branch is confirms, the prefecture accepts, reviews and files.
"""

from __future__ import annotations

from flows.filing.schema import (
    SECURITY_COMPANY,
    Certificate,
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
    SERVICE_KINDS,
    contact_questions,
    guard_roster,
    id_card_reads,
    licence_reads,
    person_questions,
    security_licence_reads,
)

S_COMPANY = "总公司信息"
S_REPRESENTATIVE = "总公司法定代表人"
S_BRANCH = "分公司信息"
S_HEAD = "分公司负责人"
S_GUARDS = "分公司保安员"

FILING = Filing(
    kind="E",
    title="保安服务公司设立分公司备案",
    short_title="设立分公司备案",
    summary="保安服务公司设立分公司的，向分公司所在地州、市、地公安机关备案。",
    version=1,
    route=Route(county_confirm=True, province_approval=False),
    sections=(S_COMPANY, S_REPRESENTATIVE, S_BRANCH, S_HEAD, S_GUARDS, "联系人"),
    location_field="branch_region",
    unit_types=(SECURITY_COMPANY,),
    result_document="备案证明",
    certificate=Certificate(
        doc_type="filing_certificate", title="备案证明", issuer="prefecture",
        body=("{unit_name}设立分公司（{branch_name}）的备案材料收悉。经审核，依照《保安服务管理条例》"
              "第十二条第二款和《公安机关实施保安服务管理条例办法》第四条的规定，予以备案。特此证明。",),
        rows=(
            DetailRow(label="总公司保安服务许可证编号", answer="licence_no"),
            DetailRow(label="总公司法定代表人", answer="rep_name"),
            DetailRow(label="分公司名称", answer="branch_name"),
            DetailRow(label="分公司统一社会信用代码", answer="branch_uscc"),
            DetailRow(label="分公司地址", answer="branch_region", show="place", address="branch_address"),
            DetailRow(label="分公司成立日期", answer="branch_founded", show="date"),
            DetailRow(label="经营的保安服务", answer="service_kinds", show="list"),
            DetailRow(label="分公司负责人", answer="head_name"),
            DetailRow(label="分公司保安员人数", answer="guards", show="count"),
        ),
        footer="本证明仅证明上述保安服务公司设立分公司的事项已经备案；分公司应当接受所在地公安机关的监督管理。",
    ),
    instructions=Instructions(
        who="经公安机关许可的保安服务公司，在本区设立分公司的（总公司在区内或区外均可）。",
        when="分公司设立后向分公司所在地州、市、地公安机关备案；法规未规定期限，请在分公司开展保安服务前办理。",
        materials_note=(
            "需上传：总公司的保安服务许可证和营业执照；分公司负责人的居民身份证；分公司营业执照（已领取的）。"
            "总公司法定代表人、分公司负责人和保安员的基本情况可不上传，系统会根据您填写的内容生成。"
            "文件可为PDF或JPG、PNG图片，每个不超过10MB。"
        ),
        process=(
            "网上提交后，先由分公司所在地县（市、区）公安机关确认，再由州、市、地公安局受理、审核并备案。"
            "材料不齐的，公安机关会一次性告知需要补正的全部内容。"
        ),
        time_limit="州、市、地公安机关自材料收齐并符合法定条件之日起5个工作日内完成备案（含县级公安机关确认时间）。",
        result="备案办结后，可在“我的办件”中下载备案证明。备案证明带有验证码和二维码，任何人可在线核验真伪。",
        basis="《保安服务管理条例》第十二条第二款；《公安机关实施保安服务管理条例办法》第四条。",
        faq=(
            ("总公司在外省，可以办理吗？", "可以。由分公司所在地的州、市、地公安机关备案，与总公司在哪里无关。"),
            ("分公司的保安员名单怎么填？",
             "在对话中的表格里逐行填写每名保安员的姓名、身份证号码、保安员证编号和手机号码；"
             "人数多时可以下载Excel模板，填好后上传。"),
        ),
    ),
    questions=(
        Question(id="company_name", section=S_COMPANY, label="总公司名称", type=QType.TEXT, prefill="unit.name"),
        Question(id="company_uscc", section=S_COMPANY, label="总公司统一社会信用代码", type=QType.USCC,
                 prefill="unit.credit_code"),
        Question(id="licence_no", section=S_COMPANY, label="总公司保安服务许可证编号", type=QType.TEXT,
                 hint="见保安服务许可证右上角", example="新公保服20150001号", max_length=40),
        *person_questions("rep", S_REPRESENTATIVE, "总公司法定代表人", mobile=False),
        Question(id="branch_name", section=S_BRANCH, label="分公司名称", type=QType.TEXT, max_length=80,
                 hint="与分公司营业执照上的名称一致"),
        Question(id="branch_uscc", section=S_BRANCH, label="分公司统一社会信用代码", type=QType.USCC,
                 hint="见分公司营业执照", differs_from="company_uscc",
                 differs_message="填写的是总公司的统一社会信用代码。分公司领取营业执照时另有自己的统一社会信用代码，"
                                 "请按分公司营业执照填写。"),
        Question(id="branch_region", section=S_BRANCH, label="分公司所在地", type=QType.REGION,
                 hint="先选州、市、地，再选县（市、区）；决定由哪个公安机关办理"),
        Question(id="branch_address", section=S_BRANCH, label="分公司详细地址", type=QType.TEXT, max_length=120,
                 in_region="branch_region", hint="上一步已选所在地，从街道、路名和门牌号写起即可"),
        Question(id="branch_founded", section=S_BRANCH, label="分公司成立日期", type=QType.DATE,
                 hint="分公司营业执照上的成立日期",
                 future_refused="分公司成立日期不能晚于今天：请填写分公司营业执照上的成立日期。"),
        Question(id="service_kinds", section=S_BRANCH, label="分公司经营的保安服务",
                 type=QType.MULTI_CHOICE, options=SERVICE_KINDS),
        *person_questions("head", S_HEAD, "分公司负责人"),
        guard_roster("guards", S_GUARDS, certificate_required=True),
        *contact_questions(),
    ),
    materials=(
        Material(id="licences", label="总公司保安服务许可证和营业执照", hint="两证可合并为一个PDF，或分别拍照",
                 reads=(licence_reads("company_uscc", "company_name"),
                        security_licence_reads("licence_no", "company_name"))),
        Material(id="head_id_card", label="分公司负责人居民身份证（正反面）",
                 reads=(id_card_reads("head_id", "head_name"),)),
        Material(id="branch_licence", label="分公司营业执照", required=False, hint="已领取的请上传",
                 reads=(licence_reads("branch_uscc", "branch_name"),)),
        Material(id="people_doc", label="总公司法定代表人、分公司负责人和保安员基本情况", required=False,
                 hint="可不上传：系统会根据您填写的内容生成"),
        Material(id="other", label="其他材料", required=False),
    ),
    ledger=LedgerEntry(book="current", headcount="guards", columns=(
        LedgerColumn(label="分公司名称", parts=("{branch_name}",)),
        LedgerColumn(label="分公司统一社会信用代码", parts=("{branch_uscc}",)),
        LedgerColumn(label="分公司成立日期", parts=("{branch_founded}",)),
        LedgerColumn(label="服务区域", parts=("{branch_region}{branch_address}", "（{service_kinds}）")),
    )),
    examples={
        "licence_no": "新公保服20150001号", "rep_name": "王建国", "rep_id": Person(n=3),
        "branch_name": "新疆盾安保安服务有限公司天山分公司", "branch_uscc": "91650100MA77TEB291",
        "branch_region": Here(), "branch_address": "光明路18号", "branch_founded": Days(days=-7),
        "service_kinds": ["门卫", "巡逻", "守护"],
        "head_name": "孙海涛", "head_id": Person(n=5), "head_mobile": "13999100008", "guards": EXAMPLE_GUARDS,
    },
)
