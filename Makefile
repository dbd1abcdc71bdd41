# Hanoi Exchange — every set-up step a newcomer needs is behind `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HANOIX := $(VENV)/bin/hanoix
STAMP := $(VENV)/.installed
HOME_DIR ?= .hanoix
DEMO_DIR ?= .hanoix-demo
PYTEST_ARGS ?=

.PHONY: demo install test test-setup video lint format typecheck lock clean openapi messages configuration

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

## make demo: install, then three nodes (Viet Nam, Austria, South Africa) on loopback, each with
## its own home under $(DEMO_DIR), play one case end to end and keep serving until Ctrl-C
demo: install
	$(HANOIX) demo --dir $(DEMO_DIR)

## make test: install what the tests need (test-setup before video: it installs FFmpeg in CI),
## then run every test
test: install test-setup video
	$(PY) -m pytest -n 2 --dist worksteal $(PYTEST_ARGS)

test-setup:
	@bash scripts/test-setup.sh

## make video: the optional vPDQ extra (docs/content.md, Video), once FFmpeg's development
## libraries are there (scripts/test-setup.sh installs them when CI is set); without them a
## developer's machine goes on without vPDQ, and CI stops
video: install
	@if $(PY) -c 'import vpdq' 2>/dev/null; then :; \
	elif pkg-config --exists libavcodec libavformat libavutil libswscale 2>/dev/null; then \
	  echo "video: building the vPDQ extra against FFmpeg (about half a minute)"; \
	  $(PY) -m pip install --quiet -c constraints.txt -e '.[test,video]'; \
	else \
	  echo "video: FFmpeg's development libraries are missing: vPDQ not installed, its tests skip"; \
	  [ -z "$${CI:-}" ]; \
	fi

lint: install
	$(VENV)/bin/ruff check hanoix tests benchmarks
	$(VENV)/bin/ruff format --check hanoix tests benchmarks
	$(VENV)/bin/lint-imports

format: install
	$(VENV)/bin/ruff format hanoix tests benchmarks
	$(VENV)/bin/ruff check --fix hanoix tests benchmarks

typecheck: install
	$(VENV)/bin/mypy

## make openapi: regenerate docs/openapi.json from the application (commit the result)
openapi: install
	$(PY) scripts/openapi.py

## make configuration: regenerate docs/configuration.md from the settings models (commit it)
configuration: install
	$(PY) scripts/configuration.py

## make messages: extract the web pages' strings and update every language's catalogue
## (hanoix/web/locales/<code>/LC_MESSAGES/messages.po); translate the new entries, then commit
messages: install
	$(VENV)/bin/pybabel extract -F babel.cfg --no-location --sort-output --omit-header \
		-o hanoix/web/locales/messages.pot .
	$(VENV)/bin/pybabel update -i hanoix/web/locales/messages.pot -d hanoix/web/locales \
		--no-fuzzy-matching --ignore-obsolete

## make lock: re-pin every dependency (direct and transitive) after changing pyproject.toml
lock:
	rm -rf .lockenv && $(PYTHON) -m venv .lockenv
	.lockenv/bin/pip install --quiet --upgrade pip
	.lockenv/bin/pip install --quiet '.[test,video]'
	.lockenv/bin/pip freeze --exclude hanoix > constraints.txt
	rm -rf .lockenv

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info
