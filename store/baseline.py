"""The baseline list (底数): units known to have to file, imported by the province, and their coverage."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Engine, true
from sqlmodel import Session, col, select

from flows.errors import FieldError
from flows.filing.identifiers import check_uscc
from flows.kinds import baseline_kinds
from flows.oversight.reports import NOT_STARTED, CoverageFigures, baseline_status
from flows.oversight.tables import BaselineImport, Row
from flows.regions import RegionTree, get_regions
from flows.review.transitions import Actor, Role, Stage
from store import audit
from store.db import write_session
from store.models import BaselineUnit, Case

COLUMNS = {"name": ("单位名称", "name"), "credit_code": ("统一社会信用代码", "credit_code"),
           "region": ("所属地区", "地区", "行政区划代码", "region"), "kind": ("业务类型", "kind")}
UNSTATED = "（未注明县）"


def _field(record: dict[str, str], name: str) -> str:
    for header in COLUMNS[name]:
        if header in record:
            return record[header].strip()
    return ""


def find_region(tree: RegionTree, text: str) -> tuple[str, str | None]:
    """(prefecture, county) from a code, a full name ("乌鲁木齐市天山区") or a name found once."""
    text = text.strip()
    matches = [code for code in (text,) if code in tree]
    if not matches:
        everything = [*tree.prefectures(), *tree.all_counties()]
        matches = [r.code for r in everything if tree.full_name(r.code) == text]
        if not matches:
            matches = [r.code for r in everything if r.name == text]
    if len(matches) != 1:
        raise FieldError(f"所属地区“{text}”无法识别，请填写行政区划代码或全称（如“乌鲁木齐市天山区”）")
    region = tree.get(matches[0])
    if region.level == "province":
        raise FieldError("所属地区应为州、市、地或县（市、区）")
    prefecture = tree.prefecture_of(region.code)
    return prefecture.code, region.code if region.level == "county" else None


def import_baseline(engine: Engine, rows: Iterable[Row], *, actor_id: int | None) -> BaselineImport:
    """Add or update known units by credit code; bad rows are listed with their line numbers."""
    tree = get_regions()
    report = BaselineImport()
    with write_session(engine) as session:
        for line, record in rows:
            try:
                name = _field(record, "name")
                if not name:
                    raise FieldError("缺少单位名称")
                code = check_uscc(_field(record, "credit_code"))
                prefecture, county = find_region(tree, _field(record, "region"))
                named = _field(record, "kind")
                kind = baseline_kinds().get(named) if named else ""
                if kind is None:
                    listed = "、".join(sorted(set(baseline_kinds().values())))
                    raise FieldError(f"业务类型“{named}”无法识别，应为{listed}或留空")
            except FieldError as error:
                if len(report.errors) < 1000:
                    report.errors.append((line, error.message))
                continue
            row = session.exec(select(BaselineUnit).where(BaselineUnit.credit_code == code)).first()
            if row is None:
                row = BaselineUnit(credit_code=code, name=name[:120], kind=kind, prefecture_code=prefecture,
                                   county_code=county, imported_by=actor_id)
                report.added += 1
            else:
                row.name, row.kind, row.prefecture_code, row.county_code = name[:120], kind, prefecture, county
                report.updated += 1
            session.add(row)
            session.flush()
        audit.append(session, actor_id=actor_id, action="baseline_import", subject="baseline",
                     detail={"added": report.added, "updated": report.updated, "errors": len(report.errors)})
        session.commit()
    return report


def _scope(actor: Actor) -> ColumnElement[bool] | None:
    if actor.role == Role.PROVINCE:
        return true()
    if actor.role == Role.PREFECTURE:
        return col(BaselineUnit.prefecture_code) == actor.region_code
    if actor.role == Role.COUNTY:
        return col(BaselineUnit.county_code) == actor.region_code
    return None


@dataclass(frozen=True)
class KnownUnit:
    name: str
    credit_code: str
    prefecture_code: str
    county_code: str | None
    status: str


@dataclass(frozen=True)
class Coverage:
    regions: list[CoverageFigures]
    total: CoverageFigures
    units: list[KnownUnit]

    @property
    def not_started(self) -> list[KnownUnit]:
        return [u for u in self.units if u.status == NOT_STARTED]


def coverage(engine: Engine, actor: Actor) -> Coverage:
    """Per region of the officer's scope: known units filed, in progress, not started."""
    tree = get_regions()
    scope = _scope(actor)
    if scope is None:
        return Coverage([], CoverageFigures("", "合计"), [])
    by_county = actor.role != Role.PROVINCE
    if actor.role == Role.PROVINCE:
        listed = [(p.code, p.name) for p in tree.prefectures()]
    elif actor.role == Role.PREFECTURE and actor.region_code:
        listed = [(c.code, c.name) for c in tree.counties(actor.region_code)]
    else:
        listed = [(actor.region_code or "", tree.get(actor.region_code).name if actor.region_code else "")]
    rows = {code: CoverageFigures(code, name) for code, name in listed}
    total = CoverageFigures("", "合计")
    with Session(engine) as session:
        known = session.exec(select(BaselineUnit).where(scope).order_by(
            col(BaselineUnit.prefecture_code), col(BaselineUnit.county_code), col(BaselineUnit.name))).all()
        stages: dict[str, list[Stage]] = {}
        codes = select(BaselineUnit.credit_code).where(scope)
        for code, stage in session.exec(select(Case.credit_code, Case.stage).where(
                col(Case.kind).in_(set(baseline_kinds().values())), col(Case.credit_code).in_(codes))):
            stages.setdefault(code, []).append(Stage(stage))
    units = []
    for unit in known:
        status = baseline_status(stages.get(unit.credit_code, ()))
        key = (unit.county_code or "") if by_county else unit.prefecture_code
        if key not in rows:
            rows[key] = CoverageFigures(key, UNSTATED if by_county else key)
        rows[key].add(status)
        total.add(status)
        units.append(KnownUnit(unit.name, unit.credit_code, unit.prefecture_code, unit.county_code, status))
    return Coverage(list(rows.values()), total, units)


def baseline_size(engine: Engine) -> int:
    with Session(engine) as session:
        return len(session.exec(select(BaselineUnit.id)).all())
