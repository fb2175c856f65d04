# The two commands a newcomer needs: `make run` and `make test`.
VENV   ?= .venv
PY     := $(VENV)/bin/python
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
ASSETS := src/civitas/web/static/vendor/.built
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: setup run test screenshots lint format bench clean

# uv (from PyPI) installs the project into the venv: the same versions as pip would pick,
# in a seventh of the time (5 s instead of 38 s with its cache warm), modules compiled
$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet 'uv>=0.9,<1'
	$(BIN)/uv pip install --quiet --python $(PY) --compile-bytecode -e '.[dev]'
	touch $(STAMP)

$(ASSETS): package.json package-lock.json scripts/build-assets.sh $(wildcard scripts/assets/*.js)
	bash scripts/build-assets.sh
	touch $(ASSETS)

# the Python packages and the front-end assets are installed side by side
setup:
	@$(MAKE) --no-print-directory -j2 $(STAMP) $(ASSETS)

## Set everything up, migrate, load the demo cities and serve on http://127.0.0.1:8000
## (with the background worker: mail, batch runs, day plans)
run: setup
	$(BIN)/civitas db upgrade
	$(BIN)/civitas demo
	$(BIN)/civitas serve --with-worker --host $(HOST) --port $(PORT)

## Every lint, type check and test, on SQLite and on PostgreSQL
test: setup
	bash scripts/test.sh

## The browser tests alone, on SQLite, with a screenshot of every page they visit in
## var/screenshots/ (make test takes none: they are for people to look at)
screenshots: setup
	bash scripts/ensure-chromium.sh >/dev/null
	CIVITAS_TEST_SCREENSHOTS=1 $(BIN)/pytest -q -p no:cacheprovider -n 2 --dist loadscope --db sqlite tests/browser

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## The benchmarks; Debian's wrk drives the HTTP load (installed here if missing), OpenFisca-core
## (the bench extra) is the proactive benchmark's reference
bench: setup
	@command -v wrk >/dev/null || (apt-get install -y wrk >/dev/null 2>&1 || sudo apt-get install -y wrk)
	$(BIN)/uv pip install --quiet --python $(PY) -e '.[dev,bench]'
	@for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done
	@echo "== bench/proactive.py"; $(PY) bench/proactive.py --persons 1000000
	@echo "== bench/kpis.py"; $(PY) bench/kpis.py --requests 1000000
	@echo "== bench/cvrp.py"; $(PY) bench/cvrp.py --time-limit 10

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
