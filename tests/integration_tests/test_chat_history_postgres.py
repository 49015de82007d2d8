"""The web chat's history (Chainlit's data layer, ``chainlit_*`` tables) on PostgreSQL.

Needs a real server: `.ci/run` installs and starts one and exports
TASKAGENT_TEST_POSTGRES_URL (a role allowed to create databases).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.unit_tests.test_chainlit_store import round_trip, store_module

ADMIN_URL = os.environ.get("TASKAGENT_TEST_POSTGRES_URL", "")
pytestmark = pytest.mark.skipif(
    not ADMIN_URL, reason="TASKAGENT_TEST_POSTGRES_URL is not set (CI sets it)"
)
__all__ = ["store_module"]  # the fixture, shared with the SQLite round trip


@pytest.fixture
def postgres_url() -> Iterator[str]:
    import psycopg

    name = f"taskagent_chat_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = "postgresql+psycopg://" + ADMIN_URL.split("://", 1)[1].rsplit("/", 1)[0] + "/" + name
    yield url
    from taskagent.store import store_for

    store_for(url).engine.dispose()
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_the_data_layer_round_trips_on_postgres(store_module: Any, postgres_url: str) -> None:
    await round_trip(store_module, postgres_url)
