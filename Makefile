# Two entry points (README): `make run` starts the bot, `make test` runs every check.
# Each creates its own virtual environment on first use and reinstalls when pyproject.toml changes.
PYTHON ?= python3.11
VENV_RUN  := .venv-run
VENV_TEST := .venv

.PHONY: run test lint clean rasa-check

$(VENV_RUN)/.stamp: pyproject.toml
	$(PYTHON) -m venv $(VENV_RUN)
	$(VENV_RUN)/bin/pip install -q --upgrade pip
	$(VENV_RUN)/bin/pip install -q -e .
	touch $@

$(VENV_TEST)/.stamp: pyproject.toml
	$(PYTHON) -m venv $(VENV_TEST)
	$(VENV_TEST)/bin/pip install -q --upgrade pip
	$(VENV_TEST)/bin/pip install -q -e '.[test]'
	touch $@

run: $(VENV_RUN)/.stamp
	$(VENV_RUN)/bin/groupcart run

lint: $(VENV_TEST)/.stamp
	$(VENV_TEST)/bin/ruff check .
	$(VENV_TEST)/bin/mypy

test: lint
	$(VENV_TEST)/bin/pytest -q -p no:cacheprovider $(PYTEST_ARGS)

clean:
	rm -rf $(VENV_RUN) $(VENV_TEST) .mypy_cache .ruff_cache

# The Rasa backend for real (issue: named systems): trains Rasa 3.6 per language in .venv-rasa (Python 3.10),
# serves it, compares it with the builtin model and runs the live-server tests. Minutes, not for every CI run.
rasa-check: $(VENV_TEST)/.stamp
	$(VENV_TEST)/bin/python scripts/rasa_check.py
