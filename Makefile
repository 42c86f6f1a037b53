# Two entry points (README): `make run` starts the bot, `make test` runs every check.
# Each creates its own virtual environment on first use and reinstalls when the lock files change.
# requirements/*.txt pin every package (pip-compile from pyproject.toml; `make lock` refreshes them).
PYTHON ?= python3.11
VENV_RUN  := .venv-run
VENV_TEST := .venv

.PHONY: run test lint clean rasa-check lock

$(VENV_RUN)/.stamp: pyproject.toml requirements/run.txt
	$(PYTHON) -m venv $(VENV_RUN)
	$(VENV_RUN)/bin/pip install -q --upgrade pip
	$(VENV_RUN)/bin/pip install -q -r requirements/run.txt
	$(VENV_RUN)/bin/pip install -q --no-deps -e .
	touch $@

$(VENV_TEST)/.stamp: pyproject.toml requirements/test.txt
	$(PYTHON) -m venv $(VENV_TEST)
	$(VENV_TEST)/bin/pip install -q --upgrade pip
	$(VENV_TEST)/bin/pip install -q -r requirements/test.txt
	$(VENV_TEST)/bin/pip install -q --no-deps -e .
	touch $@

# Refresh the pins after changing dependencies in pyproject.toml (needs the registry).
lock:
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/pip install -q pip-tools
	.venv-lock/bin/pip-compile -q --strip-extras --no-emit-index-url --no-emit-find-links -o requirements/run.txt pyproject.toml
	.venv-lock/bin/pip-compile -q --strip-extras --no-emit-index-url --no-emit-find-links --extra test \
		-o requirements/test.txt pyproject.toml

run: $(VENV_RUN)/.stamp
	$(VENV_RUN)/bin/groupcart run

lint: $(VENV_TEST)/.stamp
	$(VENV_TEST)/bin/ruff check .
	$(VENV_TEST)/bin/mypy
	$(VENV_TEST)/bin/lint-imports

test: lint
	$(VENV_TEST)/bin/pytest -q -p no:cacheprovider $(PYTEST_ARGS)

clean:
	rm -rf $(VENV_RUN) $(VENV_TEST) .mypy_cache .ruff_cache

# The Rasa backend for real (issue: named systems): trains Rasa 3.6 per language in .venv-rasa (Python 3.10),
# serves it, compares it with the builtin model and runs the live-server tests. Minutes, not for every CI run.
rasa-check: $(VENV_TEST)/.stamp
	$(VENV_TEST)/bin/python scripts/rasa_check.py
