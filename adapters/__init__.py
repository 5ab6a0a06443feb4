"""Adapters: the outside systems the use cases reach through ports (flows/ never imports this package).

`screening_http` is the comparison service on the police network, a `ScreeningSource` of
flows/review/screening.py; store/screening.py builds it from the configured address."""
