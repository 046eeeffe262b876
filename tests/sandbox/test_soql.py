"""The sandbox SOQL engine against the behaviour the SOQL and SOSL Reference documents."""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadsync.sandbox.salesforce.soql import (
    BoolOp,
    Comparison,
    Literal,
    Not,
    Query,
    SoqlError,
    parse,
)

TYPES: dict[str, str] = {
    "id": "id", "firstname": "string", "lastname": "string", "email": "email",
    "phone": "phone", "status": "picklist", "company": "string", "description": "textarea",
    "annualrevenue": "currency", "numberofemployees": "int", "rating__c": "double",
    "isconverted": "boolean", "createddate": "datetime", "converteddate": "date",
    "ownerid": "reference", "owner.email": "email", "owner.name": "string",
    "owner.manager.name": "string",
}

RECORDS: list[dict[str, Any]] = [
    {"Id": "L1", "FirstName": "Ada", "LastName": "Lovelace", "Email": "ada@example.com",
     "Status": "Open", "Company": "Analytical", "AnnualRevenue": 1000.0,
     "NumberOfEmployees": 10, "IsConverted": False,
     "CreatedDate": "2024-01-15T10:30:00.000+0000", "ConvertedDate": None,
     "Owner": {"Email": "boss@example.com", "Name": "Boss",
               "Manager": {"Name": "Big Boss"}}},
    {"Id": "L2", "FirstName": "alan", "LastName": "Turing", "Email": None,
     "Status": "Working", "Company": "Bletchley 100%", "AnnualRevenue": 2500.5,
     "NumberOfEmployees": 200, "IsConverted": True,
     "CreatedDate": "2024-01-15T09:30:00.000+0000", "ConvertedDate": "2024-02-01",
     "Owner": {"Email": "other@example.com", "Name": "Other", "Manager": None}},
    {"Id": "L3", "FirstName": None, "LastName": "hopper", "Email": "GRACE@EXAMPLE.COM",
     "Status": "Closed", "Company": "Navy_Lab", "AnnualRevenue": None,
     "NumberOfEmployees": -5, "IsConverted": False,
     "CreatedDate": "2024-01-16T00:00:00.000+0000", "ConvertedDate": "2024-01-31",
     "Owner": None},
    {"Id": "L4", "FirstName": "", "LastName": "O'Brien", "Email": "ob@example.org",
     "Status": None, "Company": "Line\nBreak \\ Co", "AnnualRevenue": 0,
     "NumberOfEmployees": None, "IsConverted": None,
     "CreatedDate": None, "ConvertedDate": "2024-02-01"},
]


def ids(query: str, records: list[dict[str, Any]] | None = None,
        types: Mapping[str, str] = TYPES, now: datetime | None = None) -> list[str]:
    q = parse(query)
    q.check(types, now=now)
    return [r["Id"] for r in (RECORDS if records is None else records) if q.matches(r, types)]


def where(clause: str) -> list[str]:
    return ids(f"SELECT Id FROM Lead WHERE {clause}")


def error(query: str, types: Mapping[str, str] = TYPES) -> SoqlError:
    with pytest.raises(SoqlError) as info:
        parse(query).check(types)
    return info.value


# ------------------------------------------------------------------------------- parsing


@pytest.mark.parametrize(("text", "expected"), [
    ("SELECT Id FROM Lead",
     Query("Lead", ["Id"], False, None, [], None, None)),
    ("select id, Email , Owner.Email from lead",
     Query("lead", ["id", "Email", "Owner.Email"], False, None, [], None, None)),
    ("SELECT COUNT() FROM Lead",
     Query("Lead", [], True, None, [], None, None)),
    ("SELECT count ( ) FROM Lead LIMIT 5",
     Query("Lead", [], True, None, [], 5, None)),
    ("SELECT Id FROM Lead ORDER BY Name",
     Query("Lead", ["Id"], False, None, [("Name", True, True)], None, None)),
    ("SELECT Id FROM Lead ORDER BY Name DESC",
     Query("Lead", ["Id"], False, None, [("Name", False, False)], None, None)),
    ("SELECT Id FROM Lead ORDER BY Name DESC NULLS FIRST, Id ASC NULLS LAST, Owner.Name asc",
     Query("Lead", ["Id"], False, None,
           [("Name", False, True), ("Id", True, False), ("Owner.Name", True, True)],
           None, None)),
    ("SELECT Id FROM Lead LIMIT 10 OFFSET 20",
     Query("Lead", ["Id"], False, None, [], 10, 20)),
    ("SELECT Id FROM Lead OFFSET 2000",
     Query("Lead", ["Id"], False, None, [], None, 2000)),
    ("SELECT Id\nFROM Lead\n\tLIMIT 0",
     Query("Lead", ["Id"], False, None, [], 0, None)),
])
def test_parse_clauses(text: str, expected: Query) -> None:
    assert parse(text) == expected


def test_parse_where_tree() -> None:
    q = parse("SELECT Id FROM Lead WHERE (A = 'x' OR B IN (1, 2.5)) AND NOT C LIKE 'y%' "
              "AND D NOT IN (null) AND E <> true")
    assert isinstance(q.where, BoolOp) and q.where.op == "AND"
    first, second, third, fourth = q.where.items
    assert isinstance(first, BoolOp) and first.op == "OR"
    a, b = first.items
    assert isinstance(a, Comparison) and (a.field, a.op) == ("A", "=")
    assert a.values[0].kind == "string" and a.values[0].value == "x"
    assert isinstance(b, Comparison) and b.op == "IN"
    assert [v.value for v in b.values] == [1, 2.5]
    assert isinstance(second, Not) and isinstance(second.item, Comparison)
    assert second.item.op == "LIKE"
    assert isinstance(third, Comparison) and third.op == "NOT IN"
    assert third.values[0].kind == "null"
    assert isinstance(fourth, Comparison) and fourth.op == "!="
    assert fourth.values[0] == Literal("boolean", True, "true", fourth.values[0].pos)


@pytest.mark.parametrize(("literal", "kind", "value"), [
    ("'abc'", "string", "abc"),
    ("''", "string", ""),
    ("42", "number", 42),
    ("-42", "number", -42),
    ("3.25", "number", 3.25),
    ("-0.5", "number", -0.5),
    ("true", "boolean", True),
    ("TRUE", "boolean", True),
    ("False", "boolean", False),
    ("null", "null", None),
    ("NULL", "null", None),
    ("2024-01-15", "date", "2024-01-15"),
    ("2024-01-15T10:30:00Z", "datetime", datetime(2024, 1, 15, 10, 30, tzinfo=UTC).timestamp()),
    ("2024-01-15T10:30:00.000Z", "datetime",
     datetime(2024, 1, 15, 10, 30, tzinfo=UTC).timestamp()),
    ("2024-01-15T11:30:00+01:00", "datetime",
     datetime(2024, 1, 15, 10, 30, tzinfo=UTC).timestamp()),
    ("2024-01-15T02:30:00-08:00", "datetime",
     datetime(2024, 1, 15, 10, 30, tzinfo=UTC).timestamp()),
    ("2024-01-15T10:30:00.000+0000", "datetime",
     datetime(2024, 1, 15, 10, 30, tzinfo=UTC).timestamp()),
    ("TODAY", "relative", ("TODAY", None)),
    ("yesterday", "relative", ("YESTERDAY", None)),
    ("LAST_N_DAYS:30", "relative", ("LAST_N_DAYS", 30)),
    ("NEXT_N_DAYS:7", "relative", ("NEXT_N_DAYS", 7)),
])
def test_literals(literal: str, kind: str, value: Any) -> None:
    where = parse(f"SELECT Id FROM Lead WHERE X = {literal}").where
    assert isinstance(where, Comparison)
    assert (where.values[0].kind, where.values[0].value) == (kind, value)


@pytest.mark.parametrize(("escaped", "decoded"), [
    (r"Bob\'s", "Bob's"),
    (r"say \"hi\"", 'say "hi"'),
    (r"back\\slash", "back\\slash"),
    (r"a\nb", "a\nb"),
    (r"a\Nb", "a\nb"),
    (r"a\rb\Rc", "a\rb\rc"),
    (r"a\tb\Tc", "a\tb\tc"),
    (r"a\bb", "a\bb"),
    (r"a\fb\Fc", "a\fb\fc"),
    (r"caf\u00e9", "café"),
    (r"100\%", "100\\%"),  # \% and \_ only mean something in LIKE; elsewhere they stay escaped
    (r"a\_b", "a\\_b"),
])
def test_string_escapes(escaped: str, decoded: str) -> None:
    where = parse(f"SELECT Id FROM Lead WHERE Name = '{escaped}'").where
    assert isinstance(where, Comparison)
    assert where.values[0].value == decoded


@pytest.mark.parametrize("escaped", [r"\x", r"\u12", r"\q", "trailing\\"])
def test_illegal_escape_is_malformed(escaped: str) -> None:
    assert error(f"SELECT Id FROM Lead WHERE Name = '{escaped}'").error_code == "MALFORMED_QUERY"


def test_escaped_quote_matches_record() -> None:
    assert where(r"LastName = 'o\'brien'") == ["L4"]
    assert where(r"Company = 'line\nbreak \\ co'") == ["L4"]


# ------------------------------------------------------------------------------- operators


@pytest.mark.parametrize(("clause", "expected"), [
    # strings: = and != ignore case; '' is null
    ("LastName = 'TURING'", ["L2"]),
    ("LastName != 'turing'", ["L1", "L3", "L4"]),
    ("LastName <> 'turing'", ["L1", "L3", "L4"]),
    ("Email = 'grace@example.com'", ["L3"]),
    ("Status = 'open'", ["L1"]),
    ("FirstName = ''", ["L3", "L4"]),
    ("LastName < 'lovelace'", ["L3"]),
    ("LastName <= 'LOVELACE'", ["L1", "L3"]),
    ("LastName > 'o'", ["L2", "L4"]),
    ("LastName >= 'turing'", ["L2"]),
    ("Status IN ('open', 'CLOSED')", ["L1", "L3"]),
    ("Status NOT IN ('open', 'CLOSED')", ["L2", "L4"]),
    ("Status IN ('Open', null)", ["L1", "L4"]),
    ("Owner.Email = 'boss@example.com'", ["L1"]),
    ("Owner.Manager.Name = 'big boss'", ["L1"]),
    ("Id = 'L2'", ["L2"]),
    # numbers
    ("AnnualRevenue = 1000", ["L1"]),
    ("AnnualRevenue = 1000.0", ["L1"]),
    ("AnnualRevenue > 1000", ["L2"]),
    ("AnnualRevenue >= 1000", ["L1", "L2"]),
    ("AnnualRevenue < 1000", ["L4"]),
    ("AnnualRevenue <= 0", ["L4"]),
    ("AnnualRevenue != 0", ["L1", "L2", "L3"]),
    ("NumberOfEmployees < 0", ["L3"]),
    ("NumberOfEmployees = -5", ["L3"]),
    ("NumberOfEmployees IN (10, 200)", ["L1", "L2"]),
    ("NumberOfEmployees NOT IN (10, 200)", ["L3", "L4"]),
    ("Rating__c = null", ["L1", "L2", "L3", "L4"]),
    # booleans: a missing checkbox reads as false
    ("IsConverted = true", ["L2"]),
    ("IsConverted = FALSE", ["L1", "L3", "L4"]),
    ("IsConverted != false", ["L2"]),
    # dates
    ("ConvertedDate = 2024-02-01", ["L2", "L4"]),
    ("ConvertedDate < 2024-02-01", ["L3"]),
    ("ConvertedDate >= 2024-01-31", ["L2", "L3", "L4"]),
    ("ConvertedDate IN (2024-01-31, 2024-03-01)", ["L3"]),
    # dateTimes compare instants
    ("CreatedDate = 2024-01-15T10:30:00Z", ["L1"]),
    ("CreatedDate = 2024-01-15T11:30:00+01:00", ["L1"]),
    ("CreatedDate = 2024-01-15T05:30:00.000-0500", ["L1"]),
    ("CreatedDate > 2024-01-15T10:00:00+00:00", ["L1", "L3"]),
    ("CreatedDate < 2024-01-15T11:00:00+01:00", ["L2"]),
    ("CreatedDate <= 2024-01-15T09:30:00Z", ["L2"]),
    ("CreatedDate >= 2024-01-15T19:00:00-05:00", ["L3"]),
    ("CreatedDate != 2024-01-15T10:30:00Z", ["L2", "L3", "L4"]),
])
def test_operators(clause: str, expected: list[str]) -> None:
    assert where(clause) == expected


@pytest.mark.parametrize(("pattern", "expected"), [
    ("'%example.com'", ["L1", "L3"]),
    ("'ADA@%'", ["L1"]),
    ("'%@example.%'", ["L1", "L3", "L4"]),
    ("'_b@example.org'", ["L4"]),
    ("'__@example.org'", ["L4"]),
    ("'_@example.org'", []),
    ("'%'", ["L1", "L3", "L4"]),
    ("'ada@example.com'", ["L1"]),
    ("null", []),
])
def test_like(pattern: str, expected: list[str]) -> None:
    assert where(f"Email LIKE {pattern}") == expected


@pytest.mark.parametrize(("pattern", "expected"), [
    (r"'%100\%'", ["L2"]),
    (r"'%100%'", ["L2"]),
    (r"'%\%%'", ["L2"]),
    (r"'navy\_lab'", ["L3"]),
    (r"'navy_lab'", ["L3"]),
    (r"'%\_%'", ["L3"]),
    (r"'line_break%'", ["L4"]),  # _ matches a newline too
    (r"'%\\%'", ["L4"]),
])
def test_like_escapes(pattern: str, expected: list[str]) -> None:
    assert where(f"Company LIKE {pattern}") == expected


def test_like_escaped_wildcard_is_literal() -> None:
    records = [{"Id": "a", "Company": "Ter%"}, {"Id": "b", "Company": "Terra"},
               {"Id": "c", "Company": "Ter%ra"}]
    assert ids(r"SELECT Id FROM Lead WHERE Company LIKE 'Ter%'", records) == ["a", "b", "c"]
    assert ids(r"SELECT Id FROM Lead WHERE Company LIKE 'Ter\%'", records) == ["a"]
    assert ids(r"SELECT Id FROM Lead WHERE Company LIKE 'Ter\%%'", records) == ["a", "c"]


# ------------------------------------------------------------------------------- nulls


@pytest.mark.parametrize(("clause", "expected"), [
    ("Email = null", ["L2"]),
    ("Email != null", ["L1", "L3", "L4"]),
    ("FirstName = null", ["L3", "L4"]),  # '' is stored as null by Salesforce
    ("Owner.Email = null", ["L3", "L4"]),  # null parent, missing parent
    ("Owner.Manager.Name = null", ["L2", "L3", "L4"]),
    ("AnnualRevenue = null", ["L3"]),
    ("AnnualRevenue < 5000", ["L1", "L2", "L4"]),  # null is never < or >
    ("AnnualRevenue > -1", ["L1", "L2", "L4"]),
    ("AnnualRevenue < null", []),
    ("AnnualRevenue >= null", []),
    ("CreatedDate = null", ["L4"]),
    ("ConvertedDate != null", ["L2", "L3", "L4"]),
    ("Email != 'ada@example.com'", ["L2", "L3", "L4"]),  # null != value is true
    ("Email NOT IN ('ada@example.com')", ["L2", "L3", "L4"]),
    ("NOT Email = null", ["L1", "L3", "L4"]),
    ("Phone = null", ["L1", "L2", "L3", "L4"]),  # absent key reads as null
])
def test_null_semantics(clause: str, expected: list[str]) -> None:
    assert where(clause) == expected


# ------------------------------------------------------------------------------- logic


@pytest.mark.parametrize(("clause", "expected"), [
    ("Status = 'Open' OR Status = 'Closed'", ["L1", "L3"]),
    ("Status = 'Open' OR Status = 'Closed' OR Status = 'Working'", ["L1", "L2", "L3"]),
    ("IsConverted = false AND AnnualRevenue > 0 AND Email != null", ["L1"]),
    ("(Status = 'Open' OR Status = 'Working') AND IsConverted = true", ["L2"]),
    ("Status = 'Open' OR (Status = 'Working' AND IsConverted = false)", ["L1"]),
    ("NOT Status = 'Open'", ["L2", "L3", "L4"]),
    ("NOT (Status = 'Open' OR Status = 'Working')", ["L3", "L4"]),
    ("NOT Status = 'Open' AND NOT Status = 'Working'", ["L3", "L4"]),
    ("NOT NOT Status = 'Open'", ["L1"]),
    ("((Status = 'Open'))", ["L1"]),
    ("(LastName = 'turing' OR LastName = 'hopper') AND (Email = null OR Status = 'Closed')",
     ["L2", "L3"]),
    ("not status = 'open' and isconverted = false", ["L3", "L4"]),
])
def test_logic(clause: str, expected: list[str]) -> None:
    assert where(clause) == expected


@pytest.mark.parametrize(("clause", "token"), [
    ("A = 1 AND B = 2 OR C = 3", "OR"),
    ("A = 1 OR B = 2 AND C = 3", "AND"),
    ("A = 1 and B = 2 or C = 3", "or"),
    ("(A = 1 AND B = 2 OR C = 3)", "OR"),
    ("NOT A = 1 AND B = 2 OR C = 3", "OR"),
    ("A = 1 OR B = 2 OR C = 3 AND D = 4", "AND"),
])
def test_mixing_and_or_without_parentheses_is_refused(clause: str, token: str) -> None:
    text = f"SELECT Id FROM Lead WHERE {clause}"
    column = text.index(f" {token} ") + 2  # 1-based column of the offending operator
    with pytest.raises(SoqlError) as info:
        parse(text)
    err = info.value
    assert err.error_code == "MALFORMED_QUERY"
    assert err.message == (f"\n{text}\n{' ' * (column - 1)}^\nERROR at Row:1:Column:{column}\n"
                           f"unexpected token: {token}")


# ------------------------------------------------------------------------------- dates


NOW = datetime(2024, 3, 10, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(("clause", "expected"), [
    ("CreatedDate = TODAY", ["t"]),
    ("CreatedDate = YESTERDAY", ["y"]),
    ("CreatedDate = TOMORROW", ["tm"]),
    ("CreatedDate > TODAY", ["tm", "f"]),
    ("CreatedDate >= TODAY", ["t", "tm", "f"]),
    ("CreatedDate < TODAY", ["y", "w", "old"]),
    ("CreatedDate <= TODAY", ["y", "t", "w", "old"]),
    ("CreatedDate != TODAY", ["y", "tm", "w", "old", "f", "n"]),
    ("CreatedDate = LAST_N_DAYS:1", ["y", "t"]),
    ("CreatedDate = LAST_N_DAYS:7", ["y", "t", "w"]),
    ("CreatedDate = NEXT_N_DAYS:1", ["tm"]),
    ("CreatedDate = N_DAYS_AGO:6", ["w"]),
    ("CreatedDate = THIS_MONTH", ["y", "t", "tm", "w"]),
    ("CreatedDate = LAST_YEAR", ["old"]),
    ("CreatedDate IN (YESTERDAY, TOMORROW)", ["y", "tm"]),
    ("CreatedDate NOT IN (YESTERDAY, TOMORROW)", ["t", "w", "old", "f", "n"]),
    ("CloseDate = TODAY", ["t"]),
    ("CloseDate < LAST_N_DAYS:7", ["old"]),
    ("CloseDate > NEXT_N_DAYS:1", ["f"]),
])
def test_relative_date_literals(clause: str, expected: list[str]) -> None:
    records = [
        {"Id": "y", "CreatedDate": "2024-03-09T23:59:59.000+0000", "CloseDate": "2024-03-09"},
        {"Id": "t", "CreatedDate": "2024-03-10T00:00:00.000+0000", "CloseDate": "2024-03-10"},
        {"Id": "tm", "CreatedDate": "2024-03-11T01:00:00+01:00", "CloseDate": "2024-03-11"},
        {"Id": "w", "CreatedDate": "2024-03-04T12:00:00.000+0000", "CloseDate": "2024-03-04"},
        {"Id": "old", "CreatedDate": "2023-06-01T12:00:00.000+0000", "CloseDate": "2023-06-01"},
        {"Id": "f", "CreatedDate": "2024-04-01T00:00:00.000+0000", "CloseDate": "2024-04-01"},
        {"Id": "n", "CreatedDate": None, "CloseDate": None},
    ]
    types = {"id": "id", "createddate": "datetime", "closedate": "date"}
    assert ids(f"SELECT Id FROM Lead WHERE {clause}", records, types, NOW) == expected


def test_relative_date_defaults_to_current_time() -> None:
    today = datetime.now(UTC).date().isoformat()
    records = [{"Id": "a", "CloseDate": today}, {"Id": "b", "CloseDate": "2000-01-01"}]
    assert ids("SELECT Id FROM Lead WHERE CloseDate = TODAY", records,
               {"id": "id", "closedate": "date"}) == ["a"]


def test_datetime_values_with_other_offsets_are_normalised() -> None:
    records = [{"Id": "a", "CreatedDate": "2024-01-15T12:30:00+02:00"},
               {"Id": "b", "CreatedDate": "2024-01-15T10:30:00Z"},
               {"Id": "c", "CreatedDate": "2024-01-15T10:30:00"},
               {"Id": "d", "CreatedDate": datetime(2024, 1, 15, 10, 30, tzinfo=UTC)},
               {"Id": "e", "CreatedDate": "2024-01-15T10:30:01.000+0000"}]
    types = {"id": "id", "createddate": "datetime"}
    assert ids("SELECT Id FROM Lead WHERE CreatedDate = 2024-01-15T10:30:00.000+0000",
               records, types) == ["a", "b", "c", "d"]


# ------------------------------------------------------------------------------- type checks


@pytest.mark.parametrize(("clause", "message"), [
    ("CreatedDate > '2024-01-15T10:30:00Z'",
     "value of filter criterion for field 'CreatedDate' must be of type dateTime and should "
     "not be enclosed in quotes"),
    ("CreatedDate > 2024-01-15",
     "value of filter criterion for field 'CreatedDate' must be of type dateTime and should "
     "not be enclosed in quotes"),
    ("ConvertedDate = '2024-01-15'",
     "value of filter criterion for field 'ConvertedDate' must be of type date and should not "
     "be enclosed in quotes"),
    ("ConvertedDate = 2024-01-15T00:00:00Z",
     "value of filter criterion for field 'ConvertedDate' must be of type date and should not "
     "be enclosed in quotes"),
    ("LastName = 5",
     "value of filter criterion for field 'LastName' must be of type string and should be "
     "enclosed in quotes"),
    ("LastName = true",
     "value of filter criterion for field 'LastName' must be of type string and should be "
     "enclosed in quotes"),
    ("Status IN ('Open', 3)",
     "value of filter criterion for field 'Status' must be of type string and should be "
     "enclosed in quotes"),
    ("IsConverted = 'true'",
     "value of filter criterion for field 'IsConverted' must be of type boolean and should "
     "not be enclosed in quotes"),
    ("AnnualRevenue > '5'",
     "value of filter criterion for field 'AnnualRevenue' must be of type double and should "
     "not be enclosed in quotes"),
    ("NumberOfEmployees = '5'",
     "value of filter criterion for field 'NumberOfEmployees' must be of type integer and "
     "should not be enclosed in quotes"),
    ("LastName = TODAY",
     "value of filter criterion for field 'LastName' must be of type string and should be "
     "enclosed in quotes"),
    ("Email LIKE 5",
     "value of filter criterion for field 'Email' must be of type string and should be "
     "enclosed in quotes"),
])
def test_literal_type_mismatch(clause: str, message: str) -> None:
    err = error(f"SELECT Id FROM Lead WHERE {clause}")
    assert err.error_code == "INVALID_FIELD"
    assert err.message.endswith("\n" + message)


def test_like_on_non_text_field_is_refused() -> None:
    assert error("SELECT Id FROM Lead WHERE AnnualRevenue LIKE '1%'").error_code == \
        "INVALID_FIELD"


def test_null_fits_every_type() -> None:
    for name in TYPES:
        parse(f"SELECT Id FROM Lead WHERE {name} = null").check(TYPES)


def test_unknown_field_message_matches_salesforce() -> None:
    err = error("SELECT Foo FROM Lead")
    assert err.error_code == "INVALID_FIELD"
    assert err.message == (
        "\nSELECT Foo FROM Lead\n       ^\nERROR at Row:1:Column:8\nNo such column 'Foo' on "
        "entity 'Lead'. If you are attempting to use a custom field, be sure to append the "
        "'__c' after the custom field name. Please reference your WSDL or the describe call "
        "for the appropriate names.")


@pytest.mark.parametrize(("text", "column", "fragment"), [
    ("SELECT Id FROM Lead WHERE Bogus__c = 1", 27, "No such column 'Bogus__c' on entity 'Lead'"),
    ("SELECT Id FROM Lead ORDER BY Nope", 30, "No such column 'Nope' on entity 'Lead'"),
    ("SELECT Id, Owner.Nope FROM Lead", 12, "No such column 'Nope' on entity 'Owner'"),
    ("SELECT Id, Nobody.Name FROM Lead", 12,
     "Didn't understand relationship 'Nobody' in field path"),
])
def test_unknown_fields(text: str, column: int, fragment: str) -> None:
    err = error(text)
    assert err.error_code == "INVALID_FIELD"
    assert f"ERROR at Row:1:Column:{column}\n{fragment}" in err.message


def test_unknown_field_on_later_row() -> None:
    err = error("SELECT Id\nFROM Lead\nWHERE  Bogus = 'x'")
    assert err.message.startswith("\nWHERE  Bogus = 'x'\n       ^\nERROR at Row:3:Column:8\n")


def test_invalid_type_error() -> None:
    err = parse("SELECT Id FROM Leed").invalid_type_error()
    assert err.error_code == "INVALID_TYPE"
    assert err.message.startswith("\nSELECT Id FROM Leed\n               ^\n"
                                  "ERROR at Row:1:Column:16\nsObject type 'Leed' is not "
                                  "supported.")


def test_field_names_and_types_are_case_insensitive() -> None:
    types = {"Id": "id", "LastName": "string", "Owner.Email": "email"}
    records = [{"Id": "a", "LastName": "X", "Owner": {"Email": "o@x"}},
               {"id": "b", "lastname": "x", "owner": {"email": "O@X"}},
               {"ID": "c", "LASTNAME": "y"}]
    q = parse("SELECT ID FROM LEAD WHERE lastname = 'x' AND OWNER.EMAIL = 'o@x'")
    q.check(types)
    assert [q.matches(r, types) for r in records] == [True, True, False]


def test_matches_compiles_on_first_use_and_when_types_change() -> None:
    q = parse("SELECT Id FROM Lead WHERE Score = 5")
    assert q.matches({"Score": 5}, {"id": "id", "score": "int"})
    # an equal mapping reuses the compiled predicate
    assert not q.matches({"Score": 6}, {"id": "id", "score": "int"})
    assert q.matches({"Score": 5.0}, {"id": "id", "score": "double"})  # new types: recompiled
    with pytest.raises(SoqlError):
        q.matches({"Score": "5"}, {"id": "id", "score": "string"})  # 5 is not a string literal
    with pytest.raises(SoqlError):
        q.matches({}, {})


# ------------------------------------------------------------------------------- ordering


def order(text: str, records: list[dict[str, Any]] | None = None,
          types: Mapping[str, str] = TYPES) -> list[str]:
    q = parse(text)
    q.check(types)
    return [r["Id"] for r in q.sort(RECORDS if records is None else records, types)]


@pytest.mark.parametrize(("order_by", "expected"), [
    ("LastName", ["L3", "L1", "L4", "L2"]),  # case-insensitive
    ("LastName ASC", ["L3", "L1", "L4", "L2"]),
    ("LastName DESC", ["L2", "L4", "L1", "L3"]),
    ("FirstName", ["L3", "L4", "L1", "L2"]),  # nulls ('' too) first, stable among them
    ("FirstName DESC", ["L2", "L1", "L3", "L4"]),  # descending puts nulls last
    ("FirstName ASC NULLS LAST", ["L1", "L2", "L3", "L4"]),
    ("FirstName DESC NULLS FIRST", ["L3", "L4", "L2", "L1"]),
    ("AnnualRevenue", ["L3", "L4", "L1", "L2"]),
    ("AnnualRevenue DESC", ["L2", "L1", "L4", "L3"]),
    ("NumberOfEmployees", ["L4", "L3", "L1", "L2"]),
    ("CreatedDate", ["L4", "L2", "L1", "L3"]),
    ("CreatedDate DESC NULLS FIRST", ["L4", "L3", "L1", "L2"]),
    ("ConvertedDate, CreatedDate DESC", ["L1", "L3", "L2", "L4"]),
    ("ConvertedDate DESC, Id DESC", ["L4", "L2", "L3", "L1"]),
    ("IsConverted DESC, LastName", ["L2", "L3", "L1", "L4"]),
    ("Owner.Name", ["L3", "L4", "L1", "L2"]),
    ("Status NULLS LAST", ["L3", "L1", "L2", "L4"]),
])
def test_order_by(order_by: str, expected: list[str]) -> None:
    assert order(f"SELECT Id FROM Lead ORDER BY {order_by}") == expected


def test_order_is_stable_and_by_utf8_of_upper_case() -> None:
    records = [{"Id": "1", "Name": "b"}, {"Id": "2", "Name": "_x"}, {"Id": "3", "Name": "B"},
               {"Id": "4", "Name": "a"}, {"Id": "5", "Name": "A"}]
    # upper-cased 'A'..'Z' sort before '_' (0x5F)
    assert order("SELECT Id FROM Lead ORDER BY Name", records, {"id": "id", "name": "string"}) \
        == ["4", "5", "1", "3", "2"]
    assert order("SELECT Id FROM Lead ORDER BY Name DESC", records,
                 {"id": "id", "name": "string"}) == ["2", "1", "3", "4", "5"]


def test_order_datetime_compares_instants() -> None:
    records = [{"Id": "a", "T": "2024-01-15T10:30:00.000+0000"},
               {"Id": "b", "T": "2024-01-15T11:00:00+02:00"},  # 09:00Z
               {"Id": "c", "T": "2024-01-15T05:00:00-05:00"}]  # 10:00Z
    assert order("SELECT Id FROM Lead ORDER BY T", records, {"id": "id", "t": "datetime"}) \
        == ["b", "c", "a"]


def test_no_order_by_keeps_input_order() -> None:
    assert order("SELECT Id FROM Lead") == ["L1", "L2", "L3", "L4"]


@given(st.lists(st.one_of(st.none(), st.text(alphabet="aAbB_ ", max_size=3)), max_size=30),
       st.booleans(), st.booleans())
def test_sort_matches_reference(values: list[str | None], asc: bool, nulls_first: bool) -> None:
    records = [{"Id": str(i), "Name": v} for i, v in enumerate(values)]
    clause = f"Name {'ASC' if asc else 'DESC'} NULLS {'FIRST' if nulls_first else 'LAST'}"
    got = order(f"SELECT Id FROM Lead ORDER BY {clause}", records,
                {"id": "id", "name": "string"})
    nulls = [r["Id"] for r in records if not r["Name"]]
    present = [r for r in records if r["Name"]]
    present.sort(key=lambda r: r["Name"].upper(), reverse=not asc)
    rest = [r["Id"] for r in present]
    assert got == (nulls + rest if nulls_first else rest + nulls)


# ------------------------------------------------------------------------------- execute


@pytest.mark.parametrize(("tail", "expected"), [
    ("ORDER BY Id", ["L1", "L2", "L3", "L4"]),
    ("ORDER BY Id LIMIT 2", ["L1", "L2"]),
    ("ORDER BY Id LIMIT 2 OFFSET 1", ["L2", "L3"]),
    ("ORDER BY Id OFFSET 3", ["L4"]),
    ("ORDER BY Id OFFSET 10", []),
    ("ORDER BY Id LIMIT 0", []),
    ("ORDER BY Id DESC LIMIT 1", ["L4"]),
    ("LIMIT 3", ["L1", "L2", "L3"]),
])
def test_limit_offset(tail: str, expected: list[str]) -> None:
    q = parse(f"SELECT Id FROM Lead {tail}")
    assert [r["Id"] for r in q.execute(RECORDS, TYPES)] == expected


def test_execute_filters_then_sorts_then_slices() -> None:
    q = parse("SELECT Id FROM Lead WHERE IsConverted = false ORDER BY LastName DESC "
              "LIMIT 2 OFFSET 1")
    assert [r["Id"] for r in q.execute(RECORDS, TYPES)] == ["L1", "L3"]


def test_count() -> None:
    q = parse("SELECT COUNT() FROM Lead WHERE Email != null")
    assert q.is_count and q.fields == []
    assert len(q.execute(RECORDS, TYPES)) == 3
    assert len(parse("SELECT COUNT() FROM Lead LIMIT 2").execute(RECORDS, TYPES)) == 2


def test_referenced_fields() -> None:
    q = parse("SELECT Id, Owner.Email FROM Lead WHERE (Status = 'x' OR Email LIKE 'a%') "
              "AND NOT CreatedDate = TODAY ORDER BY LastName, Owner.Name DESC")
    assert q.referenced_fields() == {"Id", "Owner.Email", "Status", "Email", "CreatedDate",
                                     "LastName", "Owner.Name"}
    assert parse("SELECT COUNT() FROM Lead").referenced_fields() == set()


# ------------------------------------------------------------------------------- malformed


@pytest.mark.parametrize(("text", "token"), [
    ("", "'<EOF>'"),
    ("SELECT", "'<EOF>'"),
    ("SELECT Id", "'<EOF>'"),
    ("SELECT Id FRM Lead", "'FRM'"),
    ("SELECT Id FROM", "'<EOF>'"),
    ("SELECT FROM Lead", "FROM"),
    ("SELECT Id, FROM Lead", "FROM"),
    ("SELECT Id Name FROM Lead", "'Name'"),
    ("SELECT Id FROM Lead WHERE", "'<EOF>'"),
    ("SELECT Id FROM Lead WHERE Name", "'<EOF>'"),
    ("SELECT Id FROM Lead WHERE Name =", "'<EOF>'"),
    ("SELECT Id FROM Lead WHERE Name = 'x' AND", "'<EOF>'"),
    ("SELECT Id FROM Lead WHERE (Name = 'x'", "'<EOF>'"),
    ("SELECT Id FROM Lead WHERE Name = 'x')", "')'"),
    ("SELECT Id FROM Lead WHERE Name == 'x'", "'='"),
    ("SELECT Id FROM Lead WHERE Name = \"x\"", "'\"x\"'"),
    ("SELECT Id FROM Lead WHERE Name = x", "'x'"),
    ("SELECT Id FROM Lead WHERE Name IN ()", "')'"),
    ("SELECT Id FROM Lead WHERE Name IN 'x'", "'x'"),
    ("SELECT Id FROM Lead WHERE Name IN ('x',)", "')'"),
    ("SELECT Id FROM Lead WHERE Name NOT LIKE 'x'", "LIKE"),
    ("SELECT Id FROM Lead WHERE 'x' = Name", "'x'"),
    ("SELECT Id FROM Lead WHERE CreatedDate > 2024-01-15T10:30:00", "'2024-01-15T10:30:00'"),
    ("SELECT Id FROM Lead WHERE CreatedDate > LAST_N_DAYS", "'<EOF>'"),
    ("SELECT Id FROM Lead WHERE CreatedDate > LAST_N_DAYS:-1", "'-1'"),
    ("SELECT Id FROM Lead WHERE CreatedDate > THIS_FISCAL_QUARTER", "'THIS_FISCAL_QUARTER'"),
    ("SELECT Id FROM Lead ORDER Name", "'Name'"),
    ("SELECT Id FROM Lead ORDER BY", "'<EOF>'"),
    ("SELECT Id FROM Lead ORDER BY Name NULLS", "'<EOF>'"),
    ("SELECT Id FROM Lead ORDER BY Name NULLS MIDDLE", "'MIDDLE'"),
    ("SELECT Id FROM Lead LIMIT", "'<EOF>'"),
    ("SELECT Id FROM Lead LIMIT -1", "'-1'"),
    ("SELECT Id FROM Lead LIMIT 1.5", "'1.5'"),
    ("SELECT Id FROM Lead LIMIT x", "'x'"),
    ("SELECT Id FROM Lead OFFSET 5 LIMIT 1", "LIMIT"),
    ("SELECT Id FROM Lead LIMIT 1 LIMIT 1", "LIMIT"),
    ("SELECT Id FROM Lead WHERE Name = 'x' ORDER BY Id WHERE", "WHERE"),
    ("SELECT Id FROM Lead, Contact", "','"),
    ("SELECT Id FROM Owner.Lead", "'Owner.Lead'"),
    ("SELECT COUNT(), Id FROM Lead", "','"),
    ("SELECT Id FROM Lead WHERE Name = 'x' #", "'#'"),
    ("SELECT Id FROM Lead WHERE Name = 'unterminated", None),
    ("SELECT COUNT(Id) FROM Lead", None),
    ("SELECT Id, (SELECT Id FROM Contacts) FROM Account", "'('"),
    ("SELECT Id FROM Lead WHERE Id IN (SELECT LeadId FROM Task)", None),
    ("SELECT Id FROM Lead WHERE Tags__c INCLUDES ('a')", None),
    ("SELECT Id FROM Lead WHERE CreatedDate > 2024-13-45", None),
    ("SELECT Id, id FROM Lead", None),
    ("UPDATE Lead SET Name = 'x'", "'UPDATE'"),
])
def test_malformed(text: str, token: str | None) -> None:
    with pytest.raises(SoqlError) as info:
        parse(text)
    assert info.value.error_code == "MALFORMED_QUERY"
    assert "\nERROR at Row:" in info.value.message
    if token is not None:
        assert info.value.message.endswith(f"unexpected token: {token}")


def test_duplicate_field_message() -> None:
    with pytest.raises(SoqlError) as info:
        parse("SELECT Id, Email, id FROM Lead")
    assert info.value.message.endswith("duplicate field selected: id")


def test_offset_above_2000_is_out_of_range() -> None:
    with pytest.raises(SoqlError) as info:
        parse("SELECT Id FROM Lead ORDER BY Id OFFSET 2001")
    assert info.value.error_code == "NUMBER_OUTSIDE_VALID_RANGE"
    assert info.value.message.endswith("Maximum SOQL offset allowed is 2000")


def test_error_str_carries_code() -> None:
    err = error("SELECT Id FRM Lead")
    assert str(err).startswith("MALFORMED_QUERY: ")
    assert err.args[0] == str(err)


# ------------------------------------------------------------------------------- performance


def test_a_query_over_100k_records_returns_exactly_the_matching_rows() -> None:
    rng = random.Random(7)
    records = [{"Id": f"00Q{i:015d}", "Email": f"u{i}@x.com" if i % 7 else None,
                "Status": rng.choice(["Open", "Working", "Closed"]),
                "CreatedDate": f"2024-01-{1 + i % 28:02d}T10:30:00.000+0000",
                "LastName": rng.choice(["Smith", "jones", "Brown", None]),
                "AnnualRevenue": rng.random() * 1e6, "IsConverted": i % 2 == 0,
                "Owner": {"Email": "o@x.com"} if i % 3 else None}
               for i in range(100_000)]
    q = parse("SELECT Id, Owner.Email FROM Lead WHERE (Status = 'open' OR Status IN "
              "('Working')) AND CreatedDate > 2024-01-10T00:00:00Z AND Email LIKE '%@x.com' "
              "AND IsConverted = false AND AnnualRevenue >= 1000 "
              "ORDER BY LastName DESC NULLS LAST, CreatedDate, Owner.Email LIMIT 50000")
    rows = q.execute(records, TYPES)
    expected = sum(1 for r in records
                   if r["Status"] in ("Open", "Working") and r["CreatedDate"] >= "2024-01-10"
                   and r["Email"] and not r["IsConverted"] and r["AnnualRevenue"] >= 1000)
    assert len(rows) == min(expected, 50000)
