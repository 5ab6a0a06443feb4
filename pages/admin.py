"""系统管理 (administrator): accounts, holiday calendar, province settings, screening data, notifications."""

from __future__ import annotations

from datetime import date

import streamlit as st

from flows.clock import show, today
from flows.errors import DomainError, FieldError
from flows.oversight import admin as flows_admin
from flows.oversight import tables
from flows.regions import get_regions
from flows.review.deadlines import library_covers
from flows.review.screening import (
    CATEGORIES,
    CATEGORY_LABELS,
    EMBEDDED,
    OUTCOME_LABELS,
    SOURCE_LABELS,
    SourceFailed,
)
from flows.review.transitions import ROLE_LABELS, Role
from store import admin
from store.demo import DEMO_IDS
from store.lists import SqlListStore
from store.outbox import failures, outbox_counts
from store.screening import batches, category_counts, get_setting, probe_network
from ui.layout import page_setup, set_feedback_context, show_error
from ui.session import engine

account = page_setup("admin")
me = account.user_id
changes = admin.SqlAdminStore(engine())  # where flows.oversight.admin writes the administrator's changes
set_feedback_context(step="系统管理")
regions = get_regions()
st.title("系统管理")
flash = st.session_state.pop("admin_flash", None)
if flash:
    st.success(flash)


def done(message: str) -> None:
    st.session_state["admin_flash"] = message
    st.rerun()


def region_label(code: str | None) -> str:
    return regions.full_name(code, with_province=False) if code and code in regions else "—"


# Only the open tab is drawn (on_change="rerun"): each tab reads its own tables, and the five together made the
# page's every run cost what five pages do.
accounts_tab, calendar_tab, settings_tab, screening_tab, outbox_tab = st.tabs(
    ["账号管理", "节假日日历", "省级设置", "自动比对数据", "通知发送"], key="admin_tab", on_change="rerun")

# ------------------------------------------------------------------ accounts
def accounts() -> None:
    staff = admin.list_staff(engine())
    st.dataframe([{"登录名": a.login, "名称": a.display_name, "身份": ROLE_LABELS[a.role],
                   "所属地区": region_label(a.region_code), "状态": "启用" if a.active else "已停用",
                   "通知邮箱": a.email} for a in staff], hide_index=True, width="stretch", key="staff_table")
    st.subheader("新建民警账号")
    levels = {Role.COUNTY: "县级公安机关", Role.PREFECTURE: "州、市、地公安机关", Role.PROVINCE: "公安厅"}
    role_col, pref_col, county_col = st.columns(3)
    role = role_col.selectbox("级别", list(levels), format_func=levels.__getitem__, key="new_role")
    region_code = regions.province.code
    if role != Role.PROVINCE:
        prefectures = {p.code: p.name for p in regions.prefectures()}
        region_code = pref_col.selectbox("州、市、地", list(prefectures), format_func=prefectures.__getitem__,
                                         key="new_prefecture")
        if role == Role.COUNTY:
            counties = {c.code: c.name for c in regions.counties(region_code)}
            region_code = county_col.selectbox("县（市、区）", list(counties), format_func=counties.__getitem__,
                                               key=f"new_county_{region_code}")
    with st.form("new_officer", clear_on_submit=True):
        login_col, name_col, password_col = st.columns(3)
        login = login_col.text_input("登录名", placeholder="如 xian650105")
        default_name = admin.effective_config(engine()).issuing_organ(region_code).undertaker
        name = name_col.text_input("机关或人员名称", placeholder=default_name)
        password = password_col.text_input("初始密码", type="password",
                                           placeholder="首次登录时须修改，并绑定动态口令")
        created = st.form_submit_button("创建账号", type="primary")
    if created:
        try:
            flows_admin.create_officer(changes, login=login, display_name=name or default_name, role=role,
                                 region_code=region_code, password=password, actor_id=me)
        except DomainError as error:
            show_error(error.message)
        else:
            done(f"已创建账号“{login.strip()}”（{levels[role]}，{region_label(region_code)}）。")

    st.subheader("管理账号")
    by_id = {a.user_id: a for a in staff}
    chosen = st.selectbox("选择账号", list(by_id), key="manage_user",
                          format_func=lambda i: f"{by_id[i].login}（{by_id[i].display_name}）")
    if chosen is not None:
        target = by_id[chosen]
        status_col, reset_col, email_col = st.columns(3)
        with status_col:
            st.caption(f"当前状态：{'启用' if target.active else '已停用'}")
            # Disabling logs the officer out at once: one deliberate tick first (re-enabling needs none).
            sure = not target.active or st.checkbox("确认停用（其登录立即失效）", key=f"sure_disable_{target.user_id}")
            if st.button("停用账号" if target.active else "重新启用", key="toggle_user", disabled=not sure):
                try:
                    flows_admin.set_active(changes, target.user_id, not target.active, actor_id=me)
                except DomainError as error:
                    show_error(error.message)
                else:
                    done(f"账号“{target.login}”已{'停用' if target.active else '启用'}。")
        with reset_col:
            st.caption("重置后生成一次性密码，账号须在下次登录时修改密码并重新绑定动态口令，其所有登录立即失效。")
            sure_reset = st.checkbox("确认重置", key=f"sure_reset_{target.user_id}")
            if st.button("重置密码和动态口令", key="reset_button", disabled=not sure_reset):
                try:
                    one_time = flows_admin.reset_password(changes, target.user_id, actor_id=me)
                except DomainError as error:
                    show_error(error.message)
                else:
                    done(f"账号“{target.login}”已重置。一次性密码：{one_time}（只显示这一次，请当面或通过安全渠道告知本人）")
        with email_col:
            address = st.text_input("通知邮箱", value=target.email, key=f"email_{target.user_id}")
            if st.button("保存邮箱", key="email_button"):
                try:
                    flows_admin.set_email(changes, target.user_id, address, actor_id=me)
                except DomainError as error:
                    show_error(error.message)
                else:
                    done("通知邮箱已保存。")

# ------------------------------------------------------------------ calendar
def calendar() -> None:
    now = today()
    gaps = admin.calendar_gaps(engine(), now)
    if gaps:
        st.warning(f"{'、'.join(map(str, gaps))}年的国务院节假日安排尚未录入，已有办件的办结期限落在该年，"
                   "目前按周末和固定日期节日估算。请尽快录入该年的放假和调休上班日期。", icon=":material/warning:")
    overrides = admin.calendar_overrides(engine())
    complete = set(admin.complete_years(engine()))
    entered = {o.day.year for o in overrides}
    years = [now.year, now.year + 1]

    def year_state(year: int) -> str:
        if library_covers(year):
            return "内置官方日历"
        if year in complete:
            return "已录入完毕"
        return "录入中（未标记完毕）" if year in entered else "未录入"

    st.caption("　".join(f"{y}年：{year_state(y)}" for y in years))
    st.caption("录入某年国务院公布的全部放假和调休上班日期后，请标记该年“已录入完毕”：此前落在该年的办结期限均标为“预计”。")
    pending = [y for y in years if not library_covers(y)]
    if pending:
        year_col, mark_col = st.columns([2, 1], vertical_alignment="bottom")
        year = year_col.selectbox("年度", pending, key="complete_year")
        marked = year in complete
        if mark_col.button("取消“已录入完毕”" if marked else "标记为已录入完毕", key="complete_year_button"):
            flows_admin.set_year_complete(changes, int(year), not marked, actor_id=me)
            done(f"{year}年已{'取消标记' if marked else '标记为已录入完毕'}。")
    with st.form("calendar_day"):
        day_col, kind_col, note_col = st.columns([1, 1, 2])
        day = day_col.date_input("日期", value=now, format="YYYY-MM-DD")
        kind = kind_col.selectbox("当天", ["休息日（放假）", "工作日（调休上班）"])
        note = note_col.text_input("说明", placeholder="如：2027年春节")
        saved = st.form_submit_button("保存", type="primary")
    if saved and isinstance(day, date):
        moved = flows_admin.set_calendar_day(changes, day, is_working=kind.startswith("工作日"), note=note, actor_id=me)
        done(f"{day:%Y-%m-%d}已设为{kind[:3]}，{moved}个办件的办结期限已重新计算。")
    if overrides:
        st.dataframe([{"日期": o.day.isoformat(), "当天": "工作日" if o.is_working else "休息日", "说明": o.note,
                       "修改时间": show(o.updated_at)} for o in overrides], hide_index=True, width="stretch",
                     key="overrides_table")
        remove_col, button_col = st.columns([2, 1], vertical_alignment="bottom")
        removed = remove_col.selectbox("删除一条更正（恢复官方日历）", [o.day for o in overrides], key="remove_day",
                                       format_func=lambda d: d.isoformat())
        if button_col.button("删除", key="remove_day_button") and removed is not None:
            moved = flows_admin.remove_calendar_day(changes, removed, actor_id=me)
            done(f"已删除{removed:%Y-%m-%d}的更正，{moved}个办件的办结期限已重新计算。")

# ------------------------------------------------------------------ province settings
def settings() -> None:
    config = admin.effective_config(engine())
    labels = {"province_name": "省（自治区）名称", "department": "公安厅名称（出具文书的机关）",
              "department_code": "公安厅机关代字", "corps": "总队名称（承办单位）",
              "prefecture_organ": "州市地机关名称模板", "prefecture_undertaker": "州市地承办单位名称模板",
              "county_organ": "县级机关名称模板",
              "district_organ": "市辖区机关名称模板（可留空）", "service_hall": "政务服务平台名称"}
    with st.form("names"):
        st.caption("模板中可用{name}（本级名称）、{prefecture}（所属州、市、地名称）、{full_name}。")
        values = {key: st.text_input(label, value=getattr(config, key) or "") for key, label in labels.items()}
        names_saved = st.form_submit_button("保存名称")
    if names_saved:
        try:
            flows_admin.set_names(changes, dict(values), actor_id=me)
        except DomainError as error:
            show_error(error.message)
        else:
            done("名称已保存。")
    st.markdown("**出具文书的机关**")
    st.caption("文书以行政机关的名义出具，支队、总队只作为承办单位。各州、市、地的机关名称、机关代字（文号中的“乌公”）"
               "和印章文字可单独设置；留空的项按上面的模板和配置文件。")
    organ_choices = {config.province_code: config.department,
                     **{p.code: p.name for p in regions.prefectures()}}
    organ_code = st.selectbox("机关", list(organ_choices), format_func=organ_choices.__getitem__, key="organ_region")
    current = config.issuing_organ(organ_code)
    with st.form("organ"):
        organ_labels = {"name": "机关名称", "code": "机关代字", "seal": "印章文字", "undertaker": "承办单位"}
        organ_values = {key: st.text_input(label, value=getattr(current, key), key=f"organ_{key}_{organ_code}")
                        for key, label in organ_labels.items()}
        st.caption(f"文号示例：{current.number('filing_certificate', today().year, 1)}")
        organ_saved = st.form_submit_button("保存机关设置")
    if organ_saved:
        try:
            flows_admin.set_organ(changes, organ_code, dict(organ_values), actor_id=me)
        except DomainError as error:
            show_error(error.message)
        else:
            done("机关设置已保存，此后出具的文书使用新的名称和文号。")
    with st.form("pilot"):
        start_col, end_col = st.columns(2)
        start = start_col.date_input("试运行开始", value=config.pilot.start, format="YYYY-MM-DD")
        end = end_col.date_input("试运行结束", value=config.pilot.end, format="YYYY-MM-DD")
        notice = st.text_area("试运行提示", value=config.pilot.notice, placeholder="最多300字")
        pilot_saved = st.form_submit_button("保存试运行设置")
    if pilot_saved and isinstance(start, date) and isinstance(end, date):
        try:
            flows_admin.set_pilot(changes, start=start, end=end, notice=notice, actor_id=me)
        except DomainError as error:
            show_error(error.message)
        else:
            done("试运行设置已保存。")
    with st.form("deadline"):
        deadline = st.date_input("集中备案截止日期", value=config.campaign_deadline, format="YYYY-MM-DD")
        deadline_saved = st.form_submit_button("保存截止日期")
    if deadline_saved and isinstance(deadline, date):
        flows_admin.set_campaign_deadline(changes, deadline, actor_id=me)
        done("集中备案截止日期已保存。")

# ------------------------------------------------------------------ screening data (自动比对)
def screening() -> None:
    figures = st.container()  # filled at the end of the tab: the counts after an import or removal made here
    source = get_setting(engine(), "screening_source", EMBEDDED)
    with st.form("screening_source"):
        choice = st.radio("比对数据来源", list(SOURCE_LABELS), index=list(SOURCE_LABELS).index(source),
                          format_func=SOURCE_LABELS.__getitem__, horizontal=True)
        url = st.text_input("公安网比对服务地址", value=get_setting(engine(), "screening_network_url", ""),
                            placeholder="https://…/compare")
        source_saved = st.form_submit_button("保存来源设置")
    if source_saved:
        try:
            flows_admin.set_screening_source(changes, choice, url, actor_id=me)
        except FieldError as refused:
            show_error(refused.message)
        else:
            done(f"比对数据来源已设为“{SOURCE_LABELS[choice]}”。")
    if st.button("测试公安网比对服务", key="test_network"):
        try:
            results = probe_network(engine(), DEMO_IDS[0])
        except SourceFailed as error:
            show_error(f"比对服务不可用：{error}")
        else:
            st.success("比对服务可用：" + "、".join(f"{CATEGORY_LABELS.get(r.category, r.category)}"
                                               f"{OUTCOME_LABELS[r.outcome]}" for r in results))
    with st.form("screening_import", clear_on_submit=True):
        upload = st.file_uploader("导入比对数据（Excel或CSV：身份证号码、类别、编号、列入日期）", type=["xlsx", "csv"])
        batch_name = st.text_input("批次名称", placeholder="如：2026年12月网上逃犯数据")
        imported = st.form_submit_button("导入")
    if imported:
        if upload is None:
            show_error("请先选择文件。")
        else:
            bar = st.progress(0.0, text="正在读取文件…")

            def progress(seen: int, rows: int) -> None:
                bar.progress(min(1.0, seen / max(1, rows)), text=f"已处理{seen}/{rows}行")

            try:
                report = tables.import_screening_list(SqlListStore(engine()), account.actor, data=upload.getvalue(),
                                                      filename=upload.name, name=batch_name, progress=progress)
            except DomainError as error:
                bar.empty()
                show_error(error.message)
            else:
                st.success(f"导入完成：新增{report.imported}条，已有{report.already_known}条，错误{len(report.errors)}行。")
                for line, message in report.errors[:20]:
                    st.warning(f"第{line}行：{message}")
    known = batches(engine())
    if known:
        st.dataframe([{"批次": b.id, "名称": b.name, "导入时间": show(b.imported_at), "记录数": b.rows,
                       "状态": "使用中" if b.active else "已移除"} for b in known], hide_index=True, width="stretch",
                     key="batches_table")
        active = {b.id: b for b in known if b.active and b.id is not None}
        if active:
            pick_col, remove_col = st.columns([2, 1], vertical_alignment="bottom")
            batch_id = pick_col.selectbox("移除一个批次（其记录不再参与比对）", list(active), key="remove_batch",
                                          format_func=lambda i: f"{i}：{active[i].name}")
            if remove_col.button("移除批次", key="remove_batch_button") and batch_id is not None:
                tables.remove_screening_batch(SqlListStore(engine()), account.actor, batch_id)
                done(f"批次{batch_id}已移除。")
    counts = category_counts(engine())
    for column, category in zip(figures.columns(len(CATEGORIES)), CATEGORIES, strict=True):
        column.metric(CATEGORY_LABELS[category], counts.get(category, 0))

# ------------------------------------------------------------------ notifications
def outbox() -> None:
    counts_out = outbox_counts(engine())
    labels_out = {"waiting": "待发送", "sent": "已发送", "retry": "待重试", "failed": "发送失败", "skipped": "未发出（无可用渠道）"}
    for column, (key, label) in zip(st.columns(len(labels_out)), labels_out.items(), strict=True):
        column.metric(label, counts_out.get(key, 0))
    st.caption("办件状态每次变化都会给申请人发送站内消息，并由发送程序（python -m store.outbox）通过邮件（环境变量SMTP_HOST等）"
               "或短信网关发出；失败的消息自动重试，最多5次。申请人有通知邮箱时发邮件，否则发短信到注册手机。")
    if st.button("立即发送一轮", key="send_now"):
        done(flows_admin.send_messages_now(admin.SqlAdminStore(engine())))
    problems = failures(engine())
    if problems:
        st.dataframe([{"消息": d.notification_id, "渠道": d.channel, "状态": labels_out.get(d.status, d.status),
                       "尝试次数": d.attempts, "原因": d.last_error, "时间": show(d.updated_at)} for d in problems],
                     hide_index=True, width="stretch", key="failures_table")


for tab, draw in ((accounts_tab, accounts), (calendar_tab, calendar), (settings_tab, settings),
                  (screening_tab, screening), (outbox_tab, outbox)):
    if tab.open:
        with tab:
            draw()
