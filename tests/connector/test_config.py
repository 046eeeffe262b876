"""The configuration file: loading, environment overrides, and errors that say where and what."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Literal

import pytest
from pydantic import BaseModel

from leadsync.adapters.hubspot.settings import HubSpotSettings
from leadsync.adapters.registry import load_builtin_kinds
from leadsync.adapters.salesforce.settings import SalesforceSettings
from leadsync.connector.config import (
    Config,
    DefinitionSettings,
    LoggingSettings,
    StateSettings,
    SyncSettings,
)
from leadsync.connector.config_file import check_config, load_config
from leadsync.connector.config_systems import (
    SecretText,
    SystemSettings,
    register_system_kind,
    registered_kinds,
)
from leadsync.connector.errors import ConfigError
from leadsync.connector.sla_settings import PoolSettings, SlaSettings

REPO = Path(__file__).resolve().parents[2]

VALID = """
[sync]
mapping = "mappings/hubspot_salesforce.toml"

[systems.hubspot]
kind = "hubspot"
role = "marketing"
access_token = "pat-file-token"

[systems.salesforce]
kind = "salesforce"
role = "crm"
auth = "session"
instance_url = "https://127.0.0.1:8443"
session_id = "00Dfile-session"
"""


@pytest.fixture(autouse=True)
def builtin_kinds() -> None:
    load_builtin_kinds()


def write(folder: Path, text: str, name: str = "leadsync.toml") -> Path:
    path = folder / name
    path.write_text(text)
    return path


def hubspot(config: Config) -> HubSpotSettings:
    settings = config.systems["hubspot"]
    assert isinstance(settings, HubSpotSettings)
    return settings


def salesforce(config: Config) -> SalesforceSettings:
    settings = config.systems["salesforce"]
    assert isinstance(settings, SalesforceSettings)
    return settings


def problems(path: Path, env: dict[str, str] | None = None) -> list[str]:
    return check_config(path, env=env or {})


def replace(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new, 1)


# --- a good file -------------------------------------------------------------------------------

def test_a_valid_file_loads_into_typed_sections_with_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, VALID), env={})

    assert check_config(tmp_path / "leadsync.toml", env={}) == []
    assert config.source_path == tmp_path / "leadsync.toml"
    assert config.state.url == f"sqlite:///{tmp_path}/leadsync.db"
    assert config.sync.mapping == tmp_path / "mappings" / "hubspot_salesforce.toml"
    assert (config.sync.batch_size, config.sync.dry_run) == (200, False)
    assert (config.logging.format, config.logging.level) == ("console", "info")
    assert {name: (s.kind, s.role) for name, s in config.systems.items()} == {
        "hubspot": ("hubspot", "marketing"), "salesforce": ("salesforce", "crm")}


def test_marketing_and_crm_give_the_name_and_settings_of_each_role(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, VALID), env={})

    assert config.marketing == ("hubspot", config.systems["hubspot"])
    assert config.crm == ("salesforce", config.systems["salesforce"])


def test_logging_names_are_case_insensitive(tmp_path: Path) -> None:
    text = VALID + '\n[logging]\nformat = "JSON"\nlevel = "Warning"\n'

    config = load_config(write(tmp_path, text), env={})

    assert (config.logging.format, config.logging.level) == ("json", "warning")


# --- the file itself ---------------------------------------------------------------------------

def test_a_missing_file_is_reported_with_its_path(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.toml"

    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})

    assert str(caught.value) == f"{path}: no such file"
    assert caught.value.where == str(path)


def test_a_folder_is_not_a_config_file(tmp_path: Path) -> None:
    assert problems(tmp_path) == [f"{tmp_path}: not a file"]


def test_bad_toml_is_reported_with_its_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, '[sync]\nmapping = "m.toml"\nbatch_size 200\n')

    [problem] = problems(path)

    assert problem.startswith(f"{path}: line 3, column 12: invalid TOML: ")


def test_no_path_means_the_file_named_by_leadsync_config(tmp_path: Path) -> None:
    path = write(tmp_path, VALID, "elsewhere.toml")

    config = load_config(None, env={"LEADSYNC_CONFIG": str(path)})

    assert config.source_path == path


# --- wrong, missing and unknown keys -----------------------------------------------------------

def test_a_wrong_type_is_named_with_its_key_path(tmp_path: Path) -> None:
    path = write(tmp_path, replace(VALID, "[sync]\n", '[sync]\nbatch_size = "many"\n'))

    assert problems(path) == [
        f"{path}: sync.batch_size: should be a valid integer, unable to parse string as an integer"]


def test_a_batch_size_above_200_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, replace(VALID, "[sync]\n", "[sync]\nbatch_size = 201\n"))

    assert problems(path) == [f"{path}: sync.batch_size: should be less than or equal to 200"]


def test_a_section_that_is_not_a_table_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, 'logging = "json"\n' + VALID)

    assert problems(path) == [f"{path}: logging: should be a table"]


def test_a_missing_mapping_is_named_with_its_key_path(tmp_path: Path) -> None:
    path = write(tmp_path, replace(VALID, 'mapping = "mappings/hubspot_salesforce.toml"', ""))

    assert problems(path) == [f"{path}: sync.mapping: required key is missing"]


def test_missing_access_token_is_named_with_its_key_path(tmp_path: Path) -> None:
    path = write(tmp_path, replace(VALID, 'access_token = "pat-file-token"', ""))

    assert problems(path) == [f"{path}: systems.hubspot.access_token: required key is missing"]


def test_an_empty_secret_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, replace(VALID, '"pat-file-token"', '""'))

    assert problems(path) == [f"{path}: systems.hubspot.access_token: must not be empty"]


def test_an_unknown_top_level_key_suggests_the_closest_one(tmp_path: Path) -> None:
    path = write(tmp_path, "[stat]\nurl = 'sqlite://'\n" + VALID)

    assert problems(path) == [f'{path}: stat: unknown key; did you mean "state"?']


def test_an_unknown_key_in_a_section_suggests_the_closest_one(tmp_path: Path) -> None:
    path = write(tmp_path, replace(VALID, "[sync]\n", "[sync]\nbatchsize = 10\n"))

    assert problems(path) == [f'{path}: sync.batchsize: unknown key; did you mean "batch_size"?']


def test_an_unknown_key_without_a_close_one_lists_the_known_keys(tmp_path: Path) -> None:
    path = write(tmp_path, replace(VALID, "[sync]\n", "[sync]\nzzz = 1\n"))

    [problem] = problems(path)
    assert problem.startswith(
        f"{path}: sync.zzz: unknown key; known keys: mapping, batch_size, dry_run, connection")


def test_an_unknown_key_in_a_system_is_matched_against_its_kind(tmp_path: Path) -> None:
    path = write(tmp_path, replace(VALID, "access_token", "acess_token"))

    assert problems(path) == [
        f"{path}: systems.hubspot.access_token: required key is missing",
        f'{path}: systems.hubspot.acess_token: unknown key; did you mean "access_token"?']


def test_an_unknown_kind_lists_the_known_kinds(tmp_path: Path) -> None:
    path = write(tmp_path, replace(VALID, 'kind = "hubspot"', 'kind = "hubspott"'))

    [problem] = problems(path)

    assert problem.startswith(f'{path}: systems.hubspot.kind: unknown kind "hubspott"; known '
                              "kinds: ")
    assert "hubspot, salesforce" in problem
    assert problem.endswith('did you mean "hubspot"?')


def test_a_system_without_kind_is_told_the_known_kinds(tmp_path: Path) -> None:
    path = write(tmp_path, replace(VALID, 'kind = "hubspot"', ""))

    [problem] = problems(path)

    assert problem.startswith(f"{path}: systems.hubspot.kind: required key is missing; known")


def test_a_system_name_must_be_reachable_from_the_environment(tmp_path: Path) -> None:
    path = write(tmp_path, replace(VALID, "[systems.hubspot]", "[systems.Hub-Spot]"))

    [problem] = problems(path)

    assert problem.startswith(f"{path}: systems.Hub-Spot: a system name is lowercase letters")


# --- roles -------------------------------------------------------------------------------------

def test_two_systems_with_the_same_role_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, replace(VALID, 'role = "marketing"', 'role = "crm"'))

    assert problems(path) == [
        f'{path}: systems: no system has role = "marketing"; one "marketing" and one "crm" '
        "system are required",
        f'{path}: systems.salesforce.role: "crm" is already the role of systems.hubspot; '
        "exactly one system may have each role"]


@pytest.mark.parametrize("role", ["marketing", "crm"])
def test_a_missing_role_holder_is_reported(tmp_path: Path, role: Literal["marketing", "crm"],
                                           ) -> None:
    table = "[systems.hubspot]" if role == "marketing" else "[systems.salesforce]"
    text = VALID[:VALID.index(table)] if role == "crm" else (
        VALID[:VALID.index(table)] + VALID[VALID.index("[systems.salesforce]"):])

    assert problems(write(tmp_path, text)) == [
        f'{tmp_path / "leadsync.toml"}: systems: no system has role = "{role}"; one '
        '"marketing" and one "crm" system are required']


def test_role_clashes_are_reported_even_when_a_system_has_other_problems(tmp_path: Path) -> None:
    text = replace(replace(VALID, 'role = "marketing"', 'role = "crm"'), "instance_url", "x")

    found = problems(write(tmp_path, text))

    assert any("systems.salesforce.role: \"crm\" is already the role" in p for p in found)
    assert any("systems.salesforce.x: unknown key" in p for p in found)


def test_an_invalid_role_is_named_without_a_second_guess(tmp_path: Path) -> None:
    path = write(tmp_path, replace(VALID, 'role = "marketing"', 'role = "marketting"'))

    assert problems(path) == [
        f"{path}: systems.hubspot.role: should be 'marketing' or 'crm'"]


# --- all at once, and how the error reads ------------------------------------------------------

def test_every_problem_is_listed_one_per_line(tmp_path: Path) -> None:
    text = replace(VALID, 'access_token = "pat-file-token"', "")
    text = "extra = 1\n" + replace(text, "[sync]\n", "[sync]\nbatch_size = 0\n")
    path = write(tmp_path, text)

    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})

    found = problems(path)
    assert found == [
        f"{path}: sync.batch_size: should be greater than or equal to 1",
        f"{path}: systems.hubspot.access_token: required key is missing",
        f"{path}: extra: unknown key; known keys: state, sync, definition, calendars, sla, "
        "systems, connections, schedules, scale, logging"]
    assert str(caught.value).splitlines() == [f"{path}: 3 problems:", *found]
    assert caught.value.where == str(path)


def test_a_single_problem_names_file_and_key_in_where(tmp_path: Path) -> None:
    path = write(tmp_path, replace(VALID, 'access_token = "pat-file-token"', ""))

    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})

    assert caught.value.where == f"{path}: systems.hubspot.access_token"
    assert caught.value.message == "required key is missing"


# --- the environment ---------------------------------------------------------------------------

def test_the_environment_overrides_the_file(tmp_path: Path) -> None:
    env = {"LEADSYNC_STATE__URL": "postgresql+psycopg://leadsync:pw@db:5432/leadsync",
           "LEADSYNC_SYNC__BATCH_SIZE": "50", "LEADSYNC_SYNC__DRY_RUN": "true",
           "leadsync_logging__level": "DEBUG"}

    config = load_config(write(tmp_path, VALID), env=env)

    assert config.state.url == "postgresql+psycopg://leadsync:pw@db:5432/leadsync"
    assert (config.sync.batch_size, config.sync.dry_run, config.logging.level) == (
        50, True, "debug")


def test_nested_system_secrets_come_from_the_environment(tmp_path: Path) -> None:
    env = {"LEADSYNC_SYSTEMS__HUBSPOT__ACCESS_TOKEN": "pat-env-token",
           "LEADSYNC_SYSTEMS__SALESFORCE__SESSION_ID": "00Denv-session",
           "LEADSYNC_SYSTEMS__SALESFORCE__TIMEOUT": "5"}
    text = replace(VALID, 'access_token = "pat-file-token"', "")

    config = load_config(write(tmp_path, text), env=env)

    assert hubspot(config).access_token.get_secret_value() == "pat-env-token"
    session_id = salesforce(config).session_id
    assert session_id is not None and session_id.get_secret_value() == "00Denv-session"
    assert salesforce(config).timeout == 5.0


def test_a_secret_that_looks_like_a_number_stays_text(tmp_path: Path) -> None:
    env = {"LEADSYNC_SYSTEMS__HUBSPOT__ACCESS_TOKEN": "12345"}

    config = load_config(write(tmp_path, VALID), env=env)

    assert hubspot(config).access_token.get_secret_value() == "12345"


def test_an_empty_variable_counts_as_unset(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, VALID),
                         env={"LEADSYNC_SYSTEMS__HUBSPOT__ACCESS_TOKEN": ""})

    assert hubspot(config).access_token.get_secret_value() == "pat-file-token"


def test_os_environ_is_read_when_no_env_is_given(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADSYNC_SYNC__BATCH_SIZE", "7")

    assert load_config(write(tmp_path, VALID)).sync.batch_size == 7


def test_an_unknown_key_from_the_environment_names_its_variable(tmp_path: Path) -> None:
    path = write(tmp_path, VALID)

    assert problems(path, {"LEADSYNC_SYSTEMS__HUBSPOT__ACESS_TOKEN": "pat-x"}) == [
        f'{path}: systems.hubspot.acess_token: unknown key; did you mean "access_token"? '
        "(from LEADSYNC_SYSTEMS__HUBSPOT__ACESS_TOKEN)"]


def test_variables_for_a_system_the_file_lacks_are_reported(tmp_path: Path) -> None:
    path = write(tmp_path, VALID)

    assert problems(path, {"LEADSYNC_SYSTEMS__HUBSPT__ACCESS_TOKEN": "pat-x"}) == [
        f"{path}: systems.hubspt: set from the environment "
        "(LEADSYNC_SYSTEMS__HUBSPT__ACCESS_TOKEN) but the file has no [systems.hubspt] table; "
        'did you mean "hubspot"?']


# --- secrets -----------------------------------------------------------------------------------

def test_secrets_never_appear_in_repr_str_or_error_messages(tmp_path: Path) -> None:
    secrets = ["pat-SECRET-token", "00D-SECRET-session", "SECRET-misplaced", "SECRET-pw"]
    good = load_config(write(tmp_path, VALID.replace("pat-file-token", secrets[0])
                             .replace("00Dfile-session", secrets[1])), env={})
    text = (VALID.replace("pat-file-token", secrets[0]).replace("00Dfile-session", secrets[1])
            .replace('role = "crm"', f'role = "crm"\nacess_token = "{secrets[2]}"'))
    env = {"LEADSYNC_SYSTEMS__SALESFORCE__PASSWORD": secrets[3],
           "LEADSYNC_STATE__URL": f"postgresql+psycopg://u:{secrets[3]}@db/leadsync"}

    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text), env=env)

    shown = " ".join([repr(good), str(good), repr(good.systems), str(caught.value),
                      *problems(tmp_path / "leadsync.toml", env)])
    assert not [secret for secret in secrets if secret in shown]
    assert caught.value.__cause__ is None and caught.value.__context__ is None


def test_a_secret_of_the_wrong_type_is_not_echoed(tmp_path: Path) -> None:
    path = write(tmp_path, replace(VALID, '"pat-file-token"', "987654321"))

    [problem] = problems(path)

    assert "987654321" not in problem
    assert problem == f"{path}: systems.hubspot.access_token: should be a valid string"


def test_a_database_password_is_hidden_from_repr_and_redacted_url(tmp_path: Path) -> None:
    env = {"LEADSYNC_STATE__URL": "postgresql+psycopg://leadsync:hunter2@db/leadsync"}

    state = load_config(write(tmp_path, VALID), env=env).state

    assert "hunter2" not in repr(state)
    assert state.redacted_url == "postgresql+psycopg://leadsync:***@db/leadsync"


# --- paths -------------------------------------------------------------------------------------

def test_relative_paths_resolve_against_the_config_folder_not_the_working_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "conf"
    folder.mkdir()
    text = '[state]\nurl = "sqlite:///data/state.db?timeout=5"\n' + VALID
    write(folder, text)
    monkeypatch.chdir(tmp_path)

    config = load_config(Path("conf/leadsync.toml"), env={})

    assert config.sync.mapping == folder / "mappings" / "hubspot_salesforce.toml"
    assert config.state.url == f"sqlite:///{folder}/data/state.db?timeout=5"
    assert config.source_path == folder / "leadsync.toml"


@pytest.mark.parametrize("url", ["sqlite:////var/lib/leadsync.db", "sqlite://",
                                 "sqlite:///:memory:", "postgresql+psycopg://u@db:5432/leadsync"])
def test_absolute_in_memory_and_server_urls_are_kept(tmp_path: Path, url: str) -> None:
    config = load_config(write(tmp_path, VALID), env={"LEADSYNC_STATE__URL": url})

    assert config.state.url == url


@pytest.mark.parametrize("url", ["mysql://u@db/leadsync", "leadsync.db", "sqlite://relative.db"])
def test_a_state_url_that_is_not_sqlite_or_postgresql_is_refused(tmp_path: Path,
                                                                 url: str) -> None:
    path = write(tmp_path, f'[state]\nurl = "{url}"\n' + VALID)

    [problem] = problems(path)

    assert problem.startswith(f"{path}: state.url: ")


# --- the registry ------------------------------------------------------------------------------

class FakeSettings(SystemSettings):
    kind: Literal["fake"] = "fake"
    api_key: SecretText


def test_a_kind_any_module_registers_validates_its_tables(tmp_path: Path) -> None:
    register_system_kind("fake", FakeSettings)
    text = VALID[:VALID.index("[systems.salesforce]")] + (
        '[systems.other]\nkind = "fake"\nrole = "crm"\n')

    path = write(tmp_path, text)
    assert problems(path) == [f"{path}: systems.other.api_key: required key is missing"]
    config = load_config(path, env={"LEADSYNC_SYSTEMS__OTHER__API_KEY": "k"})
    assert isinstance(config.systems["other"], FakeSettings)
    assert registered_kinds()["fake"] is FakeSettings


def test_a_taken_kind_cannot_be_given_to_another_model() -> None:
    class Impostor(SystemSettings):
        pass

    with pytest.raises(ValueError, match="already registered"):
        register_system_kind("hubspot", Impostor)


def test_a_kind_model_needs_kind_and_role_fields() -> None:
    class Bare(BaseModel):
        url: str

    with pytest.raises(TypeError, match="'kind' and 'role'"):
        register_system_kind("bare", Bare)


def test_the_connector_config_imports_no_adapter_nor_vendor_sdk() -> None:
    code = ("import sys, leadsync.connector.config_file; "
            "print(sorted(m for m in sys.modules if m.startswith("
            "('leadsync.adapters', 'simple_salesforce', 'hubspot', 'requests'))))")

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=REPO)

    assert out.stdout.strip() == "[]"


def test_the_scale_section_checks_its_redis_url_and_shows_it_without_the_password(
        tmp_path: Path) -> None:
    path = write(tmp_path, VALID + '\n[scale]\nredis_url = "http://127.0.0.1:6379"\n')
    assert problems(path) == [f'{path}: scale.redis_url: should be a Redis URL such as '
                              f'"redis://127.0.0.1:6379/0" (rediss:// with TLS)']
    path.write_text(VALID + "\n[scale]\n", encoding="utf-8")
    config = load_config(path, env={"LEADSYNC_SCALE__REDIS_URL":
                                    "redis://:s3cret@127.0.0.1:6379/0"})
    assert config.scale is not None and config.scale.visibility_timeout == 3600
    assert config.scale.redacted_url == "redis://:***@127.0.0.1:6379/0"
    assert "s3cret" not in repr(config)


def test_config_sections_are_added_by_adding_fields() -> None:
    assert list(Config.model_fields) == ["state", "sync", "definition", "calendars", "sla",
                                         "systems", "connections", "schedules", "scale", "logging"]
    assert Config.model_config["extra"] == "forbid"


# --- the example file --------------------------------------------------------------------------

def test_the_example_config_loads_once_the_sandbox_secrets_are_set(tmp_path: Path) -> None:
    example = (REPO / "config.example.toml").read_text()
    path = write(tmp_path, example)
    (tmp_path / ".leadsync").mkdir()
    (tmp_path / ".leadsync" / "leadsync-sandbox-ca.pem").write_text("-----BEGIN CERTIFICATE-----")
    env = {"LEADSYNC_SYSTEMS__SALESFORCE__SESSION_ID": "00Dsandbox",
           "LEADSYNC_SYSTEMS__HUBSPOT__ACCESS_TOKEN": "pat-sandbox-x"}

    config = load_config(path, env=env)

    assert config.marketing[0] == "hubspot" and config.crm[0] == "salesforce"
    assert salesforce(config).ca_bundle == tmp_path / ".leadsync" / "leadsync-sandbox-ca.pem"
    assert hubspot(config).ca_bundle == salesforce(config).ca_bundle
    assert config.state.url == f"sqlite:///{tmp_path}/.leadsync/leadsync.db"
    assert config.definition is not None
    assert config.definition.file == tmp_path / "definitions" / "example.toml"
    assert config.definition.handoff == "qualified_only"
    assert problems(path) == [
        f"{path}: systems.hubspot.access_token: required key is missing",
        f'{path}: systems.salesforce.session_id: required when auth = "session"']


def test_the_example_config_documents_every_key() -> None:
    text = (REPO / "config.example.toml").read_text()
    models = [HubSpotSettings, SalesforceSettings, StateSettings, SyncSettings, LoggingSettings,
              DefinitionSettings, SlaSettings, PoolSettings]
    keys = {key for model in models for key in model.model_fields}

    undocumented = [key for key in sorted(keys)
                    if not re.search(rf"^#? ?{key} = .*$|^\[+[a-z_.]*\.{key}\]+$", text,
                                     re.MULTILINE)]
    assert undocumented == []


# --- the SLA section ---------------------------------------------------------------------------

SLA = """
[sla]
[[sla.policies]]
name = "standard"
calendar = "24x7"
first_touch_within = "1h"
"""


def test_a_pool_names_its_reps_or_a_crm_queue_not_both_nor_neither(tmp_path: Path) -> None:
    for pool, ok in (('reps = ["a@x.example"]', True), ('queue = "Inbound_SDRs"', True),
                     ('reps = ["a@x.example"]\nqueue = "Inbound_SDRs"', False),
                     ("min_compliance = 0.8", False)):
        path = write(tmp_path, VALID + SLA + f"\n[sla.pool]\n{pool}\n")
        found = problems(path)
        if ok:
            assert found == [], pool
        else:
            assert len(found) == 1 and "sla.pool" in found[0], found
            assert "name the reps" in found[0] and "or a CRM queue" in found[0]


def test_crm_statuses_default_to_the_crms_own_and_the_config_overrides_them() -> None:
    from leadsync.adapters.hubspot.activities import CONTACT_PROCESS
    from leadsync.adapters.salesforce.activities import LEAD_PROCESS
    from leadsync.connector.sla_settings import SlaSettings
    from leadsync.jobs.sla_setup import sales_process

    standard = SlaSettings(policies=[{"name": "p"}])
    assert sales_process(LEAD_PROCESS, standard) == LEAD_PROCESS
    assert sales_process(CONTACT_PROCESS, standard).nurture_status == "BAD_TIMING"
    custom = SlaSettings(policies=[{"name": "p"}], accepted_statuses=["Contacted"],
                         nurture_status="Nurture", reopen_status="New")
    process = sales_process(LEAD_PROCESS, custom)
    assert (process.accepted_statuses, process.nurture_status, process.reopen_status) == (
        ("Contacted",), "Nurture", "New")
    assert process.disqualified_statuses == LEAD_PROCESS.disqualified_statuses


def test_a_region_without_countries_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, VALID + SLA.replace("[sla]\n", '[sla]\nregions = { EMEA = [" "] }\n'))
    [problem] = problems(path)
    assert "sla.regions" in problem and "region EMEA names no country" in problem


def test_config_check_refuses_a_visibility_timeout_not_longer_than_the_lock_expiry(
        tmp_path: Path) -> None:
    path = write(tmp_path, VALID.replace("[sync]\n", "[state]\nlock_expiry_seconds = 300\n\n"
                                                     "[sync]\n", 1)
                 + '\n[scale]\nredis_url = "redis://127.0.0.1:6379/0"\n'
                   "visibility_timeout = 300\n")

    assert problems(path) == [
        f"{path}: scale.visibility_timeout: should be longer than [state] lock_expiry_seconds "
        "(300): a killed worker's job is handed on after it, and its run lock must have "
        "expired by then"]
    path.write_text(path.read_text().replace("timeout = 300", "timeout = 301"))
    assert problems(path) == []
