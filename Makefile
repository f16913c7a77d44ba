# Two commands on a fresh clone: `make run` (the main job) and `make test` (the whole suite).
# Installs come from the hash-pinned locks in requirements/ (`make lock` refreshes them).
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check
PIP_TOOLS := pip-tools==7.6.2

.PHONY: run test lint typecheck unit bench lock messages clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) on PATH (or: make PYTHON=python3 ...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

# What running needs, then the package itself (editable, without touching the index again).
$(VENV)/.run: $(BIN)/python requirements/run.txt pyproject.toml
	$(PIP) install --quiet --require-hashes --no-deps -r requirements/run.txt
	$(PIP) install --quiet --no-deps --no-build-isolation -e .
	@touch $@

# The test and lint tools on top.
$(VENV)/.dev: $(VENV)/.run requirements/dev.txt
	$(PIP) install --quiet --require-hashes --no-deps -r requirements/dev.txt
	@touch $@

run: $(VENV)/.run
	$(BIN)/eo-bot $(ARGS)

lint: $(VENV)/.dev
	$(BIN)/ruff check bot tests bench tools
	$(BIN)/ruff format --check bot tests bench tools

typecheck: $(VENV)/.dev
	$(BIN)/mypy

unit: $(VENV)/.dev
	$(BIN)/python -m pytest -q

test: lint typecheck unit
	$(BIN)/eo-bot kb check

bench: $(VENV)/.dev
	$(BIN)/python -m bench

# Refresh the locks on purpose: newest versions allowed by pyproject.toml, with hashes.
# pip-tools runs from its own venv so it never mixes into what the locks describe.
LOCK_VENV := .venv-lock
lock:
	@test -x $(LOCK_VENV)/bin/pip-compile || { $(PYTHON) -m venv $(LOCK_VENV) && \
	    $(LOCK_VENV)/bin/python -m pip install --quiet $(PIP_TOOLS); }
	$(LOCK_VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	    --no-emit-find-links --no-emit-index-url \
	    -o requirements/run.txt pyproject.toml requirements/build.in
	$(LOCK_VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	    --no-emit-find-links --no-emit-index-url --extra dev -c requirements/run.txt \
	    -o requirements/dev.txt pyproject.toml requirements/build.in

clean:
	rm -rf $(VENV) $(LOCK_VENV) .mypy_cache .pytest_cache .ruff_cache build dist

# Refresh the message catalogue after changing user-facing sentences: extract them from bot/,
# merge them into the Chinese catalogue (translate what `make messages` marks as new), compile.
LOCALE := bot/i18n/locale
messages: $(VENV)/.dev
	$(BIN)/pybabel extract -F babel.cfg -k N_ --no-location --sort-output --omit-header \
	    -o $(LOCALE)/eo-bot.pot .
	$(BIN)/pybabel update -i $(LOCALE)/eo-bot.pot -d $(LOCALE) -D eo-bot -l zh --no-fuzzy-matching
	$(BIN)/python tools/compile_catalogue.py $(LOCALE)/zh/LC_MESSAGES/eo-bot.po
