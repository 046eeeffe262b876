"""The heartbeat of a lock (``connector.heartbeat``): renewals from a thread of its own, a lock
taken over logged once, a store away for a moment tried again at the next beat."""

from __future__ import annotations

import threading
from datetime import timedelta

from structlog.testing import capture_logs

from leadsync.connector.heartbeat import Heartbeat

GUARD = 30.0  # seconds waited at most: a deadlock guard, never reached when it works


class Renewals:
    """Answers ``answers`` in turn (an exception is raised), then True; ``done`` is set once
    ``wanted`` renewals were made."""

    def __init__(self, answers: list[bool | Exception], wanted: int) -> None:
        self.answers, self.wanted, self.made = list(answers), wanted, 0
        self.done = threading.Event()

    def __call__(self) -> bool:
        self.made += 1
        if self.made >= self.wanted:
            self.done.set()
        answer = self.answers.pop(0) if self.answers else True
        if isinstance(answer, Exception):
            raise answer
        return answer


def test_a_lock_taken_over_is_logged_once_and_a_store_away_is_tried_again() -> None:
    renewals = Renewals([True, ConnectionError("server closed the connection"), False, False],
                        wanted=6)
    beat = Heartbeat(renewals, timedelta(seconds=0.3), "run lock", job="sync",
                     connection="emea")
    with capture_logs() as logs:
        beat.start()
        assert renewals.done.wait(GUARD)
        beat.stop()

    assert beat.lost
    assert [(e["log_level"], e["event"]) for e in logs] == [
        ("warning", "run lock heartbeat failed"),
        ("error", "run lock lost: another run took it over after it expired")]
    assert logs[0]["error"] == "server closed the connection"
    assert logs[1]["job"] == "sync" and logs[1]["connection"] == "emea"


def test_stopped_it_renews_no_more() -> None:
    renewals = Renewals([], wanted=2)
    beat = Heartbeat(renewals, timedelta(seconds=0.3), "pass lock", job="sync")
    beat.start()
    assert renewals.done.wait(GUARD)
    beat.stop()
    made = renewals.made
    assert not beat._thread.is_alive() and renewals.made == made and not beat.lost
