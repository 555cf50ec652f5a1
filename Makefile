# Two entry points for a fresh machine with only Python 3.11 and pip:
#   make run   - set up .venv and start the app
#   make test  - set up .venv and run the tests
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test bench setup clean

INSTALL_LOG := $(VENV)/install.log

# pip's own output (and setuptools' warnings about the editable install, which --quiet does not
# silence) goes to $(INSTALL_LOG), so nothing is left behind the app; a failed install prints it.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	@echo "installing parbench into $(VENV) (pip's output: $(INSTALL_LOG))"
	@{ $(BIN)/python -m pip install --upgrade pip && $(BIN)/python -m pip install -e '.[test]'; } \
		> $(INSTALL_LOG) 2>&1 || { cat $(INSTALL_LOG); echo "make: the install failed; its output is above and in $(INSTALL_LOG)"; exit 1; }
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/parbench

test: $(STAMP)
	$(BIN)/lint-imports
	@# Two test processes at once, then the timing tests alone; -rs: a skipped test says why.
	$(BIN)/python -m pytest -q -rs -n 2 -m "not timing and not alone"
	$(BIN)/python -m pytest -q -rs -m "timing or alone"

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -r benchmarks/requirements.txt
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV)
