# Two commands set everything up from nothing:
#   make demo   - create the environment and run the demonstration on the default config
#   make test   - create the environment and run the tests
# The environment is .venv, built with the Python that .python-version selects (>= 3.12).

PYTHON ?= $(shell pyenv which python 2>/dev/null || command -v python3.12 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The peer simulators are benchmarked in an environment of their own, never the project's.
BENCH_VENV := .venv-bench
BENCH_STAMP := $(BENCH_VENV)/.installed
PEERS := supplynetpy==0.5.1 stockpyl==1.0.2
CONFIG ?= configs/baseline.yaml
PYTEST_ARGS ?=
# The page tests drive Debian's Chromium with Playwright (Playwright's own browser download
# does not work offline); `make test` installs it from Debian's packages when it is missing.
CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test lint bench clean env

env: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else "oneplan needs Python >= 3.12, found " + sys.version.split()[0] + " at " + sys.executable)'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/oneplan compare $(CONFIG) --protocols silo,info_sharing,consensus_demand,sop,ibp --reps 20 --jobs 2
	$(BIN)/oneplan report $(CONFIG) --reps 10 --jobs 2 --out out/report.html

test: $(STAMP) $(CHROMIUM)
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

$(CHROMIUM):
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q chromium \
	  || { $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q chromium; }

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(STAMP) $(BENCH_STAMP)
	$(BIN)/python benchmarks/run.py
	$(BENCH_VENV)/bin/python benchmarks/peers.py
	$(BIN)/python benchmarks/study_throughput.py
	$(BIN)/python benchmarks/attribution.py
	$(BIN)/python benchmarks/workshop_load.py

$(BENCH_STAMP): pyproject.toml
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install --quiet -e . $(PEERS)
	@touch $(BENCH_STAMP)

clean:
	rm -rf $(VENV) $(BENCH_VENV) .pytest_cache .ruff_cache
