"""Showing uploaded materials in the page: PDF pages rendered to images, pictures shown upright.

Files are read from the blob store by sha256; a blob never changes, so the rendered pages are
cached by (sha256, page). Filenames come from applicants and are shown as plain text only.
"""

from __future__ import annotations

import functools

import streamlit as st

from flows import contained
from flows.clock import show
from flows.dossier import DossierPart, merge_contained
from flows.ports import MaterialView
from store import blobs

PREVIEW_WIDTH_PX = 1000
FIRST_PAGES = 2
IMAGE_WIDTH_PX = 640
MIME = {"pdf": "application/pdf", "jpeg": "image/jpeg", "png": "image/png"}

# Every file is opened in a limited worker process (flows.contained), never in the server's: a crafted
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


@st.cache_data(max_entries=16, show_spinner=False)
def merged_pdf(parts: tuple[tuple[str, str, str], ...]) -> bytes:
    """The dossier PDF of these (label, file type, sha256) parts, in order."""
    return merge_contained([DossierPart(label, file_type, blobs.get(sha)) for label, file_type, sha in parts]).data


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{max(1, n // 1024)} KB"


def draw_pdf(material: MaterialView, *, key: str, first_pages: int = FIRST_PAGES) -> None:
    """The first pages of a PDF, with a switch to show all of them."""
    try:
        count = pdf_page_count(material.sha256)
    except Exception:  # noqa: BLE001 - a file PDFium cannot open is still downloadable
        st.warning("无法预览此文件，请下载后查看。")
        return
    show_all = count > first_pages and st.toggle(f"显示全部{count}页", key=f"{key}-all")
    shown = count if show_all else min(count, first_pages)
    cols = st.columns(2)
    for index in range(shown):
        with cols[index % 2]:
            st.image(pdf_page_png(material.sha256, index), caption=f"第{index + 1}页 / 共{count}页",
                     width="stretch")
    if shown < count:
        st.caption(f"已显示前{shown}页，共{count}页。")


def draw_image(material: MaterialView) -> None:
    try:
        st.image(image_preview(material.sha256), width=IMAGE_WIDTH_PX)
    except Exception:  # noqa: BLE001 - a picture Pillow cannot open is still downloadable
        st.warning("无法预览此图片，请下载后查看。")


def draw_material(material: MaterialView, label: str, *, key: str, preview: bool = True) -> None:
    """One material: its label, the file's facts as plain text, a download button and the preview."""
    with st.container(border=True):
        head, button = st.columns([4, 1], vertical_alignment="center")
        with head:
            st.markdown(f"**{label}**")
            st.text(f"{material.filename}（{_size(material.size)}，上传于{show(material.uploaded_at)}）")
        with button:
            st.download_button("下载", data=functools.partial(blobs.get, material.sha256),
                               file_name=material.filename, mime=MIME.get(material.file_type),
                               key=f"{key}-download", on_click="ignore", icon=":material/download:")
        if not preview:
            return
        if material.file_type == "pdf":
            draw_pdf(material, key=key)
        else:
            draw_image(material)
