"""The app's HTTP entry point: `streamlit run serve.py` (what `make run` and the tests start).

`st.App` serves `streamlit_app.py` and its `pages/` with Streamlit's own routes, plus the routes and
middleware of `web/` (server-set cookies, headers, authenticated downloads), and what is warmed at start
(`web.lifespan`).
"""

from __future__ import annotations

import streamlit as st

from store.keys import owner_only
from store.log_privacy import install as mask_personal_data_in_logs
from web.base_url import follow_port
from web.lifespan import lifespan
from web.middleware import MIDDLEWARE
from web.routes import ROUTES

mask_personal_data_in_logs()  # before anything logs: Streamlit logs an unhandled error with its message
owner_only()  # files and folders the app creates (database, WAL, uploads, keys) are the owner's alone
follow_port()  # certificates' QR links point to the port actually served unless APP_BASE_URL says otherwise
app = st.App("streamlit_app.py", routes=ROUTES, middleware=MIDDLEWARE, lifespan=lifespan)
