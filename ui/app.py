"""The Chainlit web chat: a thin adapter over :mod:`graph.agent`, the one entry point.

Run it with ``taskagent ui`` (``make run``). Each Chainlit thread maps to a LangGraph
``thread_id`` (``/reset`` moves to a fresh one); a turn is ``async for`` over
:meth:`graph.agent.Agent.stream`, which iterates ``graph.astream(...,
stream_mode=["updates", "messages"])``. Each node update becomes a ``cl.Step`` named
after the node, the respond node's tokens stream into the answer, and an ``interrupt``
for a delete becomes Confirm and Cancel buttons answered with ``Command(resume=...)``.
Sign-in checks the task store's accounts (the REST API's, Argon2); threads are saved
by :mod:`ui.chainlit_store` on the project database. The graph is never built here.
"""

from __future__ import annotations

import asyncio
import json
import logging
from contextlib import AsyncExitStack
from datetime import datetime
from typing import Any, cast

import chainlit as cl
from chainlit import socket as chainlit_socket
from chainlit.data import get_data_layer
from chainlit.types import CommandDict, ThreadDict
from chainlit.utils import utc_now
from langgraph.types import Command

from graph.agent import Agent, open_agent
from taskagent.store import default_store
from taskagent.tools import call_tool
from ui import render
from ui.chainlit_store import (
    TaskAgentDataLayer,
    check_credentials,
    is_thread_id,
    make_data_layer,
)

log = logging.getLogger("taskagent.ui")

ASK_TIMEOUT_S = 600
THREAD_KEY = "langgraph_thread"  # in the user session, saved into the thread's metadata
GENERATION_KEY = "langgraph_generation"

_agent: Agent | None = None
_stack: AsyncExitStack | None = None
_agent_lock = asyncio.Lock()
_background: set[asyncio.Task[None]] = set()  # confirmations re-asked after a reload


async def get_agent() -> Agent:
    """The process's one :class:`Agent`, opened on first use (persistent checkpointer)."""
    global _agent, _stack
    async with _agent_lock:
        if _agent is None:
            stack = AsyncExitStack()
            _agent = await stack.enter_async_context(open_agent())
            _stack = stack
    return _agent


async def connect_with_a_checked_thread_id(sid: str, environ: Any, auth: Any) -> Any:
    """Chainlit's socket ``connect``, after refusing a ``threadId`` that is not a UUID.

    Chainlit trusts the browser's ``threadId`` and its data layer once joined thread ids
    into SQL text (the security review's SQL injection, docs/security.md): refuse here,
    at our boundary, before Chainlit or the data layer sees it.
    """
    thread_id = auth.get("threadId") if isinstance(auth, dict) else None
    if thread_id and not is_thread_id(thread_id):  # empty: a new chat, as Chainlit reads it
        log.warning("refused a socket whose threadId is not a UUID")
        raise ConnectionRefusedError("invalid thread id")
    return await chainlit_socket.connect(sid, environ, auth)


chainlit_socket.sio.on("connect", connect_with_a_checked_thread_id)


@cl.on_app_startup
async def startup() -> None:
    try:
        await get_agent()
    except Exception:  # retried on the first message, where the user gets a friendly reply
        log.exception("could not open the agent at startup")


@cl.on_app_shutdown
async def shutdown() -> None:
    global _agent, _stack
    if _stack is not None:
        await _stack.aclose()
    _agent, _stack = None, None


@cl.data_layer
def data_layer() -> TaskAgentDataLayer:
    return make_data_layer()


@cl.password_auth_callback
async def sign_in(username: str, password: str) -> cl.User | None:
    account = await asyncio.to_thread(check_credentials, username, password)
    if account is None:
        return None
    return cl.User(identifier=account["username"], metadata={"provider": "credentials"})


@cl.set_starters
async def starters(user: cl.User | None = None, language: str | None = None) -> list[cl.Starter]:
    return [cl.Starter(**starter) for starter in render.STARTERS]


def _user() -> str:
    user = cl.context.session.user
    if user is None:  # login is required, so this only happens if auth is misconfigured
        raise RuntimeError("no signed-in user")
    return str(user.identifier)


def _thread() -> str:
    thread = cl.user_session.get(THREAD_KEY)
    if not thread:
        thread = render.langgraph_thread(cl.context.session.thread_id)
        cl.user_session.set(THREAD_KEY, thread)
    return str(thread)


async def _set_commands() -> None:
    await cl.context.emitter.set_commands(cast("list[CommandDict]", render.COMMANDS))


@cl.on_chat_start
async def chat_start() -> None:
    cl.user_session.set(THREAD_KEY, render.langgraph_thread(cl.context.session.thread_id))
    await _set_commands()


@cl.on_chat_resume
async def chat_resume(thread: ThreadDict) -> None:
    """Pick the LangGraph thread back up; re-ask a delete that was left waiting."""
    metadata: Any = thread.get("metadata") or {}
    if isinstance(metadata, str):
        metadata = json.loads(metadata or "{}")
    saved = metadata.get(THREAD_KEY) or render.langgraph_thread(thread["id"])
    cl.user_session.set(THREAD_KEY, saved)
    cl.user_session.set(GENERATION_KEY, int(metadata.get(GENERATION_KEY) or 0))
    await _set_commands()
    try:
        agent = await get_agent()
        pending = await agent.pending_confirmation(saved)
    except Exception:  # the history still loads; the next message gets a friendly reply
        log.exception("could not check the resumed thread for a pending delete")
        return
    if pending is not None:  # don't block the history from loading: ask alongside it
        task = asyncio.create_task(_guarded(_confirm_and_continue(agent, pending)))
        _background.add(task)
        task.add_done_callback(_background.discard)


@cl.on_message
async def on_message(message: cl.Message) -> None:
    await _guarded(_handle(message))


async def _guarded(work: Any) -> None:
    """Run ``work``; any failure becomes a friendly message, the trace goes to the log."""
    try:
        await work
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("web chat turn failed")
        await cl.Message(content=render.FRIENDLY_ERROR).send()


async def _handle(message: cl.Message) -> None:
    command = render.parse_command(message.command, message.content or "")
    if command == "tasks":
        await _show_tasks()
        return
    if command == "reset":
        await _reset()
        return
    agent = await get_agent()
    thread = _thread()
    if await agent.pending_confirmation(thread) is not None:
        # A new message answers a delete left waiting: anything but Confirm cancels it.
        await _run(agent, Command(resume=False), thread)
    await _run(agent, message.content or "", thread)


async def _run(agent: Agent, payload: Any, thread: str) -> None:
    """One turn (a message or a resume), then any confirmation it stops on."""
    done = await _stream(agent, payload, thread)
    if done.get("confirmation_required"):
        await _confirm_and_continue(agent, done["confirmation_required"])


async def _confirm_and_continue(agent: Agent, pending: dict[str, Any]) -> None:
    thread = _thread()
    buttons = [
        cl.Action(name="confirm", payload={"confirm": True}, label="Confirm", icon="trash-2"),
        cl.Action(name="cancel", payload={"confirm": False}, label="Cancel", icon="x"),
    ]
    question = cl.AskActionMessage(
        content=render.confirmation_text(pending), actions=buttons, timeout=ASK_TIMEOUT_S
    )
    try:
        reply = await question.send()
    except Exception:  # socket.io's own TimeoutError escapes Chainlit when nobody answers
        reply = None
    still_pending = await agent.pending_confirmation(thread) is not None
    if reply is None:  # no answer here: the delete stays pending until one comes
        if still_pending:  # (answered meanwhile from a reloaded page: nothing to say)
            await cl.Message(content=render.TIMED_OUT).send()
        return
    if not still_pending:
        await cl.Message(content=render.NOTHING_PENDING).send()
        return
    confirmed = bool(reply.get("payload", {}).get("confirm"))
    await _run(agent, Command(resume=confirmed), thread)


async def _stream(agent: Agent, payload: Any, thread: str) -> dict[str, Any]:
    """Show the steps and stream the answer of one run; return its ``done`` event."""
    answer = cl.Message(content="")
    pending: render.StepView | None = None  # a node's step waits for its tool_call events
    opened: dict[str, cl.Step] = {}  # the respond step, opened when its first token arrives
    done: dict[str, Any] = {}
    async for event in agent.stream(payload, thread_id=thread, user=_user()):
        kind = event["event"]
        if kind == "tool_call" and pending is not None:
            pending.add_call(event)
            continue
        if pending is not None:
            await _show_step(pending, opened.pop(pending.node, None))
            pending = None
        if kind == "step":
            pending = render.StepView(
                node=event["node"],
                keys=list(event.get("keys") or []),
                detail=dict(event.get("detail") or {}),
            )
        elif kind == "token":
            if not answer.content and "respond" not in opened:
                opened["respond"] = await _open_step("respond")
            await answer.stream_token(event["text"])
        elif kind == "done":
            done = event
    if pending is not None:
        await _show_step(pending, opened.pop(pending.node, None))
    if done.get("confirmation_required"):
        return done
    if not answer.content:
        await answer.stream_token(str(done.get("response") or render.FRIENDLY_ERROR))
    await answer.stream_token("\n\n" + render.turn_footer(done))
    await answer.send()
    return done


def _new_step(node: str) -> cl.Step:
    step = cl.Step(name=node, type="tool", show_input="json", language="json")
    parent = cl.context.current_step  # the on_message run: steps nest under the turn
    step.parent_id = parent.id if parent is not None else None
    step.start = step.created_at
    return step


async def _open_step(node: str) -> cl.Step:
    step = _new_step(node)
    await step.send()
    return step


async def _show_step(view: render.StepView, step: cl.Step | None = None) -> None:
    """A node's update as a collapsible step named after the node (tool calls as JSON)."""
    fresh = step is None
    step = step or _new_step(view.node)
    step.input = view.input()
    step.output = view.output()
    step.is_error = view.is_error
    step.end = utc_now()
    # A finished node is sent once (one write); only an opened step needs an update.
    await (step.send() if fresh else step.update())


async def _show_tasks() -> None:
    user = _user()

    def load() -> dict[str, Any]:
        return call_tool(default_store(), user, "list_tasks", {}, datetime.now())

    listed = await asyncio.to_thread(load)
    await cl.Message(content=render.tasks_table(listed["tasks"], listed["count"])).send()


async def _reset() -> None:
    """A fresh LangGraph thread behind this Chainlit thread, remembered in its metadata."""
    generation = int(cl.user_session.get(GENERATION_KEY) or 0) + 1
    thread = render.langgraph_thread(cl.context.session.thread_id, generation)
    cl.user_session.set(GENERATION_KEY, generation)
    cl.user_session.set(THREAD_KEY, thread)
    layer = get_data_layer()
    if layer is not None:
        await layer.update_thread(
            cl.context.session.thread_id,
            metadata={THREAD_KEY: thread, GENERATION_KEY: generation},
        )
    await cl.Message(content=render.RESET_DONE).send()
