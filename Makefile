# Two commands for a fresh machine with Python 3.10+:
#   make lab    set up .venv and open the course in JupyterLab
#   make test   set up .venv and run every test (library, notebooks, solutions, grader, browser)
#
# `make lab` opens the welcome notebook with the whole course (notebooks/, exercises/) in the
# file browser. It works
# - as root (containers, WSL, a lab's shared VM): it adds --allow-root when the effective uid is 0;
# - without a display: JupyterLab prints the URL with its token ("Or copy and paste one of these
#   URLs"); on Linux with no DISPLAY, WAYLAND_DISPLAY or BROWSER it does not try to open a browser
#   (Python would otherwise start a text browser such as w3m inside the terminal);
# - with port 8888 taken: JupyterLab tries the next ports itself (its port_retries, 50 by default).
# Ctrl-C (twice) stops it.
#
# Variables (make VAR=value target):
#   NO_BROWSER=1   never open a browser, only print the URL (a remote machine; the tests use it)
#   LAB_ARGS=...   more JupyterLab options, e.g. LAB_ARGS="--port=9000 --ip=0.0.0.0"
#   VENV=dir       the virtual environment to create and use (default .venv)
#   PYTHON=cmd     the Python that creates it (default python3)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

NO_BROWSER ?=
LAB_ARGS   ?=
# the page JupyterLab opens (and prints), relative to the folder make runs in
LAB_START  := /lab/tree/notebooks/00_welcome.ipynb
ALLOW_ROOT := $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root)
HEADLESS   := $(if $(filter Linux,$(shell uname -s 2>/dev/null)),$(if $(DISPLAY)$(WAYLAND_DISPLAY)$(BROWSER),,yes))
LAB_FLAGS  := $(ALLOW_ROOT) $(if $(filter-out 0 no,$(NO_BROWSER))$(HEADLESS),--no-browser) --LabApp.default_url=$(LAB_START)

.PHONY: lab test setup clean

lab: $(STAMP)
	@echo "Starting JupyterLab; open the course with the URL it prints below (the one with ?token=). Ctrl-C stops it."
	$(BIN)/jupyter lab $(strip $(LAB_FLAGS) $(LAB_ARGS))

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
