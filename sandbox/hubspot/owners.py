"""The portal's owners (its users who can own records) and the ``/crm/v3/owners`` endpoints."""

from __future__ import annotations

from typing import Any

from sandbox.hubspot.errors import not_found, validation_error

FIRST_OWNER_ID = 41_000_001
FIRST_USER_ID = 7_100_001
MAX_LIMIT = 500


class Owners:
    def __init__(self) -> None:
        self.owners: list[dict[str, Any]] = []

    def ids(self) -> set[str]:
        return {o["id"] for o in self.owners if not o["archived"]}

    def add(self, first_name: str, last_name: str, email: str, at: str,
            team: str = "Sales") -> dict[str, Any]:
        number = len(self.owners)
        owner = {"id": str(FIRST_OWNER_ID + number), "email": email.lower(),
                 "firstName": first_name, "lastName": last_name,
                 "userId": FIRST_USER_ID + number,
                 "userIdIncludingInactive": FIRST_USER_ID + number,
                 "type": "PERSON", "createdAt": at, "updatedAt": at, "archived": False,
                 "teams": [{"id": "5100001", "name": team, "primary": True}]}
        self.owners.append(owner)
        return owner

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
        self.owners = list(data)
