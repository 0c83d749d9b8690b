# zeropark — two commands: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test install lint clean bench-lca bench-scale

demo: install
	$(BIN)/zeropark demo

# PYTEST_ARGS: extra pytest arguments; .ci/run passes -m 'not slow and not network' so the
# `postgres` tests run against the server it starts (ZEROPARK_TEST_POSTGRES_URL).
PYTEST_ARGS ?=

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Rollups on DuckDB, PostgreSQL ($$ZEROPARK_TEST_POSTGRES_URL) and Spark local; see docs/scale.md
bench-scale: install
	$(BIN)/python benchmarks/scale.py

lint: install
	$(BIN)/ruff check src tests

# LCA engine against bw2calc + pypardiso (not part of `make test`); see README "LCA benchmark"
bench-lca: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e ".[benchmark]"
	$(BIN)/python benchmarks/lca.py

install: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,postgres,spark]"
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

clean:
	rm -rf $(VENV) node_modules data/zeropark.duckdb
