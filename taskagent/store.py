"""The task store: owner-scoped operations on the database.

:class:`TaskStore` wraps an engine and manages users and calendar seeding. The
module-level functions are the tool implementations that :mod:`taskagent.tools`
registers; each runs in one transaction as one user, takes a validated argument
model, and returns plain JSON-ready dicts. Anything not owned by the caller is
reported exactly like something that does not exist, so ids never leak.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Engine, case, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from taskagent.db import CalendarEvent, Project, Reminder, Task, ToolWrite, User, make_engine
from taskagent.errors import NotFound, ToolError
from taskagent.schemas import (
    CreateProjectArgs,
    CreateReminderArgs,
    CreateTaskArgs,
    GetCalendarArgs,
    ListTasksArgs,
    TaskIdArgs,
    UpdateTaskArgs,
)
from taskagent.settings import database_url

LIST_LIMIT = 50


class UserExists(ValueError):
    """The user name is already taken."""


_PRIORITY_RANK = {"urgent": 0, "high": 1, "normal": 2, "low": 3}


# The transaction opened by TaskStore.atomic() in this thread/task, which nested
# session() calls on the same store join instead of committing on their own.
_atomic: ContextVar[tuple[TaskStore, Session] | None] = ContextVar(
    "taskagent_atomic_session", default=None
)


class TaskStore:
    """A database of users, projects, tasks, reminders and calendar events."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: committed on success, rolled back on any error.

        Inside :meth:`atomic` it is the atomic block's transaction, committed with it.
        """
        outer = _atomic.get()
        if outer is not None and outer[0] is self:
            yield outer[1]
            return
        with self._sessions.begin() as session:
            yield session

    @contextmanager
    def atomic(self) -> Iterator[Session]:
        """One transaction that every :meth:`session` opened inside it joins."""
        with self.session() as session:
            token = _atomic.set((self, session))
            try:
                yield session
            finally:
                _atomic.reset(token)

    # --- idempotent writes -------------------------------------------------------------

    @staticmethod
    def write_key(key: str, user_id: int, tool: str, arguments: dict[str, Any]) -> str:
        """The stored key: the caller's key bound to the user, the tool and its arguments."""
        canonical = json.dumps([key, user_id, tool, arguments], sort_keys=True, default=str)
        return hashlib.sha256(canonical.encode()).hexdigest()

    def run_once(
        self,
        key: str,
        user_id: int,
        tool: str,
        arguments: dict[str, Any],
        write: Callable[[], dict[str, Any]],
    ) -> dict[str, Any]:
        """Run ``write`` (a tool's writes) at most once per ``key``.

        The key is recorded in the same transaction as the writes, so either both commit
        or neither does; a second run with the same key returns the first run's result
        and writes nothing.
        """
        digest = self.write_key(key, user_id, tool, arguments)
        done = self._recorded_write(digest)
        if done is not None:
            return done
        try:
            with self.atomic() as session:
                result = write()
                session.add(ToolWrite(key=digest, owner_id=user_id, tool=tool, result=result))
            return result
        except IntegrityError:  # the same call committed concurrently: use its result
            done = self._recorded_write(digest)
            if done is None:
                raise
            return done

    def _recorded_write(self, digest: str) -> dict[str, Any] | None:
        with self.session() as session:
            row = session.get(ToolWrite, digest)
            return dict(row.result) if row is not None else None

    # --- users -------------------------------------------------------------------------

    def ensure_user(self, username: str) -> int:
        """The id of ``username``, creating a password-less local user if needed."""
        username = username.strip()
        if not username:
            raise ToolError("A user name is required.")
        with self.session() as session:
            user_id = session.scalar(select(User.id).where(User.username == username))
            if user_id is not None:
                return user_id
        try:
            with self.session() as session:
                user = User(username=username)
                session.add(user)
                session.flush()
                return user.id
        except IntegrityError:  # created concurrently by another process
            with self.session() as session:
                return session.scalars(select(User.id).where(User.username == username)).one()

    def create_user(
        self, username: str, password_hash: str, email: str | None = None
    ) -> dict[str, Any]:
        """A new account; raises :class:`UserExists` if the name is taken."""
        try:
            with self.session() as session:
                user = User(username=username, password_hash=password_hash, email=email)
                session.add(user)
                session.flush()
                return {"id": user.id, "username": user.username, "email": user.email}
        except IntegrityError as exc:
            raise UserExists(username) from exc

    def set_first_password(self, username: str, password_hash: str) -> bool:
        """Give ``username`` a password if it has none yet (creating the account if needed).

        The local default account for the web chat: the CLI's password-less ``local`` user
        becomes one you can sign in as. A password already set is never replaced.
        """
        self.ensure_user(username)
        with self.session() as session:
            user = session.scalars(select(User).where(User.username == username)).one()
            if user.password_hash:
                return False
            user.password_hash = password_hash
            return True

    def find_user(self, username: str) -> dict[str, Any] | None:
        """An account by name, with its password hash (for sign-in only)."""
        with self.session() as session:
            user = session.scalar(select(User).where(User.username == username))
            if user is None:
                return None
            return {
                "id": user.id,
                "username": user.username,
                "email": user.email,
                "password_hash": user.password_hash,
            }

    def add_event(
        self,
        user_id: int,
        title: str,
        starts_at: datetime,
        ends_at: datetime | None = None,
        location: str | None = None,
    ) -> dict[str, Any]:
        """Seed a calendar event for ``get_calendar`` to read."""
        with self.session() as session:
            event = CalendarEvent(
                owner_id=user_id,
                title=title,
                starts_at=starts_at,
                ends_at=ends_at,
                location=location,
            )
            session.add(event)
            session.flush()
            return event_dict(event)

    def get_task(self, user_id: int, task_id: int) -> dict[str, Any] | None:
        """One of the user's tasks, or None (also for someone else's task)."""
        with self.session() as session:
            task = session.get(Task, task_id)
            return task_dict(task) if task is not None and task.owner_id == user_id else None

    def task_titles(
        self, username: str, *, open_only: bool = True, limit: int = 500
    ) -> dict[int, str]:
        """The titles of a user's tasks, newest first (id -> title); none for an unknown user.

        Read-only: classify uses them to tell "tick off paying the plumber" or "have I
        cancelled the gym yet?" (one of your tasks, maybe finished) from chat, and must not
        create an account to do so.
        """
        query = select(Task.id, Task.title).join(User, User.id == Task.owner_id)
        query = query.where(User.username == username.strip())
        if open_only:
            query = query.where(Task.status != "completed")
        with self.session() as session:
            rows = session.execute(query.order_by(Task.id.desc()).limit(limit))
            return {task_id: title for task_id, title in rows}

    def project_names(self, username: str, limit: int = 200) -> dict[int, str]:
        """A user's projects (id -> name); none for an unknown user. Read-only, like
        :meth:`task_titles`: "put it in the Q3 Planning project" names one of them."""
        with self.session() as session:
            rows = session.execute(
                select(Project.id, Project.name)
                .join(User, User.id == Project.owner_id)
                .where(User.username == username.strip())
                .order_by(Project.id.desc())
                .limit(limit)
            )
            return {project_id: name for project_id, name in rows}

    def due_dates(self, username: str, limit: int = 500) -> dict[int, date]:
        """When a user's open tasks are due (id -> date), for those that have a date.
        Read-only, like :meth:`task_titles`: "remind me the evening before it's due"."""
        query = (
            select(Task.id, Task.due_date)
            .join(User, User.id == Task.owner_id)
            .where(User.username == username.strip())
            .where(Task.status != "completed", Task.due_date.is_not(None))
        )
        with self.session() as session:
            rows = session.execute(query.order_by(Task.id.desc()).limit(limit))
            return {task_id: due for task_id, due in rows if due is not None}

    def count_rows(self) -> dict[str, int]:
        """Row counts per table; tests use it to prove that bad input changed nothing."""
        from sqlalchemy import func

        with self.session() as session:
            return {
                model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
                for model in (User, Project, Task, Reminder, CalendarEvent)
            }

    def ping(self) -> None:
        """Raise if the database cannot answer a trivial query."""
        from sqlalchemy import text

        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))


@cache
def store_for(url: str) -> TaskStore:
    """One store per database URL per process."""
    return TaskStore(make_engine(url))


def default_store() -> TaskStore:
    """The store for the configured database."""
    return store_for(database_url())


# --- serialisation ---------------------------------------------------------------------


def _iso(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat(timespec="minutes")
    return value.isoformat()


def task_dict(task: Task) -> dict[str, Any]:
    return {
        "id": task.id,
        "title": task.title,
        "description": task.description,
        "priority": task.priority,
        "status": task.status,
        "due_date": _iso(task.due_date),
        "tags": list(task.tags or []),
        "project_id": task.project_id,
        "created_at": _iso(task.created_at),
        "updated_at": _iso(task.updated_at),
    }


def project_dict(project: Project) -> dict[str, Any]:
    return {"id": project.id, "name": project.name, "description": project.description}


def event_dict(event: CalendarEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "title": event.title,
        "starts_at": _iso(event.starts_at),
        "ends_at": _iso(event.ends_at),
        "location": event.location,
    }


def reminder_dict(reminder: Reminder) -> dict[str, Any]:
    return {
        "id": reminder.id,
        "task_id": reminder.task_id,
        "remind_at": _iso(reminder.remind_at),
        "message": reminder.message,
    }


def _owned_task(session: Session, user_id: int, task_id: int) -> Task:
    task = session.get(Task, task_id)
    if task is None or task.owner_id != user_id:
        raise NotFound("Task", task_id)
    return task


def _owned_project(session: Session, user_id: int, project_id: int) -> Project:
    project = session.get(Project, project_id)
    if project is None or project.owner_id != user_id:
        raise NotFound("Project", project_id)
    return project


# --- the tool implementations ----------------------------------------------------------


def create_task(
    store: TaskStore, user_id: int, args: CreateTaskArgs, now: datetime
) -> dict[str, Any]:
    with store.session() as session:
        if args.project_id is not None:
            _owned_project(session, user_id, args.project_id)
        task = Task(
            owner_id=user_id, title=args.title, description=args.description,
            priority=args.priority, status="pending", due_date=args.due_date,
            tags=args.tags or [], project_id=args.project_id,
        )  # fmt: skip
        session.add(task)
        session.flush()
        return {"task": task_dict(task)}


def list_tasks(
    store: TaskStore, user_id: int, args: ListTasksArgs, now: datetime
) -> dict[str, Any]:
    with store.session() as session:
        query = select(Task).where(Task.owner_id == user_id)
        if args.status:
            query = query.where(Task.status == args.status)
        else:  # "my tasks" means the open ones
            query = query.where(Task.status != "completed")
        if args.priority:
            query = query.where(Task.priority == args.priority)
        if args.due_before:
            query = query.where(Task.due_date.is_not(None), Task.due_date <= args.due_before)
        if args.project_id is not None:
            _owned_project(session, user_id, args.project_id)
            query = query.where(Task.project_id == args.project_id)
        rank = case(_PRIORITY_RANK, value=Task.priority, else_=9)
        query = query.order_by(Task.due_date.is_(None), Task.due_date, rank, Task.id)
        tasks = list(session.scalars(query))
        if args.tags:  # tags live in a JSON column; filter portably in Python
            wanted = set(args.tags)
            tasks = [task for task in tasks if wanted & set(task.tags or [])]
        return {
            "tasks": [task_dict(task) for task in tasks[:LIST_LIMIT]],
            "count": len(tasks),
            "truncated": len(tasks) > LIST_LIMIT,
        }


def update_task(
    store: TaskStore, user_id: int, args: UpdateTaskArgs, now: datetime
) -> dict[str, Any]:
    changed = sorted(args.model_fields_set - {"task_id"})
    with store.session() as session:
        task = _owned_task(session, user_id, args.task_id)
        for field in changed:
            value = getattr(args, field)
            if value is None and field in ("title", "priority", "status"):
                raise ToolError(f"The {field} of a task cannot be empty.")
            setattr(task, field, value)
        session.flush()
        return {"task": task_dict(task), "changed": changed}


def complete_task(
    store: TaskStore, user_id: int, args: TaskIdArgs, now: datetime
) -> dict[str, Any]:
    with store.session() as session:
        task = _owned_task(session, user_id, args.task_id)
        already = task.status == "completed"
        task.status = "completed"
        session.flush()
        return {"task": task_dict(task), "already_completed": already}


def delete_task(store: TaskStore, user_id: int, args: TaskIdArgs, now: datetime) -> dict[str, Any]:
    with store.session() as session:
        task = _owned_task(session, user_id, args.task_id)
        snapshot = task_dict(task)
        session.delete(task)
        return {"deleted": snapshot}


def create_project(
    store: TaskStore, user_id: int, args: CreateProjectArgs, now: datetime
) -> dict[str, Any]:
    with store.session() as session:
        existing = session.scalar(
            select(Project).where(Project.owner_id == user_id, Project.name == args.name)
        )
        if existing is not None:  # creating twice should not fork a project in two
            return {"project": project_dict(existing), "already_existed": True}
        project = Project(owner_id=user_id, name=args.name, description=args.description)
        session.add(project)
        session.flush()
        return {"project": project_dict(project), "already_existed": False}


def get_calendar(
    store: TaskStore, user_id: int, args: GetCalendarArgs, now: datetime
) -> dict[str, Any]:
    start = args.date or now.date()
    end = start + timedelta(days=args.days)
    with store.session() as session:
        events = session.scalars(
            select(CalendarEvent)
            .where(
                CalendarEvent.owner_id == user_id,
                CalendarEvent.starts_at >= datetime.combine(start, datetime.min.time()),
                CalendarEvent.starts_at < datetime.combine(end, datetime.min.time()),
            )
            .order_by(CalendarEvent.starts_at)
        )
        due = session.scalars(
            select(Task)
            .where(Task.owner_id == user_id, Task.status != "completed",
                   Task.due_date >= start, Task.due_date < end)
            .order_by(Task.due_date, Task.id)
        )  # fmt: skip
        return {
            "start": start.isoformat(),
            "days": args.days,
            "events": [event_dict(event) for event in events],
            "tasks_due": [task_dict(task) for task in due],
        }


def create_reminder(
    store: TaskStore, user_id: int, args: CreateReminderArgs, now: datetime
) -> dict[str, Any]:
    if args.remind_at < now - timedelta(minutes=1):
        raise ToolError(
            f"{args.remind_at:%Y-%m-%d %H:%M} has already passed; pick a time in the future."
        )
    with store.session() as session:
        message = args.message
        if args.task_id is not None:
            task = _owned_task(session, user_id, args.task_id)
            message = message or task.title
        reminder = Reminder(
            owner_id=user_id, task_id=args.task_id, remind_at=args.remind_at, message=message
        )
        session.add(reminder)
        session.flush()
        return {"reminder": reminder_dict(reminder)}
