# 保安业务网上自助办理: developer and CI entry points.
#   make venv        create .venv and install requirements-dev.txt (only when requirements*.txt changed)
#   make run         install the documents' fallback font if missing, seed demo data, serve http://localhost:8501
#   make test        system packages, ruff, mypy, then the whole pytest suite (what CI runs)
#   make lint        ruff + mypy only
#   make bench       measure every performance claim against its target (python -m bench)
#   make cluster     nginx (TLS) + REPLICAS replicas + PostgreSQL + outbox sender, demo data: https://127.0.0.1:8443
#   make clean-data  remove the local runtime data (data/runtime) and test artifacts

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PORT   ?= 8501
REPLICAS ?= 2
# pytest-xdist workers for make test: each has its own app server, browser and PostgreSQL; a test file runs whole
# on one worker. 2 suits the 2-core machine CI gives (TEST_WORKERS=0: one process, as before).
TEST_WORKERS ?= 2

export PYTHONPATH := $(CURDIR)

.PHONY: help venv run test lint bench cluster clean-data

help:
	@sed -n '2,9p' Makefile | sed 's/^# \{0,1\}//'

venv: $(STAMP)

# Re-install only when a requirements file is newer than the stamp.
$(STAMP): requirements.txt requirements-dev.txt requirements-ocr.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q -r requirements-dev.txt
	$(PY) -m pip install --disable-pip-version-check -q --no-deps -r requirements-ocr.txt
	@touch $@

# The documents' fallback font for rare characters (fonts-hanazono) is installed when missing; where it
# cannot be (no root, offline), the app still runs and refuses such characters where they are typed.
run: venv
	@bash scripts/system-deps.sh fonts || echo "make run: fonts-hanazono could not be installed: names with rare characters (e.g. 䶮, 𠮷) will be refused at input until it is (sudo apt-get install fonts-hanazono)"
	$(PY) -m store.seed
	$(VENV)/bin/streamlit run serve.py --server.port $(PORT)

# The production topology on this machine (deploy/): data, keys and logs kept in data/cluster/.
cluster: venv
	bash scripts/system-deps.sh
	$(PY) -m deploy up --demo --replicas $(REPLICAS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

test: venv
	bash scripts/system-deps.sh
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

# The bench's own runner (bench/__main__.py): builds the data set, measures every claim, prints the result.
bench: venv
	$(PY) -m bench

# Only the repository's own runtime data: never follows $DATA_DIR.
clean-data:
	rm -rf data/runtime test-artifacts
