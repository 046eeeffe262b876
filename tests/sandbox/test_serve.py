"""``leadsync sandbox serve`` as a user runs it: one JSON line, then serving until SIGTERM."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from hubspot import HubSpot
from simple_salesforce import Salesforce

from leadsync.adapters.transport import ca_session


def start_serve(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "leadsync", "sandbox", "serve", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def read_info(process: subprocess.Popen[str]) -> dict:
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line, f"no JSON line; stderr: {process.stderr.read() if process.stderr else ''}"
    return json.loads(line)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_serve_prints_one_json_line_serves_and_exits_0_on_signal(signum: int) -> None:
    process = start_serve("--seed", "20")
    try:
        info = read_info(process)
        assert set(info) == {"salesforce", "hubspot", "ca_bundle"}
        assert info["salesforce"]["instance_url"].startswith("https://127.0.0.1:")
        assert info["salesforce"]["api_version"] == "59.0"
        assert info["salesforce"]["session_id"]
        assert info["hubspot"]["host"].startswith("https://127.0.0.1:")
        assert info["hubspot"]["access_token"]
        assert Path(info["ca_bundle"]).is_absolute() and Path(info["ca_bundle"]).exists()

        sf = Salesforce(instance_url=info["salesforce"]["instance_url"],
                        session_id=info["salesforce"]["session_id"],
                        version=info["salesforce"]["api_version"],
                        session=ca_session(info["ca_bundle"]))
        hs = HubSpot(access_token=info["hubspot"]["access_token"], host=info["hubspot"]["host"],
                     ssl_ca_cert=info["ca_bundle"])
        leads = sf.query("SELECT COUNT() FROM Lead")["totalSize"]
        contacts = hs.crm.contacts.basic_api.get_page(limit=100)
        assert leads > 0 and len(contacts.results) > 0
    finally:
        process.send_signal(signum)
        out, _err = process.communicate(timeout=20)
    assert process.returncode == 0
    assert out == "", "nothing but the JSON line may reach stdout"


def test_serve_keeps_org_data_across_restarts_with_state(tmp_path: Path) -> None:
    state = tmp_path / "orgs.json"
    process = start_serve("--state", str(state))
    try:
        info = read_info(process)
        sf = Salesforce(instance_url=info["salesforce"]["instance_url"],
                        session_id=info["salesforce"]["session_id"], version="59.0",
                        session=ca_session(info["ca_bundle"]))
        created = sf.Lead.create({"LastName": "Persisted", "Company": "Acme"})
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=20)
    assert process.returncode == 0 and state.exists()

    process = start_serve("--state", str(state))
    try:
        info = read_info(process)
        sf = Salesforce(instance_url=info["salesforce"]["instance_url"],
                        session_id=info["salesforce"]["session_id"], version="59.0",
                        session=ca_session(info["ca_bundle"]))
        assert sf.Lead.get(created["id"])["LastName"] == "Persisted"
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=20)
    assert process.returncode == 0


def test_serve_saves_the_orgs_on_sigusr1_and_serves_on(tmp_path: Path) -> None:
    state = tmp_path / "orgs.json"
    process = start_serve("--state", str(state))
    try:
        info = read_info(process)
        sf = Salesforce(instance_url=info["salesforce"]["instance_url"],
                        session_id=info["salesforce"]["session_id"], version="59.0",
                        session=ca_session(info["ca_bundle"]))
        created = sf.Lead.create({"LastName": "Snapshot", "Company": "Acme"})
        assert not state.exists()  # nothing is written in the background

        process.send_signal(signal.SIGUSR1)
        while not state.exists():  # the save is atomic: the file appears whole
            assert process.poll() is None, "serve exited on SIGUSR1"
            time.sleep(0.05)
        assert sf.query("SELECT COUNT() FROM Lead")["totalSize"] >= 1  # still serving
    finally:
        process.kill()  # no save on the way out: the file holds what SIGUSR1 saved
        process.communicate(timeout=20)

    leads = json.loads(state.read_text())["salesforce"]["records"]["Lead"]
    assert leads[created["id"]]["LastName"] == "Snapshot"


def test_serve_refuses_a_fault_rate_above_one() -> None:
    result = subprocess.run([sys.executable, "-m", "leadsync", "sandbox", "serve", "--faults", "2"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert "--faults" in result.stderr and result.stdout == ""


def test_serve_refuses_an_unknown_fault_kind_naming_the_kinds() -> None:
    result = subprocess.run([sys.executable, "-m", "leadsync", "sandbox", "serve", "--faults",
                             "0.1", "--fault-kinds", "throttle,late"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert "'late'" in result.stderr and "lost" in result.stderr and result.stdout == ""


def test_serve_with_lost_answers_applies_a_write_it_does_not_answer() -> None:
    process = start_serve("--faults", "1", "--fault-kinds", "lost")
    try:
        info = read_info(process)
        sf = Salesforce(instance_url=info["salesforce"]["instance_url"],
                        session_id=info["salesforce"]["session_id"],
                        version=info["salesforce"]["api_version"],
                        session=ca_session(info["ca_bundle"]))
        with pytest.raises(requests.ConnectionError):
            sf.Lead.create({"LastName": "Lovelace", "Company": "Served Lost"})
        found = sf.query("SELECT Id FROM Lead WHERE Company = 'Served Lost'")
        assert found["totalSize"] == 1
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_every_subcommand_has_help() -> None:
    for args in (["--help"], ["sandbox", "--help"], ["sandbox", "serve", "--help"],
                 ["demo", "--help"], ["version", "--help"]):
        result = subprocess.run([sys.executable, "-m", "leadsync", *args], capture_output=True,
                                text=True, timeout=30)
        assert result.returncode == 0, (args, result.stderr)
        assert "Usage" in result.stdout
