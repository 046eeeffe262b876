"""Several connections in one config: ``[connections.<name>]`` tables, each one marketing/CRM
pair with what it does not share, and ``Config.for_connection`` giving each as a config of its
own."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadsync.adapters.registry import load_builtin_kinds
from leadsync.connector.config_file import check_config, load_config
from leadsync.connector.errors import ConfigError

TWO = """
[sync]
mapping = "mappings/shared.toml"
batch_size = 150

[definition]
file = "definitions/shared.toml"
handoff = "qualified_only"

[systems.hubspot_emea]
kind = "hubspot"
role = "marketing"
access_token = "pat-emea"

[systems.salesforce_emea]
kind = "salesforce"
role = "crm"
auth = "session"
instance_url = "https://emea.example.com"
session_id = "00Demea"

[systems.hubspot_amer]
kind = "hubspot"
role = "marketing"
access_token = "pat-amer"

[systems.salesforce_amer]
kind = "salesforce"
role = "crm"
auth = "session"
instance_url = "https://amer.example.com"
session_id = "00Damer"

[connections.emea]
marketing = "hubspot_emea"
crm = "salesforce_emea"
mapping = "mappings/emea.toml"
batch_size = 50
definition = "definitions/emea.toml"
handoff = "all"

[connections.amer]
marketing = "hubspot_amer"
crm = "salesforce_amer"
"""


@pytest.fixture(autouse=True)
def builtin_kinds() -> None:
    load_builtin_kinds()


def write(folder: Path, text: str) -> Path:
    path = folder / "leadsync.toml"
    path.write_text(text)
    return path


def test_each_connection_is_a_config_of_its_own_with_its_pair_and_overrides(tmp_path: Path
                                                                           ) -> None:
    config = load_config(write(tmp_path, TWO), env={})

    assert config.connection_names() == ["emea", "amer"]
    emea, amer = config.for_connection("emea"), config.for_connection("amer")
    assert (emea.marketing[0], emea.crm[0]) == ("hubspot_emea", "salesforce_emea")
    assert (amer.marketing[0], amer.crm[0]) == ("hubspot_amer", "salesforce_amer")
    assert (emea.sync.connection, amer.sync.connection) == ("emea", "amer")
    assert emea.sync.mapping == tmp_path / "mappings" / "emea.toml"
    assert amer.sync.mapping == tmp_path / "mappings" / "shared.toml"  # [sync]'s
    assert (emea.sync.batch_size, amer.sync.batch_size) == (50, 150)
    assert emea.definition is not None and amer.definition is not None
    assert (emea.definition.file, emea.definition.handoff) == (
        tmp_path / "definitions" / "emea.toml", "all")
    assert (amer.definition.file, amer.definition.handoff) == (
        tmp_path / "definitions" / "shared.toml", "qualified_only")
    assert emea.connection_names() == ["emea"] and emea.for_connection("emea") is emea
    assert emea.source_path == tmp_path / "leadsync.toml"


def test_a_config_of_several_connections_names_none_as_the_pair(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, TWO), env={})

    with pytest.raises(ConfigError, match="2 connections; take one"):
        _ = config.marketing
    with pytest.raises(ConfigError, match=r'no connection "emeaa".*did you mean "emea"'):
        config.for_connection("emeaa")


def test_a_connection_naming_a_missing_system_or_the_wrong_role_is_refused_by_key(
        tmp_path: Path) -> None:
    text = TWO.replace('marketing = "hubspot_amer"', 'marketing = "hubspot_amr"').replace(
        'crm = "salesforce_emea"', 'crm = "hubspot_emea"')

    found = check_config(write(tmp_path, text), env={})

    assert any("connections.amer.marketing: no [systems.hubspot_amr] table in this config; "
               'did you mean "hubspot_amer"?' in line for line in found), found
    assert any('connections.emea.crm: systems.hubspot_emea has role = "marketing", not "crm"'
               in line for line in found), found
    assert not any("exactly one system may have each role" in line for line in found)


def test_without_connections_one_pair_per_role_is_still_required(tmp_path: Path) -> None:
    text = TWO[:TWO.index("[connections.emea]")]

    found = check_config(write(tmp_path, text), env={})

    assert any("exactly one system may have each role" in line for line in found), found


def test_the_single_connection_is_the_sync_tables_name(tmp_path: Path) -> None:
    text = TWO[:TWO.index("[systems.hubspot_amer]")].replace(
        "batch_size = 150\n", 'batch_size = 150\nconnection = "europe"\n')
    config = load_config(write(tmp_path, text), env={})

    assert config.connection_names() == ["europe"]
    assert config.for_connection("europe") is config
    with pytest.raises(ConfigError, match='no connection "emea"'):
        config.for_connection("emea")


def test_the_environment_reaches_a_connections_keys(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, TWO),
                         env={"LEADSYNC_CONNECTIONS__AMER__BATCH_SIZE": "20"})

    assert config.for_connection("amer").sync.batch_size == 20


def test_a_connection_name_is_checked_like_a_system_name(tmp_path: Path) -> None:
    text = TWO.replace("[connections.amer]", "[connections.North-America]")

    found = check_config(write(tmp_path, text), env={})

    assert any("connections.North-America" in line and "lowercase" in line
               for line in found), found
