"""Showing uploaded materials in the page: PDF pages rendered to images, pictures shown upright.

Files are read from the blob store by sha256; a blob never changes, so the rendered pages are
cached by (sha256, page). Filenames come from applicants and are shown as plain text only.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from typing import Any

import streamlit as st

from flows.clock import show
from flows.ports import MaterialView
from flows.review.disclosure import Look
from flows.uploads import contained
from flows.uploads.checks import human_size
from store import blobs
from ui.text import inline_picture
from web.files import material_path

PREVIEW_WIDTH_PX = 1000
FIRST_PAGES = 2
IMAGE_WIDTH_PX = 640

# Records an officer's look (flows.review.disclosure) before the file is handed over; None: nothing to record
# (an applicant's own files).
Recorder = Callable[[Look, Mapping[str, Any]], None]

# Every file is opened in a limited worker process (flows.uploads.contained), never in the server's: a crafted
# file costs its own process, which the limits end (the preview then says it cannot show it).


@st.cache_data(max_entries=64, show_spinner=False)
def pdf_page_count(sha256: str) -> int:
    answer, _ = contained.run("pdf_page_count", [blobs.get(sha256)])
    return int(answer["pages"])


@st.cache_data(max_entries=400, show_spinner=False)
def pdf_page_png(sha256: str, page: int, width_px: int = PREVIEW_WIDTH_PX) -> bytes:
    """Page `page` (0-based) of a stored PDF as a PNG about `width_px` wide."""
    return contained.run("pdf_page_png", [blobs.get(sha256)], {"page": page, "width_px": width_px})[1]


@st.cache_data(max_entries=200, show_spinner=False)
def image_preview(sha256: str, max_px: int = 1600) -> bytes:
    """A stored picture turned upright (EXIF) and scaled down for the screen, as JPEG."""
    return contained.run("image_preview", [blobs.get(sha256)], {"max_px": max_px})[1]


def recorded(fetch: Callable[[], bytes], record: Recorder | None, look: Look,
             detail: Mapping[str, Any]) -> bytes:
    """The bytes of a download, its audit entry written first (a failed entry: no file)."""
    if record is not None:
        record(look, detail)
    return fetch()


def _shown_all(record: Recorder | None, material: MaterialView, key: str) -> None:
    """Every page of a material turned on: a further look, recorded (the first pages are, with the open)."""
    if record is not None and st.session_state.get(key):
        record(Look.PREVIEW_MATERIAL, {"material": material.id, "material_id": material.material_id, "pages": "all"})


def draw_pdf(material: MaterialView, *, key: str, first_pages: int = FIRST_PAGES,
             record: Recorder | None = None) -> None:
    """The first pages of a PDF, with a switch to show all of them."""
    try:
        count = pdf_page_count(material.sha256)
    except Exception:  # noqa: BLE001 - a file PDFium cannot open is still downloadable
        st.warning("无法预览此文件，请下载后查看。")
        return
    show_all = count > first_pages and st.toggle(f"显示全部{count}页", key=f"{key}-all", on_change=_shown_all,
                                                 args=(record, material, f"{key}-all"))
    shown = count if show_all else min(count, first_pages)
    cols = st.columns(2)
    for index in range(shown):
        with cols[index % 2]:
            st.image(inline_picture(pdf_page_png(material.sha256, index)), caption=f"第{index + 1}页 / 共{count}页",
                     width="stretch")
    if shown < count:
        st.caption(f"已显示前{shown}页，共{count}页。")


def draw_image(material: MaterialView) -> None:
    try:
        st.image(inline_picture(image_preview(material.sha256), "image/jpeg"), width=IMAGE_WIDTH_PX)
    except Exception:  # noqa: BLE001 - a picture Pillow cannot open is still downloadable
        st.warning("无法预览此图片，请下载后查看。")


def download_link(href: str, label: str, *, key: str) -> None:
    """A link to one of the authenticated file routes (web/files.py): the browser sends its session cookie
    along (same origin), the route checks the case is the person's to see, records an officer's download and
    answers with the file as an attachment, so the page stays where it is."""
    with st.container(key=key):
        st.html(f'<a href="{html.escape(href)}" download class="baoan-download" style="display:inline-block;'
                'padding:0.25rem 0.75rem;border:1px solid #d5dce8;border-radius:0.5rem;background:#ffffff;'
                f'color:#1c2430;text-decoration:none;white-space:nowrap">{html.escape(label)}</a>')


def draw_material(material: MaterialView, label: str, *, case_id: int, key: str, preview: bool = True,
                  record: Recorder | None = None) -> None:
    """One material: its label, the file's facts as plain text, a download link and the preview. The
    download goes through the authenticated route, which records an officer's download itself."""
    with st.container(border=True):
        head, button = st.columns([4, 1], vertical_alignment="center")
        with head:
            st.markdown(f"**{label}**")
            st.text(f"{material.filename}（{human_size(material.size)}，上传于{show(material.uploaded_at)}）")
        with button:
            download_link(material_path(case_id, material.id), "下载", key=f"{key}-download")
        if not preview:
            return
        if material.file_type == "pdf":
            draw_pdf(material, key=key, record=record)
        else:
            draw_image(material)
