# The README's two set-up commands: `make demo` and `make test`. Both bootstrap everything themselves.
VENV      ?= .venv
DEMO_HOME ?= $(CURDIR)/.demo-home
BIN       := $(VENV)/bin

.PHONY: demo test bootstrap lint typecheck pytest screenshots bench clean i18n lock

bootstrap:
	@VENV=$(VENV) ./scripts/bootstrap.sh

## make demo: provision the demo (SoftHSM token + demo CA + config) and run the app on it
demo: bootstrap
	IBHXH_HOME=$(DEMO_HOME) $(BIN)/ibhxh demo

## make test: every check (ruff, mypy, pytest)
test: bootstrap lint typecheck pytest

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck:
	$(BIN)/mypy

# -n auto: one worker per core (pytest-xdist)
pytest:
	$(BIN)/pytest -q -n auto

## make i18n: after editing tui_ibhxh/locale/*/LC_MESSAGES/ibhxh.po (Poedit), or using a new key in the code:
## add the new keys to both catalogues, compile the .mo files (committed), and list what is missing or unused
i18n: bootstrap
	$(BIN)/python scripts/i18n.py update compile check

bench: bootstrap
	$(BIN)/python -m bench

## screenshots/: an SVG of every screen and state, from the snapshot-test states
screenshots: bootstrap
	$(BIN)/python scripts/screenshots.py

## make lock: requirements.lock again from pyproject.toml and requirements/bootstrap.in, after a pin changed
lock: bootstrap
	$(BIN)/uv pip compile pyproject.toml requirements/bootstrap.in --extra dev --generate-hashes --universal \
		--python-version 3.11 --quiet -o requirements.lock

clean:
	rm -rf $(VENV) $(DEMO_HOME) .mypy_cache .pytest_cache .ruff_cache
