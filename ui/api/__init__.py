"""The task service's REST API: accounts, tasks, the agent, health; FastAPI."""
