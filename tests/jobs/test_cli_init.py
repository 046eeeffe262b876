"""``leadsync init`` writes a starter config that loads, and a missing config says how to get
one."""

from __future__ import annotations

import json
from pathlib import Path

from leadsync import shipped
from leadsync.adapters.registry import load_builtin_kinds
from leadsync.connector.config_file import load_config
from tests.jobs.test_cli import leadsync

REPO = Path(__file__).parents[2]
SECRETS = {"LEADSYNC_SYSTEMS__SALESFORCE__SESSION_ID": "00Dsandbox",
           "LEADSYNC_SYSTEMS__HUBSPOT__ACCESS_TOKEN": "pat-sandbox-x"}


def test_the_shipped_example_is_the_repositorys_example() -> None:
    assert shipped.example_config() == (REPO / "config.example.toml").read_text(
        encoding="utf-8")


def test_init_writes_the_example_and_the_files_it_names_and_says_what_next(
        tmp_path: Path) -> None:
    site = tmp_path / "site"

    done = leadsync("init", str(site))

    assert done.returncode == 0, done.stderr
    config = site / "leadsync.toml"
    assert config.read_text(encoding="utf-8") == shipped.example_config()
    assert (site / "mappings" / "hubspot_salesforce.toml").read_text(encoding="utf-8") == \
        shipped.mapping().read_text(encoding="utf-8")
    assert (site / "definitions" / "example.toml").read_bytes() == \
        shipped.definition().read_bytes()
    for step in ("LEADSYNC_SYSTEMS__HUBSPOT__ACCESS_TOKEN", f"config check {config}",
                 f"install --config {config} --apply"):
        assert step in done.stdout
    # it loads as written once the secrets are set and the sandbox has written its CA there
    (site / ".leadsync" / "leadsync-sandbox-ca.pem").write_text("-----BEGIN CERTIFICATE-----")
    load_builtin_kinds()
    loaded = load_config(config, env=SECRETS)
    assert loaded.sync.mapping == site / "mappings" / "hubspot_salesforce.toml"
    assert loaded.definition is not None
    assert loaded.definition.file == site / "definitions" / "example.toml"


def test_init_overwrites_nothing_without_force(tmp_path: Path) -> None:
    config = tmp_path / "leadsync.toml"
    config.write_text("# the admin's own\n")

    refused = leadsync("init", str(config))

    assert refused.returncode == 2
    assert str(config) in refused.stderr and "--force" in refused.stderr
    assert config.read_text() == "# the admin's own\n"
    assert not (tmp_path / "mappings").exists()  # nothing written at all

    forced = leadsync("init", str(config), "--force")
    assert forced.returncode == 0, forced.stderr
    assert config.read_text(encoding="utf-8") == shipped.example_config()


def test_a_missing_config_points_at_init_and_the_example(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.toml"

    for command in (("sync", "--config", str(missing)), ("config", "check", str(missing)),
                    ("sla", "sweep", "--config", str(missing))):
        done = leadsync(*command)
        assert done.returncode in (1, 2), done.stderr
        assert "no config file found" in done.stderr, command
        assert f"leadsync init {missing}" in done.stderr and "config.example.toml" in \
            done.stderr

    as_json = leadsync("sync", "--config", str(missing), "--json")
    assert as_json.returncode == 2
    assert "leadsync init" in json.loads(as_json.stdout)["message"]
