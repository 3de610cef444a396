# Two commands set everything up from nothing:
#   make demo   - create the environment and run the demonstration on the default config
#   make test   - create the environment and run the tests
# The environment is .venv, built with the Python that .python-version selects (>= 3.12).

PYTHON ?= $(shell pyenv which python 2>/dev/null || command -v python3.12 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CONFIG ?= configs/baseline.yaml
PYTEST_ARGS ?=

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

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/study_throughput.py
	$(BIN)/python benchmarks/attribution.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
