# Two commands for a fresh machine with Python 3.10+:
#   make lab    set up .venv and open the course in JupyterLab
#   make test   set up .venv and run every test (library, notebooks, solutions, grader, browser)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: lab test setup clean

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/00_welcome.ipynb

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e ".[test]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (course)"
	touch $(STAMP)

clean:
	rm -rf $(VENV)
