"""Reads a page keeps between its runs (in the browser session) while what they read has not changed."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import streamlit as st

T = TypeVar("T")
KEEP_S = 60.0  # at most: a version that misses a change (a late commit on PostgreSQL) is outlived


def kept(name: str, key: Hashable, make: Callable[[], T]) -> T:
    """`make()`, or what it returned in an earlier run of this session for the same `key` (which holds the
    query and the data's version) within the last KEEP_S seconds."""
    held: tuple[Hashable, float, Any] | None = st.session_state.get(f"kept-{name}")
    now = time.monotonic()
    if held is not None and held[0] == key and now - held[1] < KEEP_S:
        return held[2]  # type: ignore[no-any-return]
    value = make()
    st.session_state[f"kept-{name}"] = (key, now, value)
    return value
