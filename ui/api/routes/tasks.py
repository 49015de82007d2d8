"""Owner-scoped task CRUD through the tools' own argument models and implementations."""

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Response, status
from pydantic import BaseModel, create_model

from taskagent.store import TaskStore
from taskagent.tools import CreateTaskArgs, ListTasksArgs, ToolArgs, UpdateTaskArgs
from ui.api.deps import CurrentUser, Store, TaskId, User, call_tool_as, owned_task

router = APIRouter(prefix="/tasks", tags=["tasks"])

# Request bodies derive from the tools' argument models: one definition, one validation.
TaskUpdate = create_model(  # type: ignore[call-overload]
    "TaskUpdate",
    __base__=ToolArgs,
    **{
        name: (f.annotation, f)
        for name, f in UpdateTaskArgs.model_fields.items()
        if name != "task_id"
    },
)


@router.post("", status_code=201)
async def create_task(body: CreateTaskArgs, user: User, store: Store) -> dict[str, Any]:
    """Create a task (same fields and validation as the agent's create_task tool)."""
    result = await asyncio.to_thread(
        call_tool_as, store, user, "create_task", body.model_dump(mode="json", exclude_unset=True)
    )
    return result["task"]  # type: ignore[no-any-return]


@router.get("")
async def list_tasks(
    user: User, store: Store, filters: Annotated[ListTasksArgs, Query()]
) -> dict[str, Any]:
    """Your tasks, open ones unless a status is given."""
    return await asyncio.to_thread(
        call_tool_as, store, user, "list_tasks", filters.model_dump(mode="json", exclude_none=True)
    )


@router.get("/{task_id}")
async def get_task(task_id: TaskId, user: User, store: Store) -> dict[str, Any]:
    return await asyncio.to_thread(owned_task, store, user, task_id)


async def _update(
    task_id: int, body: BaseModel, user: CurrentUser, store: TaskStore
) -> dict[str, Any]:
    await asyncio.to_thread(owned_task, store, user, task_id)
    changes = body.model_dump(mode="json", exclude_unset=True)
    if not changes:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "Nothing to change")
    result = await asyncio.to_thread(
        call_tool_as, store, user, "update_task", {"task_id": task_id, **changes}
    )
    return result["task"]  # type: ignore[no-any-return]


@router.put("/{task_id}")
async def replace_task(
    task_id: TaskId, body: CreateTaskArgs, user: User, store: Store
) -> dict[str, Any]:
    """Replace a task's editable fields (title required, others reset to defaults)."""
    full = body.model_dump(mode="json")
    fields = {k: full[k] for k in ("title", "priority", "due_date", "description")}
    return await _update(task_id, TaskUpdate.model_validate(fields), user, store)


@router.patch("/{task_id}")
async def patch_task(
    task_id: TaskId,
    body: TaskUpdate,  # type: ignore[valid-type]
    user: User,
    store: Store,
) -> dict[str, Any]:
    """Change some fields of a task."""
    return await _update(task_id, body, user, store)


@router.delete("/{task_id}", status_code=204)
async def delete_task(task_id: TaskId, user: User, store: Store) -> Response:
    await asyncio.to_thread(owned_task, store, user, task_id)
    await asyncio.to_thread(call_tool_as, store, user, "delete_task", {"task_id": task_id})
    return Response(status_code=204)
