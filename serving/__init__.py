"""Model serving: the embedded model on llama.cpp behind our OpenAI-compatible adapter,
vLLM for GPUs, and the lifecycle of managed servers."""
