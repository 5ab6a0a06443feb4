"""The HTTP layer around the Streamlit app (served by `serve.py` through `st.App`).

What belongs here is what HTTP does and a script run cannot: server-set cookies, response headers,
authenticated downloads, per-address limits. Each concern is a module with its own routes or
middleware, gathered in `web.routes` and `web.middleware`; the business stays in `flows/`.
"""
