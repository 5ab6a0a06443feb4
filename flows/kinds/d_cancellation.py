"""D. 自行招用保安员单位撤销备案: cancellation of a self-recruiting unit's filing."""

from __future__ import annotations

from flows.filing.schema import (
    SELF_RECRUITING,
    Certificate,
    DateWindow,
    Days,
    DetailRow,
    Filing,
    Instructions,
    LedgerColumn,
    LedgerEntry,
    Material,
    QType,
    Question,
    Referenced,
    Route,
    When,
)
from flows.kinds.common import contact_questions

S_FILING = "撤销事项"

FILING = Filing(
    kind="D",
    title="自行招用保安员单位撤销备案",
    short_title="撤销备案",
    summary="已备案的自行招用保安员单位不再招用保安员的，停止保安服务后30日内撤销备案。",
    version=1,
    route=Route(county_confirm=True, province_approval=False),
    sections=(S_FILING, "联系人"),
    location_field="filing_ref",
    unit_types=(SELF_RECRUITING,),
    result_document="撤销备案证明",
    cancels=("C",),
    ledger=LedgerEntry(book="cancelled", columns=(
        LedgerColumn(label="停止服务日期", parts=("{stop_date}",)),
        LedgerColumn(label="撤销原因", parts=("{reason}", "（{reason_detail}）")),
    )),
    examples={"filing_ref": Referenced(), "stop_date": Days(days=-5), "reason": "改为聘用保安服务公司提供服务"},
    certificate=Certificate(
        doc_type="cancellation_certificate", title="撤销备案证明", issuer="prefecture", cancels_referenced=True,
        number_label="证明编号", unit_label="单位名称", matter_label="撤销事项", date_label="撤销备案日期",
        body=("{unit_name}于{stop_date}停止自行招用保安员进行保安服务，申请撤销自行招用保安员单位备案"
              "（原备案编号：{ref_number}）。经审核，依照《保安服务管理条例》第十四条的规定，准予撤销备案，"
              "原备案自本证明出具之日起失效。特此证明。",),
        rows=(
            DetailRow(label="原备案编号", answer="@ref_number"),
            DetailRow(label="停止保安服务日期", answer="stop_date", show="date"),
            DetailRow(label="撤销原因", answer="reason"),
        ),
    ),
    instructions=Instructions(
        who="已经备案、现在不再自行招用保安员的单位。",
        when="应当自停止保安服务之日起30日内，向原备案的公安机关撤销备案。",
        materials_note="需上传：撤销备案申请书（加盖单位公章）。其他材料可选。文件可为PDF或JPG、PNG图片，每个不超过10MB。",
        process="网上提交后，先由所在地县（市、区）公安机关确认，再由原备案的州、市、地公安局受理、审核并办结。",
        time_limit="州、市、地公安机关自材料收齐并符合法定条件之日起5个工作日内办结（含县级公安机关确认时间）。",
        result="办结后可在“我的办件”中下载撤销备案证明；原备案证明在核验页面显示为“已撤销”。",
        basis="《保安服务管理条例》第十四条；《公安机关实施保安服务管理条例办法》第四条。",
        faq=(("撤销申请书需要盖章吗？", "需要。撤销备案申请书应加盖单位公章后扫描或拍照上传。"),),
    ),
    questions=(
        Question(id="filing_ref", section=S_FILING, label="要撤销的备案", type=QType.FILING_REF,
                 hint="从本单位已经备案的办件中选择"),
        Question(id="stop_date", section=S_FILING, label="停止保安服务的日期", type=QType.DATE,
                 future_refused="停止保安服务的日期不能晚于今天：撤销备案在停止保安服务之日起30日内办理。"
                                "尚未停止的，请在停止后再申请。",
                 window=DateWindow(rule="within_days_after", days=30,
                                   warning="应当自停止保安服务之日起30日内撤销备案，您已超过30日。"
                                           "仍可继续提交，审核人员会看到逾期提示。")),
        Question(id="reason", section=S_FILING, label="撤销原因", type=QType.CHOICE,
                 options=("改为聘用保安服务公司提供服务", "单位不再需要保安服务", "单位注销或合并", "其他原因")),
        Question(id="reason_detail", section=S_FILING, label="请说明其他原因", type=QType.LONG_TEXT, max_length=300,
                 when=When(field="reason", equals="其他原因")),
        *contact_questions(),
    ),
    materials=(
        Material(id="cancel_letter", label="撤销备案申请书", hint="加盖单位公章", sealed=True),
        Material(id="other", label="其他材料", required=False),
    ),
)
