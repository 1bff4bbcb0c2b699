# The two commands of the README: `make run` and `make test`. Everything else here serves them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_DEV := $(VENV)/.installed-dev
export KYOCHO_DATA_DIR ?= $(CURDIR)/var

.PHONY: run test lint typecheck pytest browser-deps clean messages

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit("kyocho needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_RUN): $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/pip install --quiet -c constraints.txt -e .
	touch $@

$(STAMP_DEV): $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@ $(STAMP_RUN)

run: $(STAMP_RUN)
	mkdir -p var
	$(BIN)/kyocho migrate
	$(BIN)/kyocho demo
	$(BIN)/kyocho serve

# Browser tests must never skip silently: install Debian's chromium when it is missing.
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	  else echo "browser tests need Debian's chromium: sudo apt-get install chromium" >&2; exit 1; fi; }
	@command -v gpg >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gnupg >/dev/null; }
	@# The IMAP tests start a Dovecot of their own (messaging/tests/dovecot.py); the system one is not used.
	@test -x /usr/sbin/dovecot || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd >/dev/null; }

lint: $(STAMP_DEV)
	$(BIN)/ruff check kyocho
	$(BIN)/ruff format --check kyocho

typecheck: $(STAMP_DEV)
	$(BIN)/mypy kyocho

pytest: $(STAMP_DEV) browser-deps
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

test: lint typecheck pytest

messages: $(STAMP_DEV)
	cd kyocho && ../$(BIN)/django-admin compilemessages --ignore '.venv'

clean:
	rm -rf $(VENV) var
