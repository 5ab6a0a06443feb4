"""The benchmark data set: 100,000 cases in a temporary SQLite database, written in bulk into the real tables.

Cases are spread over the 14 prefectures and their counties (weighted: 乌鲁木齐 holds the most), the
four kinds and every stage; each carries the events of the path that brought it to its stage, a
notification per event, its answers, the metadata of its materials (the bytes are a few real PDFs
in the blob store, shared by content hash), and kind-A cases a screening run. Open cases have a
running time limit whose due date lies around today, so queues hold overdue, due-today and later
cases. Built with SQLAlchemy core `insert()` on the tables of store/models.py after Alembic created
the schema, so every index the product ships is there and nothing else.
"""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table, bindparam, insert, update

from flows import clock
from flows.kinds import get_filing
from flows.regions import Region, get_regions
from flows.review.deadlines import WorkCalendar
from flows.review.screening import CATEGORIES, CategoryResult, Outcome, ScreeningResult
from flows.review.transitions import STAGE_LABELS, Act, Role, Stage
from store import blobs
from store.accounts import demo_password_hash
from store.db import make_engine, migrate
from store.demo import DEMO_PASSWORD, demo_answers, demo_pdf
from store.models import (
    Answer,
    Case,
    CaseEvent,
    CaseMaterial,
    Delivery,
    Feedback,
    Notification,
    ScreeningRun,
    Unit,
    User,
)

CASES = 100_000
UNITS = 20_000
CHUNK = 5_000
SEED = 20261127

S = Stage
A = Act
# The full path of each route; a case stops somewhere along it (or leaves it by a side exit).
PATH_A = ((A.SUBMIT, S.DRAFT, S.PREFECTURE_ACCEPT), (A.ACCEPT, S.PREFECTURE_ACCEPT, S.PREFECTURE_REVIEW),
          (A.REPORT, S.PREFECTURE_REVIEW, S.PROVINCE_ACCEPT), (A.ACCEPT, S.PROVINCE_ACCEPT, S.PROVINCE_REVIEW),
          (A.APPROVE, S.PROVINCE_REVIEW, S.APPROVED))
PATH_COUNTY = ((A.SUBMIT, S.DRAFT, S.COUNTY_CONFIRM), (A.CONFIRM, S.COUNTY_CONFIRM, S.PREFECTURE_ACCEPT),
               (A.ACCEPT, S.PREFECTURE_ACCEPT, S.PREFECTURE_REVIEW), (A.APPROVE, S.PREFECTURE_REVIEW, S.APPROVED))
ROLE_OF = {A.SUBMIT: Role.APPLICANT, A.WITHDRAW: Role.APPLICANT, A.CONFIRM: Role.COUNTY}
# Which stages start the time limit (a fresh 5 working days) when entered.
CLOCK_STARTS = {A.SUBMIT, A.RESUBMIT, A.REPORT, A.RETURN_TO_PREFECTURE}
KIND_WEIGHTS = {"A": 0.15, "B": 0.12, "C": 0.55, "D": 0.13, "E": 0.05}


@dataclass
class Dataset:
    """Where the data set is and who is in it."""

    url: str
    path: Path
    engine: Engine
    today: date
    officers: dict[str, int] = field(default_factory=dict)  # login -> user id
    busiest_unit_user: int = 0  # the applicant user of the unit with the most cases
    draft_case: int = 0  # an open draft of that unit
    review_case: int = 0  # a kind-A case in prefecture review in 650100, with answers and materials
    county_case: int = 0  # a kind-C case waiting on county 650102
    counts: dict[str, int] = field(default_factory=dict)
    build_seconds: float = 0.0


def _weights(prefectures: list[Region]) -> list[float]:
    # 乌鲁木齐 first and heaviest, then the file order with slowly falling weights.
    return [6.0 if p.code == "650100" else 2.5 - i * 0.1 for i, p in enumerate(prefectures)]


def _utc(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=UTC)


def _pick_path(rng: random.Random, kind: str) -> tuple[list[tuple[Act, Stage, Stage]], Stage]:
    """The events of one case and its stage now."""
    full = list(PATH_A if get_filing(kind).route.province_approval else PATH_COUNTY)
    roll = rng.random()
    if roll < 0.05:
        return [], S.DRAFT
    if roll < 0.68:
        return full, S.APPROVED
    if roll < 0.72:  # rejected during the last review
        events = full[:-1] + [(A.REJECT, full[-1][1], S.REJECTED)]
        return events, S.REJECTED
    if roll < 0.75:
        return [full[0], (A.WITHDRAW, full[0][2], S.WITHDRAWN)], S.WITHDRAWN
    if roll < 0.78:  # returned for correction at acceptance, waiting on the applicant
        upto = 2 if get_filing(kind).route.province_approval else 3
        events = full[:upto - 1] + [(A.RETURN, full[upto - 1][1], S.RETURNED)]
        return events, S.RETURNED
    # Open: waiting on an officer somewhere along the path.
    steps = rng.randint(1, len(full) - 1)
    return full[:steps], full[steps - 1][2]


def _unit_rows(rng: random.Random, counties: list[Region], weights: list[float]) -> list[dict[str, Any]]:
    units = []
    cum = list(itertools.accumulate(weights))
    for i in range(UNITS):
        county = rng.choices(counties, cum_weights=cum)[0]
        units.append({"id": i + 1, "name": f"{county.name}安居物业服务有限公司{i + 1:05d}",
                      "credit_code": f"91650{i:012d}X", "home": county})
    return units


def _batches(rows: Iterator[dict[str, Any]], size: int = CHUNK) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def build(path: Path, *, cases: int = CASES, seed: int = SEED, progress: bool = True) -> Dataset:
    """Create the database at `path` (migrated, then bulk-filled)."""
    started = time.perf_counter()
    rng = random.Random(seed)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    migrate(engine)
    today = clock.today()
    now = clock.now()
    regions = get_regions()
    prefectures = regions.prefectures()
    pref_weights = _weights(prefectures)
    counties = [c for p in prefectures for c in regions.counties(p.code)]
    county_weights = [pref_weights[prefectures.index(regions.prefecture_of(c.code))] / len(regions.counties(
        regions.prefecture_of(c.code).code)) for c in counties]
    calendar = WorkCalendar()
    password = demo_password_hash(DEMO_PASSWORD)
    data = Dataset(url=url, path=path, engine=engine, today=today)

    def table(model: Any) -> Table:
        return model.__table__  # type: ignore[no-any-return]

    def put(model: Any, rows: list[dict[str, Any]]) -> None:
        if rows:
            with engine.begin() as connection:
                connection.execute(insert(table(model)), rows)
        data.counts[model.__tablename__] = data.counts.get(model.__tablename__, 0) + len(rows)

    # Officers: every prefecture and county, the province, an administrator.
    officers = [("ting", Role.PROVINCE, "650000", "公安厅治安管理总队"), ("admin", Role.ADMIN, None, "系统管理员")]
    officers += [(f"zhou{p.code}", Role.PREFECTURE, p.code, f"{p.name}公安局") for p in prefectures]
    officers += [(f"xian{c.code}", Role.COUNTY, c.code, f"{c.name}公安局") for c in counties]
    users: list[dict[str, Any]] = []
    for login, role, region, name in officers:
        user_id = len(users) + 1
        users.append({"id": user_id, "login": login, "display_name": name, "role": role, "region_code": region,
                      "unit_id": None, "mobile": None, "password_hash": password, "active": True,
                      "failed_logins": 0, "created_at": now})
        data.officers[login] = user_id
    units = _unit_rows(rng, counties, county_weights)
    put(Unit, [{"id": u["id"], "name": u["name"], "credit_code": u["credit_code"], "created_at": now}
               for u in units])
    unit_user: dict[int, int] = {}
    for u in units:
        user_id = len(users) + 1
        users.append({"id": user_id, "login": f"139{u['id']:08d}", "display_name": f"联系人{u['id']}",
                      "role": Role.APPLICANT, "region_code": None, "unit_id": u["id"],
                      "mobile": f"139{u['id']:08d}", "password_hash": password, "active": True,
                      "failed_logins": 0, "created_at": now})
        unit_user[u["id"]] = user_id
    put(User, users)

    # One blob per material (content-addressed, shared), so previews and downloads work.
    material_sha = {}
    for kind in KIND_WEIGHTS:
        for m in get_filing(kind).materials:
            if m.id not in material_sha:
                pdf = demo_pdf(m.id)
                material_sha[m.id] = (blobs.put(pdf), len(pdf))

    answers_by_kind = {k: demo_answers(k, today=today) for k in KIND_WEIGHTS}
    kinds = list(KIND_WEIGHTS)
    kind_weights = list(KIND_WEIGHTS.values())
    # A few units file far more than the rest (a big property company): Zipf-like choice.
    unit_weights = [1.0 / (1 + i) ** 0.6 for i in range(UNITS)]
    rng.shuffle(unit_weights)
    unit_cum = list(itertools.accumulate(unit_weights))
    unit_ids = [u["id"] for u in units]
    approved_c: list[int] = []
    per_unit: dict[int, int] = {}
    verified: dict[int, tuple[datetime, int]] = {}  # unit -> (when, by whom) its licence was first checked

    case_rows: list[dict[str, Any]] = []
    answer_rows: list[dict[str, Any]] = []
    event_rows: list[dict[str, Any]] = []
    note_rows: list[dict[str, Any]] = []
    material_rows: list[dict[str, Any]] = []
    run_rows: list[dict[str, Any]] = []
    delivery_rows: list[dict[str, Any]] = []
    next_event = 1

    def flush(force: bool = False) -> None:
        nonlocal case_rows, answer_rows, event_rows, note_rows, material_rows, run_rows, delivery_rows
        if not force and len(case_rows) < CHUNK:
            return
        put(Case, case_rows)
        put(Answer, answer_rows)
        put(CaseEvent, event_rows)
        put(Notification, note_rows)
        put(CaseMaterial, material_rows)
        put(ScreeningRun, run_rows)
        put(Delivery, delivery_rows)
        case_rows, answer_rows, event_rows, note_rows, material_rows, run_rows = [], [], [], [], [], []
        delivery_rows = []

    clear = ScreeningResult(at=now, results=tuple(CategoryResult(c, Outcome.CLEAR, "本地比对库")
                                                   for c in CATEGORIES)).to_json()
    for case_id in range(1, cases + 1):
        kind = rng.choices(kinds, kind_weights)[0]
        unit_id = rng.choices(unit_ids, cum_weights=unit_cum)[0]
        unit = units[unit_id - 1]
        per_unit[unit_id] = per_unit.get(unit_id, 0) + 1
        county: Region = unit["home"]
        prefecture = regions.prefecture_of(county.code)
        events, stage = _pick_path(rng, kind)
        if kind == "D" and not approved_c:
            kind, events, stage = "C", [], S.DRAFT
        final = stage in (S.APPROVED, S.REJECTED, S.WITHDRAWN)
        # Finished cases anywhere in the last two years; open ones recently, so their clocks run now.
        span = rng.randint(3, 720) if final else rng.randint(0, 12)
        first = today - timedelta(days=span + 2 * len(events))
        applicant = unit_user[unit_id]
        filing = get_filing(kind)
        created = _utc(first, 1)
        submitted = _utc(first, 3) if events else None
        ref_case = rng.choice(approved_c) if kind == "D" else None
        row: dict[str, Any] = {
            "id": case_id, "number": f"{kind}{first:%Y%m%d}{case_id:06d}" if events else None, "kind": kind,
            "definition_version": filing.version, "unit_id": unit_id, "applicant_user_id": applicant,
            "unit_name": unit["name"], "credit_code": unit["credit_code"], "stage": stage,
            "prefecture_code": prefecture.code if events else None,
            "county_code": county.code if events and filing.route.county_confirm else None, "ref_case_id": ref_case,
            "instructions_read_at": created, "created_at": created, "submitted_at": submitted,
            "updated_at": created, "clock_started_on": None, "clock_days": None, "due_on": None,
            "accepted_by": None, "warnings": ["逾期申报：开始保安服务的日期早于提交日期30日以上。"] if rng.random() < 0.05 else [],
            "open_items": ["area_size"] if stage == S.RETURNED else None, "cancelled": False, "version": 1,
        }
        day = first
        for act, source, target in events:
            officer = Role.PROVINCE if source in (S.PROVINCE_ACCEPT, S.PROVINCE_REVIEW) else Role.PREFECTURE
            role = ROLE_OF.get(act, officer)
            actor = {Role.APPLICANT: applicant, Role.COUNTY: data.officers.get(f"xian{county.code}", 1),
                     Role.PREFECTURE: data.officers[f"zhou{prefecture.code}"], Role.PROVINCE: 1}[role]
            at = _utc(day, rng.randint(1, 9))
            event_rows.append({"id": next_event, "case_id": case_id, "act": act, "from_stage": source,
                               "to_stage": target, "actor_id": actor, "actor_role": role,
                               "actor_name": "申请单位" if role == Role.APPLICANT else "审核人员", "at": at,
                               "comment": "经审核，材料齐全。" if act == A.REPORT else "",
                               "internal_comment": "",
                               "items": [{"item_id": "area_size", "label": "【填报】守护区域面积",
                                          "reason": "与平面图不符"}] if act == A.RETURN else []})
            note_rows.append({"id": next_event, "user_id": applicant, "case_id": case_id,
                              "text": f"您的办件当前状态：{STAGE_LABELS[target]}", "created_at": at,
                              "read_at": at if final else None, "sent_at": at, "attempts": 1})
            # The outbox as it stands in service: every message but today's already delivered by SMS.
            if day < today:
                delivery_rows.append({"notification_id": next_event, "channel": "sms", "status": "sent",
                                      "attempts": 1, "claim": "", "last_error": "", "sent_at": at, "updated_at": at})
            next_event += 1
            if act in CLOCK_STARTS:
                row["clock_started_on"], row["clock_days"] = day, 5
            if act == A.ACCEPT and role == Role.PREFECTURE:
                row["accepted_by"] = actor
            # The act that checked the unit's licence made it verified (flows.cases.verifies_unit), once.
            if act == A.CONFIRM or (act == A.ACCEPT and source == S.PREFECTURE_ACCEPT
                                    and not filing.route.county_confirm):
                if unit_id not in verified or at < verified[unit_id][0]:
                    verified[unit_id] = (at, actor)
            row["updated_at"] = at
            row["version"] += 1
            day += timedelta(days=rng.randint(0, 3) if final else rng.randint(0, 2))
        if stage in (S.APPROVED, S.REJECTED, S.WITHDRAWN, S.RETURNED, S.DRAFT):
            row["clock_started_on"] = row["clock_days"] = None
        if row["clock_started_on"] is not None:
            row["due_on"] = calendar.add_working_days(row["clock_started_on"], 5)
        if kind == "C" and stage == S.APPROVED:
            approved_c.append(case_id)
        case_rows.append(row)
        answers = dict(answers_by_kind[kind])
        known = {"unit.name": unit["name"], "unit.credit_code": unit["credit_code"],
                 "account.contact": f"联系人{unit_id}", "account.mobile": f"139{unit_id:08d}"}
        answers.update({q.id: known[q.prefill] for q in filing.questions if q.prefill is not None})
        if kind == "D":
            answers["filing_ref"] = {"case_id": ref_case, "number": f"C{ref_case:06d}",
                                     "prefecture": prefecture.code, "county": county.code}
        elif filing.location_field:
            answers[filing.location_field] = {"prefecture": prefecture.code,
                                              "county": county.code if kind != "A" else None}
        if stage == S.DRAFT:  # a draft stops half-way through the questions
            answers = dict(list(answers.items())[: len(answers) // 2])
        answer_rows.extend({"case_id": case_id, "question_id": q, "value": v, "updated_at": created}
                           for q, v in answers.items())
        for m in filing.materials:
            if m.required or rng.random() < 0.3:
                sha, size = material_sha[m.id]
                material_rows.append({"case_id": case_id, "material_id": m.id, "filename": f"{m.label}.pdf"[:120],
                                      "sha256": sha, "size": size, "file_type": "pdf", "pages": 1,
                                      "uploaded_at": created, "uploaded_by": applicant, "current": True})
        if kind == "A" and events:
            run_rows.append({"case_id": case_id, "at": submitted, "requested_by": None, "results": clear,
                             "fugitive_hit": False})
        flush()
        if progress and case_id % 20_000 == 0:
            print(f"  data set: {case_id:,} cases written ({time.perf_counter() - started:.0f} s)", flush=True)
    flush(force=True)
    with engine.begin() as connection:
        connection.execute(update(Unit).where(Unit.id == bindparam("unit")).values(  # type: ignore[arg-type]
            verified_at=bindparam("at"), verified_by=bindparam("by")),
            [{"unit": unit, "at": at, "by": by} for unit, (at, by) in verified.items()])

    put(Feedback, [{"created_at": now - timedelta(hours=i), "user_id": unit_user[1 + i % UNITS], "case_id": None,
                    "page": "assistant", "step": "填写", "kind": "C", "category": "feedback", "rating": None,
                    "text": f"第{i}条意见：上传材料时不知道选哪个文件。", "status": "new" if i % 3 else "done",
                    "reply": ""} for i in range(2_000)])

    busiest = max(per_unit, key=lambda u: per_unit[u])
    data.busiest_unit_user = unit_user[busiest]
    with engine.begin() as connection:
        def first_id(sql: str, **params: Any) -> int:
            found = connection.exec_driver_sql(sql, tuple(params.values())).first()
            return int(found[0]) if found else 0

        data.draft_case = first_id("SELECT id FROM \"case\" WHERE unit_id = ? AND stage = 'draft' "
                                   "ORDER BY id DESC LIMIT 1", unit=busiest)
        data.review_case = first_id("SELECT id FROM \"case\" WHERE kind = 'A' AND stage = 'prefecture_review' "
                                    "AND prefecture_code = '650100' LIMIT 1")
        data.county_case = first_id("SELECT id FROM \"case\" WHERE stage = 'county_confirm' "
                                    "AND county_code = '650102' LIMIT 1")
        connection.exec_driver_sql("ANALYZE")
    data.counts["busiest unit's cases"] = per_unit[busiest]
    data.build_seconds = time.perf_counter() - started
    return data


def open_existing(path: Path) -> Dataset:
    """A data set built earlier at `path` (for repeated runs while working on the bench)."""
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    migrate(engine)  # a data set built before the newest migration gets its indexes
    data = Dataset(url=url, path=path, engine=engine, today=clock.today())
    with engine.connect() as connection:
        def scalar(sql: str) -> int:
            found = connection.exec_driver_sql(sql).first()
            return int(found[0]) if found and found[0] is not None else 0

        data.officers = {str(login): int(i) for i, login in connection.exec_driver_sql(
            "SELECT id, login FROM user WHERE role != 'applicant'")}
        busiest = scalar("SELECT unit_id FROM \"case\" GROUP BY unit_id ORDER BY count(*) DESC LIMIT 1")
        data.busiest_unit_user = scalar(f"SELECT id FROM user WHERE unit_id = {busiest}")
        data.draft_case = scalar(f"SELECT max(id) FROM \"case\" WHERE unit_id = {busiest} AND stage = 'draft'")
        data.review_case = scalar("SELECT min(id) FROM \"case\" WHERE kind = 'A' AND stage = 'prefecture_review' "
                                  "AND prefecture_code = '650100'")
        data.county_case = scalar("SELECT min(id) FROM \"case\" WHERE stage = 'county_confirm' "
                                  "AND county_code = '650102'")
        for name in ("case", "caseevent", "answer", "casematerial", "notification", "screeningrun"):
            data.counts[name] = scalar(f'SELECT count(*) FROM "{name}"')
    return data
