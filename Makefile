# Kengen — the two commands the README promises, and a few more.
#   make demo   create the environment, migrate the embedded SQLite DB, load the Kitami demo
#               profile and serve the UI at http://127.0.0.1:8000
#   make test   run the whole test suite (DATABASE_URL=postgresql://… to run it on PostgreSQL)
# Afterwards, bin/kengen runs any `kengen` command with this uv and the demo's ./var data folder.
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON ?= python3
UV_VERSION := 0.13.9
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
DATA ?= $(CURDIR)/var
ADDR ?= 127.0.0.1:8000

.PHONY: demo test env lint fmt compliance messages

.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/pip install --quiet "uv==$(UV_VERSION)"

env: $(if $(filter .tools/bin/uv,$(UV)),.tools/bin/uv)
	$(UV) sync --frozen --quiet

demo: env
	KENGEN_DEBUG=1 KENGEN_DATA_DIR=$(DATA) $(UV) run kengen migrate --verbosity 0
	KENGEN_DEBUG=1 KENGEN_DATA_DIR=$(DATA) $(UV) run kengen demo
	KENGEN_DEBUG=1 KENGEN_DATA_DIR=$(DATA) $(UV) run kengen serve $(ADDR)

test: env
	$(UV) run pytest -q

lint: env
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run lint-imports
	$(UV) run mypy src/kengen

fmt: env
	$(UV) run ruff check --fix .
	$(UV) run ruff format .

compliance: env
	$(UV) run python tools/compliance.py > docs/compliance.md
