"""The small, tested registry of value transforms a mapping may name.

A transform turns a value read from one system into the value to write to the other. Each
is a plain function ``(value, context) -> value``; ``context`` carries what some of them need
(the owner directory). Mappings choose them by name; nothing else is executable from data.

Every value a transform returns is cleaned of control characters (``clean_text``): a null byte,
a bell or an escape sequence pasted into a form has no meaning in a CRM field and some
systems store it as is, so it is removed; tab and newline stay. An email address holding one is
refused instead (its record is parked, naming the field): removing a character from an
address would make it someone else's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from leadsync.connector.models import FieldValue


class TransformError(ValueError):
    """A value a transform cannot turn into the other system's form."""


class Unmatched(TransformError):
    """A value with no counterpart on the other side (an owner with no user there).

    The rule's ``unmapped`` setting decides, as for a value missing from a value map.
    """


@dataclass(frozen=True)
class TransformContext:
    """What transforms may consult: each system's users/owners as id -> email."""

    source_users: Mapping[str, str] = field(default_factory=dict)
    target_users_by_email: Mapping[str, str] = field(default_factory=dict)


Transform = Callable[[FieldValue, TransformContext], FieldValue]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# C0 controls but tab and newline, DEL, C1 controls, and lone surrogates (no UTF-8 for them)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def clean_text(value: FieldValue) -> FieldValue:
    """``value`` without control characters (tab and newline kept); None if nothing is left."""
    if isinstance(value, str) and _CONTROL.search(value):
        return _CONTROL.sub("", value) or None
    return value


def identity(value: FieldValue, ctx: TransformContext) -> FieldValue:
    return value


def trim(value: FieldValue, ctx: TransformContext) -> FieldValue:
    if isinstance(value, str):
        value = " ".join(value.split())
        return value or None
    return value


def lower(value: FieldValue, ctx: TransformContext) -> FieldValue:
    value = trim(value, ctx)
    return value.lower() if isinstance(value, str) else value


def upper(value: FieldValue, ctx: TransformContext) -> FieldValue:
    value = trim(value, ctx)
    return value.upper() if isinstance(value, str) else value


def email(value: FieldValue, ctx: TransformContext) -> FieldValue:
    """Normalised email: trimmed, lower case; a malformed address is refused."""
    value = lower(value, ctx)
    if value is None:
        return None
    if isinstance(value, str) and (bad := _CONTROL.search(value)):
        raise TransformError(f"not an email address: holds the control character "
                             f"U+{ord(bad.group()):04X}")
    if not isinstance(value, str) or not _EMAIL.match(value):
        raise TransformError(f"not an email address: {value!r}")
    return value


def owner(value: FieldValue, ctx: TransformContext) -> FieldValue:
    """An owner id in the source system to the user id with the same email in the target."""
    if value in (None, ""):
        return None
    address = ctx.source_users.get(str(value))
    if address is None:
        raise Unmatched(f"owner {value} is not a known user")
    target = ctx.target_users_by_email.get(address.lower())
    if target is None:
        raise Unmatched(f"owner {address} has no user with that email on the other side")
    return target


def _cleaned(transform: Transform) -> Transform:
    def cleaned(value: FieldValue, ctx: TransformContext) -> FieldValue:
        return clean_text(transform(value, ctx))

    return cleaned


REGISTRY: dict[str, Transform] = {name: _cleaned(transform) for name, transform in {
    "identity": identity,
    "trim": trim,
    "lower": lower,
    "upper": upper,
    "email": email,
    "owner": owner,
}.items()}


# Transforms that put a value in a normal form within one system; applying one to the target's
# current value makes "unchanged" comparisons fair (``Ada@X.com`` equals ``ada@x.com``).
NORMALIZING = frozenset({"identity", "trim", "lower", "upper", "email"})


def normalize_email(value: object) -> str | None:
    """The form emails are matched in: trimmed and lower-cased, or None."""
    if not isinstance(value, str):
        return None
    value = value.strip().lower()
    return value or None
