"""A. 保安服务公司法定代表人变更: change of a security service company's legal representative."""

from __future__ import annotations

from flows.filing.schema import (
    SECURITY_COMPANY,
    Certificate,
    ColType,
    Column,
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
    YearsRule,
)
from flows.kinds.common import (
    contact_questions,
    id_card_reads,
    licence_reads,
    person_questions,
    security_licence_reads,
)

S_COMPANY = "公司信息"
S_CURRENT = "现任法定代表人"
S_PROPOSED = "拟任法定代表人"
S_REASON = "变更事由"

FILING = Filing(
    kind="A",
    title="保安服务公司法定代表人变更",
    short_title="法定代表人变更",
    summary="保安服务公司更换法定代表人时办理，经公安机关审核后再到市场监管部门办理变更登记。",
    version=1,
    route=Route(county_confirm=False, province_approval=True),
    sections=(S_COMPANY, S_CURRENT, S_PROPOSED, S_REASON, "联系人"),
    location_field="company_region",
    unit_types=(SECURITY_COMPANY,),
    screening_field="new_rep_id",
    ledger=LedgerEntry(book="representatives", columns=(
        LedgerColumn(label="保安服务许可证号", parts=("{licence_no}",)),
        LedgerColumn(label="原法定代表人", parts=("{current_rep_name}",)),
        LedgerColumn(label="新任法定代表人", parts=("{new_rep_name}",)),
        LedgerColumn(label="决议日期", parts=("{resolution_date}",)),
    )),
    examples={
        "licence_no": "新公保服20150001号", "company_address": "乌鲁木齐市天山区解放北路1号",
        "company_region": Here(county=False),
        "current_rep_name": "王建国", "current_rep_id": Person(n=3),
        "new_rep_name": "赵立新", "new_rep_id": Person(n=4), "new_rep_mobile": "13999100004",
        "new_rep_education": "大学本科",
        "new_rep_history": [{"start": "2005-07-01", "end": "2015-06-30", "employer": "某市公安局",
                             "post": "民警", "qualifying": True}],
        "reason": "原法定代表人因工作调动辞任", "resolution_date": Days(days=-3),
    },
    result_document="审核意见书",
    refusal_title="不予通过决定书",
    refusal_verb="不予通过",
    certificate=Certificate(
        doc_type="review_document", title="保安服务公司变更法定代表人审核意见书", issuer="province", addressed=True,
        number_label="文号", unit_label="公司名称", matter_label="审核事项", date_label="审核日期",
        result="同意变更",
        body=(
            "你公司申请将法定代表人由{current_rep_name}变更为{new_rep_name}（办件编号：{case_number}）。"
            "经审核，拟任法定代表人{new_rep_name}符合《保安服务管理条例》第八条规定的条件。根据《保安服务管理条例》"
            "第十二条第三款的规定，同意你公司变更法定代表人。",
        ),
        closing=(
            "请你公司持本意见书到市场监督管理部门办理法定代表人变更登记；变更登记后，"
            "持变更后的营业执照申请变更保安服务许可证上载明的法定代表人。",
        ),
        rows=(
            DetailRow(label="保安服务许可证编号", answer="licence_no"),
            DetailRow(label="原法定代表人", answer="current_rep_name"),
            DetailRow(label="拟任法定代表人", answer="new_rep_name"),
            DetailRow(label="拟任法定代表人身份证号码", answer="new_rep_id", show="masked_id"),
        ),
    ),
    instructions=Instructions(
        who="经公安机关许可设立的保安服务公司，拟变更法定代表人的，应当在办理市场监管变更登记前申请审核。",
        when="在股东会或董事会作出变更决议后、到市场监管部门办理变更登记之前提出申请。",
        materials_note=(
            "需上传：变更申请书（加盖公司公章）；股东会或董事会决议；拟任法定代表人居民身份证（正反面）；"
            "拟任法定代表人个人简历；5年以上军队、公安、国家安全、审判、检察、司法行政或者治安保卫、"
            "保安经营管理工作经历的证明；保安服务许可证；营业执照。文件可为PDF或JPG、PNG图片，每个不超过10MB。"
        ),
        process=(
            "网上提交后，由公司所在州、市、地公安局受理、审核并上报意见，"
            "再由自治区公安厅受理、审核并作出决定（由治安管理总队承办）。材料不齐的，公安机关会一次性告知需要补正的全部内容。"
            "系统会对拟任法定代表人进行自动比对，比对的情况有：刑事犯罪前科、收容收教、强制戒毒（含强制隔离戒毒）、"
            "网上逃犯、肇事肇祸精神病人。比对结果仅供公安机关审核使用，不向申请单位显示。"
        ),
        time_limit=(
            "州、市、地公安机关自材料收齐并符合法定条件之日起5个工作日内完成审核；"
            "自治区公安厅（治安管理总队承办）自收到上报意见之日起5个工作日内完成审批。"
        ),
        result=("审核同意后，公司可在“我的办件”中下载审核意见书，持审核意见书到市场监管部门办理法定代表人变更登记，"
                "再申请变更保安服务许可证上载明的法定代表人。不予通过的，会收到不予通过决定书。"),
        basis="《保安服务管理条例》第八条、第十二条第三款；《公安机关实施保安服务管理条例办法》第三条。",
        faq=(
            ("拟任法定代表人需要什么条件？",
             "拟任法定代表人应当具有5年以上军队、公安、国家安全、审判、检察、司法行政或者治安保卫、保安经营管理"
             "工作经历，且无被刑事处罚、劳动教养、收容教育、强制隔离戒毒或者被开除公职、开除军籍等不良记录。"),
            ("申请书需要盖章吗？", "需要。变更申请书须由公司加盖公章，并由现任法定代表人签字后扫描或拍照上传。"),
        ),
    ),
    questions=(
        Question(id="company_name", section=S_COMPANY, label="公司名称", type=QType.TEXT, prefill="unit.name"),
        Question(id="company_uscc", section=S_COMPANY, label="统一社会信用代码", type=QType.USCC,
                 prefill="unit.credit_code"),
        Question(id="licence_no", section=S_COMPANY, label="保安服务许可证编号", type=QType.TEXT,
                 hint="见保安服务许可证右上角", example="新公保服20150001号", max_length=40),
        Question(id="company_address", section=S_COMPANY, label="公司住所（地址）", type=QType.TEXT,
                 hint="与营业执照上的住所一致", max_length=120),
        Question(id="company_region", section=S_COMPANY, label="公司所在州、市、地", type=QType.REGION,
                 county=False, hint="决定由哪个州、市、地公安局受理"),
        *person_questions("current_rep", S_CURRENT, "现任法定代表人", mobile=False),
        *person_questions("new_rep", S_PROPOSED, "拟任法定代表人"),
        Question(id="new_rep_education", section=S_PROPOSED, label="拟任法定代表人文化程度", type=QType.CHOICE,
                 options=("研究生", "大学本科", "大学专科", "高中或中专", "初中及以下")),
        Question(
            id="new_rep_history", section=S_PROPOSED, label="拟任法定代表人工作经历", type=QType.ROSTER,
            min_rows=1, roster_rule=YearsRule(years=5, start="start", end="end", flag="qualifying"), row_unit="段",
            hint="按时间顺序逐段填写。在军队、公安、国家安全、审判、检察、司法行政或治安保卫、保安经营管理"
                 "岗位工作的时段，请在“是否符合条件”一栏选“是”；合计应满5年。",
            columns=(
                Column(id="start", label="起始日期", type=ColType.DATE),
                Column(id="end", label="截止日期", type=ColType.DATE, hint="至今的填今天的日期"),
                Column(id="employer", label="工作单位", max_length=60),
                Column(id="post", label="职务或岗位", max_length=40),
                Column(id="qualifying", label="是否符合条件", type=ColType.YES_NO),
            ),
        ),
        Question(id="reason", section=S_REASON, label="变更原因", type=QType.LONG_TEXT, max_length=500,
                 hint="简要说明为什么变更法定代表人"),
        Question(id="resolution_date", section=S_REASON, label="股东会或董事会决议日期", type=QType.DATE,
                 window=DateWindow(rule="not_after_today_plus", days=0,
                                   warning="决议日期晚于今天。请核对：应填写已经作出决议的日期。")),
        *contact_questions(),
    ),
    materials=(
        Material(id="application_letter", label="变更申请书", hint="加盖公司公章，现任法定代表人签字", sealed=True),
        Material(id="resolution", label="股东会或董事会决议", sealed=True),
        Material(id="new_rep_id_card", label="拟任法定代表人居民身份证（正反面）", allowed=("pdf", "jpeg", "png"),
                 reads=(id_card_reads("new_rep_id", "new_rep_name"),)),
        Material(id="new_rep_cv", label="拟任法定代表人个人简历"),
        Material(id="work_proof", label="5年以上相关工作经历证明", hint="原工作单位出具的证明或档案材料"),
        Material(id="security_licence", label="保安服务许可证",
                 reads=(security_licence_reads("licence_no", "company_name"),)),
        Material(id="business_licence", label="营业执照",
                 reads=(licence_reads("company_uscc", "company_name"),)),
        Material(id="other", label="其他材料", required=False),
    ),
)
