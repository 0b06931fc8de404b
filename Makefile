# OpenDay — the two commands of the README, and a few helpers.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
FLASK := $(BIN)/flask --app app

.PHONY: run test lint chromium translations babel-extract babel-update babel-compile clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --disable-pip-version-check -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(BIN)/pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $@

babel-compile: $(VENV)/.runtime
	$(BIN)/pybabel compile -d translations -f --statistics

run: export BASE_URL ?= http://$(HOST):$(PORT)
run: $(VENV)/.runtime babel-compile
	$(FLASK) db upgrade
	$(FLASK) demo
	@echo "Mail worker starting in the background; serving on http://$(HOST):$(PORT)"
	@$(FLASK) mail worker > instance/mail-worker.log 2>&1 & WORKER=$$!; \
	trap 'kill $$WORKER 2>/dev/null' EXIT INT TERM; \
	$(BIN)/gunicorn -c gunicorn.conf.py --bind $(HOST):$(PORT) "app:create_app()"

# chromium-l10n: with it (and LANGUAGE=zh_CN, tests/conftest.py) date boxes read 2026/11/30
# 14:05 as on a Chinese phone, not 11/30/2026, 02:05 PM.
chromium:
	@{ command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi "wqy\|noto.*cjk" \
	   && [ -e /usr/lib/chromium/locales/zh-CN.pak ]; } || { \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "Installing Debian's chromium, its Chinese locale and a Chinese font for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-l10n fonts-wqy-microhei >/dev/null; \
	  else echo "chromium (its Chinese locale, or a Chinese font) missing and not root: browser tests may be skipped"; fi; }

test: $(VENV)/.dev babel-compile chromium
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/bandit -q -r app config.py

# --ignore-dirs: Babel skips folders named _x by default, and templates/_macros, _partials hold text.
babel-extract: $(VENV)/.runtime
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_pgettext:1c,2 --ignore-dirs=".* __pycache__" \
	  -o translations/messages.pot .

babel-update: babel-extract
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching

translations: babel-update babel-compile

clean:
	rm -rf $(VENV) .pytest_cache
