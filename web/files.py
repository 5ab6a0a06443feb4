"""Personal files handed over only to a logged-in person allowed to see the case, each officer's download
recorded first (flows/review/disclosure.py) — never through Streamlit's `/media/...` URLs, which answer any
live session holding the address (web/media.py).

- GET /files/case/{case_id}/material/{material}: one current uploaded material (`material`: its row id).
- GET /files/case/{case_id}/dossier: every current material merged into one PDF (in a limited worker).

The session comes from the HttpOnly cookie (web/cookies.py); officers must have passed their second factor,
as on the pages (ui/session.py). A case the person may not see answers 404, as the case page does (never
say which). Every answer is `Cache-Control: no-store`; a file comes as an attachment.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from flows.cases import filing_of
from flows.errors import NotFound
from flows.identity.login import SECOND_FACTOR_ROLES
from flows.review.disclosure import Look, case_files, record_download
from flows.review.dossier import DossierPart, merge_contained
from flows.review.transitions import Actor
from flows.uploads import contained
from store import blobs
from store.accounts import session_account
from store.db import default_engine
from store.uow import SqlUnitOfWork
from web.cookies import SESSION_COOKIE

PREFIX = "/files/"
NO_STORE = {"Cache-Control": "no-store"}
MERGE_BUSY = "系统繁忙，暂时无法合并材料，请稍后重试。"
MIME = {"pdf": "application/pdf", "jpeg": "image/jpeg", "png": "image/png"}
LOG_IN_FIRST = "请先登录后再下载。"
NOT_FOUND = "未找到该文件，或您无权查看。"
MERGE_FAILED = "材料合并失败，请逐份下载。"


def material_path(case_id: int, material: int) -> str:
    return f"{PREFIX}case/{case_id}/material/{material}"


def dossier_path(case_id: int) -> str:
    return f"{PREFIX}case/{case_id}/dossier"


def content_disposition(filename: str) -> str:
    """`attachment` with an ASCII fallback name and the real one RFC 5987-encoded (applicants choose it:
    control characters, quotes and path separators dropped)."""
    name = "".join(c for c in filename if unicodedata.category(c)[0] != "C" and c not in '"\\/')
    name = name.strip().strip(".") or "file"
    fallback = re.sub(r"[^A-Za-z0-9._-]", "_", unicodedata.normalize("NFKD", name).encode("ascii", "ignore")
                      .decode()) or "file"
    stem, dot, suffix = name.rpartition(".")
    if dot and not fallback.endswith("." + suffix) and suffix.isascii():
        fallback = f"{fallback}.{suffix}"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def _refused(status: int, text: str) -> Response:
    return PlainTextResponse(text, status_code=status, headers=NO_STORE)


def _attachment(data: bytes, media_type: str, filename: str) -> Response:
    return Response(data, media_type=media_type, headers={**NO_STORE, "Content-Disposition":
                                                          content_disposition(filename)})


async def _actor(request: Request) -> Actor | None:
    """The person behind the session cookie, officers only with their second factor."""
    token = request.cookies.get(SESSION_COOKIE, "")
    if not token:
        return None
    account = await run_in_threadpool(session_account, default_engine(), token)
    if account is None or (account.role in SECOND_FACTOR_ROLES and not account.second_factor):
        return None
    return account.actor


async def _recorded(actor: Actor, case_id: int, look: Look, detail: Mapping[str, Any]) -> None:
    await run_in_threadpool(record_download, SqlUnitOfWork(default_engine()), actor, case_id, look, detail)


async def material_file(request: Request) -> Response:
    actor = await _actor(request)
    if actor is None:
        return _refused(403, LOG_IN_FIRST)
    case_id, material_row = int(request.path_params["case_id"]), int(request.path_params["material"])
    try:
        _, materials = await run_in_threadpool(case_files, SqlUnitOfWork(default_engine(), read_only=True),
                                               actor, case_id)
        material = next(m for m in materials if m.id == material_row)
    except (NotFound, StopIteration):
        return _refused(404, NOT_FOUND)
    await _recorded(actor, case_id, Look.DOWNLOAD_MATERIAL, {"material": material.id,
                                                             "material_id": material.material_id})
    data = await run_in_threadpool(blobs.get, material.sha256)
    return _attachment(data, MIME.get(material.file_type, "application/octet-stream"), material.filename)


async def dossier_file(request: Request) -> Response:
    actor = await _actor(request)
    if actor is None:
        return _refused(403, LOG_IN_FIRST)
    case_id = int(request.path_params["case_id"])
    try:
        case, materials = await run_in_threadpool(case_files, SqlUnitOfWork(default_engine(), read_only=True),
                                                  actor, case_id)
    except NotFound:
        return _refused(404, NOT_FOUND)
    filing = filing_of(case)
    order = {m.id: i for i, m in enumerate(filing.materials)}
    labels = {m.id: m.label for m in filing.materials}
    ordered = sorted(materials, key=lambda m: (order.get(m.material_id, len(order)), m.id))
    if not ordered:
        return _refused(404, NOT_FOUND)
    await _recorded(actor, case_id, Look.DOWNLOAD_DOSSIER, {"parts": len(ordered)})
    parts = [DossierPart(labels.get(m.material_id, m.material_id), m.file_type, await run_in_threadpool(
        blobs.get, m.sha256)) for m in ordered]
    try:
        merged = await run_in_threadpool(merge_contained, parts)
    except contained.Unavailable:
        return _refused(503, MERGE_BUSY)
    except (contained.Failed, contained.Refused):
        return _refused(500, MERGE_FAILED)
    return _attachment(merged.data, "application/pdf", f"{case.number or case.id}-全部材料.pdf")


ROUTES: list[BaseRoute] = [
    Route(PREFIX + "case/{case_id:int}/material/{material:int}", material_file, methods=["GET"]),
    Route(PREFIX + "case/{case_id:int}/dossier", dossier_file, methods=["GET"]),
]
