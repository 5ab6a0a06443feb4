"""Streamlit helpers shared by the pages: login session, layout, menus, common widgets."""
