# territoria — the two commands a newcomer needs:
#   make demo   build the Rennes Métropole demo workspace end to end (./demo)
#   make test   lint, type-check and run the whole test suite
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# the Spark engine's PySpark (450 MB): installed for `make test` only, never for `make demo`
SPARK_STAMP := $(VENV)/.spark-installed

.PHONY: demo spark test system-deps check lint typecheck pytest bench lock clean reference

$(STAMP): requirements.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "territoria needs Python 3.11 ($(PYTHON) not found)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "== installing territoria's Python dependencies into $(VENV) (once; about 2 minutes)"
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install --progress-bar on -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $(STAMP)
	@echo "== done: the command is $(BIN)/territoria (or run: source $(BIN)/activate)"

$(SPARK_STAMP): requirements-spark.lock $(STAMP)
	@echo "== installing PySpark for the Spark engine tests (once; about 3 minutes)"
	$(BIN)/python -m pip install --progress-bar on -r requirements-spark.lock
	touch $(SPARK_STAMP)

spark: $(SPARK_STAMP)

demo: $(STAMP)
	$(BIN)/territoria demo demo

test: system-deps check pytest

# the Debian packages the tests drive (PostgreSQL/PostGIS, Mosquitto, Chromium, GDAL), if missing
system-deps:
	@bash scripts/system-deps.sh

check: lint typecheck

lint: $(STAMP)
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/lint-imports

typecheck: $(STAMP) $(SPARK_STAMP)
	$(BIN)/mypy

pytest: $(STAMP) $(SPARK_STAMP) system-deps
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m pip install -q -e '.[bench]'
	@for b in bench/[a-z]*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

# Maintainers: re-derive the shipped referential from ../shared/data, refresh the lock.
reference: $(STAMP)
	$(BIN)/python scripts/build_reference.py ../shared/data

lock: $(STAMP)
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^territoria' > requirements.lock

clean:
	rm -rf $(VENV) demo .pytest_cache .mypy_cache .ruff_cache
