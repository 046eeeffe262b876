"""The ``leadsync`` command line: parse arguments, call the engine or a job, render the result."""

from __future__ import annotations

import json
import signal
import sys
import threading
from pathlib import Path
from typing import Annotated

import typer

from leadsync import __version__

app = typer.Typer(help="LeadSync: lead handoff between a marketing platform and a CRM.",
                  no_args_is_help=True, add_completion=False)
sandbox_app = typer.Typer(help="Local HTTPS emulators of Salesforce and HubSpot.",
                          no_args_is_help=True)
app.add_typer(sandbox_app, name="sandbox")


@app.command()
def version() -> None:
    """Print the LeadSync version."""
    typer.echo(__version__)


@sandbox_app.command("serve")
def sandbox_serve(
    seed: Annotated[int, typer.Option(help="Synthetic people to spread over both orgs.")] = 0,
    faults: Annotated[float, typer.Option(
        min=0.0, max=1.0,
        help="Fraction of requests answered as trouble: throttling, 503, dropped connection.",
    )] = 0.0,
    state: Annotated[Path | None, typer.Option(
        help="Keep org data in this JSON file across restarts (in memory by default).",
        dir_okay=False)] = None,
    latency: Annotated[float, typer.Option(min=0.0, help="Added latency per request, ms.")] = 0.0,
    rate_limit: Annotated[int, typer.Option(
        min=1, help="HubSpot requests allowed per rolling 10 seconds.")] = 190,
    daily_api_limit: Annotated[int, typer.Option(
        min=1, help="Salesforce API requests allowed per day.")] = 100_000,
    salesforce_port: Annotated[int, typer.Option(help="0 picks a free port.")] = 0,
    hubspot_port: Annotated[int, typer.Option(help="0 picks a free port.")] = 0,
    random_seed: Annotated[int, typer.Option(help="Seed for the synthetic data and faults.")] = 0,
) -> None:
    """Serve a Salesforce org and a HubSpot portal over HTTPS on 127.0.0.1.

    Prints one JSON line with the URLs, credentials and CA bundle when both are ready, then
    serves until SIGINT or SIGTERM.
    """
    from sandbox.server import Sandbox

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        sandbox = Sandbox(seed=seed, faults=faults, latency_ms=latency, rate_limit=rate_limit,
                          daily_api_limit=daily_api_limit, state=state, random_seed=random_seed,
                          salesforce_port=salesforce_port, hubspot_port=hubspot_port)
    except (OSError, ValueError) as exc:
        typer.echo(f"leadsync sandbox serve: {exc}", err=True)
        raise typer.Exit(2) from exc
    sandbox.start()
    sys.stdout.write(json.dumps(sandbox.info) + "\n")
    sys.stdout.flush()
    while not stop.wait(0.5):
        pass
    sandbox.stop()


@app.command()
def demo(
    seed: Annotated[int, typer.Option(help="Synthetic people in the sandbox orgs.")] = 200,
) -> None:
    """Start seeded sandbox orgs in-process and show what they hold (no credentials needed)."""
    from leadsync.demo import run_demo

    raise typer.Exit(run_demo(seed=seed))


def main() -> None:  # pragma: no cover - console entry point
    app()
