# aoai-lens: `make run` starts the dashboard, `make test` runs the whole suite.
# Both create .venv with pip and install from this project's own files.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CHROMIUM ?= /usr/bin/chromium

.PHONY: run test lint unit browser bench soak fuzz fmt clean chromium oidc

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/aoai-lens serve --demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

unit: $(STAMP)
	$(BIN)/pytest -q -n 4

chromium:
	@test -x $(CHROMIUM) || { \
	  echo "installing Debian chromium for the browser test"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# The local OpenID Connect provider the browser sign-in test starts (npm's oidc-provider).
OIDC := tests/oidc/node_modules/.package-lock.json
$(OIDC): tests/oidc/package-lock.json
	@command -v npm >/dev/null || { \
	  echo "installing Debian nodejs and npm for the sign-in test"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; }
	cd tests/oidc && npm ci --no-audit --no-fund --silent
oidc: $(OIDC)

browser: $(STAMP) chromium $(OIDC)
	$(BIN)/pytest -q -m browser tests/browser

test: lint unit browser

bench: $(STAMP)
	$(BIN)/python -m bench.ingest
	$(BIN)/python -m bench.flatten
	$(BIN)/python -m bench.normalise
	$(BIN)/python -m bench.write
	$(BIN)/python -m bench.write --request-ids
	$(BIN)/python -m bench.chargeback
	$(BIN)/python -m bench.dashboard
	$(BIN)/python -m bench.routing
	$(BIN)/python -m bench.traffic
	$(BIN)/python -m bench.log_analytics
	$(BIN)/python -m bench.monitor_metrics
	$(BIN)/python -m bench.reconcile
	$(BIN)/python -m bench.advisor
	$(BIN)/python -m bench.pages

# Longer runs of two suite tests: restarts under mixed traffic, and new random requests.
soak: $(STAMP)
	LENS_SOAK_ROUNDS=12 LENS_SOAK_ROUND_S=10 $(BIN)/pytest -q tests/integration/test_soak.py

fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=fuzz $(BIN)/pytest -q tests/integration/test_receiver_properties.py

fmt: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) build .mypy_cache .ruff_cache .pytest_cache
