# Two commands set everything up: `make demo` and `make test` (each creates .venv if missing).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test stress lint clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,tune]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/lecturelab run --all --profile quick

test: install
	$(BIN)/python -m pytest -n auto --dist loadfile --durations=15

# The tests marked `stress` at large counts: the fuzz tests (tests/fuzz) with 2000 random
# examples each instead of 50, the SIGKILL fault test with 30 kills per kind of training
# instead of 2 (90 in all).
stress: install
	LECTURELAB_FUZZ_EXAMPLES=2000 LECTURELAB_KILLS=30 $(BIN)/python -m pytest -m stress --hypothesis-show-statistics

lint: install
	$(BIN)/ruff check src tests benchmarks

clean:
	rm -rf $(VENV) runs
