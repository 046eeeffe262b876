"""What ``leadsync runs`` and ``leadsync status`` show: the runs, and a connection at a glance.

An admin who schedules LeadSync asks four questions every morning, as HubSpot's Sync Health
and Marketo's sync status pages answer them: did each job run, and how did it end; how far
behind is the sync on each side; what is refused and why; how much API budget is left. This
module gathers the answers for one connection; the command line renders them.

``status`` only reads: it reads the state store, and (unless offline) one or two pages of each
side's changes past the stored cursor, to measure the lag (``connector.lag``), which also
gives each vendor's latest budget figures. It never writes to a system, makes no Bulk API job
(a job is created by a POST, and reads everything), and checks no field: it builds the
systems and the engine's view of the mapping without ``jobs.sync.prepare``'s checks. Offline,
the lag is bounded from the runs and the budget is the last run's. A side that cannot be read
reports its error (redacted) and the rest is still shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from leadsync.connector import lag
from leadsync.connector.config import Config
from leadsync.connector.errors import LeadSyncError
from leadsync.connector.install_plan import features_only
from leadsync.connector.mapping import load_mapping
from leadsync.connector.models import SIDES, Side
from leadsync.connector.store import Store
from leadsync.connector.sync import SyncEngine
from leadsync.jobs.runs import OK, describe, parked_counts

LAG_PAGES = 2  # pages of changes read per side, at most, to measure the lag
PEEK_BULK_THRESHOLD = 10**12  # a read that never becomes a Bulk API job (a POST)


def next_run(config: Config, connection: str, job: str, now: datetime) -> datetime | None:
    """When ``job`` runs next on ``connection``, from the schedules of the config.

    Schedules are not in the config yet: None (not scheduled here). This is the one place
    ``status`` asks, to be answered by the schedule module when it comes."""
    del config, connection, job, now
    return None


def run_row(run: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """A run as ``runs`` and ``status`` show it, in plain JSON values."""
    summary = dict(run.get("summary") or {})
    started, finished = run["started_at"], run.get("finished_at")
    if "counts" not in summary and summary:  # recorded before runs had one shape
        summary = {"counts": summary}
    return {
        "id": run["id"], "connection": run["connection"], "job": run["job"],
        "outcome": run["status"],
        "started_at": started.isoformat(),
        "finished_at": finished.isoformat() if finished else None,
        "duration_seconds": round((finished - started).total_seconds(), 3) if finished else None,
        "age_seconds": round((now - (finished or started)).total_seconds(), 3),
        "counts": summary.get("counts", {}), "calls": summary.get("calls", {}),
        "retries": summary.get("retries", {}), "budget": summary.get("budget", {}),
        "parked": summary.get("parked"), "error": summary.get("error")}


def list_runs(store: Store, connection: str, job: str | None = None, limit: int = 20,
              now: datetime | None = None) -> list[dict[str, Any]]:
    """The latest runs of the connection (of ``job`` only, when given), newest first."""
    now = now or datetime.now(UTC)
    return [run_row(run, now) for run in store.runs(connection, limit, job)]


def jobs_of(config: Config, last: Mapping[str, Any]) -> list[str]:
    """The jobs to show: those the config runs, and any other that has run."""
    configured = ["sync", *(["sla"] if config.sla is not None else [])]
    return [*configured, *sorted(set(last) - set(configured))]


def status(config: Config, store: Store, connection: str | None = None,
           offline: bool = False, now: datetime | None = None) -> dict[str, Any]:
    """The connection at a glance: each job's last run and next run, the lag and the API
    budget per side, and the records parked by error type."""
    connection = connection or config.sync.connection
    now = now or datetime.now(UTC)
    last = store.last_runs(connection)
    jobs = [{"job": job,
             "last_run": run_row(last[job], now) if job in last else None,
             "next_run": _iso(next_run(config, connection, job, now))}
            for job in jobs_of(config, last)]
    names: dict[Side, str] = {"marketing": config.marketing[0], "crm": config.crm[0]}
    offline_lag = _offline_lag(store, connection, now)
    sides: dict[str, dict[str, Any]] = {
        names[side]: {"role": side, "lag": offline_lag, "budget": _last_budget(
            store, connection, names[side])} for side in SIDES}
    if not offline:
        _measure(config, store, connection, now, sides, names)
    return {"connection": connection, "at": now.isoformat(), "offline": offline,
            "jobs": jobs, "systems": sides, "parked": parked_counts(store, connection)}


def _measure(config: Config, store: Store, connection: str, now: datetime,
             sides: dict[str, dict[str, Any]], names: Mapping[Side, str]) -> None:
    """The live lag and budget of each side, read from the systems (reads only)."""
    try:
        engine = _engine(config, store, connection)
    except LeadSyncError as exc:
        for entry in sides.values():
            entry["error"] = describe(exc)
        return
    for side in SIDES:
        entry = sides[names[side]]
        try:
            entry["lag"] = {**_live_lag(engine, side, now), "source": "live"}
        except LeadSyncError as exc:
            entry["error"] = describe(exc)
        budget = engine.systems[side].budget()
        if budget:
            entry["budget"] = {**budget, "source": "live", "at": now.isoformat()}


def _engine(config: Config, store: Store, connection: str) -> SyncEngine:
    """The systems and the engine's view of the mapping, as a pass would read them: no call
    made, no field checked (``prepare`` checks them, with calls)."""
    from leadsync.adapters.registry import build_system

    mapping = load_mapping(config.sync.mapping)
    mapping = features_only(mapping, definition=config.definition is not None,
                            sla=config.sla is not None)
    systems = [build_system(name, _peeking(settings)) for name, settings in (config.marketing,
                                                                           config.crm)]
    return SyncEngine(systems[0], systems[1], mapping, store, connection,
                      on_delete=config.sync.on_delete)


def _peeking(settings: Any) -> Any:
    """Settings that keep a read of changes on plain query pages: an adapter that turns a
    large read into a bulk job (Salesforce's ``bulk_threshold``) never does for ``status``."""
    if "bulk_threshold" in type(settings).model_fields:
        return settings.model_copy(update={"bulk_threshold": PEEK_BULK_THRESHOLD})
    return settings


def _live_lag(engine: SyncEngine, side: Side, now: datetime) -> dict[str, Any]:
    name, system = engine.names[side], engine.systems[side]
    # no cursor (no pass yet, or none read a record there): the next pass reads every record,
    # and so does this, a page or two of them
    cursor = engine.store.cursor(engine.connection, name)
    measured = lag.Lag(engine.printed(side), engine.print_seed)
    pages = system.read_changes(cursor, now, engine.fields(side))
    try:
        for count, page in enumerate(pages, start=1):
            prints = engine.store.fingerprints(engine.connection, name, [r.id for r in page])
            measured.add(page, prints)
            if count == LAG_PAGES:
                measured.complete = False  # more may follow: not read, to keep it cheap
                break
    finally:
        close = getattr(pages, "close", None)
        if close is not None:
            close()
    return {**measured.as_dict(now),
            "cursor": cursor.modified_at.isoformat() if cursor is not None else None}


def _offline_lag(store: Store, connection: str, now: datetime) -> dict[str, Any]:
    """The lag as the runs bound it: the latest successful sync among the last 50."""
    passed = next((run for run in store.runs(connection, 50, "sync") if run["status"] == OK),
                  None)
    started = passed["started_at"] if passed is not None else None
    return {**lag.since_last_pass(started, now), "source": "last_run"}


def _last_budget(store: Store, connection: str, system: str) -> dict[str, Any]:
    """The budget the latest run that reported one for ``system`` ended with."""
    for run in store.runs(connection, 20):
        budget = ((run.get("summary") or {}).get("budget") or {}).get(system)
        if budget:
            ended = run.get("finished_at") or run["started_at"]
            return {**budget, "source": "last_run", "at": ended.isoformat(),
                    "run_id": run["id"]}
    return {}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


__all__ = ["list_runs", "next_run", "run_row", "status"]
