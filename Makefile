# Two entry points on a fresh machine: `make run` and `make test`. Both create .venv and install
# the locked dependency set first, so a clean clone needs nothing else.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip install --quiet --disable-pip-version-check

.PHONY: install run test typecheck lint format bench clean messages

$(VENV)/.installed: pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "oiwatch needs Python 3.11 or newer (set PYTHON=python3.11)")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) -r requirements.lock
	$(PIP) --no-deps -e .
	@touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/oiwatch run

test: install
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest

# mypy --strict over bot/, handlers/ and storage/ (settings in pyproject.toml [tool.mypy]).
typecheck: install
	$(BIN)/mypy

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# After adding or changing texts: the catalogs gain the new ones (empty, for translators) and
# drop the gone ones; tests/unit/test_i18n_catalogs.py fails until every one is translated.
# Catalogs are read as .po at start: nothing to compile. A catalog whose texts did not change
# is left as it is (not even its POT-Creation-Date), so parallel branches do not conflict on it.
messages: install
	$(BIN)/pybabel extract -F babel.cfg -k N_ --no-location --sort-output -o $(VENV)/messages.pot .
	@for po in bot/i18n/locales/*.po; do \
		lang=$$(basename $$po .po); \
		$(BIN)/pybabel update -i $(VENV)/messages.pot -o $$po -l $$lang --no-fuzzy-matching --ignore-obsolete --ignore-pot-creation-date || exit 1; \
	done

bench: install
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
