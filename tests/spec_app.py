"""The app that ``tests/test_spec.py`` (seed 004's spec tests) imports: our REST API.

Built at import with a fixed test secret, the way a module-level ``app`` in a service's
``main.py`` would be; the spec tests use it through a ``TestClient`` without ``with``,
so the app's lifespan never runs.
"""

from __future__ import annotations

from taskagent.settings import APISettings
from ui.api.app import create_app

app = create_app(APISettings(secret_key="spec-test-secret-0123456789abcdef0123456789abcdef"))
