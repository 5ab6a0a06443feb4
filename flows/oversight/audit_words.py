"""The audit log in the auditor's words: each recorded action and detail key by its Chinese name.

The log keeps the codes (they are what the hash chain covers); the auditor's page and export show these
names, the code only where no name is known yet.
"""

from __future__ import annotations

from functools import cache

from flows.kinds import act_name, all_filings, stage_name
from flows.regions import get_regions
from flows.review.disclosure import Look
from flows.review.transitions import ACT_LABELS, ROLE_LABELS, STAGE_LABELS, Act, Role, Stage

ACTION_LABELS: dict[str, str] = {
    **{act.value: f"办件：{label}" for act, label in ACT_LABELS.items()},
    Act.REJECT.value: "办件：不予通过或不予备案",  # an entry that names no kind (recorded before 2026-12-06)
    Look.OPEN_CASE.value: "查看办件",
    Look.REVEAL.value: "显示完整身份证号码",
    Look.PREVIEW_MATERIAL.value: "预览材料",
    Look.DOWNLOAD_MATERIAL.value: "下载材料",
    Look.DOWNLOAD_DOSSIER.value: "下载全部材料",
    Look.DOWNLOAD_DOCUMENT.value: "下载文书",
    Look.EXPORT_LEDGER.value: "导出台账",
    Look.EXPORT_REPORT.value: "导出工作通报",
    Look.EXPORT_AUDIT.value: "导出审计日志",
    "add_feedback": "提交意见反馈",
    "add_rating": "评价办件",
    "audit_verify_failed": "审计日志校验未通过",
    "baseline_import": "导入底数名单",
    "calendar_day": "设置节假日安排",
    "calendar_day_removed": "删除节假日安排",
    "calendar_year": "录入年度节假日安排",
    "create_user": "创建账号",
    "disable_user": "停用账号",
    "discard_draft": "删除草稿",
    "enable_user": "启用账号",
    "export_guards": "导出保安员名单",
    "failures_notified": "通知发送失败提醒",
    "feedback": "提交意见反馈",
    "invitation_created": "发出单位邀请",
    "invitation_revoked": "撤销单位邀请",
    "invitation_used": "凭邀请加入单位",
    "invitation_wrong": "邀请码错误",
    "login": "登录",
    "login_checked": "登录（密码核对）",
    "login_failed": "登录失败",
    "login_throttled": "登录过于频繁被延缓",
    "logout": "退出登录",
    "member_removed": "移除单位成员",
    "password_changed": "修改密码",
    "password_reset": "重置密码",
    "password_reset_by_sms": "凭短信验证码重置密码",
    "portal_refused": "门户拒绝访问",
    "precheck_confirm": "确认预审结果",
    "recovery_code_used": "使用恢复码",
    "recovery_codes_renewed": "重新生成恢复码",
    "screening": "自动比对",
    "screening_alert": "比中提醒",
    "screening_import": "导入比对数据",
    "screening_remove_batch": "移除比对数据",
    "session_expired": "会话超时",
    "set_email": "设置通知邮箱",
    "setting": "修改系统设置",
    "sms_code_sent": "发送短信验证码",
    "sms_code_withheld": "未发送短信验证码（该号码无账号）",
    "start_draft": "开始填写申请",
    "ticket_refused": "登录凭据无效",
    "totp_enrolled": "绑定动态口令",
    "transfer_accepted": "接受单位转交",
    "triage": "处理意见反馈",
    "unit_claimed": "认领单位",
    "unit_lookup": "查询单位",
    "unit_transferred": "转交单位",
    "unit_renamed": "更正单位名称",
    "unit_verified": "核验单位",
    "upload": "上传材料",
    "verify_certificate": "核验证明",
    "verify_certificate_counts": "证明核验次数（汇总）",
}

DETAIL_LABELS: dict[str, str] = {
    "address": "来源地址", "portal": "门户", "next": "下一步", "material": "材料记录", "material_id": "材料",
    "document": "文书记录", "pages": "页数", "parts": "份数", "format": "格式", "rows": "行数", "from": "原状态",
    "to": "新状态", "event": "办理记录", "items": "补正事项", "mobile": "手机号码", "purpose": "用途",
    "reason": "原因", "role": "角色", "region": "地区", "status": "状态", "kind": "业务", "outcome": "结果",
    "hits": "比中", "not_done": "未完成比对", "errors": "错误", "added": "新增", "updated": "更新",
    "second_factor": "第二重验证", "sessions_ended": "结束的会话", "how": "方式", "invitation": "邀请",
    "before": "原值", "after": "新值", "value": "值", "unit": "单位", "size": "大小", "note": "说明",
    "cases": "办件数", "officers": "审核人员", "failures": "失败次数", "complete": "完整", "working": "工作日",
    "person": "操作人", "subject": "对象", "actions": "操作", "since": "起始日期", "until": "截止日期",
    "ledger": "台账", "report": "通报", "problems": "问题", "set": "设置", "screening_override": "比对结果说明",
    "already_known": "已有", "imported": "导入", "filtered": "按关键词筛选", "kinds": "业务", "period": "期间",
    "counts": "次数", "total": "合计", "found_valid": "有效", "not_found": "未找到", "file_sha256": "文件摘要",
    "sha256": "文件摘要", "code_hash": "验证码摘要", "length": "长度", "opinion": "审核意见", "category": "类别",
    "source": "来源", "second_factor_reset": "重置第二重验证", "search": "关键词", "scope": "范围",
}

# The codes a detail's values use, by their Chinese names (a stage, a role, a region are named as the pages
# name them; a value not listed here is shown as recorded).
VALUE_LABELS: dict[str, str] = {
    "done": "完成", "both": "两个门户", "internet": "互联网门户", "police": "公安网门户", "first_case": "首次办件",
    "file_match": "文件与存档一致", "file_mismatch": "文件与存档不一致", "found_valid": "有效",
    "not_found": "未找到", "favourable": "拟同意", "unfavourable": "拟不同意", "register": "注册",
    "current": "现行台账", "cancelled": "已撤销台账", "csv": "CSV", "xlsx": "Excel",
}


@cache
def _codes() -> tuple[frozenset[str], frozenset[str], dict[str, str]]:
    """Stage values, role values, and every material's label by its id (one table per process)."""
    return (frozenset(s.value for s in Stage), frozenset(r.value for r in Role),
            {m.id: m.label for f in all_filings().values() for m in f.materials})


def _kind(detail: dict[str, object] | None) -> str | None:
    """The business of the case an entry is about, when the entry records it (acts do, since 2026-12-06)."""
    kind = detail.get("kind") if detail else None
    return kind if isinstance(kind, str) and kind in all_filings() else None


def _value_text(key: str, value: object, kind: str | None = None) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list | tuple):
        return "、".join(_value_text(key, v, kind) for v in value) if value else "无"
    if isinstance(value, dict):
        return "，".join(f"{DETAIL_LABELS.get(str(k), str(k))}{_value_text(str(k), v, kind)}" for k, v in value.items())
    text = str(value)
    stages, roles, materials = _codes()
    if key in ("from", "to") and text in stages:
        if kind is not None:
            return stage_name(Stage(text), kind)
        return "已办结（不予通过或不予备案）" if text == Stage.REJECTED else STAGE_LABELS[Stage(text)]
    if key == "role" and text in roles:
        return ROLE_LABELS[Role(text)]
    if key in ("kind", "kinds") and text in all_filings():
        return all_filings()[text].short_title
    if key in ("material", "material_id") and text in materials:
        return materials[text]
    if key == "region" and text in get_regions():
        return f"{get_regions().get(text).name}（{text}）"
    return VALUE_LABELS.get(text, text)


def action_label(action: str, detail: dict[str, object] | None = None) -> str:
    """The action's name; an act on a case named for its business when the entry records it (不予备案)."""
    kind = _kind(detail)
    if kind is not None and action in _acts():
        return f"办件：{act_name(Act(action), kind)}"
    return ACTION_LABELS.get(action, action)


@cache
def _acts() -> frozenset[str]:
    return frozenset(act.value for act in Act)


def detail_text(detail: dict[str, object]) -> str:
    """An entry's detail as the auditor reads it: 名称=值；…"""
    kind = _kind(detail)
    return "；".join(f"{DETAIL_LABELS.get(k, k)}={_value_text(k, v, kind)}" for k, v in sorted(detail.items())) if detail else ""
