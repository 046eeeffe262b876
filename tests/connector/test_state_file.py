"""A state file that is not a SQLite database, or a damaged one, is a clear config error."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadsync.connector.errors import ConfigError
from leadsync.connector.state import Link, StateStore


def filled_store(path: Path, links: int = 3_000) -> None:
    store = StateStore(f"sqlite:///{path}")
    store.save_links("default", [Link(f"key-{n:05}", f"hs-{n}", f"00Q{n:012}",
                                      f"person{n}@example.com") for n in range(links)])
    store.close()


def opening(path: Path) -> str:
    with pytest.raises(ConfigError) as raised:
        StateStore(f"sqlite:///{path}")
    assert raised.value.where == "state.url"
    return str(raised.value)


@pytest.mark.parametrize("content", [b"not a database, just text\n", bytes(range(256)) * 40],
                         ids=["text", "random bytes"])
def test_a_state_file_that_is_not_sqlite_is_a_config_error_naming_the_file_and_key(
        tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "state.db"
    path.write_bytes(content)

    message = opening(path)

    assert message.startswith("state.url: the state store ")
    assert str(path) in message and "is not a readable SQLite database" in message
    assert "file is not a database" in message


@pytest.mark.parametrize("keep", [0.5, 0.9], ids=["half", "most"])
def test_a_truncated_state_file_is_a_config_error_naming_the_file_and_key(
        tmp_path: Path, keep: float) -> None:
    path = tmp_path / "state.db"
    filled_store(path)
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * keep)])

    message = opening(path)

    assert str(path) in message and "restore it from a backup" in message


def test_a_whole_state_file_opens_after_the_check(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    filled_store(path, links=10)
    store = StateStore(f"sqlite:///{path}")
    assert store.count_links("default") == 10
    store.close()


def test_a_state_file_with_a_damaged_page_inside_is_caught_at_open_not_mid_run(
        tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    filled_store(path)
    data = bytearray(path.read_bytes())
    middle = len(data) // 4096 // 2 * 4096  # a page boundary halfway through the file
    data[middle:middle + 4096] = b"\xff" * 4096
    path.write_bytes(bytes(data))

    message = opening(path)

    assert str(path) in message and "is not a readable SQLite database" in message
