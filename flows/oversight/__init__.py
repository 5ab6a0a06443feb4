"""Oversight: what the province and the bureaus see across cases, and how they run the service.

`ledger` and `guard_roster` are the 台账 and its exports; `reports` the progress report (通报); `feedback` the
pilot feedback and the ratings; `admin` the administrator's changes (officers, calendar, settings)."""
