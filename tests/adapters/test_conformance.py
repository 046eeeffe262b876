"""The rules every adapter keeps, one suite run against each (the Singer SDK's standard tap tests,
dlt's per-destination parametrization).

Each case states one rule of a port and runs it for every adapter through the real vendor
client, over HTTPS, against the sandbox org: the ``System`` rules for every adapter and for the
in-memory fake the engine tests use (the rules that need no HTTP), the ``Activities`` rules for
every adapter, the ``Lists`` rules for every adapter whose system keeps lists. Activities and
lists are built through the registry, from the adapter's descriptor, as the jobs build them.
What differs between vendors (field names, what the vendor refuses, how records, owners and
touches are put in the org) lives in one ``Side`` per vendor; the cases themselves never ask
which adapter they test.

No test sleeps: retries use a no-op sleep, and HubSpot's rolling windows pace calls on a fake
clock that the sandbox portal's own rate limits read too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import pytest

from leadsync.adapters import registry
from leadsync.adapters.hubspot.settings import HubSpotSettings
from leadsync.adapters.hubspot.system import HubSpotSystem
from leadsync.adapters.registry import build_system
from leadsync.adapters.salesforce.settings import SalesforceSettings
from leadsync.adapters.salesforce.system import SalesforceSystem
from leadsync.connector.budget import RollingWindow
from leadsync.connector.errors import (
    AuthError,
    ConfigError,
    RateLimited,
    ReserveReached,
    TransientError,
)
from leadsync.connector.models import Cursor, FieldInfo, FieldValue, Record, TaskSpec, WriteOp
from leadsync.connector.ports import Activities, Lists, System
from leadsync.connector.retry import RetryPolicy
from leadsync.jobs.sync import key_field_spec
from leadsync.sandbox.server import Sandbox
from tests.conftest import hubspot_client, salesforce_client
from tests.connector.fakes import Clock, FakeSystem

FLAG = {"Email": "LeadSync_Flag_Test__c", "email": "leadsync_flag_test"}  # by email field

ADAPTERS = ["salesforce", "hubspot"]  # over HTTPS to the sandbox
SYSTEMS = [*ADAPTERS, "fake"]  # and the in-memory fake, for the rules that need no HTTP
LIST_KEEPERS = [kind for kind in ADAPTERS if registry.descriptor(kind).lists is not None]


class RecordingRetry(RetryPolicy):
    """The one retry policy with a no-op sleep, noting every transient error it saw."""

    def __init__(self, attempts: int = 6) -> None:
        super().__init__(attempts=attempts, sleep=lambda seconds: None)
        self.seen: list[TransientError] = []

    def run(self, vendor: str, what: str, fn: Callable[[], Any],
            on_retry: Callable[[], None] | None = None) -> Any:
        def noted() -> Any:
            try:
                return fn()
            except TransientError as exc:
                self.seen.append(exc)
                raise

        return super().run(vendor, what, noted, on_retry)


class FakeClock:
    """Seconds that pass only when someone waits on them."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


# -- what differs between vendors ---------------------------------------------------------------

class Side(Protocol):
    email_field: str
    page_size: int  # records in one page of read_changes

    def system(self, sandbox: Sandbox | None, retry: RetryPolicy) -> System: ...

    def fields(self, n: int, email: str | None = None) -> dict[str, Any]:
        """Values the vendor accepts for a new record."""
        ...

    def refused_fields(self) -> dict[str, Any]:
        """Values the vendor refuses for one record (and only that record)."""
        ...

    def seed(self, sandbox: Sandbox | None, count: int) -> None:
        """Put ``count`` records straight into the org, as if someone had made them."""
        ...

    def add_owner(self, sandbox: Sandbox | None, email: str) -> str:
        """A sales rep in the org; their id there."""
        ...

    def bad_credentials(self, sandbox: Sandbox) -> Any:
        """Settings for this org with a credential the vendor refuses."""
        ...

    def touch(self, sandbox: Sandbox, record_id: str) -> str:
        """A call a rep logged on the record as completed just now; its id."""
        ...

    def make_queue(self, sandbox: Sandbox, queue: str, emails: list[str]) -> list[str]:
        """A queue (or team) of that name with a new rep for each email; the reps' ids."""
        ...

    def task_count(self, sandbox: Sandbox) -> int:
        """How many tasks the org holds, read through the vendor's client."""
        ...


class SalesforceSide:
    email_field = "Email"
    page_size = 2000

    def system(self, sandbox: Sandbox | None, retry: RetryPolicy) -> System:
        assert sandbox is not None
        return SalesforceSystem("salesforce", salesforce_client(sandbox), retry=retry)

    def fields(self, n: int, email: str | None = None) -> dict[str, Any]:
        return {"LastName": f"Person {n}", "Company": "Acme",
                "Email": email or f"person{n}@example.com"}

    def refused_fields(self) -> dict[str, Any]:
        return {"LastName": "L" * 81, "Company": "Acme"}  # LastName holds 80

    def seed(self, sandbox: Sandbox | None, count: int) -> None:
        assert sandbox is not None
        with sandbox.salesforce.lock:
            for n in range(count):
                sandbox.salesforce.create("Lead", {"LastName": f"Seed {n}", "Company": "Seeded",
                                                   "Email": f"seed{n}@example.com"})

    def add_owner(self, sandbox: Sandbox | None, email: str) -> str:
        assert sandbox is not None
        with sandbox.salesforce.lock:
            return sandbox.salesforce.insert_raw("User", {
                "FirstName": "Sam", "LastName": "Seller", "Email": email, "Username": email,
                "TimeZoneSidKey": "GMT", "IsActive": True})

    def bad_credentials(self, sandbox: Sandbox) -> Any:
        info = sandbox.info
        return SalesforceSettings(role="crm", auth="session",
                                  instance_url=info["salesforce"]["instance_url"],
                                  session_id="00Dxx0000000001!not-a-session",
                                  ca_bundle=info["ca_bundle"])

    def task_count(self, sandbox: Sandbox) -> int:
        return int(salesforce_client(sandbox).query("SELECT COUNT() FROM Task")["totalSize"])

    def touch(self, sandbox: Sandbox, record_id: str) -> str:
        made = salesforce_client(sandbox).Task.create({
            "WhoId": record_id, "Subject": "Intro call", "TaskSubtype": "Call",
            "Status": "Completed"})
        return str(made["id"])

    def make_queue(self, sandbox: Sandbox, queue: str, emails: list[str]) -> list[str]:
        sf = salesforce_client(sandbox)
        group = sf.Group.create({"Name": queue, "DeveloperName": queue, "Type": "Queue"})["id"]
        users = [self.add_owner(sandbox, email) for email in emails]
        for user in users:
            sf.GroupMember.create({"GroupId": group, "UserOrGroupId": user})
        return users


class HubSpotSide:
    email_field = "email"
    page_size = 200

    def system(self, sandbox: Sandbox | None, retry: RetryPolicy) -> System:
        assert sandbox is not None
        clock = FakeClock()
        sandbox.hubspot.limits.clock = clock  # the portal's rate limits run on the same clock
        return HubSpotSystem(
            "hubspot", hubspot_client(sandbox), retry=retry,
            window=RollingWindow(150, 10.0, clock=clock, sleep=clock.sleep),
            search_window=RollingWindow(4, 1.0, clock=clock, sleep=clock.sleep))

    def fields(self, n: int, email: str | None = None) -> dict[str, Any]:
        return {"lastname": f"Person {n}", "company": "Acme",
                "email": email or f"person{n}@example.com"}

    def refused_fields(self) -> dict[str, Any]:
        return {"lastname": "Refused", "email": "not-an-email-address"}

    def seed(self, sandbox: Sandbox | None, count: int) -> None:
        assert sandbox is not None
        with sandbox.hubspot.lock:
            for n in range(count):
                sandbox.hubspot.store.create("contacts", {"email": f"seed{n}@example.com",
                                                          "lastname": f"Seed {n}"})

    def add_owner(self, sandbox: Sandbox | None, email: str) -> str:
        assert sandbox is not None
        with sandbox.hubspot.lock:
            owner = sandbox.hubspot.owners.add("Sam", "Seller", email, sandbox.hubspot.stamp())
        return str(owner["id"])

    def bad_credentials(self, sandbox: Sandbox) -> Any:
        info = sandbox.info
        return HubSpotSettings(role="marketing", host=info["hubspot"]["host"],
                               access_token="pat-na1-00000000-0000-0000-0000-000000000000",
                               ca_bundle=info["ca_bundle"])

    def task_count(self, sandbox: Sandbox) -> int:
        return len(hubspot_client(sandbox).crm.objects.tasks.basic_api.get_page(limit=100)
                   .results)

    def touch(self, sandbox: Sandbox, record_id: str) -> str:
        made = hubspot_client(sandbox).crm.objects.calls.basic_api.create({
            "properties": {"hs_timestamp": datetime.now(UTC).isoformat(),
                           "hs_call_title": "Intro call",
                           "hs_call_status": "COMPLETED", "hs_call_direction": "OUTBOUND"},
            "associations": [{"to": {"id": record_id}, "types": [{
                "associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 194}]}]})
        return str(made.id)

    def make_queue(self, sandbox: Sandbox, queue: str, emails: list[str]) -> list[str]:
        with sandbox.hubspot.lock:
            return [str(sandbox.hubspot.owners.add("Sam", "Seller", email,
                                                   sandbox.hubspot.stamp(), teams=(queue,))["id"])
                    for email in emails]


class FakeSide:
    """The in-memory system of the engine tests; its "org" is the fake itself."""

    email_field = "email"
    page_size = 3

    def __init__(self) -> None:
        self.fake = FakeSystem("fake", Clock(datetime(2020, 1, 1, tzinfo=UTC)),
                               key_field="leadsync_id", page_size=self.page_size,
                               validator=_too_long)

    def system(self, sandbox: Sandbox | None, retry: RetryPolicy) -> System:
        return self.fake

    def fields(self, n: int, email: str | None = None) -> dict[str, Any]:
        return {"lastname": f"Person {n}", "email": email or f"person{n}@example.com"}

    def refused_fields(self) -> dict[str, Any]:
        return {"lastname": "L" * 81}

    def seed(self, sandbox: Sandbox | None, count: int) -> None:
        for n in range(count):
            self.fake.add(email=f"seed{n}@example.com", lastname=f"Seed {n}")

    def add_owner(self, sandbox: Sandbox | None, email: str) -> str:
        owner_id = f"owner-{len(self.fake.user_emails) + 1}"
        self.fake.user_emails[owner_id] = email
        return owner_id

    def bad_credentials(self, sandbox: Sandbox) -> Any:
        raise NotImplementedError("the fake has no credentials")

    def touch(self, sandbox: Sandbox, record_id: str) -> str:
        raise NotImplementedError("the fake keeps no activities")

    def make_queue(self, sandbox: Sandbox, queue: str, emails: list[str]) -> list[str]:
        raise NotImplementedError("the fake keeps no queues")

    def task_count(self, sandbox: Sandbox) -> int:
        raise NotImplementedError("the fake keeps no tasks")


def _too_long(fields: dict[str, FieldValue]) -> tuple[str, str, list[str]] | None:
    if len(str(fields.get("lastname") or "")) > 80:
        return "STRING_TOO_LONG", "lastname: data value too large", ["lastname"]
    return None


SIDES: dict[str, Callable[[], Side]] = {"salesforce": SalesforceSide, "hubspot": HubSpotSide,
                                        "fake": FakeSide}


@dataclass
class Org:
    """One adapter, ready to use, against its sandbox org."""

    side: Side
    sandbox: Sandbox | None  # None: the fake needs none
    system: System
    retry: RecordingRetry

    def read_all(self, since: Cursor | None = None) -> list[list[Record]]:
        return list(self.system.read_changes(since, datetime.now(UTC),
                                             [self.side.email_field]))

    def ids(self, since: Cursor | None = None) -> list[str]:
        return [r.id for page in self.read_all(since) for r in page]


def start(kind: str, make_sandbox: Callable[..., Sandbox], attempts: int = 6,
          **options: Any) -> Org:
    """The system of this kind, against a new sandbox started with ``options`` if it needs one."""
    side = SIDES[kind]()
    sandbox = make_sandbox(**options) if kind in ADAPTERS else None
    retry = RecordingRetry(attempts)
    system = side.system(sandbox, retry)
    key = key_field_spec(system)
    if key.name not in system.describe():  # installed once, as an admin would
        system.create_fields([key])
    return Org(side, sandbox, system, retry)


@pytest.fixture(params=ADAPTERS)
def kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def make_org(kind: str, make_sandbox: Callable[..., Sandbox]) -> Callable[..., Org]:
    """The adapter of this kind against a new sandbox started with ``options``."""
    return lambda attempts=6, **options: start(kind, make_sandbox, attempts, **options)


@pytest.fixture(params=SYSTEMS)
def org(request: pytest.FixtureRequest, make_sandbox: Callable[..., Sandbox]) -> Org:
    """Every adapter against its sandbox org, and the in-memory fake."""
    return start(request.param, make_sandbox)


@pytest.fixture
def crm(kind: str, make_sandbox: Callable[..., Sandbox]) -> tuple[Org, Activities]:
    """Every adapter as the CRM of the SLA: its system and its activities."""
    org = start(kind, make_sandbox)
    activities = registry.activities_for(org.system)
    activities.create_task_fields(activities.missing_task_fields(activities.task_fields))
    return org, activities


@pytest.fixture(params=LIST_KEEPERS)
def marketing(request: pytest.FixtureRequest, make_sandbox: Callable[..., Sandbox]
              ) -> tuple[Org, Lists]:
    """Every adapter whose system keeps lists, as the marketing side of recycling."""
    org = start(request.param, make_sandbox)
    lists = registry.lists_for(org.system)
    assert lists is not None
    return org, lists


def advance(cursor: Cursor | None, pages: list[list[Record]]) -> Cursor | None:
    """The cursor moved past pages as the engine moves it, one confirmed page at a time."""
    for page in pages:
        cursor = (cursor or Cursor(page[0].modified_at)).advanced(page)
    return cursor


# -- the rules ------------------------------------------------------------------------------------

def test_bad_credentials_are_an_auth_error_which_is_a_config_error(
        kind: str, make_sandbox: Callable[..., Sandbox]) -> None:
    sandbox = make_sandbox()
    system = build_system(kind, SIDES[kind]().bad_credentials(sandbox))

    with pytest.raises(AuthError) as raised:
        system.describe()
    assert isinstance(raised.value, ConfigError)
    assert system.calls_made == 1  # never retried


def test_throttling_503s_and_dropped_connections_are_retried_until_the_calls_succeed(
        make_org: Callable[..., Org]) -> None:
    org = make_org(attempts=30, faults=0.5, random_seed=11)
    ops = [WriteOp(f"conf-{n}", org.side.fields(n)) for n in range(3)]
    kinds: set[type[TransientError]] = set()

    for _ in range(10):  # until the vendor has answered with each kind of trouble
        results = org.system.write(ops)
        assert all(r.ok for r in results)
        assert sorted(org.ids()) == sorted(r.id for r in results)
        kinds = {type(e) for e in org.retry.seen}
        if {RateLimited, TransientError} <= kinds:
            break

    assert RateLimited in kinds  # the vendor's throttle answer was retried
    assert TransientError in kinds  # and so were 503s or dropped connections


def test_a_spent_vendor_limit_ends_in_rate_limited_or_reserve_reached_never_a_config_error(
        kind: str, make_org: Callable[..., Org]) -> None:
    org = make_org(attempts=3, rate_limit=12, daily_api_limit=12)
    # HubSpot's 10-second window passes; Salesforce's daily allowance does not, so it stops
    expected = ReserveReached if kind == "salesforce" else RateLimited

    with pytest.raises(expected):
        for _ in range(12):
            org.system.users()


def test_read_changes_pages_through_to_the_end_and_oldest_first_from_a_cursor(
        org: Org) -> None:
    count = org.side.page_size + 50
    org.side.seed(org.sandbox, count)

    full, since = org.read_all(), org.read_all(Cursor(datetime(2000, 1, 1, tzinfo=UTC)))

    for pages in (full, since):  # a full read may come in the vendor's own order
        assert len(pages) > 1
        ids = [r.id for page in pages for r in page]
        assert len(ids) == len(set(ids)) == count
    stamps = [r.modified_at for page in since for r in page]
    assert stamps == sorted(stamps)  # oldest first


def test_the_cursor_advances_past_what_was_read(org: Org) -> None:
    first = org.system.write([WriteOp(f"conf-{n}", org.side.fields(n)) for n in range(2)])
    pages = org.read_all()
    cursor = advance(None, pages)
    assert sorted(r.id for page in pages for r in page) == sorted(r.id for r in first)

    [later] = org.system.write([WriteOp("conf-later", org.side.fields(9))])

    assert org.ids(cursor) == [later.id]
    assert org.ids(advance(cursor, org.read_all(cursor))) == []


def test_writing_the_same_ops_twice_changes_nothing(org: Org) -> None:
    ops = [WriteOp(f"conf-{n}", org.side.fields(n)) for n in range(3)]

    first = org.system.write(ops)
    second = org.system.write(ops)

    assert all(r.ok and r.created for r in first)
    assert all(r.ok and not r.created for r in second)
    assert [r.id for r in second] == [r.id for r in first]
    assert sorted(org.ids()) == sorted(r.id for r in first)  # no new records


def test_a_refused_record_is_reported_not_raised_and_the_others_are_written(org: Org) -> None:
    ops = [WriteOp("conf-0", org.side.fields(0)),
           WriteOp("conf-bad", org.side.refused_fields()),
           WriteOp("conf-2", org.side.fields(2))]

    results = org.system.write(ops)

    assert [r.key for r in results] == ["conf-0", "conf-bad", "conf-2"]
    assert [r.ok for r in results] == [True, False, True]
    refused = results[1]
    assert refused.code and refused.message and refused.id is None
    assert sorted(org.ids()) == sorted([results[0].id, results[2].id])


def test_lookup_by_email_ignores_case(org: Org) -> None:
    [written] = org.system.write([WriteOp("conf-grace",
                                          org.side.fields(1, "Grace.Hopper@Navy.example"))])

    found = org.system.lookup(org.side.email_field, ["grace.hopper@NAVY.EXAMPLE"],
                              [org.side.email_field])

    assert [r.id for r in found] == [written.id]
    assert str(found[0].fields[org.side.email_field]).lower() == "grace.hopper@navy.example"


def test_describe_lists_the_key_field_as_unique_after_create_fields(org: Org) -> None:
    fields = org.system.describe()

    assert fields[org.system.key_field].unique


def test_users_are_listed_by_id_with_their_email(org: Org) -> None:
    owner_id = org.side.add_owner(org.sandbox, "sam.seller@acme.example")

    users = org.system.users()

    assert users[owner_id] == "sam.seller@acme.example"
    assert all("@" in email for email in users.values())


def test_every_call_is_counted(org: Org) -> None:
    before = org.system.calls_made
    org.system.users()
    org.system.write([WriteOp("conf-0", org.side.fields(0))])

    assert org.system.calls_made == before + 2
    assert not org.retry.seen  # and with a healthy org, nothing was retried


def test_the_budget_is_the_daily_allowance_the_vendors_last_answer_reported(
        make_org: Callable[..., Org]) -> None:
    org = make_org(daily_api_limit=5_000)
    org.system.users()
    budget = org.system.budget()
    used = budget["daily_used"]

    org.system.users()  # one more call, counted by the vendor

    after = org.system.budget()
    assert used > 0 and after["daily_used"] == used + 1
    assert after["daily_left"] == after["daily_limit"] - after["daily_used"] > 0


def test_the_budget_is_empty_before_any_answer_and_asking_for_it_makes_no_call(
        kind: str, make_sandbox: Callable[..., Sandbox]) -> None:
    sandbox = make_sandbox()
    system = SIDES[kind]().system(sandbox, RecordingRetry())
    before = sandbox.requests

    assert system.budget() == {}
    assert system.calls_made == 0 and sandbox.requests == before


def test_lookup_by_a_field_many_records_share_finds_every_one(org: Org) -> None:
    """How the SLA finds every qualified lead: a yes/no field of LeadSync's own."""
    org.system.create_fields([FieldInfo(FLAG[org.side.email_field], "boolean", "Flag")])
    flag = FLAG[org.side.email_field]
    ops = [WriteOp(f"conf-{n}", {**org.side.fields(n), flag: n % 3 == 0}) for n in range(7)]
    written = org.system.write(ops)

    found = org.system.lookup(flag, [True], [flag])

    assert sorted(r.id for r in found) == sorted(w.id for w in written[::3])
    assert all(r.fields[flag] in (True, "true") for r in found)


# -- the rules of Activities, for every adapter as the CRM of the SLA ---------------------------

def test_a_completed_call_on_a_record_is_a_touch_in_its_window_and_only_there(
        crm: tuple[Org, Activities]) -> None:
    org, activities = crm
    assert org.sandbox is not None
    [lead] = org.system.write([WriteOp("conf-0", org.side.fields(0))])
    assert lead.id is not None
    touched = org.side.touch(org.sandbox, lead.id)
    now = datetime.now(UTC)

    [touch] = activities.read_activities([lead.id], now - timedelta(hours=1),
                                         now + timedelta(hours=1))

    assert (touch.id, touch.record_id, touch.kind) == (touched, lead.id, "call")
    assert activities.read_activities([lead.id], now + timedelta(hours=1),
                                      now + timedelta(hours=2)) == []


def test_tasks_are_created_on_their_records_one_result_per_task_in_order(
        crm: tuple[Org, Activities]) -> None:
    org, activities = crm
    assert org.sandbox is not None
    leads = org.system.write([WriteOp(f"conf-{n}", org.side.fields(n)) for n in range(2)])
    owner = org.side.add_owner(org.sandbox, "cyndi.park@acme.example")
    tasks = [TaskSpec(f"task-{n}", str(lead.id), owner, f"SLA breach {n}", "missed")
             for n, lead in enumerate(leads)]

    results = activities.create_tasks(tasks)

    assert [r.key for r in results] == ["task-0", "task-1"]
    assert all(r.ok and r.id for r in results)
    assert len({r.id for r in results}) == 2


def test_each_task_carries_its_key_and_is_found_by_it(crm: tuple[Org, Activities]) -> None:
    org, activities = crm
    [lead] = org.system.write([WriteOp("conf-keyed", org.side.fields(0))])
    keys = ["abc/1700000000:first_touch:task", "abc/1700000000:cadence:task"]
    made = activities.create_tasks([TaskSpec(k, str(lead.id), None, "SLA breach", "missed")
                                    for k in keys])

    found = activities.tasks_by_key([*keys, "never/made:task"])

    assert found == {k: r.id for k, r in zip(keys, made, strict=True)}


def test_a_task_whose_create_answer_is_lost_is_made_once_and_reported_made(
        kind: str, make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    state = tmp_path / "orgs.json"
    with Sandbox(state=state) as reliable:  # the fields and the lead, made without faults
        setup = start(kind, lambda **_: reliable)
        activities = registry.activities_for(setup.system)
        activities.create_task_fields(activities.missing_task_fields(activities.task_fields))
        [lead] = setup.system.write([WriteOp("conf-lost", setup.side.fields(0))])
    org = start(kind, make_sandbox, state=state, faults=1.0, fault_kinds=["lost"])
    activities = registry.activities_for(org.system)

    [result] = activities.create_tasks([TaskSpec("k/1:first_touch:task", str(lead.id), None,
                                                  "SLA breach", "missed")])

    assert result.ok and result.id
    assert org.retry.seen  # the answer was lost at least once
    assert activities.tasks_by_key(["k/1:first_touch:task"]) == {
        "k/1:first_touch:task": result.id}
    assert org.side.task_count(org.sandbox) == 1


def test_reps_are_listed_by_id_with_their_email(crm: tuple[Org, Activities]) -> None:
    org, activities = crm
    assert org.sandbox is not None
    owner = org.side.add_owner(org.sandbox, "rick.rep@acme.example")

    [rep] = [r for r in activities.reps() if r.id == owner]

    assert rep.email == "rick.rep@acme.example" and rep.active


def test_a_queues_members_are_its_reps_in_a_stable_order(crm: tuple[Org, Activities]) -> None:
    org, activities = crm
    assert org.sandbox is not None
    reps = org.side.make_queue(org.sandbox, "Inbound_SDRs", ["amy@acme.example",
                                                             "bob@acme.example"])

    members = activities.queue_members("Inbound_SDRs")

    assert members == sorted(reps) == activities.queue_members("Inbound_SDRs")


def test_an_unknown_queue_is_a_config_error_at_the_pool_key(
        crm: tuple[Org, Activities]) -> None:
    org, activities = crm
    assert org.sandbox is not None
    org.side.make_queue(org.sandbox, "Inbound_SDRs", ["amy@acme.example"])

    with pytest.raises(ConfigError) as caught:
        activities.queue_members("Nobody")
    assert caught.value.where == "sla.pool.queue" and "Nobody" in str(caught.value)


def test_the_sales_process_is_the_descriptors_and_names_fields_the_system_has(
        crm: tuple[Org, Activities]) -> None:
    org, activities = crm
    process = activities.process

    assert process is registry.descriptor(org.system.kind).process
    described = org.system.describe()
    assert [f for f in (process.owner, process.status, process.email, process.converted)
            if f not in described] == []


def test_activity_calls_go_through_the_systems_call_helper(
        crm: tuple[Org, Activities]) -> None:
    org, activities = crm
    before = org.system.calls_made

    activities.reps()

    assert org.system.calls_made > before  # counted, budgeted and retried as the system's


# -- the rules of Lists, for every adapter whose system keeps lists -----------------------------

def test_adding_to_a_list_makes_it_and_adding_again_adds_nobody(
        marketing: tuple[Org, Lists]) -> None:
    org, lists = marketing
    written = org.system.write([WriteOp(f"conf-{n}", org.side.fields(n)) for n in range(2)])
    ids = [str(w.id) for w in written]

    assert lists.add_to_list("Recycled", ids) == 2
    assert lists.add_to_list("Recycled", ids) == 0
    assert lists.add_to_list("Recycled", [*ids, ids[0]]) == 0  # duplicates count once


def test_what_a_recycled_record_is_set_to_names_fields_the_system_has(
        marketing: tuple[Org, Lists]) -> None:
    org, lists = marketing

    assert lists.on_recycle
    assert [f for f in lists.on_recycle if f not in org.system.describe()] == []
