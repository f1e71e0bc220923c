# Trợ lý dịch vụ công — `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
RASA := $(BIN)/rasa
STAMP := $(VENV)/.installed-$(shell cat requirements.txt | cksum | cut -d' ' -f1)
MODEL_STAMP := models/.trained
GENERATED_NLU := data/nlu/services.generated.yml
TRAINING_INPUTS := config.yml $(wildcard domain/*.yml) $(shell find data -name '*.yml' ! -name '*.generated.yml') \
	$(GENERATED_NLU) $(wildcard nlu/*.py)

# Nothing reaches for the internet at run time.
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export PYTHONDONTWRITEBYTECODE := 1
export HF_HUB_OFFLINE := 1

.PHONY: help install run train test lint format typecheck pytest validate test-stories clean bench bench-quick

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

install: $(STAMP) ## Create .venv on Python 3.10 and install the pinned dependencies

$(STAMP): requirements.txt
	@scripts/find-python310.sh > /dev/null
	@test -x $(PY) || $$(scripts/find-python310.sh) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip==24.2 wheel==0.45.1
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip check
	@rm -f $(VENV)/.installed-*
	@touch $@

$(GENERATED_NLU): $(STAMP) $(wildcard knowledge/services/*.yaml) knowledge/nlu_export.py
	$(PY) -m knowledge nlu-data $@

train: $(MODEL_STAMP) ## Train the model when config, domain, data or NLU code changed (and only then)

$(MODEL_STAMP): $(STAMP) $(TRAINING_INPUTS)
	$(RASA) train --domain domain --data data --config config.yml --out models --fixed-model-name tro-ly
	@touch $@

run: install train ## Install what is missing, train if needed, start the assistant on :5005 (actions on :5055)
	@scripts/run.sh

lint: install ## ruff (lint + format check)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install ## Apply ruff's formatting and safe fixes
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: install ## mypy on our packages
	$(BIN)/mypy

pytest: install train ## Unit and integration tests (uses the trained model; installs Debian's chromium if missing)
	@scripts/install-chromium.sh
	$(BIN)/pytest

validate: install $(GENERATED_NLU) ## rasa data validate
	$(RASA) data validate --domain domain --data data --config config.yml --fail-on-warnings

test-stories: install train ## Rasa test stories (tests/test_*.yml)
	$(RASA) test core --model models/tro-ly.tar.gz --stories tests/ \
		--fail-on-prediction-errors --out var/results/stories

test: lint typecheck pytest validate test-stories ## Everything CI runs: ruff, mypy, pytest, data validation, test stories
	@echo "All checks passed."

bench: install train ## Every benchmark (full: repeated runs, medians); writes bench/REPORT.md
	$(PY) -m bench.run

bench-quick: install train ## Every benchmark once, smaller budgets (under 10 minutes); writes bench/REPORT.md
	$(PY) -m bench.run --quick

clean: ## Remove models, results and caches (keeps .venv)
	rm -rf models var/results .pytest_cache .mypy_cache .ruff_cache
