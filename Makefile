# The two front doors: `make run` and `make test`. Everything the project needs is installed from here.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: install run test lint format messages makemessages browser dovecot pgbouncer pdf bench check clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) pdf

# Compile the .po catalogues (Babel compiles them without GNU gettext, which a fresh machine lacks). Only the
# French statistic is printed: the English catalogue is nearly empty by design (the source strings are English).
messages: $(STAMP)
	@if [ -d locale ]; then $(BIN)/pybabel compile --statistics -D django -d locale 2>&1 | grep 'translated in locale/fr/' || true; fi

makemessages: $(STAMP)
	$(BIN)/python manage.py makemessages -l fr -l en --no-obsolete --ignore=.venv --ignore=staticfiles

# Links in emails (and the printed demo login) point at this server unless SITE_URL says otherwise.
run: $(STAMP) pdf messages
	$(BIN)/python manage.py migrate --noinput
	SITE_URL=$${SITE_URL:-http://127.0.0.1:$(PORT)} $(BIN)/python manage.py seed_demo --if-empty
	SITE_URL=$${SITE_URL:-http://127.0.0.1:$(PORT)} PORT=$(PORT) $(BIN)/python -m config.devrun

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check: $(STAMP)
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run

test: $(STAMP) pdf messages lint check
	$(BIN)/pytest $(PYTEST_ARGS)

# Debian's Chromium for the real-browser tests (Playwright's own browser download does not work here).
browser:
	@{ command -v chromium >/dev/null && dpkg -s chromium-l10n >/dev/null 2>&1; } || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium chromium-l10n >/dev/null; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium chromium-l10n >/dev/null; fi; }

# Debian's Dovecot for the mail-capture tests (tests/capture/dovecot.py starts its own, per test session, on a
# spare loopback port; the package's system service is never used).
dovecot:
	@command -v dovecot >/dev/null || [ -x /usr/sbin/dovecot ] || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq dovecot-imapd >/dev/null; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq dovecot-imapd >/dev/null; fi; }

# Debian's PgBouncer for the transaction-pooling test (tests/test_pgbouncer.py starts its own on a spare loopback
# port in front of PostgreSQL; the package's system service is never used).
pgbouncer:
	@command -v pgbouncer >/dev/null || [ -x /usr/sbin/pgbouncer ] || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq pgbouncer >/dev/null; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq pgbouncer >/dev/null; fi; }

# Debian's Pango for WeasyPrint (the evidence pack's PDF, crm/evidence), its fonts, and poppler-utils for the tests
# that read the PDF's text (pdftotext) and draw its first page (pdftoppm). Where nothing can be installed (no root,
# no sudo) it says so and goes on: those tests then skip, and fail under CI=true.
pdf:
	@{ dpkg -s libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core poppler-utils >/dev/null 2>&1; } || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core poppler-utils >/dev/null; \
	  else sudo -n apt-get update -qq && sudo -n apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core poppler-utils >/dev/null; fi; } \
	|| echo "make pdf: could not install Pango and poppler-utils; the evidence pack's tests will skip (fail under CI=true)"

# wrk (Debian) drives the HTTP throughput part; without it (no root) the bench says so and skips that part.
bench: $(STAMP) messages
	@command -v wrk >/dev/null || [ "$$(id -u)" != 0 ] || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; } || true
	$(BIN)/python bench/run.py $(if $(SMALL),--small,)

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
