"""The transform registry, value by value."""

from __future__ import annotations

import pytest

from leadsync.connector.models import FieldValue
from leadsync.connector.transforms import (
    REGISTRY,
    TransformContext,
    TransformError,
    clean_text,
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


EMOJI_AND_RTL = "caf\u00e9 \u05e9\u05dc\u05d5\u05dd \u200f\U0001f680"


@pytest.mark.parametrize(("value", "expected"), [
    ("Ada\x00 Lovelace", "Ada Lovelace"),
    ("VP\x07 Sales\x1b[31m", "VP Sales[31m"),
    ("line one\nline\ttwo\r\n", "line one\nline\ttwo\n"),
    ("\x00\x01", None),
    (EMOJI_AND_RTL, EMOJI_AND_RTL),  # nothing but control characters is touched
    ("\x85next\x9fline", "nextline"),
    ("half \ud83d surrogate", "half  surrogate"),
    (42, 42),
])
def test_a_value_passed_as_it_is_comes_out_without_control_characters(
        value: FieldValue, expected: FieldValue) -> None:
    assert REGISTRY["identity"](value, CTX) == expected
    assert clean_text(value) == expected


@pytest.mark.parametrize("name", ["trim", "lower", "upper"])
def test_every_transform_cleans_what_it_returns(name: str) -> None:
    assert "\x00" not in str(REGISTRY[name]("Ada\x00 Lovelace", CTX))


def test_an_email_with_a_null_byte_is_refused_naming_the_character_not_cleaned() -> None:
    with pytest.raises(TransformError, match=r"control character U\+0000"):
        REGISTRY["email"]("ada\x00@example.com", CTX)
