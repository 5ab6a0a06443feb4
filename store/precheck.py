"""The pre-check's queue (one `PrecheckJob` row per uploaded file) and what pages read of it.

Files waiting are the current material rows of a pre-checked material without a job row: nothing has
to be queued at upload time, so an upload never waits for the pre-check and none is forgotten if the
app stops in between. A worker claims a file by inserting its job row (unique per material row: two
workers cannot both claim one), with a lease; a worker that dies leaves a running row whose lease runs
out, and the next worker takes it again, up to MAX_ATTEMPTS, after which the file stays 「未能自动核对」.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import cache
from typing import Literal

from sqlalchemy import Engine, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from flows.filing.identifiers import mask_id
from flows.filing.schema import ReadField
from flows.kinds import all_filings, get_filing
from flows.review.transitions import Stage, holder_of
from flows.uploads.precheck.fields import normalise
from flows.uploads.precheck.reading import Reading, ReadRequest, request_for
from store import audit
from store.db import write_session
from store.models import Case, CaseMaterial, PrecheckJob, utcnow
from store.screening import id_hash, secret_key

MAX_ATTEMPTS = 2
LEASE = timedelta(minutes=3)
ABANDONED = "自动核对未完成（处理程序中断）"
State = Literal["waiting", "running", "done", "failed", "not_run"]


@cache
def prechecked_ids() -> frozenset[str]:
    """Material ids that some kind pre-checks."""
    return frozenset(m.id for f in all_filings().values() for m in f.materials if m.prechecked)


@dataclass(frozen=True)
class Job:
    job_id: int
    material_row_id: int
    case_id: int
    kind: str
    material_id: str
    sha256: str
    file_type: str

    def request(self) -> ReadRequest:
        return request_for(get_filing(self.kind).material(self.material_id), self.file_type)


def _prechecked(kind: str, material_id: str) -> bool:
    try:
        return get_filing(kind).material(material_id).prechecked
    except KeyError:
        return False


def claim_next(engine: Engine, *, token: str, now: datetime | None = None) -> Job | None:
    """Take the newest file waiting (or one whose worker's lease ran out) for this worker, or None."""
    now = now or utcnow()
    with write_session(engine) as session:
        waiting = session.exec(
            select(CaseMaterial.id, CaseMaterial.case_id, CaseMaterial.material_id, Case.kind)
            .join(Case, col(Case.id) == col(CaseMaterial.case_id))
            .join(PrecheckJob, col(PrecheckJob.material_row_id) == col(CaseMaterial.id), isouter=True)
            .where(col(PrecheckJob.id).is_(None), col(CaseMaterial.current).is_(True),
                   col(CaseMaterial.material_id).in_(sorted(prechecked_ids())),
                   col(Case.stage).not_in([s.value for s in Stage if holder_of(s) is None]))
            .order_by(col(CaseMaterial.id).desc()).limit(20)).all()
        insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
        job_id = None
        for row_id, case_id, material_id, kind in waiting:
            if not _prechecked(kind, material_id):
                continue
            inserted = session.execute(insert(PrecheckJob).on_conflict_do_nothing(index_elements=["material_row_id"])
                                       .values(material_row_id=row_id, case_id=case_id, status="running",
                                               attempts=1, claim=token, lease_until=now + LEASE, created_at=now,
                                               result={}).returning(col(PrecheckJob.id))).first()
            if inserted is not None:
                job_id = int(inserted[0])
                break
        if job_id is None:
            expired = (col(PrecheckJob.status) == "running") & (col(PrecheckJob.lease_until) < now)
            session.execute(update(PrecheckJob).where(expired, col(PrecheckJob.attempts) >= MAX_ATTEMPTS)
                            .values(status="failed", finished_at=now, claim="",
                                    result=Reading.failure(ABANDONED).to_json()))
            again = session.exec(select(PrecheckJob.id).where(expired).order_by(col(PrecheckJob.id)).limit(1)).first()
            if again is not None:
                session.execute(update(PrecheckJob).where(col(PrecheckJob.id) == again, expired)
                                .values(claim=token, lease_until=now + LEASE, attempts=PrecheckJob.attempts + 1))
                job_id = int(again)
        job = None
        if job_id is not None:
            row = session.exec(
                select(PrecheckJob, CaseMaterial, Case.kind)
                .join(CaseMaterial, col(CaseMaterial.id) == col(PrecheckJob.material_row_id))
                .join(Case, col(Case.id) == col(PrecheckJob.case_id))
                .where(col(PrecheckJob.id) == job_id, col(PrecheckJob.claim) == token)).first()
            if row is not None:
                claimed, material, kind = row
                assert claimed.id is not None and material.id is not None
                job = Job(claimed.id, material.id, claimed.case_id, kind, material.material_id, material.sha256,
                          material.file_type)
        session.commit()
    return job


def protect(reading: Reading) -> Reading:
    """What is kept of a reading: a personal ID number only masked, with a keyed hash to compare it by."""
    key = secret_key()
    values = tuple(replace(v, value=mask_id(v.value), digest=id_hash(normalise(v.value), key))
                   if v.field == ReadField.ID_NUMBER else v for v in reading.values)
    return replace(reading, values=values)


def digest(value: str) -> str:
    """The keyed hash a stored personal value is compared by (see `protect`)."""
    return id_hash(normalise(value), secret_key())


def finish(engine: Engine, job: Job, token: str, reading: Reading, *, now: datetime | None = None,
           protected: bool = False) -> bool:
    """Record what the worker read, if it still holds the job; False if it lost it meanwhile."""
    kept = reading if protected else protect(reading)
    with write_session(engine) as session:
        result = session.execute(update(PrecheckJob).where(
            col(PrecheckJob.id) == job.job_id, col(PrecheckJob.claim) == token,
            col(PrecheckJob.status) == "running").values(
            status=reading.status, result=kept.to_json(), finished_at=now or utcnow(), claim="",
            lease_until=None))
        session.commit()
        return bool(result.rowcount)  # type: ignore[attr-defined]


def earlier_reading(engine: Engine, job: Job) -> Reading | None:
    """What was read from the same bytes given for the same material before (stored, protected), if any:
    a file is read once however many cases carry it."""
    with Session(engine) as session:
        row = session.exec(
            select(PrecheckJob.result)
            .join(CaseMaterial, col(CaseMaterial.id) == col(PrecheckJob.material_row_id))
            .join(Case, col(Case.id) == col(PrecheckJob.case_id))
            .where(col(CaseMaterial.sha256) == job.sha256, col(CaseMaterial.material_id) == job.material_id,
                   col(Case.kind) == job.kind, col(PrecheckJob.status) == "done")
            .order_by(col(PrecheckJob.id).desc()).limit(1)).first()
    return Reading.from_json(dict(row)) if row else None


# ------------------------------------------------------------------ what pages read
@dataclass(frozen=True)
class FileCheck:
    """The pre-check of a case's current file for one material."""

    material_id: str
    filename: str
    state: State
    reading: Reading | None
    confirmed: bool


def file_checks(engine: Engine, case_id: int) -> dict[str, FileCheck]:
    """The pre-check state of each current pre-checked file of the case, by material id."""
    with Session(engine) as session:
        found = session.exec(select(Case.kind, Case.stage).where(col(Case.id) == case_id)).first()
        rows = session.exec(
            select(CaseMaterial, PrecheckJob)
            .join(PrecheckJob, col(PrecheckJob.material_row_id) == col(CaseMaterial.id), isouter=True)
            .where(col(CaseMaterial.case_id) == case_id, col(CaseMaterial.current).is_(True))).all()
    kind, stage = found if found else (None, None)
    # The reader takes files of open cases only (claim_next): a file the case ended without is never read.
    ended = stage is not None and holder_of(Stage(stage)) is None
    checks = {}
    for material, job in rows:
        if kind is None or not _prechecked(kind, material.material_id):
            continue
        state: State = ("not_run" if ended else "waiting") if job is None else job.status  # type: ignore[assignment]
        reading = Reading.from_json(job.result) if job is not None and job.status in ("done", "failed") else None
        checks[material.material_id] = FileCheck(material.material_id, material.filename, state, reading,
                                                 job is not None and job.confirmed_at is not None)
    return checks


class SqlPrecheckStore:
    """The store side of flows.uploads.precheck.usecases.PrecheckStore."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def confirm(self, case_id: int, material_id: str, user_id: int) -> bool:
        """Mark the current file of the material as confirmed by the applicant; False if it has no result."""
        with write_session(self.engine) as session:
            row_id = session.exec(select(CaseMaterial.id).where(
                col(CaseMaterial.case_id) == case_id, col(CaseMaterial.material_id) == material_id,
                col(CaseMaterial.current).is_(True))).first()
            if row_id is None:
                return False
            changed = session.execute(update(PrecheckJob).where(
                col(PrecheckJob.material_row_id) == row_id, col(PrecheckJob.status).in_(["done", "failed"]))
                .values(confirmed_at=utcnow(), confirmed_by=user_id))
            if not changed.rowcount:  # type: ignore[attr-defined]
                return False
            audit.append(session, actor_id=user_id, action="precheck_confirm", subject=f"case:{case_id}",
                         detail={"material": material_id})
            session.commit()
            return True
