# ExportWatch. `make run` and `make test` each do all set-up on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
UV_VERSION := 0.13.9
PORT ?= 8000
PG_URL ?= postgresql://postgres@127.0.0.1:5432/test
DEMO_ENV := EXPORTWATCH_DEMO=1 EXPORTWATCH_TODAY=2020-04-15
PROVINCE := EXPORTWATCH_VAR=$(CURDIR)/var/province DATABASE_URL=sqlite:///$(CURDIR)/var/province/db.sqlite3

.PHONY: run test test-sqlite test-postgres check lint format bench chromium system-deps messages venv clean

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q "uv==$(UV_VERSION)"
	$(BIN)/uv pip sync -q --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	touch $(STAMP)

# ECharts from npm, pinned by package-lock.json, copied into the static files (no CDN at run time).
NODE_STAMP := node_modules/.installed-stamp
VENDOR := src/exportwatch/static/vendor
ECHARTS := $(VENDOR)/echarts/echarts.min.js

$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "npm not found: install Node.js 20 and npm (apt-get install nodejs npm), then re-run make" >&2; exit 1; }
	npm ci --no-audit --no-fund --ignore-scripts
	touch $(NODE_STAMP)

$(ECHARTS): $(NODE_STAMP)
	mkdir -p $(VENDOR)/echarts
	cp node_modules/echarts/LICENSE node_modules/echarts/NOTICE $(VENDOR)/echarts/
	cp node_modules/echarts/dist/echarts.min.js $(ECHARTS)

.PHONY: assets
assets: $(ECHARTS)

venv: $(STAMP) assets

run: venv
	$(DEMO_ENV) $(BIN)/exportwatch demo
	$(DEMO_ENV) $(BIN)/exportwatch serve --port $(PORT)

# Debian's Chromium and a CJK font for the browser tests (Playwright's own browser download does not work here),
# LibreOffice Calc, the real spreadsheet program the Excel tests convert files with, and LibreOffice Writer and
# poppler-utils, which turn the briefs into PDF and read them back in the brief tests.
SYSTEM_PACKAGES := chromium fonts-wqy-microhei libreoffice-calc-nogui libreoffice-writer-nogui poppler-utils
system-deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

chromium: system-deps

test: venv system-deps test-sqlite test-postgres

test-sqlite: venv
	DJANGO_ALLOW_ASYNC_UNSAFE=true $(BIN)/pytest -q

test-postgres: venv
	DATABASE_URL=$(PG_URL) EXPORTWATCH_TEST_POSTGRES=1 DJANGO_ALLOW_ASYNC_UNSAFE=true $(BIN)/pytest -q

lint: venv
	$(BIN)/ruff format --check src tests
	$(BIN)/ruff check src tests
	$(BIN)/mypy
	$(BIN)/lint-imports

format: venv
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix src tests

check: lint test

# Recompile the translations after editing src/exportwatch/locale/*/LC_MESSAGES/django.po.
messages: venv
	cd src/exportwatch && export EXPORTWATCH_DEMO=1 DJANGO_SETTINGS_MODULE=exportwatch.settings && \
		../../$(BIN)/django-admin makemessages -l zh_Hans -l en --no-obsolete --ignore 'migrations/*' && \
		../../$(BIN)/django-admin compilemessages

bench: venv
	mkdir -p var
	$(BIN)/python -m benchmarks.run --database sqlite --output var/bench-sqlite.md
	$(BIN)/python -m benchmarks.run --database postgresql --output var/bench-postgresql.md
	$(BIN)/python -m benchmarks.report_import --output var/bench-import.md
	$(BIN)/python -m benchmarks.monitoring --database sqlite --tier district --output var/bench-mon-district-sqlite.md
	$(BIN)/python -m benchmarks.monitoring --database postgresql --tier district --output var/bench-mon-district-pg.md
	$(BIN)/python -m benchmarks.monitoring --database postgresql --tier city --requests 10 --output var/bench-mon-city-pg.md
	# The synthetic province (100,000 enterprises, 74 M lines, ~13 GB) is built once into var/province and kept.
	test -f var/province/db.sqlite3 || { mkdir -p var/province && $(PROVINCE) EXPORTWATCH_DEMO=1 $(BIN)/exportwatch synth --tier province; }
	$(PROVINCE) $(BIN)/python -m benchmarks.monitoring --database sqlite --tier province --existing --requests 10 --output var/bench-mon-province-sqlite.md
	$(PROVINCE) $(BIN)/python -m benchmarks.warnings_speed --existing --output var/bench-warnings-province.md
	$(PROVINCE) $(BIN)/python -m benchmarks.forecasting_speed --existing --output var/bench-forecasting-province.md
	$(PROVINCE) $(BIN)/python -m benchmarks.stress_speed --existing --output var/bench-stress-province.md
	$(BIN)/python -m benchmarks.warnings_speed --output var/bench-warnings-district.md
	$(BIN)/python -m benchmarks.warning_scenarios --output var/bench-warning-scenarios.md
	$(BIN)/python -m benchmarks.warning_scenarios --seed 2 --output var/bench-warning-scenarios-2.md
	$(BIN)/python -m benchmarks.forecast_accuracy --scenarios --output var/bench-forecast-accuracy.md
	$(BIN)/python -m benchmarks.forecasting_speed --output var/bench-forecasting-speed.md
	$(BIN)/python -m benchmarks.stress_speed --output var/bench-stress.md
	$(BIN)/python -m benchmarks.deadline_rush --database sqlite --output var/bench-rush-sqlite.md
	$(BIN)/python -m benchmarks.deadline_rush --database postgresql --pg-url $(PG_URL) --output var/bench-rush-pg.md
	{ cat benchmarks/HEADER.md; cat var/bench-sqlite.md; echo; cat var/bench-postgresql.md; echo; cat var/bench-import.md; \
	  echo; cat var/bench-mon-district-sqlite.md; echo; cat var/bench-mon-district-pg.md; echo; cat var/bench-mon-city-pg.md; \
	  echo; cat var/bench-mon-province-sqlite.md; echo; cat var/bench-warnings-district.md; \
	  echo; cat var/bench-warnings-province.md; echo; cat var/bench-warning-scenarios.md; \
	  echo; cat var/bench-warning-scenarios-2.md; echo; cat var/bench-forecast-accuracy.md; \
	  echo; cat var/bench-forecasting-speed.md; echo; cat var/bench-forecasting-province.md; \
	  echo; cat var/bench-stress.md; echo; cat var/bench-stress-province.md; \
	  echo; cat var/bench-rush-sqlite.md; echo; cat var/bench-rush-pg.md; \
	} > docs/benchmarks.md

clean:
	rm -rf $(VENV) var
