"""The org's metadata: each object's fields as describe reports them.

A ``Field`` holds what the describe call says about one field (type, length, nillable,
createable, picklist values, reference targets...), and the org enforces exactly that on every
write. An ``SObjectType`` keeps its fields in describe order and finds them, and its
relationships, case-insensitively, as the API does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

STRING_TYPES = frozenset({"string", "textarea", "email", "phone", "url", "picklist",
                          "multipicklist", "combobox", "encryptedstring"})
NUMBER_TYPES = frozenset({"int", "double", "currency", "percent"})

# Fields the polymorphic "Name" entity offers behind a relationship such as Owner or Who.
NAME_ENTITY = "Name"


@dataclass(frozen=True)
class Field:
    """One field as the describe call reports it."""

    name: str
    label: str
    type: str
    length: int = 0
    nillable: bool = True
    createable: bool = True
    updateable: bool = True
    unique: bool = False
    case_sensitive: bool = False
    external_id: bool = False
    id_lookup: bool = False
    name_field: bool = False
    picklist: tuple[str, ...] = ()
    default: str | bool | None = None  # defaultValue (picklist default or checkbox default)
    restricted: bool = False
    defaulted_on_create: bool = False
    custom: bool = False
    calculated: bool = False
    reference_to: tuple[str, ...] = ()
    relationship_name: str | None = None
    child_relationship: str | None = None  # e.g. "Tasks": the parent's name for the children
    precision: int = 0
    scale: int = 0
    digits: int = 0
    help_text: str | None = None

    @property
    def required(self) -> bool:
        """Describe's definition of a field that must have a value on create."""
        return (not self.nillable and self.createable and not self.defaulted_on_create
                and self.type != "boolean")

    @property
    def polymorphic(self) -> bool:
        return len(self.reference_to) > 1


@dataclass
class SObjectType:
    """One object: name, key prefix and fields in describe order."""

    name: str
    label: str
    label_plural: str
    key_prefix: str
    fields: dict[str, Field]
    custom: bool = False
    createable: bool = True
    updateable: bool = True
    deletable: bool = True
    mergeable: bool = False
    _by_lower: dict[str, Field] = field(default_factory=dict, init=False, repr=False)
    _relationships: dict[str, Field] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self._reindex()

    def _reindex(self) -> None:
        self._by_lower = {name.lower(): f for name, f in self.fields.items()}
        self._relationships = {f.relationship_name.lower(): f for f in self.fields.values()
                               if f.relationship_name}

    def field(self, name: str) -> Field | None:
        return self._by_lower.get(name.lower())

    def relationship(self, name: str) -> Field | None:
        """The reference field behind a relationship name such as ``Owner``."""
        return self._relationships.get(name.lower())

    def add_field(self, f: Field) -> None:
        self.fields[f.name] = f
        self._reindex()

    def remove_field(self, name: str) -> None:
        self.fields.pop(name, None)
        self._reindex()


def target_of(f: Field) -> str:
    """The object a relationship leads to; the ``Name`` entity when it is polymorphic."""
    return NAME_ENTITY if f.polymorphic else f.reference_to[0]
