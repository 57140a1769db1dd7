# Two commands do everything on a fresh machine with Python 3.11:
#   make run    set up .venv and start the web app on http://127.0.0.1:7860
#   make test   set up .venv, lint (make lint) and run the whole test suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint install bench screenshots clean

run: install
	$(BIN)/legeplads serve $(ARGS)

# Lint first: a finding stops the target before the (slow) tests run.
test: install lint
	$(BIN)/python -m pytest $(PYTEST_ARGS); rc=$$?; if [ $$rc -eq 5 ]; then echo "pytest: no tests collected"; exit 0; fi; exit $$rc

# ruff comes from the test extra in pyproject.toml, which also holds its settings.
lint: install
	$(BIN)/ruff check sandbox tests benchmarks scripts

# The README's pictures: the browser tests, saving their screenshots into docs/screenshots.
screenshots: install
	LEGEPLADS_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest tests/test_ui_browser.py

# The bench extra adds Presidio's stock English pipeline for the side-by-side in benchmarks/guard.py.
bench: install
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	for script in benchmarks/*.py; do $(BIN)/python $$script || exit 1; done

install: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# llama-cpp-python is built first with portable CPU flags (see the script);
# pip then finds the pin in pyproject.toml satisfied and never builds it itself.
$(STAMP): $(BIN)/python pyproject.toml scripts/build_llama_cpp.sh
	bash scripts/build_llama_cpp.sh $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

clean:
	rm -rf $(VENV)
