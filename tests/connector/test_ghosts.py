"""Ghost leads: untouched past the first-touch deadline, or never resolved by the cadence end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from leadsync.connector.calendar import always_open
from leadsync.connector.ghosts import find_ghosts, ghost_kind
from leadsync.connector.sla import Clock, Touch, parse_policies

H = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
POLICY = parse_policies([{"name": "hot", "calendar": "24x7", "first_touch_within": "1h",
                          "cadence": {"calls": 2, "emails": 1, "within": "3d"}}], ("24x7",))[0]


def started(key: str = "lead-1", owner: str | None = "rep-1", handoff: datetime = H) -> Clock:
    return Clock.start(key, POLICY, always_open(), handoff, owner)


def stored(*clocks: Clock) -> dict[str, dict[str, Any]]:
    return {c.key: {"crm_id": f"crm-{c.key}", "status": c.status, "clock": c.to_json()}
            for c in clocks}


def test_a_lead_untouched_past_its_first_touch_deadline_is_an_untouched_ghost() -> None:
    assert ghost_kind(started(), H + timedelta(minutes=61)) == "untouched"


def test_a_lead_at_its_first_touch_deadline_is_not_a_ghost_yet() -> None:
    assert ghost_kind(started(), H + timedelta(hours=1)) is None


def test_a_touched_lead_is_a_ghost_only_once_its_cadence_has_ended() -> None:
    clock = started()
    clock.count([Touch("t1", "call", H + timedelta(minutes=5))])
    assert ghost_kind(clock, H + timedelta(days=2)) is None
    assert ghost_kind(clock, H + timedelta(days=3, seconds=1)) == "unresolved"


def test_untouched_wins_over_unresolved() -> None:
    assert ghost_kind(started(), H + timedelta(days=10)) == "untouched"


def test_ghosts_are_listed_by_rep_oldest_handoff_first_with_their_counts() -> None:
    now = H + timedelta(days=5)
    young = started("young", "rep-b", H + timedelta(days=1))
    old = started("old", "rep-b", H)
    other = started("other", "rep-a", H)
    fresh = started("fresh", "rep-a", now - timedelta(minutes=5))  # not a ghost yet
    ghosts = find_ghosts(stored(young, old, other, fresh), now)
    assert [(g.owner, g.key) for g in ghosts] == [("rep-a", "other"), ("rep-b", "old"),
                                                  ("rep-b", "young")]
    first = ghosts[0].as_dict()
    assert first == {"key": "other", "crm_id": "crm-other", "owner": "rep-a", "policy": "hot",
                     "status": "pending", "kind": "untouched", "age_days": 5.0, "calls": 0,
                     "emails": 0, "email": None, "name": None, "calendar": "24x7",
                     "handoff_at": "2026-11-02T09:00:00+00:00",
                     "first_touch_by": "2026-11-02T10:00:00+00:00",
                     "cadence_end": "2026-11-05T09:00:00+00:00"}


def test_ghosts_carry_the_leads_email_and_name_where_the_store_knows_them() -> None:
    now = H + timedelta(days=1)
    ghosts = find_ghosts(stored(started("a"), started("b")), now,
                         {"a": ("ada@x.example", "Ada Lovelace")})
    assert [(g.key, g.email, g.name) for g in ghosts] == [
        ("a", "ada@x.example", "Ada Lovelace"), ("b", None, None)]


def test_a_ghost_without_an_owner_is_listed_under_none() -> None:
    [ghost] = find_ghosts(stored(started(owner=None)), H + timedelta(hours=2))
    assert ghost.owner is None and ghost.kind == "untouched"
