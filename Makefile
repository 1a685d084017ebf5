# Everything the project needs is installed from here: `make setup` works on a bare machine with Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test bench lint package clean

setup: $(STAMP)

# Re-install only when pyproject.toml changes (the stamp is older than it).
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: setup
	$(BIN)/python -m app

lint: setup
	$(BIN)/ruff check app tests packaging
	$(BIN)/mypy
	$(BIN)/lint-imports

# The window's tests run in a pytest process of their own: their qasync loop runs for the whole session.
test: lint
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest --ignore=tests/ui
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest tests/ui

bench: setup
	@set -e; for b in tests/benchmarks/bench_*.py; do \
		echo "== $$b"; QT_QPA_PLATFORM=offscreen $(BIN)/python $$b; \
	done

# The app bundle (MLX Manager.app and its .dmg on macOS; a one-folder build elsewhere), then its
# --self-test --json (every run-time part must start) and, on Linux, its size (BENCH bundle_size_mb).
package: setup
	PYTHON=$(BIN)/python packaging/build.sh

clean:
	rm -rf $(VENV) build dist .mypy_cache .ruff_cache
