"""What an officer confirms before an act: a short checklist per act, worded for officers and drawn
from the filing's own definition (its location question, materials, roster, comparison, result)."""

from __future__ import annotations

from flows.filing.schema import Filing, QType
from flows.review.transitions import Act, Stage


def act_checklist(filing: Filing, act: Act, stage: Stage | None = None) -> tuple[str, ...]:
    """The points to check before doing `act` on a case of `filing` at `stage` (empty for an act without one)."""
    location = filing.question(filing.location_field).label
    required = "、".join(m.label for m in filing.materials if m.required and m.when is None)
    roster = next((q.label for q in filing.questions if q.type == QType.ROSTER), None)
    if act == Act.CONFIRM:
        points = [f"“{location}”在本县（市、区）辖区内，单位确在当地开展（或将开展）保安服务，必要时电话或实地核实。",
                  f"上传的材料（{required}）与申请单位名称、统一社会信用代码一致，清晰完整。"]
        if roster:
            points.append(f"{roster}中的人员确为该单位的保安员，人数与实际相符。")
        points.append("无误的，确认后转州、市、地公安机关受理；有问题的，选择“退回补正”并一次性列明。")
        return tuple(points)
    if act == Act.ACCEPT and stage == Stage.PROVINCE_ACCEPT:
        return ("州、市、地公安机关的审核意见及其理由明确，材料齐全。",
                "受理只记录本机关接办；申请单位已收到州、市、地公安机关出具的受理通知书，不再重复出具。")
    if act == Act.ACCEPT:
        return ("属于本机关管辖（办理地点在本辖区）。",
                f"必交材料齐全（{required}），符合法定形式。",
                "受理后向申请单位出具受理通知书，办结期限继续计算。")
    if act == Act.APPROVE:
        points = ["申请内容与材料一致、真实有效，符合《保安服务管理条例》的规定。"]
        if filing.screening_field:
            points.append("已查看自动比对结果；比中或未完成比对仍予通过的，须写明理由。")
        points.append(f"办理后出具《{filing.result_document}》，证书信息以申请内容为准，请再次核对单位名称和统一社会信用代码。")
        return tuple(points)
    if act == Act.REPORT:
        points = ["审核意见明确（拟同意或拟不同意，及其理由）。"]
        if filing.screening_field:
            points.append("已查看自动比对结果，并在意见中说明；比中或未完成比对仍拟同意的，须写明理由。")
        points.append("上报后由公安厅受理、审批，本机关不再变更此办件。")
        return tuple(points)
    if act == Act.RETURN:
        return ("一次性列明全部需要补正的事项，每项写明存在的问题和补正要求。",
                "申请单位只能修改所列事项；未列出的事项不会被修改。",
                "退回后出具补正材料告知书，申请单位重新提交后办结期限重新计算。")
    if act == Act.REJECT:
        return (f"{filing.refusal_verb}是最终决定：理由须具体，并写明所依据的规定。",
                f"《{filing.refusal_title}》将告知申请单位：可在60日内申请行政复议，或6个月内提起行政诉讼。")
    if act == Act.RETURN_TO_PREFECTURE:
        return ("写明退回理由和需要州、市、地公安机关补充审核的内容。",)
    return ()
