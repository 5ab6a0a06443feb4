"""C. 自行招用保安员单位备案: filing of a unit that recruits its own guards."""

from __future__ import annotations

from flows.filing.schema import (
    SELF_RECRUITING,
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
    When,
)
from flows.kinds.common import (
    EXAMPLE_GUARDS,
    contact_questions,
    guard_roster,
    licence_reads,
    person_questions,
)

S_UNIT = "单位信息"
S_PEOPLE = "单位负责人"
S_AREA = "守护区域"
S_GUARDS = "保安员"

UNIT_TYPES: tuple[str, ...] = ("机关", "团体", "企业", "事业单位", "物业服务企业")

FILING = Filing(
    kind="C",
    title="自行招用保安员单位备案",
    short_title="自行招用保安员单位备案",
    summary="机关、团体、企业、事业单位和物业服务企业自己招用保安员的，开始保安服务后30日内备案。",
    version=1,
    route=Route(county_confirm=True, province_approval=False),
    sections=(S_UNIT, S_PEOPLE, S_AREA, S_GUARDS, "联系人"),
    location_field="unit_region",
    unit_types=(SELF_RECRUITING,),
    result_document="备案证明",
    ledger=LedgerEntry(book="current", headcount="guards", columns=(
        LedgerColumn(label="服务期限", parts=("{service_start} 起",)),
        LedgerColumn(label="服务区域", parts=("{area_address}", "（{area_size}）")),
    )),
    baseline_names=("自行招用", "自行招用保安员单位"),
    examples={
        "unit_type": "物业服务企业", "unit_region": Here(), "unit_address": "幸福路6号",
        "principal_name": "刘芳", "principal_id": Person(n=6), "principal_mobile": "13999100006",
        "deputy_name": "陈刚", "deputy_id": Person(n=7), "deputy_mobile": "13999100007",
        "property_project": "幸福家园小区", "area_description": "小区共12栋住宅楼，设东、西两个出入口",
        "area_address": "乌鲁木齐市天山区幸福路6号", "area_size": "约3.5万平方米", "service_start": Days(days=-10),
        "guards": EXAMPLE_GUARDS,
    },
    certificate=Certificate(
        doc_type="filing_certificate", title="备案证明", issuer="prefecture",
        body=("{unit_name}自行招用保安员的备案材料收悉。经审核，依照《保安服务管理条例》"
              "第十四条的规定，予以备案。特此证明。",),
        rows=(
            DetailRow(label="单位类型", answer="unit_type"),
            DetailRow(label="单位地址", answer="unit_region", show="place", address="unit_address"),
            DetailRow(label="物业项目名称", answer="property_project"),  # printed for a property company only
            DetailRow(label="守护区域地址", answer="area_address"),
            DetailRow(label="守护区域面积", answer="area_size"),
            DetailRow(label="开始保安服务日期", answer="service_start", show="date"),
            DetailRow(label="保安员人数", answer="guards", show="count"),
        ),
        footer="自行招用保安员单位不再招用保安员进行保安服务的，应当自停止保安服务之日起30日内到原备案机关撤销备案。",
    ),
    instructions=Instructions(
        who="自行招用保安员、在本单位范围内开展门卫、巡逻、守护等保安服务的机关、团体、企业、事业单位和物业服务企业。",
        when="应当自开始保安服务之日起30日内，向所在地州、市、地公安机关备案。",
        materials_note=(
            "需上传：法人资格证明（营业执照或事业单位法人证书等）；保安服务管理制度；岗位责任制度；"
            "保安员管理制度；保安员岗位职责。文件可为PDF或JPG、PNG图片，每个不超过10MB。"
            "法定代表人（主要负责人）、分管负责人和保安员的基本情况、守护区域情况在对话中填写，不必另交材料。"
        ),
        process=(
            "网上提交后，先由单位所在地县（市、区）公安机关确认，再由州、市、地公安局受理、审核并备案。"
            "材料不齐的，公安机关会一次性告知需要补正的全部内容，您改正后在网上重新提交即可，不必跑现场。"
        ),
        time_limit="州、市、地公安机关自材料收齐并符合法定条件之日起5个工作日内完成备案（含县级公安机关确认时间）。",
        result="备案通过后，可在“我的办件”中下载备案证明。停止自行招用保安员的，应在30日内办理撤销备案。",
        basis="《保安服务管理条例》第十四条；《公安机关实施保安服务管理条例办法》第四条。",
        faq=(
            ("保安员名单怎么填？",
             "在对话中的表格里逐行填写每名保安员的姓名、身份证号码、保安员证编号（没有可不填）和手机号码；"
             "人数多时可以下载Excel模板，填好后上传。"),
            ("制度文件需要盖章吗？", "各项制度文件应加盖单位公章后扫描或拍照上传。"),
            ("超过30日还能备案吗？", "可以。超过30日仍可提交备案，系统会提示审核人员，请尽快办理。"),
        ),
    ),
    questions=(
        Question(id="unit_name", section=S_UNIT, label="单位名称", type=QType.TEXT, prefill="unit.name"),
        Question(id="unit_uscc", section=S_UNIT, label="统一社会信用代码", type=QType.USCC,
                 prefill="unit.credit_code"),
        Question(id="unit_type", section=S_UNIT, label="单位类型", type=QType.CHOICE, options=UNIT_TYPES),
        Question(id="unit_region", section=S_UNIT, label="单位所在地", type=QType.REGION,
                 hint="先选州、市、地，再选县（市、区）；决定由哪个公安机关办理"),
        Question(id="unit_address", section=S_UNIT, label="单位详细地址", type=QType.TEXT, max_length=120,
                 in_region="unit_region", hint="上一步已选所在地，从街道、路名和门牌号写起即可"),
        *person_questions("principal", S_PEOPLE, "法定代表人（主要负责人）"),
        *person_questions("deputy", S_PEOPLE, "分管保安工作的负责人"),
        Question(id="property_project", section=S_AREA, label="所服务的物业项目名称", type=QType.TEXT, max_length=80,
                 hint="物业服务企业请填写保安员所在的物业项目（小区、写字楼等）", example="幸福家园小区",
                 when=When(field="unit_type", equals="物业服务企业")),
        Question(id="area_description", section=S_AREA, label="守护区域基本情况", type=QType.LONG_TEXT,
                 max_length=500, hint="例如：小区共12栋住宅楼，设东、西两个出入口，配监控室一处",
                 example="小区共12栋住宅楼，设东、西两个出入口，配监控室一处"),
        Question(id="area_address", section=S_AREA, label="守护区域地址", type=QType.TEXT, max_length=120),
        Question(id="area_size", section=S_AREA, label="守护区域面积", type=QType.TEXT, max_length=40,
                 example="约3.5万平方米"),
        Question(id="service_start", section=S_GUARDS, label="开始保安服务的日期", type=QType.DATE,
                 future_refused="开始保安服务的日期不能晚于今天：本备案在开始保安服务之日起30日内办理。"
                                "尚未开始的，请在开始后再申请。",
                 window=DateWindow(rule="within_days_after", days=30,
                                   warning="自行招用保安员的单位应当自开始保安服务之日起30日内备案，"
                                           "您已超过30日。仍可继续提交，审核人员会看到逾期提示。")),
        guard_roster("guards", S_GUARDS, certificate_required=False),
        *contact_questions(),
    ),
    materials=(
        Material(id="legal_person_proof", label="法人资格证明", hint="营业执照、事业单位法人证书或社会团体法人登记证书",
                 reads=(licence_reads("unit_uscc", "unit_name"),)),
        Material(id="service_rules", label="保安服务管理制度", sealed=True),
        Material(id="post_rules", label="岗位责任制度", sealed=True),
        Material(id="guard_rules", label="保安员管理制度", sealed=True),
        Material(id="guard_duties", label="保安员岗位职责", sealed=True),
        Material(id="other", label="其他材料", required=False),
    ),
)
