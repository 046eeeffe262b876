"""``leadsync install``: the fields LeadSync needs for the features configured, and the CRM's
permission sets that let people see them; ``--apply`` creates what is missing (nothing else
creates fields), ``--assign-to EMAIL`` gives reps the read-only set, ``--integration-user
EMAIL`` gives LeadSync's own user the read-and-edit one. Idempotent; never changes an existing
field or permission."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from leadsync.options import ConfigOption, ConnectionOption, JsonOption, fail, load_connections

if TYPE_CHECKING:
    from leadsync.jobs.install import InstallResult


def install(config: ConfigOption = None,
            apply: Annotated[bool, typer.Option(
                "--apply", help="Create the missing fields (without it: show, write nothing).")
            ] = False,
            as_json: JsonOption = False, connection: ConnectionOption = None,
            assign_to: Annotated[list[str] | None, typer.Option(
                "--assign-to", metavar="EMAIL",
                help="Assign the LeadSync_Fields permission set (read LeadSync's fields) to "
                     "this CRM user; repeat for more.")] = None,
            integration_user: Annotated[list[str] | None, typer.Option(
                "--integration-user", metavar="EMAIL",
                help="Assign the LeadSync_Integration permission set (read and edit "
                     "LeadSync's fields) to the CRM user LeadSync logs in as.")] = None,
            ) -> None:
    """Show the fields LeadSync needs and the permission sets granting access to them, what
    exists, what would be created and any conflict; with --apply, create what is missing.
    Exit 1 when a conflict remains."""
    from leadsync.connector.errors import ConfigError, LeadSyncError
    from leadsync.jobs.install import run_install

    every = load_connections(config, connection)
    results: dict[str, InstallResult] = {}
    for settings in every:
        try:
            results[settings.sync.connection] = run_install(
                settings, apply=apply, assign_to=assign_to or (),
                integration_users=integration_user or ())
        except ConfigError as exc:
            raise fail(f"configuration error:\n{exc}") from exc
        except LeadSyncError as exc:
            raise fail(f"install failed: {exc}", 1) from exc
    if as_json:
        shown = {name: result.as_dict() for name, result in results.items()}
        typer.echo(json.dumps(shown if len(results) > 1 else next(iter(shown.values())),
                              indent=2))
    else:
        for name, result in results.items():
            if len(results) > 1:
                typer.echo(f"connection {name}:")
            _render(result)
    if any(result.conflicts for result in results.values()):
        raise typer.Exit(1)


def _render(result: InstallResult) -> None:
    plan, console = result.plan, Console()
    table = Table(title="Fields LeadSync needs")
    for column in ("system", "field", "type", "why", "state"):
        table.add_column(column)
    state = "created" if result.applied else "to create (--apply)"
    for needs, label in ((plan.present, "exists"), (plan.create, state)):
        for need in needs:
            spec = need.spec
            kind = spec.type + (f"({spec.length})" if spec.length else "")
            kind += ", unique" if spec.unique else ""
            kind += f": {', '.join(spec.options)}" if spec.options else ""
            table.add_row(plan.systems[need.side], spec.name, escape(kind), need.describe_why(),
                          label)
    crm = plan.systems["crm"]
    for name in result.task_fields:
        table.add_row(f"{crm} (tasks)", name, "string", "the key each SLA task carries",
                      "exists")
    for spec in result.tasks_to_create:
        table.add_row(f"{crm} (tasks)", spec.name, "string", "the key each SLA task carries",
                      state)
    console.print(table)
    if result.access is not None:
        _render_access(result, console)
    for conflict in result.conflicts:
        typer.echo(f"conflict: {conflict}", err=True)
    to_create = len(plan.create) + len(result.tasks_to_create)
    if not to_create and not (result.access and result.access.writes()):
        console.print("Everything LeadSync needs is in place.")
    elif not to_create:
        pass  # only permission set changes: said under their table
    elif not result.applied:
        console.print(f"{to_create} fields to create: run again with --apply.")
    else:
        console.print(f"Created {sum(map(len, result.created.values()))} fields.")


def _render_access(result: InstallResult, console: Console) -> None:
    access = result.access
    assert access is not None
    state = "created" if result.applied else "to create (--apply)"
    table = Table(title=f"Permission sets in {result.plan.systems['crm']}")
    for column in ("permission set", "field or user", "access", "state"):
        table.add_column(column)
    for name in access.sets_present:
        table.add_row(name, "", "", "exists")
    for spec in access.sets_to_create:
        table.add_row(spec.name, f"(label {spec.label!r})", "", state)
    for grants, label in ((access.present, "exists"), (access.create, state)):
        for grant in grants:
            table.add_row(grant.set_name, grant.field, "read, edit" if grant.edit else "read",
                          label)
    for people, label in ((access.assigned, "assigned"), (access.assign, state)):
        for person in people:
            table.add_row(person.set_name, person.email, "assignment", label)
    console.print(table)
    if access.writes() and not result.applied:
        console.print(f"{access.writes()} permission set changes to make: run again with "
                      "--apply.")
    elif access.writes():
        console.print(f"Made {access.writes()} permission set changes (sets, field "
                      f"permissions, assignments).")
