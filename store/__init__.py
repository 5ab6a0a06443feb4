"""Persistence: tables, repositories, uploaded files, audit. No UI."""
