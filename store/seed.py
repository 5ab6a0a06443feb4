"""Demo accounts (one per role, plus every prefecture) and demo cases. Idempotent: `python -m store.seed`."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from flows import cases, environment
from flows.clock import CHINA, now, today
from flows.config import get_config
from flows.identity.accounts import Registration
from flows.kinds import all_filings, cancellable_kinds, cancelling_kinds, get_filing
from flows.ports import ReturnItem
from flows.regions import get_regions
from flows.review.transitions import Act, Role
from store.accounts import Account, create_user, demo_password_hash, get_account, register_applicant
from store.baseline import baseline_size, import_baseline
from store.bootstrap import mark_demo_data
from store.db import default_engine, write_session
from store.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET, DEMO_WATCHLIST, demo_answers, demo_pdf
from store.keys import owner_only
from store.models import Case, User
from store.screening import batches, configured_sources, import_rows
from store.uow import SqlUnitOfWork

# The demo's businesses, by what they are: a unit's own filing (the one a cancellation may cancel; the
# demo's property companies file it), the cancellation, and the change the department approves.
OWN_FILING = cancellable_kinds()[0]
CANCELLATION = cancelling_kinds()[0]
COMPANY_CHANGE = next(kind for kind, filing in all_filings().items() if filing.route.province_approval)

# The accounts the README lists: one per role.
DEMO_ACCOUNTS = {
    "applicant": "13800000001",  # 乌鲁木齐安居物业服务有限公司 (self-recruiting unit)
    "company": "13800000002",  # 新疆盾安保安服务有限公司 (security service company)
    "county": "xian650102",  # 天山区
    "prefecture": "zhou650100",  # 乌鲁木齐市
    "province": "ting",
    "admin": "admin",
    "auditor": "shenji",
}


def _uscc(seed: int) -> str:
    """A valid unified social credit code made from a number (demo units only)."""
    from stdnum.cn import uscc

    from flows.filing.identifiers import organisation_check_char

    body = f"MA{seed:05d}X"[:8].replace("X", "Y")
    head = "91650100" + body + organisation_check_char(body)
    return head + str(uscc.calc_check_digit(head + "0"))


def _user(engine: Engine, login: str) -> Account | None:
    with Session(engine) as session:
        user = session.exec(select(User).where(User.login == login)).first()
        user_id = user.id if user else None
    return get_account(engine, user_id) if user_id else None


def _officers(engine: Engine) -> dict[str, Account]:
    regions = get_regions()
    config = get_config()
    officers: dict[str, Account] = {}

    def add(login: str, name: str, role: Role, region: str) -> None:
        account = _user(engine, login)
        if account is None:
            create_user(engine, login=login, password=DEMO_PASSWORD, password_hash=demo_password_hash(DEMO_PASSWORD),
                        display_name=name, role=role, region_code=region, totp_secret=DEMO_TOTP_SECRET)
            account = _user(engine, login)
        assert account is not None
        officers[login] = account

    with write_session(engine) as session:  # demo officers made before TOTP existed get the demo secret too
        session.execute(update(User).where(col(User.role) != Role.APPLICANT, col(User.totp_secret).is_(None))
                        .values(totp_secret=DEMO_TOTP_SECRET, totp_enrolled_at=now()))
        session.commit()
    add("ting", config.corps, Role.PROVINCE, config.province_code)
    add("admin", "系统管理员", Role.ADMIN, config.province_code)
    add("shenji", "安全审计员", Role.AUDITOR, config.province_code)
    for prefecture in regions.prefectures():
        add(f"zhou{prefecture.code}", config.issuing_organ(prefecture.code).undertaker, Role.PREFECTURE,
            prefecture.code)
        for county in regions.counties(prefecture.code)[:2]:
            add(f"xian{county.code}", config.organ_for(county.code), Role.COUNTY, county.code)
    return officers


def _applicant(engine: Engine, mobile: str, name: str, code: str, contact: str, *, verified: bool = True) -> Account:
    """A demo unit and its administrator; verified unless asked (the demo shows one unit still 待核验)."""
    account = _user(engine, mobile)
    if account is None:
        account = register_applicant(engine, Registration(unit_name=name, credit_code=code, contact=contact,
                                                          mobile=mobile, password=DEMO_PASSWORD),
                                     password_hash=demo_password_hash(DEMO_PASSWORD), verified=verified)
    return account


def _case(engine: Engine, applicant: Account, kind: str, *, prefecture: str, county: str, acts: list[tuple[Account, Act]],
          submitted_days_ago: int, filing_ref: dict[str, object] | None = None) -> None:
    uow = SqlUnitOfWork(engine)
    assert applicant.unit_name and applicant.credit_code and applicant.mobile
    draft = cases.start_draft(uow, applicant.actor, kind, unit_name=applicant.unit_name,
                              credit_code=applicant.credit_code, contact=applicant.display_name, mobile=applicant.mobile)
    cases.confirm_instructions(uow, applicant.actor, draft.id)
    day = today() - timedelta(days=submitted_days_ago)
    for qid, value in demo_answers(kind, today=day, prefecture=prefecture, county=county,
                                   filing_ref=filing_ref).items():
        cases.save_answer(uow, applicant.actor, draft.id, qid, value, today=day)
    for material in get_filing(kind).materials:
        if material.required:
            cases.upload_material(uow, applicant.actor, draft.id, material.id, filename=f"{material.label}.pdf",
                                  data=demo_pdf(material.id))
    at = datetime.combine(day, time(10, 0), tzinfo=CHINA)
    with uow:
        version = uow.case(draft.id).version
    case = cases.submit(uow, applicant.actor, draft.id, expected_version=version, now=at,
                        sources=configured_sources(engine))
    for step, (officer, act) in enumerate(acts, start=1):
        items: tuple[ReturnItem, ...] = ()
        comment = ""
        if act == Act.RETURN:
            items = (ReturnItem("guards", "【填报】保安员名单", "请补充保安员证编号"),)
        if act in (Act.REJECT, Act.REPORT, Act.RETURN_TO_PREFECTURE):
            comment = "演示数据：审核意见"
        case = cases.act_on_case(uow, officer.actor, case.id, act, expected_version=case.version,
                                 now=at + timedelta(hours=step), comment=comment, items=items,
                                 opinion="favourable" if act == Act.REPORT else "")


def _watchlist(engine: Engine) -> None:
    """Demo persons on each screening category, so every outcome can be seen."""
    if batches(engine):
        return
    rows = [(line, {"身份证号码": number, "类别": category, "编号": reference})
            for line, (number, category, reference) in enumerate(DEMO_WATCHLIST, start=2)]
    import_rows(engine, iter(rows), name="演示比对数据", actor_id=None)


def _cancel_one(engine: Engine, officers: dict[str, Account]) -> None:
    """Cancel the earliest own filing through an approved cancellation, so the ledger shows a cancelled unit."""
    with Session(engine) as session:
        original = session.exec(select(Case).where(Case.kind == OWN_FILING, Case.stage == "approved")
                                .order_by(col(Case.id))).first()
    if original is None or original.id is None or original.prefecture_code is None or original.county_code is None:
        return
    applicant = get_account(engine, original.applicant_user_id)
    assert applicant is not None
    county = officers.get(f"xian{original.county_code}")
    pref = officers[f"zhou{original.prefecture_code}"]
    if county is None:
        return
    _case(engine, applicant, CANCELLATION, prefecture=original.prefecture_code, county=original.county_code,
          acts=[(county, Act.CONFIRM), (pref, Act.ACCEPT), (pref, Act.APPROVE)], submitted_days_ago=1,
          filing_ref={"case_id": original.id})


def _baseline(engine: Engine) -> None:
    """A demo list of units that must file: each prefecture's demo unit and two that have not started."""
    if baseline_size(engine):
        return
    rows: list[tuple[int, dict[str, str]]] = [
        (2, {"单位名称": "乌鲁木齐安居物业服务有限公司", "统一社会信用代码": _uscc(1), "所属地区": "650102",
             "业务类型": get_filing(OWN_FILING).short_title})]
    for index, prefecture in enumerate(get_regions().prefectures()):
        county = get_regions().counties(prefecture.code)[1 if index == 0 else 0]
        rows.append((len(rows) + 2, {"单位名称": f"{prefecture.name}示范物业服务有限公司",
                                     "统一社会信用代码": _uscc(100 + index), "所属地区": county.code, "业务类型": get_filing(OWN_FILING).short_title}))
        for k in range(2):
            rows.append((len(rows) + 2, {"单位名称": f"{prefecture.name}第{k + 1}底数单位",
                                         "统一社会信用代码": _uscc(300 + 2 * index + k), "所属地区": county.code}))
    import_baseline(engine, iter(rows), actor_id=None)


def seed(engine: Engine) -> None:
    """Create what is missing; demo cases only into an empty database."""
    mark_demo_data(engine)
    officers = _officers(engine)
    _watchlist(engine)
    _baseline(engine)
    applicant = _applicant(engine, DEMO_ACCOUNTS["applicant"], "乌鲁木齐安居物业服务有限公司", _uscc(1), "马丽")
    _applicant(engine, DEMO_ACCOUNTS["company"], "新疆盾安保安服务有限公司", _uscc(2), "赵刚", verified=False)
    with Session(engine) as session:
        if session.exec(select(Case)).first() is not None:
            return
    rng = random.Random(2019)
    regions = get_regions()
    for index, prefecture in enumerate(regions.prefectures()):
        county = regions.counties(prefecture.code)[0]
        county_officer = officers[f"xian{county.code}"]
        pref_officer = officers[f"zhou{prefecture.code}"]
        histories: list[list[tuple[Account, Act]]] = [
            [(county_officer, Act.CONFIRM)],
            [(county_officer, Act.CONFIRM), (pref_officer, Act.ACCEPT)],
            [(county_officer, Act.CONFIRM), (pref_officer, Act.ACCEPT), (pref_officer, Act.APPROVE)],
            [(county_officer, Act.CONFIRM), (pref_officer, Act.ACCEPT), (pref_officer, Act.RETURN)],
        ]
        # The demo applicant's own county (天山区) is left empty for the walkthroughs.
        if index == 0:
            unit = _applicant(engine, "13900000100", "乌鲁木齐示范物业服务有限公司", _uscc(100), "联系人")
            county = regions.counties(prefecture.code)[1]
            county_officer = officers[f"xian{county.code}"]
            histories = [[(county_officer, a) if o is histories[0][0][0] else (o, a) for o, a in h]
                         for h in histories]
        else:
            unit = _applicant(engine, f"139000001{index:02d}", f"{prefecture.name}示范物业服务有限公司",
                              _uscc(100 + index), "联系人")
        for acts in rng.sample(histories, k=3):
            _case(engine, unit, OWN_FILING, prefecture=prefecture.code, county=county.code, acts=acts,
                  submitted_days_ago=rng.randint(1, 12))
        if index < 3:
            company = _applicant(engine, f"139000002{index:02d}", f"{prefecture.name}卫士保安服务有限公司",
                                 _uscc(200 + index), "负责人")
            _case(engine, company, COMPANY_CHANGE, prefecture=prefecture.code, county="", submitted_days_ago=3,
                  acts=[(pref_officer, Act.ACCEPT), (pref_officer, Act.REPORT)] if index else [])
    _cancel_one(engine, officers)
    # The demo applicant's own history: one filing done (its certificate can be downloaded and cancelled).
    tianshan = officers["xian650102"]
    urumqi = officers["zhou650100"]
    _case(engine, applicant, OWN_FILING, prefecture="650100", county="650102", submitted_days_ago=20,
          acts=[(tianshan, Act.CONFIRM), (urumqi, Act.ACCEPT), (urumqi, Act.APPROVE)])


def main() -> None:
    if not environment.is_demo():
        raise SystemExit("生产环境（APP_ENV=production）不写入演示数据。首个系统管理员请用："
                         "python -m store.bootstrap create-admin")
    owner_only()
    engine = default_engine()
    seed(engine)
    print("演示数据已就绪。演示账号见 README.md（密码均为 " + DEMO_PASSWORD + "，公安网入口的动态口令密钥 "
          + DEMO_TOTP_SECRET + "）。")


if __name__ == "__main__":
    main()
