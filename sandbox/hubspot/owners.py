"""The portal's owners (its users who can own records) and the ``/crm/v3/owners`` endpoints.

An owner lists the teams it is on as ``teams: [{"id", "name", "primary"}]`` (HubSpot's
``PublicTeam``), the first of them primary. A team has one id in the portal, whichever owners
are on it; the teams are not stored apart from the owners, so a saved state is just the owners.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from leadsync.sandbox.hubspot.errors import not_found, validation_error

FIRST_OWNER_ID = 41_000_001
FIRST_USER_ID = 7_100_001
FIRST_TEAM_ID = 5_100_001
MAX_LIMIT = 500


class Owners:
    def __init__(self) -> None:
        self.owners: list[dict[str, Any]] = []
        self.team_ids: dict[str, str] = {}  # team name -> team id

    def ids(self) -> set[str]:
        return {o["id"] for o in self.owners if not o["archived"]}

    def add(self, first_name: str, last_name: str, email: str, at: str,
            teams: Sequence[str] = ("Sales",)) -> dict[str, Any]:
        """A new owner on ``teams`` (the first is its primary team; none for no team)."""
        if isinstance(teams, str):
            raise TypeError("teams is a sequence of team names, not one name")
        number = len(self.owners)
        names = list(dict.fromkeys(teams))
        owner = {"id": str(FIRST_OWNER_ID + number), "email": email.lower(),
                 "firstName": first_name, "lastName": last_name,
                 "userId": FIRST_USER_ID + number,
                 "userIdIncludingInactive": FIRST_USER_ID + number,
                 "type": "PERSON", "createdAt": at, "updatedAt": at, "archived": False,
                 "teams": [{"id": self.team_id(name), "name": name, "primary": i == 0}
                           for i, name in enumerate(names)]}
        self.owners.append(owner)
        return owner

    def team_id(self, name: str, saved: str | None = None) -> str:
        """The portal's id for the team of that name: given on first use (``saved`` if free)."""
        if name not in self.team_ids:
            taken = set(self.team_ids.values())
            number = FIRST_TEAM_ID
            while str(number) in taken:
                number += 1
            self.team_ids[name] = saved if saved and saved not in taken else str(number)
        return self.team_ids[name]

    def page(self, email: str | None, after: str | None, limit: str | None,
             archived: bool) -> tuple[int, Any]:
        try:
            start, size = int(after or 0), int(limit or 100)
        except ValueError:
            raise validation_error("after and limit must be integers") from None
        if not 1 <= size <= MAX_LIMIT:
            raise validation_error(f"limit must be between 1 and {MAX_LIMIT}")
        chosen = [o for o in self.owners if o["archived"] == archived
                  and (not email or o["email"] == email.strip().lower())]
        body: dict[str, Any] = {"results": chosen[start:start + size]}
        if start + size < len(chosen):
            body["paging"] = {"next": {"after": str(start + size)}}
        return 200, body

    def read(self, owner_id: str, id_property: str | None, archived: bool) -> tuple[int, Any]:
        field = "userId" if id_property == "userId" else "id"
        for owner in self.owners:
            if str(owner[field]) == owner_id and owner["archived"] == archived:
                return 200, owner
        raise not_found(f"Owner {owner_id} was not found")

    def dump(self) -> list[dict[str, Any]]:
        return self.owners

    def restore(self, data: list[dict[str, Any]]) -> None:
        """The saved owners; team ids are learned from them in order.

        A state saved when every team shared one id gets a distinct id for each later name.
        """
        self.owners, self.team_ids = list(data), {}
        for owner in self.owners:
            for team in owner.get("teams") or []:
                team["id"] = self.team_id(team["name"], saved=team["id"])
