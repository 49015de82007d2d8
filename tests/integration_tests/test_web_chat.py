"""The Chainlit web chat in a real browser: Playwright driving Debian's headless Chromium.

`taskagent ui` runs in its own process on a free port with its own data directory; the
tests sign in, click a starter, watch the steps, confirm and cancel deletes, reload and
resume a thread, and check that a second user sees none of the first user's work.
Most tests run the agent on the rule planner (`TASKAGENT_TIERS=emergency`) for speed
and determinism; the last one runs the real embedded model. Screenshots go to
`tests/artifacts/web_chat/`. Run them alone with `pytest -m browser`.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from taskagent.settings import reset_settings
from tests.conftest import NOW
from tests.integration_tests.conftest import ROOT, free_port, run_cli

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("TASKAGENT_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "tests" / "artifacts" / "web_chat"
AUTH_SECRET = "browser-test-secret-0123456789abcdef0123456789abcdef"
PASSWORD = "correct horse battery"
TIMEOUT_MS = 90_000  # two slow cores: be generous, but always wait on a condition
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

if not Path(CHROMIUM).exists():
    pytestmark = [  # type: ignore[assignment]
        pytest.mark.browser,
        pytest.mark.skip(reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"),
    ]


@dataclass
class WebChat:
    """A running `taskagent ui`."""

    base: str
    data_dir: Path
    log: Path

    def store(self) -> Any:
        from taskagent.store import store_for

        return store_for(f"sqlite:///{self.data_dir / 'taskagent.db'}")

    def tasks_of(self, username: str) -> list[dict[str, Any]]:
        from sqlalchemy import select

        from taskagent.db import Task, User
        from taskagent.store import task_dict

        with self.store().session() as session:
            rows = session.scalars(
                select(Task).join(User, Task.owner_id == User.id).where(User.username == username)
            )
            return [task_dict(task) for task in rows]

    def projects_of(self, username: str) -> dict[int, str]:
        from sqlalchemy import select

        from taskagent.db import Project, User

        with self.store().session() as session:
            rows = session.scalars(
                select(Project)
                .join(User, Project.owner_id == User.id)
                .where(User.username == username)
            )
            return {project.id: project.name for project in rows}


HEADLINE = "Create a project Q1 Goals and add a high-priority task for budgeting due Friday"


@contextmanager
def web_chat(data_dir: Path, **env: str) -> Iterator[WebChat]:
    """Create two accounts with `taskagent user add`, then serve `taskagent ui`."""
    data_dir.mkdir(parents=True, exist_ok=True)
    environment = {
        "TASKAGENT_DATA_DIR": str(data_dir),
        "CHAINLIT_AUTH_SECRET": AUTH_SECRET,
        # Chainlit loads .env from the working directory; a developer's .env stays out.
        "CHAINLIT_ENV_FILE": str(data_dir / "no.env"),
        "TASKAGENT_NOW": NOW,
        "TASKAGENT_TIERS": "emergency",
        **env,
    }
    for name in ("alice", "bob"):
        done = run_cli("user", "add", name, "--password-stdin", env=environment, stdin=PASSWORD)
        assert done.returncode == 0, done.stderr
    port = free_port()
    log_path = data_dir.parent / f"ui-{port}.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "ui.cli", "ui", "--port", str(port)],
            cwd=ROOT,
            env={**os.environ, **environment},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 180
            while True:
                assert process.poll() is None, log_path.read_text()[-3000:]
                assert time.monotonic() < deadline, "the web chat did not start in 180 s"
                try:
                    if httpx.get(base + "/", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.5)
            yield WebChat(base, data_dir, log_path)
        finally:
            process.terminate()
            process.wait(timeout=30)
    assert "Traceback" not in log_path.read_text(), log_path.read_text()[-3000:]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebChat]:
    with web_chat(tmp_path_factory.mktemp("web") / "data") as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)  # expect() waits as long as locators do

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, app: WebChat, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser profile that can reach only the app; a screenshot at the end."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    # Offline by design: anything not served by the app (fonts, CDNs) fails at once.
    context.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.startswith(app.base) else route.abort()
        ),
    )
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    yield tab
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


# --- what a person does ------------------------------------------------------------------


def sign_in(page: Any, app: WebChat, user: str, password: str = PASSWORD) -> None:
    page.goto(app.base)
    page.locator("#email").fill(user)
    page.locator("#password").fill(password)
    page.locator("button[type=submit]").click()


def signed_in(page: Any) -> None:
    """Wait for the chat session: its commands arrive once the socket is connected."""
    page.locator("#chat-input").wait_for()
    page.locator("#command-button").wait_for()


def idle(page: Any) -> None:
    """Wait for the app's own signals that no turn is running.

    Chainlit swaps the send button for ``#stop-button`` from ``task_start`` to
    ``task_end``; an answer's text can be on the page before its turn has ended. After a
    thread's first message Chainlit moves the page to ``/thread/<id>``: a message typed
    during that move was the flaky test's lost second message.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect

    expect(page.locator("#stop-button")).to_have_count(0)
    if page.locator("[data-step-type=user_message]").count() and "/thread/" not in page.url:
        # a command alone (/tasks) starts no thread, so the move may never come
        with contextlib.suppress(PlaywrightTimeout):
            page.wait_for_url(re.compile(r"/thread/"), timeout=5_000)
    expect(page.locator("#chat-input")).to_be_editable()


def send(page: Any, text: str) -> None:
    """Type a message and send it once the composer accepts it (no turn running)."""
    from playwright.sync_api import expect

    idle(page)
    box = page.locator("#chat-input")
    box.fill(text)
    expect(page.locator("#chat-submit")).to_be_enabled()
    box.press("Enter")
    expect(box).to_have_value("")


def command(page: Any, name: str) -> None:
    """Type ``/name``: Enter picks the command from the menu, a second Enter sends it."""
    from playwright.sync_api import expect

    idle(page)
    box = page.locator("#chat-input")
    box.fill(f"/{name}")
    page.get_by_text(re.compile(r"^" + name + r"$")).last.wait_for()
    box.press("Enter")
    expect(box).to_have_value("")
    expect(page.locator("#chat-submit")).to_be_enabled()
    box.press("Enter")


def answer(page: Any, pattern: str) -> Any:
    """The newest assistant text matching ``pattern``, once it is on the page."""
    found = page.get_by_text(re.compile(pattern)).last
    found.wait_for()
    return found


def footer(page: Any) -> str:
    return str(answer(page, r"tier: \w+ · \d+ ms").inner_text())


# --- the tests ---------------------------------------------------------------------------


def test_sign_in_checks_the_password_against_the_task_store(page: Any, app: WebChat) -> None:
    sign_in(page, app, "alice", "not the password")
    page.get_by_text(re.compile("Sign in failed|Unable to sign in")).first.wait_for()
    assert page.locator("#chat-input").count() == 0
    sign_in(page, app, "alice")
    signed_in(page)
    for label in ("Plan Q1 goals", "Show my tasks", "Set a reminder", "Today's calendar"):
        page.get_by_text(label, exact=True).wait_for()


def test_a_starter_creates_the_project_and_task_and_shows_each_step(
    page: Any, app: WebChat
) -> None:
    sign_in(page, app, "alice")
    signed_in(page)
    page.get_by_text("Plan Q1 goals", exact=True).click()
    reply = answer(page, r"Created project #\d+ “Q1 Goals”").inner_text()
    assert "Created task" in reply and "Budgeting" in reply
    assert footer(page).startswith("tier: emergency")
    # Each graph node is a collapsible step, named after the node, in order.
    for node in ("classify", "plan", "verify", "execute", "respond"):
        page.locator(f"#step-{node}").first.wait_for()
    page.locator("#step-execute").first.click()
    page.get_by_text('"create_task"').first.wait_for()  # the arguments and results as JSON
    page.get_by_text('"title": "Budgeting"').first.wait_for()
    page.get_by_text('"due_date": "2026-11-20"').first.wait_for()
    tasks = app.tasks_of("alice")
    assert [(t["title"], t["due_date"]) for t in tasks] == [("Budgeting", "2026-11-20")]
    assert tasks[0]["project_id"] is not None


def test_a_cancelled_delete_deletes_nothing_and_says_so(page: Any, app: WebChat) -> None:
    sign_in(page, app, "alice")
    signed_in(page)
    send(page, "add a task to renew the passport")
    created = answer(page, r"Created task #\d+ “Renew the passport”").inner_text()
    task_id = int(re.search(r"#(\d+)", created).group(1))  # type: ignore[union-attr]
    send(page, f"delete task {task_id}")
    answer(page, rf"Delete task #{task_id} “Renew the passport”\? This cannot be undone")
    page.get_by_role("button", name="Confirm").wait_for()
    assert any(t["id"] == task_id for t in app.tasks_of("alice"))  # nothing yet
    page.get_by_role("button", name="Cancel").click()
    answer(page, "Okay, I didn't delete anything")
    assert any(t["id"] == task_id for t in app.tasks_of("alice"))


def test_a_confirmed_delete_deletes_the_task(page: Any, app: WebChat) -> None:
    sign_in(page, app, "alice")
    signed_in(page)
    send(page, "add a task to cancel the gym membership")
    created = answer(page, r"Created task #\d+ “Cancel the gym membership”").inner_text()
    task_id = int(re.search(r"#(\d+)", created).group(1))  # type: ignore[union-attr]
    send(page, f"delete task {task_id}")
    page.get_by_role("button", name="Confirm").click()
    answer(page, rf"Deleted task #{task_id} “Cancel the gym membership”")
    assert all(t["id"] != task_id for t in app.tasks_of("alice"))


def test_a_delete_left_waiting_is_asked_again_after_a_reload(page: Any, app: WebChat) -> None:
    sign_in(page, app, "alice")
    signed_in(page)
    send(page, "add a task to sell the old bike")
    created = answer(page, r"Created task #\d+ “Sell the old bike”").inner_text()
    task_id = int(re.search(r"#(\d+)", created).group(1))  # type: ignore[union-attr]
    send(page, f"delete task {task_id}")
    page.get_by_role("button", name="Confirm").wait_for()
    page.wait_for_url(re.compile(r"/thread/"))
    page.reload()  # the question is still pending in the graph's checkpoint
    page.get_by_role("button", name="Confirm").click()
    answer(page, rf"Deleted task #{task_id} “Sell the old bike”")
    assert all(t["id"] != task_id for t in app.tasks_of("alice"))


def test_the_tasks_command_renders_a_table(page: Any, app: WebChat) -> None:
    sign_in(page, app, "alice")
    signed_in(page)
    command(page, "tasks")
    table = page.locator("table").last
    table.wait_for()
    text = table.inner_text()
    assert "Priority" in text and "Budgeting" in text and "2026-11-20" in text


def test_a_reloaded_page_resumes_the_thread_with_its_history_and_state(
    page: Any, app: WebChat
) -> None:
    sign_in(page, app, "alice")
    signed_in(page)
    send(page, "add a task to water the plants")
    created = answer(page, r"Created task #\d+ “Water the plants”").inner_text()
    task_id = int(re.search(r"#(\d+)", created).group(1))  # type: ignore[union-attr]
    page.wait_for_url(re.compile(r"/thread/"))
    page.reload()
    page.goto(app.base)  # a fresh page: the thread is in the sidebar
    page.get_by_text("add a task to water the plants").first.click()
    answer(page, r"Created task #\d+ “Water the plants”")  # the history is back
    page.locator("#step-execute").first.wait_for()
    # The graph's state is back too: "it" is the task from before the reload.
    send(page, "make it urgent")
    answer(page, rf"Updated priority of task #{task_id} “Water the plants”")
    urgent = [t for t in app.tasks_of("alice") if t["id"] == task_id]
    assert urgent and urgent[0]["priority"] == "urgent"


def test_reset_starts_a_new_conversation(page: Any, app: WebChat) -> None:
    sign_in(page, app, "alice")
    signed_in(page)
    send(page, "add a task to book the dentist")
    answer(page, r"Created task #\d+ “Book the dentist”")
    command(page, "reset")
    answer(page, "Started a new conversation")
    send(page, "make it urgent")  # no earlier task to refer to any more
    answer(page, r"Which task")


def test_bad_input_gets_a_friendly_message(page: Any, app: WebChat) -> None:
    sign_in(page, app, "alice")
    signed_in(page)
    send(page, "budget " * 700)
    answer(page, r"the limit is 4,000")
    send(page, "what's the weather in Paris?")
    answer(page, r"I can only help with tasks")
    send(page, "update task 999999 to urgent")
    answer(page, r"(couldn't|not found)")
    assert page.get_by_text("Traceback").count() == 0


def test_a_second_user_sees_none_of_the_first_users_tasks_or_threads(
    page: Any, app: WebChat
) -> None:
    sign_in(page, app, "alice")
    signed_in(page)
    send(page, "add a task to call the plumber")
    answer(page, r"Created task #\d+ “Call the plumber”")
    page.wait_for_url(re.compile(r"/thread/"))
    alice_thread = page.url
    page.context.clear_cookies()  # sign out
    sign_in(page, app, "bob")
    signed_in(page)
    page.get_by_text("No threads found").wait_for()
    command(page, "tasks")
    answer(page, "You have no open tasks")
    send(page, "Show my open tasks")
    answer(page, "You have no matching tasks")
    # Alice's thread is refused by its address too (the server logs the refusal).
    page.goto(alice_thread)
    page.get_by_text("Could not reach the server").wait_for()
    assert page.get_by_text("Call the plumber").count() == 0
    assert "Authorization for the thread failed" in app.log.read_text()
    assert any(t["title"] == "Call the plumber" for t in app.tasks_of("alice"))
    assert app.tasks_of("bob") == []


@pytest.mark.integration
def test_the_headline_request_on_the_embedded_model_in_the_browser(
    tmp_path_factory: pytest.TempPathFactory, browser: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """make run's default: the real model tier, the classifier and the rules arbitrating.
    Exactly project "Q1 Goals" and a high-priority task "budgeting" in it, due Friday."""
    from serving.manager import stop_server

    data_dir = tmp_path_factory.mktemp("web-model") / "data"
    model_port = free_port()
    with web_chat(
        data_dir,
        TASKAGENT_TIERS="primary,fallback,emergency",
        TASKAGENT_PRIMARY_API_BASE=f"http://127.0.0.1:{model_port}/v1",
        TASKAGENT_PRIMARY_MANAGED="true",
    ) as running:
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
        context.route(
            "**/*",
            lambda route: (
                route.continue_() if route.request.url.startswith(running.base) else route.abort()
            ),
        )
        context.set_default_timeout(TIMEOUT_MS)
        tab = context.new_page()
        try:
            sign_in(tab, running, "alice")
            signed_in(tab)
            # The README's headline request, on make run's default tiers and the real model.
            send(tab, HEADLINE)
            line = footer(tab)
            tier = re.match(r"tier: (\w+)", line).group(1)  # type: ignore[union-attr]
            assert tier in ("primary", "emergency")
            answer(tab, r"Created task #\d+")
            tab.locator("#step-plan").first.wait_for()
            projects = running.projects_of("alice")
            assert list(projects.values()) == ["Q1 Goals"]
            [task] = running.tasks_of("alice")
            assert task["title"].lower() == "budgeting"
            assert (task["priority"], task["due_date"]) == ("high", "2026-11-20")  # NOW: a Wed
            assert task["project_id"] == next(iter(projects))
        finally:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            tab.screenshot(path=str(ARTIFACTS / "embedded_model_headline.png"), full_page=True)
            context.close()
            monkeypatch.setenv("TASKAGENT_DATA_DIR", str(data_dir))  # the pid file lives there
            reset_settings()
            stop_server(model_port)
