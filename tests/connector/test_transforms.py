"""The transform registry, value by value."""

from __future__ import annotations

import pytest

from leadsync.connector.transforms import (
    REGISTRY,
    TransformContext,
    TransformError,
    normalize_email,
)

CTX = TransformContext(source_users={"77": "Rep@Sales.example"},
                       target_users_by_email={"rep@sales.example": "005000000000001AAA"})


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("identity", " x ", " x "),
    ("trim", "  Ada   Lovelace ", "Ada Lovelace"),
    ("trim", "   ", None),
    ("trim", 5, 5),
    ("lower", " ÉCOLE ", "école"),
    ("upper", "de", "DE"),
    ("email", "  Ada@Example.COM ", "ada@example.com"),
    ("email", None, None),
    ("owner", "77", "005000000000001AAA"),
    ("owner", None, None),
])
def test_transforms(name: str, value: object, expected: object) -> None:
    assert REGISTRY[name](value, CTX) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(("name", "value", "message"), [
    ("email", "not-an-email", "not an email address"),
    ("owner", "99", "owner 99 is not a known user"),
])
def test_transforms_refuse_what_they_cannot_convert(name: str, value: str, message: str) -> None:
    with pytest.raises(TransformError, match=message):
        REGISTRY[name](value, CTX)


def test_owner_without_a_counterpart_names_the_email() -> None:
    ctx = TransformContext(source_users={"1": "gone@x.example"}, target_users_by_email={})
    with pytest.raises(TransformError, match=r"gone@x\.example has no user"):
        REGISTRY["owner"]("1", ctx)


def test_normalize_email() -> None:
    assert normalize_email(" A@B.com ") == "a@b.com"
    assert normalize_email("") is None
    assert normalize_email(None) is None
