"""Per-field conflict rules: whose value a field takes when the two systems hold different ones.

A rule of the mapping names one (``conflict = "..."``), in the vocabulary of the native
integrations, plus more:

- ``two_way``: the side that edited the field since both agreed wins; when both did, the one
  modified last (by the systems' own modification times) wins;
- ``prefer_crm_unless_blank`` / ``prefer_marketing_unless_blank``: that side's value wins
  whenever it has one; when it is blank the other side's value fills it;
- ``always_crm`` / ``always_marketing``: that side's value always wins; a blank goes across
  only when that side cleared the field (it held a value when both last agreed);
- ``fill_blank_only``: a value goes only into a blank field, never over another value;
- ``dont_sync``: the field is never written.

Ties (``two_way``, both sides modified at the same instant) go to the CRM, the system of
record for sales: the outcome never depends on the order the pass happens to look at things.

With no agreed value for the field (a first sync of people already in both systems, a lost
state store, a field new to the mapping), nobody "edited" it: a blank never overwrites a value,
and differing values are settled by the rule, ``two_way`` by the later modification.

``decide`` is pure: it takes what each side holds now and what the ledger says both last
agreed on, and returns the side whose value should be carried to the other, or None.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from leadsync.connector.models import FieldValue, Side

Conflict = Literal["two_way", "prefer_crm_unless_blank", "prefer_marketing_unless_blank",
                   "always_crm", "always_marketing", "fill_blank_only", "dont_sync"]
CONFLICTS: tuple[Conflict, ...] = (
    "two_way", "prefer_crm_unless_blank", "prefer_marketing_unless_blank", "always_crm",
    "always_marketing", "fill_blank_only", "dont_sync")
TIE_WINNER: Side = "crm"

# The rule a direction alone means, when no conflict rule is named (the mappings of before).
BY_DIRECTION: Mapping[str, Conflict] = {"both": "two_way", "to_crm": "always_marketing",
                                        "to_marketing": "always_crm"}


def writes(conflict: str, side: Side) -> bool:
    """Whether a rule with ``conflict`` may ever write ``side``."""
    if conflict == "dont_sync":
        return False
    return conflict != f"always_{side}"


@dataclass(frozen=True, slots=True)
class FieldState:
    """One field of one lead on one side: its value now, and how it stands to the value both
    sides last agreed on (``known`` False: they never agreed, or nobody remembers)."""

    value: FieldValue
    blank: bool  # empty, or the rule's placeholder default ("[not provided]")
    known: bool = False
    edited: bool = False  # changed since both sides agreed (never, with no agreed value)
    agreed_blank: bool = True  # the agreed value was blank
    modified_at: datetime | None = None


def decide(conflict: str, states: Mapping[Side, FieldState]) -> Side | None:
    """The side whose value goes to the other, or None. The caller writes it only where the
    other side does not hold it already."""
    if conflict == "dont_sync":
        return None
    crm, marketing = states["crm"], states["marketing"]
    if conflict in ("always_crm", "always_marketing"):
        owner: Side = "crm" if conflict == "always_crm" else "marketing"
        state = states[owner]
        return owner if not state.blank or (state.edited and not state.agreed_blank) else None
    if conflict in ("prefer_crm_unless_blank", "prefer_marketing_unless_blank"):
        preferred: Side = "crm" if conflict == "prefer_crm_unless_blank" else "marketing"
        fallback: Side = "marketing" if preferred == "crm" else "crm"
        if not states[preferred].blank:
            return preferred
        return fallback if not states[fallback].blank else None
    if conflict == "fill_blank_only":
        if crm.blank != marketing.blank:
            return "marketing" if crm.blank else "crm"
        return None
    return _two_way(states)


def _two_way(states: Mapping[Side, FieldState]) -> Side | None:
    crm, marketing = states["crm"], states["marketing"]
    if crm.known and marketing.known:
        if crm.edited != marketing.edited:
            return "crm" if crm.edited else "marketing"
        if not crm.edited:
            return None  # neither side edited it: nothing to carry
    elif crm.blank != marketing.blank:
        return "marketing" if crm.blank else "crm"  # first contact: a blank never overwrites
    elif crm.blank:
        return None
    return _newest(crm, marketing)


def _newest(crm: FieldState, marketing: FieldState) -> Side:
    if crm.modified_at is None or marketing.modified_at is None:
        return TIE_WINNER
    if marketing.modified_at > crm.modified_at:
        return "marketing"
    if crm.modified_at > marketing.modified_at:
        return "crm"
    return TIE_WINNER

