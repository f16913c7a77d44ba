# Two commands on a fresh clone: `make run` (the main job) and `make test` (the whole suite).
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: run test lint typecheck unit bench clean

$(BIN)/eo-bot: pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) on PATH (or: make PYTHON=python3 ...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

run: $(BIN)/eo-bot
	$(BIN)/eo-bot $(ARGS)

lint: $(BIN)/eo-bot
	$(BIN)/ruff check bot tests bench
	$(BIN)/ruff format --check bot tests bench

typecheck: $(BIN)/eo-bot
	$(BIN)/mypy

unit: $(BIN)/eo-bot
	$(BIN)/python -m pytest -q

test: lint typecheck unit
	$(BIN)/eo-bot kb check

bench: $(BIN)/eo-bot
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
