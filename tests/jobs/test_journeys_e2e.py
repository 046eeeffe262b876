"""Each lead's journey recorded as it happens, end to end on the sandbox orgs: the sync's
verdicts, sources and campaigns, and the SLA sweep's handoffs, touches, resolutions, recycles
and returns, with every clock kept; a dry run records nothing, a failed sweep records neither
its clocks nor its facts, and PostgreSQL holds them as SQLite does."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from leadsync.connector.config import Config
from leadsync.connector.config_file import load_config
from leadsync.connector.deliver import Deliver
from leadsync.connector.journey import Journey
from leadsync.connector.state import StateStore
from leadsync.demo import DEFINITION, sandbox_config, sandbox_secrets
from leadsync.jobs.install import run_install
from leadsync.jobs.sla import run_sweep
from leadsync.jobs.sla_shards import finish_sweep_shards, plan_sweep_shards, run_sweep_shard
from leadsync.jobs.sync import run_sync
from leadsync.sandbox.server import Sandbox
from tests.conftest import hubspot_client, salesforce_client
from tests.jobs.test_sla_e2e import HOT, SLA, handoff_of, lead_now, log
from tests.jobs.test_sla_e2e import handed_off as handed_off  # a fixture
from tests.sandbox.salesforce_support import soap_call
from tests.sandbox.test_salesforce_soap import convert

CAMPAIGN = "hs_analytics_first_touch_converting_campaign"
# A free-mail address: excluded by the example definition, kept in marketing.
FREE_MAIL = {"email": "bo@gmail.com", "firstname": "Bo", "lastname": "Diddley",
             "jobtitle": "Office Manager", "company": "Bo's Bakery", "country": "US",
             "lead_source": "Webinar"}
# A fit lead with no engagement: judged, not qualified, not excluded.
COLD = {"email": "cy@cold.example", "firstname": "Cy", "lastname": "Young",
        "jobtitle": "Analyst", "company": "Cold Storage", "country": "US",
        "lead_source": "Web"}


def journey(config: Config, email: str) -> Journey:
    store = StateStore(config.state.url)
    try:
        [found] = [j for j in store.journeys("default") if j.email == email]
        return found
    finally:
        store.close()


def set_campaign(sandbox: Sandbox, email: str, campaign: str) -> None:
    """The campaign HubSpot's attribution would have set (a read-only property)."""
    with sandbox.hubspot.lock:
        record = sandbox.hubspot.store.find("contacts", "email", email)
        assert record is not None, email
        sandbox.hubspot.store.update("contacts", record, {CAMPAIGN: campaign})


@pytest.fixture
def three(make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> tuple[Sandbox, Config]:
    """A hot demo request from a webinar campaign, a free-mail lead and a cold one, in HubSpot
    only; the example definition and SLA; nothing synced yet."""
    sandbox = make_sandbox()
    sandbox.salesforce.insert_raw("User", {
        "FirstName": "Rick", "LastName": "Rep", "Email": "rick@sales.example",
        "Username": "rick@sales.example", "TimeZoneSidKey": "America/New_York",
        "IsActive": True})
    owner = sandbox.hubspot.owners.add("Rick", "Rep", "rick@sales.example",
                                       sandbox.hubspot.stamp())["id"]
    config = sandbox_config(sandbox.info, tmp_path, definition=DEFINITION, extra=SLA)
    hs = hubspot_client(sandbox)
    for person in (HOT, FREE_MAIL, COLD):
        hs.crm.contacts.basic_api.create(simple_public_object_input_for_create={
            "properties": {**person, "hubspot_owner_id": str(owner)}})
    set_campaign(sandbox, HOT["email"], "See It Live Demo Days")
    return sandbox, config


def test_a_sync_records_each_judged_leads_verdict_source_and_campaign(
        three: tuple[Sandbox, Config]) -> None:
    sandbox, config = three
    run_sync(config, dry_run=True)
    store = StateStore(config.state.url)
    assert store.journeys("default") == []  # a dry run records nothing
    run_sync(config)
    hot, free, cold = (journey(config, p["email"]) for p in (HOT, FREE_MAIL, COLD))
    [lead] = salesforce_client(sandbox).query(
        "SELECT LeadSync_Qualified_At__c, LeadSync_Grade__c, LeadSync_Score__c FROM Lead"
    )["records"]  # only the qualified lead reached Salesforce
    stamped = datetime.fromisoformat(lead["LeadSync_Qualified_At__c"].replace("+0000", "+00:00"))
    assert (hot.name, hot.source, hot.campaign) == (
        "Ada Lovelace", "Demo Request", "See It Live Demo Days")
    assert hot.qualified and hot.hot and not hot.excluded
    assert "senior_demo_request" in hot.matched and "demo_request" in hot.matched
    assert hot.grade == lead["LeadSync_Grade__c"] and hot.score == lead["LeadSync_Score__c"]
    assert hot.mql_at == stamped  # the stamp both sides hold (to the millisecond)
    assert stamped <= hot.first_judged_at < stamped + timedelta(milliseconds=1)
    assert hot.version == "2026.11-1"
    assert free.excluded and not free.qualified and free.mql_at is None
    assert "free_mail" in free.matched and free.campaign is None and free.source == "Webinar"
    assert not cold.qualified and not cold.excluded and cold.mql_at is None
    assert cold.name == "Cy Young" and cold.first_judged_at == hot.first_judged_at


def test_mql_at_and_first_judged_at_never_move_on_later_passes(
        three: tuple[Sandbox, Config]) -> None:
    sandbox, config = three
    first = datetime.now(UTC)
    run_sync(config, now=first)
    before = journey(config, HOT["email"])
    hs = hubspot_client(sandbox)
    for person, title in ((HOT, "Chief Executive Officer"), (COLD, "Chief Analyst")):
        [found] = hs.crm.contacts.search_api.do_search(public_object_search_request={
            "filterGroups": [{"filters": [{"propertyName": "email", "operator": "EQ",
                                           "value": person["email"]}]}]}).results
        hs.crm.contacts.basic_api.update(found.id, simple_public_object_input={
            "properties": {"jobtitle": title}})
    run_sync(config, now=first + timedelta(days=2))
    after = journey(config, HOT["email"])
    assert after.mql_at == before.mql_at and after.first_judged_at == before.first_judged_at
    assert after.updated_at is not None and before.updated_at is not None
    assert after.updated_at > before.updated_at  # judged again: its latest verdict is kept
    assert journey(config, COLD["email"]).first_judged_at == before.first_judged_at


def test_a_sweep_records_handoff_touch_and_recycle_and_a_return_makes_a_second_cycle(
        handed_off: Any) -> None:
    sandbox, config, sf, hs, lead, rep, _ = handed_off
    start = datetime.now(UTC) + timedelta(minutes=1)
    run_sweep(config, start, dry_run=True)
    assert journey(config, HOT["email"]).handed_off_at is None  # a dry run records nothing
    run_sweep(config, start, allow_future_writes=True)
    handed = journey(config, HOT["email"])
    assert (handed.crm_id, handed.owner_id, handed.handed_off_at) == (lead["Id"], rep, start)
    assert handed.first_touch_at is None and handed.recycle_count == 0
    handoff = handoff_of(lead_now(sf, lead["Id"]))
    for kind in ("call", "call", "email"):
        log(sf, lead["Id"], kind)
    run_sweep(config, handoff + timedelta(hours=1, minutes=30), allow_future_writes=True)
    touched = journey(config, HOT["email"])
    assert touched.first_touch_at is not None and handoff < touched.first_touch_at
    assert touched.accepted_at == touched.first_touch_at  # a touch accepts the lead
    recycled_at = handoff + timedelta(days=3, minutes=1)
    run_sweep(config, recycled_at, allow_future_writes=True)
    recycled = journey(config, HOT["email"])
    assert recycled.recycled_at == recycled_at and recycled.recycle_count == 1
    assert recycled.recycle_reason == lead_now(sf, lead["Id"])["LeadSync_Recycle_Reason__c"]
    assert recycled.returned_at is None

    contact = hs.crm.contacts.basic_api.get_by_id(HOT["email"], id_property="email")
    with sandbox.hubspot.lock:  # a new form submission: it engages again
        record = sandbox.hubspot.store.get("contacts", contact.id)
        sandbox.hubspot.store.update("contacts", record, {
            "recent_conversion_date": (handoff + timedelta(days=3, hours=5)).isoformat()})
    again_at = handoff + timedelta(days=4)
    run_sync(config, now=again_at)
    back = journey(config, HOT["email"])
    assert back.returned_at == again_at and back.mql_at == recycled.mql_at
    swept_at = again_at + timedelta(minutes=1)
    run_sweep(config, swept_at, allow_future_writes=True)
    run_sweep(config, swept_at + timedelta(minutes=1), allow_future_writes=True)  # no double
    store = StateStore(config.state.url)
    cycles = store.clock_cycles("default")
    assert [(c.cycle, c.status, c.current) for c in cycles] == [
        (1, "recycled", False), (2, "pending", True)]
    assert cycles[0].clock["recycled_at"] is not None
    final = journey(config, HOT["email"])
    assert final.handed_off_at == start  # the first handoff
    assert final.first_touch_at == touched.first_touch_at  # the first clock's
    assert final.recycle_count == 1 and final.recycled_at == recycled_at


def test_a_conversion_is_recorded_and_freezes_the_verdict_it_converted_on(
        handed_off: Any) -> None:
    sandbox, config, _, hs, lead, _, _ = handed_off
    start = datetime.now(UTC) + timedelta(minutes=1)
    run_sweep(config, start, allow_future_writes=True)
    soap_call(sandbox, convert(lead["Id"]))
    resolved_at = start + timedelta(minutes=10)
    run_sweep(config, resolved_at, allow_future_writes=True)
    converted = journey(config, HOT["email"])
    assert converted.converted_at == resolved_at and converted.disqualified_at is None
    assert converted.qualified and converted.hot
    contact = hs.crm.contacts.basic_api.get_by_id(HOT["email"], id_property="email")
    hs.crm.contacts.basic_api.update(contact.id, simple_public_object_input={
        "properties": {"email": "ada@gmail.com"}})  # would now be excluded
    run_sync(config, now=resolved_at + timedelta(days=1))
    frozen = journey(config, "ada@gmail.com")
    assert frozen.qualified and not frozen.excluded and frozen.grade == converted.grade
    assert frozen.matched == converted.matched


def test_a_disqualified_lead_is_recorded_with_the_time_its_clock_resolved(
        handed_off: Any) -> None:
    _, config, sf, _, lead, _, _ = handed_off
    start = datetime.now(UTC) + timedelta(minutes=1)
    run_sweep(config, start, allow_future_writes=True)
    sf.Lead.update(lead["Id"], {"Status": "Closed - Not Converted"})
    run_sweep(config, start + timedelta(minutes=30), allow_future_writes=True)
    ended = journey(config, HOT["email"])
    assert ended.disqualified_at == start + timedelta(minutes=30)
    assert ended.converted_at is None


def test_a_sweep_that_fails_while_saving_records_neither_clocks_nor_facts_and_a_rerun_once(
        handed_off: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _, config, _, _, _, _, _ = handed_off
    start = datetime.now(UTC) + timedelta(minutes=1)

    def dies(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("killed while saving")

    with monkeypatch.context() as patched:
        patched.setattr(StateStore, "record_sweep_facts", dies)
        with pytest.raises(RuntimeError):
            run_sweep(config, start, allow_future_writes=True)
    store = StateStore(config.state.url)
    assert store.clocks("default", open_only=False) == {}
    assert journey(config, HOT["email"]).handed_off_at is None
    assert [e for e in store.events("default") if e["event"] == "handoff"] == []
    run_sweep(config, start + timedelta(minutes=1), allow_future_writes=True)
    run_sweep(config, start + timedelta(minutes=2), allow_future_writes=True)
    assert journey(config, HOT["email"]).handed_off_at == start + timedelta(minutes=1)
    assert len(store.clock_cycles("default")) == 1
    assert len([e for e in store.events("default") if e["event"] == "handoff"]) == 1


def test_a_sharded_sweep_records_the_facts_of_every_shard(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sandbox = make_sandbox()
    sandbox.salesforce.insert_raw("User", {
        "FirstName": "Rick", "LastName": "Rep", "Email": "rick@sales.example",
        "Username": "rick@sales.example", "TimeZoneSidKey": "America/New_York",
        "IsActive": True})
    owner = sandbox.hubspot.owners.add("Rick", "Rep", "rick@sales.example",
                                       sandbox.hubspot.stamp())["id"]
    config = sandbox_config(sandbox.info, tmp_path, definition=DEFINITION, extra=SLA)
    hs = hubspot_client(sandbox)
    for n in range(6):
        hs.crm.contacts.basic_api.create(simple_public_object_input_for_create={"properties": {
            **HOT, "email": f"person{n}@analytical.example", "lastname": f"Person {n}",
            "hubspot_owner_id": str(owner)}})
    run_sync(config)
    now = datetime.now(UTC) + timedelta(minutes=1)
    spec = plan_sweep_shards(config, 2, now=now)
    for index in (0, 1, 1):  # the second shard runs twice: its facts are recorded once
        run_sweep_shard(config, spec, index)
    assert finish_sweep_shards(config, spec) == []
    store = StateStore(config.state.url)
    found = store.journeys("default")
    assert len(found) == 6
    assert {j.handed_off_at for j in found} == {now}
    assert all(j.crm_id and j.owner_id for j in found)
    assert len(store.clock_cycles("default")) == 6


def test_postgresql_keeps_journeys_as_sqlite_does(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path, postgres_url: str) -> None:
    sandbox = make_sandbox()
    sandbox.salesforce.insert_raw("User", {
        "FirstName": "Rick", "LastName": "Rep", "Email": "rick@sales.example",
        "Username": "rick@sales.example", "TimeZoneSidKey": "America/New_York",
        "IsActive": True})
    sandbox_config(sandbox.info, tmp_path, definition=DEFINITION, extra=SLA, install=False)
    path = tmp_path / "leadsync.toml"
    text = path.read_text(encoding="utf-8")
    start = text.index("[state]\n")
    end = text.index("\n", text.index("url = ", start)) + 1
    path.write_text(text[:start] + f'[state]\nurl = "{postgres_url}"\n' + text[end:],
                    encoding="utf-8")
    config = load_config(path, env=sandbox_secrets(sandbox.info))
    run_install(config, apply=True)
    hubspot_client(sandbox).crm.contacts.basic_api.create(
        simple_public_object_input_for_create={"properties": HOT})
    set_campaign(sandbox, HOT["email"], "See It Live Demo Days")
    run_sync(config)
    now = datetime.now(UTC) + timedelta(minutes=1)
    run_sweep(config, now, allow_future_writes=True)
    run_sweep(config, now + timedelta(minutes=1), allow_future_writes=True)
    got = journey(config, HOT["email"])
    assert got.campaign == "See It Live Demo Days" and got.qualified and got.mql_at
    assert got.handed_off_at == now and got.crm_id
    assert config.state.url.startswith("postgresql")


def test_a_pass_killed_before_its_writes_keeps_the_verdicts_and_the_next_keeps_the_mql_time(
        three: tuple[Sandbox, Config], monkeypatch: pytest.MonkeyPatch) -> None:
    """The verdicts of a page are recorded before its writes go out: a pass that dies there
    loses no judged lead, and the pass that delivers the stamps later keeps the first MQL
    time (when LeadSync first judged the lead qualified)."""
    sandbox, config = three
    first = datetime.now(UTC)

    def dies(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("killed before the writes")

    with monkeypatch.context() as patched:
        patched.setattr(Deliver, "deliver", dies)
        with pytest.raises(RuntimeError):
            run_sync(config, now=first)
    sf = salesforce_client(sandbox)
    assert sf.query("SELECT Id FROM Lead")["records"] == []  # nothing went out
    judged = journey(config, HOT["email"])
    assert judged.qualified and judged.mql_at is not None and judged.crm_id is None
    run_sync(config, now=first + timedelta(hours=1))
    [lead] = sf.query("SELECT LeadSync_Qualified_At__c FROM Lead")["records"]
    stamped = datetime.fromisoformat(lead["LeadSync_Qualified_At__c"].replace("+0000", "+00:00"))
    assert journey(config, HOT["email"]).mql_at == judged.mql_at < stamped
    assert len(StateStore(config.state.url).journeys("default")) == 3
