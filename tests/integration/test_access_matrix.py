"""Who may do what where: every role x every use case of flows/cases.py x where the case is filed.

The matrix is generated from two declared tables, `SEES` (who may see a submitted case filed at a
location) and `ALLOWED` (who may carry out each use case on a case at the stage it applies to), and
checked against the real use cases on SQLite. Every case of the matrix is filed by `applicant`, in
乌鲁木齐市 天山区 ("own": the county officer's county), 沙依巴克区 ("sibling": another county of the
same prefecture) or 克拉玛依市 独山子区 ("other": another prefecture).

The applicant is its unit's administrator; `member` is a colleague who joined the same unit by invitation and
may do every case use case the administrator may; `unverified` is the administrator of another unit that no
officer has verified yet. The act that checks a unit's licence (the county's confirmation, the prefecture's
acceptance of kind A) is tried on cases of an unverified unit with and without the checklist line, and a second
matrix covers the use cases of units themselves (invitations, removal, the officers' unit verification).

Besides allowed / refused, one rule holds everywhere: a refusal on a case the person may not see
says exactly what the same use case says about a case that does not exist, so nobody learns that
a case exists outside their jurisdiction.

Documents are not the subject here: `flows.documents.render.render` is replaced by a stub for this module
(the acts still decide which documents to issue, number them and store them), which keeps the ~70
cases this matrix moves along their routes within a few seconds.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from flows import cases, clock
from flows.clock import CHINA
from flows.documents import render as documents
from flows.errors import DomainError
from flows.identity import units
from flows.identity.accounts import Registration
from flows.identity.ports import UnitRole
from flows.kinds import get_filing
from flows.ports import ReturnItem
from flows.review.transitions import Act, Actor, Role, Stage
from store import db
from store.accounts import Account, create_user, demo_password_hash, get_account, register_applicant
from store.demo import DEMO_CODES, DEMO_PASSWORD, demo_pdf
from store.identity import SqlIdentityStore
from store.models import Answer, Case, CaseMaterial, Unit
from store.queries import visible
from store.screening import configured_sources
from tests.e2e.filing import credit_code
from tests.support import World, filled_draft, make_world, submitted

TODAY = date(2026, 11, 27)
NOW = datetime.combine(TODAY, time(10, 0), tzinfo=CHINA)
MISSING = 10**9  # no case has this id

ROLES = ("applicant", "member", "other_applicant", "unverified", "county", "sibling_county", "prefecture",
         "other_prefecture", "province", "admin")
LOCATIONS: dict[str, tuple[str, str]] = {"own": ("650100", "650102"), "sibling": ("650100", "650103"),
                                         "other": ("650200", "650202")}
EVERYWHERE = frozenset(LOCATIONS)
OWN_PREFECTURE = frozenset({"own", "sibling"})

# Who sees a submitted case filed at each location. Kind A is filed with a prefecture only: no county sees it.
SEES: dict[str, dict[str, frozenset[str]]] = {
    "C": {"applicant": EVERYWHERE, "member": EVERYWHERE, "county": frozenset({"own"}),
          "sibling_county": frozenset({"sibling"}), "prefecture": OWN_PREFECTURE, "other_prefecture": frozenset({"other"}),
          "province": EVERYWHERE},
    "A": {"applicant": EVERYWHERE, "member": EVERYWHERE, "prefecture": OWN_PREFECTURE,
          "other_prefecture": frozenset({"other"}), "province": EVERYWHERE},
}
DRAFTS_SEEN: dict[str, frozenset[str]] = {"applicant": EVERYWHERE, "member": EVERYWHERE}  # nobody else sees a draft

COUNTY_OF_CASE = {"county": frozenset({"own"}), "sibling_county": frozenset({"sibling"})}
PREFECTURE_OF_CASE = {"prefecture": OWN_PREFECTURE, "other_prefecture": frozenset({"other"})}
PROVINCE = {"province": EVERYWHERE}
APPLICANT = {"applicant": EVERYWHERE, "member": EVERYWHERE}

Run = Callable[[World, Account, int, int], object]


def _act(act: Act, **options: object) -> Run:
    def run(world: World, who: Account, case_id: int, version: int) -> object:
        return cases.act_on_case(world.uow(), who.actor, case_id, act, expected_version=version, now=NOW,
                                 **options)  # type: ignore[arg-type]
    run.act = act  # type: ignore[attr-defined]
    return run


RETURN_ITEMS = (ReturnItem("area_size", "【填报】守护区域面积", "与平面图不符"),)


@dataclass(frozen=True)
class UseCase:
    name: str
    kind: str
    stage: Stage  # where the case stands when the use case is tried
    run: Run
    allowed: dict[str, frozenset[str]]  # role -> locations where it succeeds
    changes_case: bool = True
    unverified_unit: bool = False  # the filing unit is 待核验 when the use case is tried

    @property
    def act(self) -> Act | None:
        return getattr(self.run, "act", None)


USE_CASES: tuple[UseCase, ...] = (
    UseCase("load_draft of a draft", "C", Stage.DRAFT,
            lambda w, a, i, v: cases.load_draft(w.uow(), a.actor, i), DRAFTS_SEEN, changes_case=False),
    UseCase("load_draft of a submitted case", "C", Stage.COUNTY_CONFIRM,
            lambda w, a, i, v: cases.load_draft(w.uow(), a.actor, i), SEES["C"], changes_case=False),
    UseCase("load_visible of a kind-A case", "A", Stage.PREFECTURE_REVIEW,
            lambda w, a, i, v: cases.load_draft(w.uow(), a.actor, i), SEES["A"], changes_case=False),
    UseCase("save_answer", "C", Stage.DRAFT,
            lambda w, a, i, v: cases.save_answer(w.uow(), a.actor, i, "area_size", "约4万平方米", today=TODAY),
            APPLICANT),
    UseCase("upload_material", "C", Stage.DRAFT,
            lambda w, a, i, v: cases.upload_material(w.uow(), a.actor, i, "other", filename="补充.pdf",
                                                     data=demo_pdf("extra")), APPLICANT),
    UseCase("submit", "C", Stage.DRAFT,
            lambda w, a, i, v: cases.submit(w.uow(), a.actor, i, expected_version=v, now=NOW), APPLICANT),
    UseCase("act_on_case submit (only through submit)", "C", Stage.DRAFT, _act(Act.SUBMIT), {}),
    UseCase("act_on_case resubmit (only through submit)", "C", Stage.RETURNED, _act(Act.RESUBMIT), {}),
    UseCase("withdraw", "C", Stage.COUNTY_CONFIRM, _act(Act.WITHDRAW, comment="撤回"), APPLICANT),
    UseCase("confirm (county)", "C", Stage.COUNTY_CONFIRM, _act(Act.CONFIRM), COUNTY_OF_CASE),
    UseCase("confirm (county) of an unverified unit without the licence line", "C", Stage.COUNTY_CONFIRM,
            _act(Act.CONFIRM), {}, unverified_unit=True),
    UseCase("confirm (county) of an unverified unit with the licence line", "C", Stage.COUNTY_CONFIRM,
            _act(Act.CONFIRM, licence_checked=True), COUNTY_OF_CASE, unverified_unit=True),
    UseCase("return (county)", "C", Stage.COUNTY_CONFIRM, _act(Act.RETURN, items=RETURN_ITEMS), COUNTY_OF_CASE),
    UseCase("accept (prefecture)", "C", Stage.PREFECTURE_ACCEPT, _act(Act.ACCEPT), PREFECTURE_OF_CASE),
    UseCase("return (prefecture)", "C", Stage.PREFECTURE_ACCEPT, _act(Act.RETURN, items=RETURN_ITEMS),
            PREFECTURE_OF_CASE),
    UseCase("reject (prefecture)", "C", Stage.PREFECTURE_REVIEW, _act(Act.REJECT, comment="不符合条件"),
            PREFECTURE_OF_CASE),
    UseCase("approve (prefecture)", "C", Stage.PREFECTURE_REVIEW, _act(Act.APPROVE), PREFECTURE_OF_CASE),
    UseCase("report (prefecture)", "A", Stage.PREFECTURE_REVIEW, _act(Act.REPORT, comment="拟同意", opinion="favourable"),
            PREFECTURE_OF_CASE),
    UseCase("accept (prefecture) of an unverified company without the licence line", "A", Stage.PREFECTURE_ACCEPT,
            _act(Act.ACCEPT), {}, unverified_unit=True),
    UseCase("accept (prefecture) of an unverified company with the licence line", "A", Stage.PREFECTURE_ACCEPT,
            _act(Act.ACCEPT, licence_checked=True), PREFECTURE_OF_CASE, unverified_unit=True),
    UseCase("accept (province)", "A", Stage.PROVINCE_ACCEPT, _act(Act.ACCEPT), PROVINCE),
    UseCase("return_to_prefecture", "A", Stage.PROVINCE_ACCEPT, _act(Act.RETURN_TO_PREFECTURE, comment="请补充"),
            PROVINCE),
    UseCase("reject (province)", "A", Stage.PROVINCE_REVIEW, _act(Act.REJECT, comment="不符合条件"), PROVINCE),
    UseCase("approve (province)", "A", Stage.PROVINCE_REVIEW, _act(Act.APPROVE, justification="已人工核查"),
            PROVINCE),
    UseCase("rescreen", "A", Stage.PREFECTURE_REVIEW,
            lambda w, a, i, v: cases.rescreen(w.uow(), a.actor, i, configured_sources(w.engine), now=NOW),
            {**PREFECTURE_OF_CASE, **PROVINCE}, changes_case=False),
    UseCase("screening_history", "A", Stage.PREFECTURE_REVIEW,
            lambda w, a, i, v: cases.screening_history(w.uow(), a.actor, i),
            {**PREFECTURE_OF_CASE, **PROVINCE}, changes_case=False),
)


# ------------------------------------------------------------------ the world and its cases
@dataclass
class Matrix:
    world: World
    accounts: dict[str, Account]
    path: dict[tuple[str, str], Account]  # (role, location) -> who moves the case along its route there
    templates: dict[tuple[str, str], int]  # (kind, location) -> a filled draft to copy
    shared: dict[tuple[str, Stage, str], int]  # read-only use cases share one case per kind, stage, location
    engine: Engine

    def set_unit_verified(self, verified: bool) -> None:
        """Mark the applicant's unit verified or not (as if no officer had checked its licence yet)."""
        with Session(self.engine) as session:
            unit = session.get(Unit, self.world.applicant.unit_id)
            assert unit is not None
            unit.verified_at = clock.now() if verified else None
            session.add(unit)
            session.commit()


def _officer(engine: Engine, login: str, role: Role, region: str) -> Account:
    user_id = create_user(engine, login=login, password=DEMO_PASSWORD, display_name=login, role=role,
                          region_code=region, password_hash=demo_password_hash(DEMO_PASSWORD))
    account = get_account(engine, user_id)
    assert account is not None
    return account


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Matrix]:
    folder: Path = tmp_path_factory.mktemp("matrix")
    patch = pytest.MonkeyPatch()
    patch.setenv("DATA_DIR", str(folder))
    patch.setenv("KEYS_DIR", str(folder / "keys"))  # the tests' own DATA_DIR changes; the templates' keys stay
    patch.delenv("DATABASE_URL", raising=False)
    patch.setattr(documents, "render", lambda spec: demo_pdf("document"))
    engine = db.make_engine(f"sqlite:///{folder / 'matrix.db'}")
    db.migrate(engine)
    world = make_world(engine)
    admin = _officer(engine, "admin", Role.ADMIN, "650000")
    member_id = create_user(engine, login="13899990003", password=DEMO_PASSWORD, display_name="王芳", role=Role.APPLICANT,
                            unit_id=world.applicant.unit_id, unit_role=UnitRole.MEMBER, mobile="13899990003",
                            password_hash=demo_password_hash(DEMO_PASSWORD))
    member = get_account(engine, member_id)
    unverified = register_applicant(engine, Registration(unit_name="乌鲁木齐新注册物业服务有限公司", credit_code=DEMO_CODES[2],
                                                         contact="周新", mobile="13899990004", password=DEMO_PASSWORD),
                                    password_hash=demo_password_hash(DEMO_PASSWORD))
    assert member is not None and not unverified.unit_verified
    accounts = ({role: getattr(world, role) for role in ROLES if hasattr(world, role)}
                | {"admin": admin, "member": member, "unverified": unverified})
    county_other = _officer(engine, "county650202", Role.COUNTY, "650202")
    path = {("county", "own"): world.county, ("county", "sibling"): world.sibling_county,
            ("county", "other"): county_other, ("prefecture", "own"): world.prefecture,
            ("prefecture", "sibling"): world.prefecture, ("prefecture", "other"): world.other_prefecture}
    templates = {}
    for kind in "AC":
        for location, (prefecture, county) in LOCATIONS.items():
            draft = filled_draft(world, kind, today=TODAY, prefecture=prefecture, county=county)
            templates[(kind, location)] = draft.id
    yield Matrix(world, accounts, path, templates, {}, engine)
    patch.undo()
    engine.dispose()


def _copy_draft(matrix: Matrix, kind: str, location: str) -> int:
    """A new draft with the template's answers and materials (rows copied; the files are already stored)."""
    template = matrix.templates[(kind, location)]
    with Session(matrix.world.engine) as session:
        source = session.get(Case, template)
        assert source is not None
        copy = Case(**source.model_dump(exclude={"id", "version", "warnings", "open_items"}))
        session.add(copy)
        session.flush()
        assert copy.id is not None
        for answer in session.exec(select(Answer).where(Answer.case_id == template)):
            session.add(Answer(case_id=copy.id, question_id=answer.question_id, value=answer.value))
        for material in session.exec(select(CaseMaterial).where(CaseMaterial.case_id == template,
                                                                col(CaseMaterial.current).is_(True))):
            session.add(CaseMaterial(**material.model_dump(exclude={"id", "case_id"}), case_id=copy.id))
        session.commit()
        return copy.id


def _version(matrix: Matrix, case_id: int) -> int:
    with matrix.world.uow() as uow:
        return uow.case(case_id).version


def _move(matrix: Matrix, case_id: int, who: Account, act: Act, **options: object) -> None:
    _act(act, **options)(matrix.world, who, case_id, _version(matrix, case_id))


def case_at(matrix: Matrix, kind: str, stage: Stage, location: str) -> int:
    """A case of `kind` filed by the applicant at `location`, brought to `stage` along its route."""
    world = matrix.world
    case_id = _copy_draft(matrix, kind, location)
    if stage == Stage.DRAFT:
        return case_id
    cases.submit(world.uow(), world.applicant.actor, case_id, expected_version=_version(matrix, case_id), now=NOW,
                 sources=configured_sources(world.engine))
    if stage == Stage.RETURNED:
        _move(matrix, case_id, matrix.path[("county", location)], Act.RETURN, items=RETURN_ITEMS)
        return case_id
    prefecture = matrix.path[("prefecture", location)]
    steps: list[tuple[Account, Act, dict[str, object]]] = []
    if kind == "C":
        steps.append((matrix.path[("county", location)], Act.CONFIRM, {}))
    steps.append((prefecture, Act.ACCEPT, {}))
    if kind == "A":
        steps += [(prefecture, Act.REPORT, {"comment": "拟同意", "opinion": "favourable"}), (world.province, Act.ACCEPT, {})]
    reached = ([Stage.COUNTY_CONFIRM] if kind == "C" else []) + [Stage.PREFECTURE_ACCEPT, Stage.PREFECTURE_REVIEW]
    reached += [Stage.PROVINCE_ACCEPT, Stage.PROVINCE_REVIEW] if kind == "A" else []
    for who, act, options in steps[:reached.index(stage)]:
        _move(matrix, case_id, who, act, **options)
    with world.uow() as uow:
        assert uow.case(case_id).stage == stage
    return case_id


# ------------------------------------------------------------------ the matrix
def _outcome(use: UseCase, matrix: Matrix, role: str, case_id: int) -> str | None:
    """None when the use case succeeded, else the refusal's message (anything else is a failure)."""
    try:
        use.run(matrix.world, matrix.accounts[role], case_id, _version(matrix, case_id) if case_id != MISSING else 1)
    except DomainError as error:
        return error.message
    return None


def _sees(use: UseCase, role: str, location: str) -> bool:
    seen = DRAFTS_SEEN if use.stage in (Stage.DRAFT,) else SEES[use.kind]
    return location in seen.get(role, frozenset())


@pytest.mark.parametrize("use", USE_CASES, ids=[u.name for u in USE_CASES])
def test_each_role_may_do_exactly_what_the_table_allows_where_the_case_is_filed(matrix: Matrix,
                                                                                use: UseCase) -> None:
    problems = []
    for location in LOCATIONS:
        allowed_roles = [r for r in ROLES if location in use.allowed.get(r, frozenset())]
        refused_roles = [r for r in ROLES if r not in allowed_roles]
        key = (use.kind, use.stage, location)
        if use.unverified_unit:
            matrix.set_unit_verified(False)
        if use.changes_case:
            case_id = case_at(matrix, use.kind, use.stage, location)
        else:
            case_id = matrix.shared.get(key) or case_at(matrix, use.kind, use.stage, location)
            matrix.shared[key] = case_id
        acted = False
        for role in refused_roles + allowed_roles:  # refusals first: they must leave the case as it was
            if acted and use.changes_case:  # a second allowed role (the unit's member) gets a case of its own
                case_id = case_at(matrix, use.kind, use.stage, location)
            message = _outcome(use, matrix, role, case_id)
            acted = acted or (role in allowed_roles and message is None)
            allowed = role in allowed_roles
            if allowed and message is not None:
                problems.append(f"{role} @ {location}: refused ({message}) but the table allows it")
            elif not allowed and message is None:
                problems.append(f"{role} @ {location}: allowed but the table refuses it")
            elif not allowed and not _sees(use, role, location):
                unknown = _outcome(use, matrix, role, MISSING)
                if message != unknown:
                    problems.append(f"{role} @ {location}: refusal '{message}' differs from the answer for a case "
                                    f"that does not exist ('{unknown}'): it reveals the case")
    matrix.set_unit_verified(True)
    assert not problems, f"{use.name}:\n" + "\n".join(problems)


def test_the_matrix_covers_every_use_case_and_act_of_flows_cases() -> None:
    names = {u.name for u in USE_CASES}
    for public in ("load_draft", "save_answer", "upload_material", "submit", "rescreen", "screening_history"):
        assert any(n.startswith(public) or public in n for n in names), public
    acts = {u.act for u in USE_CASES}
    assert set(Act) <= acts
    assert {get_filing(u.kind).kind for u in USE_CASES} == {"A", "C"}


def test_an_officer_without_a_region_sees_no_case(engine: Engine) -> None:
    world = make_world(engine)
    submitted(world, "A", today=date(2026, 11, 2))  # kind A: no county
    with Session(engine) as session:
        assert session.exec(select(Case).where(visible(world.province.actor))).all()  # it is there
        for role in (Role.COUNTY, Role.PREFECTURE):
            stray = Actor(world.province.user_id, role, None)
            assert session.exec(select(Case).where(visible(stray))).all() == []


# ------------------------------------------------------------------ who may manage units
UNIT_ADMINS = frozenset({"applicant", "other_applicant", "unverified"})
OFFICERS = frozenset({"county", "sibling_county", "prefecture", "other_prefecture", "province"})
URUMQI_OFFICERS = OFFICERS - {"other_prefecture"}
UnitRun = Callable[[Matrix, Account], object]


_UNIT_SEEDS = itertools.count(701)


def _fresh_unit(matrix: Matrix) -> int:
    """A unit of its own for a use case that takes it over (a transfer)."""
    n = next(_UNIT_SEEDS)
    account = register_applicant(matrix.engine, Registration(
        unit_name=f"转交测试物业服务有限公司{n}", credit_code=credit_code(n), contact="冒用者", mobile=f"1370000{n:04d}",
        password=DEMO_PASSWORD), password_hash=demo_password_hash(DEMO_PASSWORD))
    assert account.unit_id is not None
    return account.unit_id


def _remove_member(matrix: Matrix, who: Account) -> object:
    member = matrix.accounts["member"]
    try:
        return units.remove_member(SqlIdentityStore(matrix.engine), who.user_id, member.user_id)
    finally:
        with SqlIdentityStore(matrix.engine) as store:  # back for the next role
            store.update_user(member.user_id, active=True)
            store.commit()


@dataclass(frozen=True)
class UnitUseCase:
    name: str
    run: UnitRun
    allowed: frozenset[str]


UNIT_USE_CASES: tuple[UnitUseCase, ...] = (
    UnitUseCase("invite a colleague to one's own unit", lambda m, a: units.invite(
        SqlIdentityStore(m.engine), a.user_id, mobile="13700000001", contact="新同事"), UNIT_ADMINS),
    UnitUseCase("remove the applicant unit's member", _remove_member, frozenset({"applicant"})),
    UnitUseCase("look up a unit by credit code", lambda m, a: units.look_up_unit(
        SqlIdentityStore(m.engine), a.user_id, m.world.applicant.credit_code or ""), OFFICERS),
    # The units are registered by 乌鲁木齐市's authority (91650100…): its districts, its prefecture and the province
    # act for them; 克拉玛依's prefecture does not.
    UnitUseCase("verify a unit at the counter", lambda m, a: units.verify_unit(
        SqlIdentityStore(m.engine), a.user_id, _fresh_unit(m), licence_checked=True,
        representative_checked=True), URUMQI_OFFICERS),
    UnitUseCase("hand a unit to its rightful owner", lambda m, a: units.transfer_unit(
        SqlIdentityStore(m.engine), a.user_id, _fresh_unit(m), name="合法物业服务有限公司", contact="张真",
        mobile="13700000002", reason="冒用注册", licence_checked=True, representative_checked=True),
        URUMQI_OFFICERS),
)


@pytest.mark.parametrize("use", UNIT_USE_CASES, ids=[u.name for u in UNIT_USE_CASES])
def test_only_a_units_administrator_manages_its_people_and_only_officers_verify_units(matrix: Matrix,
                                                                                    use: UnitUseCase) -> None:
    problems = []
    for role in ROLES:
        try:
            use.run(matrix, matrix.accounts[role])
        except DomainError as error:
            if role in use.allowed:
                problems.append(f"{role}: refused ({error.message}) but allowed")
            elif any(name in error.message for name in ("幸福", "马丽", "王芳", "13899990003")):
                problems.append(f"{role}: the refusal names the unit or its people: {error.message}")
        else:
            if role not in use.allowed:
                problems.append(f"{role}: allowed but refused by the table")
    assert not problems, f"{use.name}:\n" + "\n".join(problems)


def test_removing_someone_of_another_unit_reads_as_removing_no_one(matrix: Matrix) -> None:
    store = SqlIdentityStore(matrix.engine)
    with pytest.raises(DomainError) as theirs:
        units.remove_member(store, matrix.accounts["other_applicant"].user_id, matrix.accounts["member"].user_id)
    with pytest.raises(DomainError) as nobody:
        units.remove_member(store, matrix.accounts["other_applicant"].user_id, MISSING)
    assert theirs.value.message == nobody.value.message
