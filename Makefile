# Two entry points for a fresh machine with only Python 3.11 and pip:
#   make run   - set up .venv and start the app
#   make test  - set up .venv and run the tests
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test bench setup clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/parbench

test: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q -rs  # -rs: a skipped test says why (the browser test without a browser)

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -r benchmarks/requirements.txt
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV)
