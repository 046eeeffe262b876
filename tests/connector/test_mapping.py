"""Mappings are data, checked at load and against what the systems describe."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadsync.connector.errors import ConfigError
from leadsync.connector.mapping import FieldRule, Skip, load_mapping
from leadsync.connector.models import FieldInfo
from leadsync.connector.transforms import TransformContext, TransformError

SHIPPED = Path(__file__).parents[2] / "mappings" / "hubspot_salesforce.toml"
HEADER = """version = 1
[objects]
marketing = "contacts"
crm = "Lead"
[match]
marketing = "email"
crm = "Email"
"""
CTX = TransformContext()


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "m.toml"
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def test_the_shipped_mapping_loads() -> None:
    mapping = load_mapping(SHIPPED)
    assert mapping.crm_object == "Lead" and mapping.match_crm == "Email"
    assert {"Email", "Company", "LastName", "OwnerId", "Status"} <= set(mapping.fields_of("crm"))


@pytest.mark.parametrize(("body", "message"), [
    ('[[fields]]\nmarketing = "email"\ncrm = "Email"\ndirection = "sideways"\n',
     r"m.toml:8: direction 'sideways' is not one of"),
    ('[[fields]]\nmarketing = "email"\ncrm = "Email"\ntransform = "lowr"\n',
     r"m.toml:8: transform 'lowr' .* \(did you mean 'lower'\?\)"),
    ('[[fields]]\nmarketing = "email"\n', r"m.toml:8: 'crm' must name a field"),
    ('[[fields]]\nmarketing = "email"\ncrm = "Email"\ndirecton = "both"\n',
     r"m.toml:8: unknown key 'directon' \(did you mean 'direction'\?\)"),
    ('[[fields]]\nmarketing = "a"\ncrm = "Status"\ndirection = "to_marketing"\n'
     '[fields.to_crm]\nx = "y"\n', r"m.toml:8: \[fields.to_crm\] is a value map for a direction"),
    ('[[fields]]\nmarketing = "a"\ncrm = "X"\n\n[[fields]]\nmarketing = "b"\ncrm = "X"\n',
     r"m.toml:12: crm field 'X' is already written by the rule at line 8"),
    ("", r"no \[\[fields\]\] tables"),
    ('[[fields]]\nmarketing = "a"\ncrm = "X"\nunmapped = "ignore"\n',
     r"m.toml:8: unmapped 'ignore' is not one of"),
    ('[[fields]]\nmarketing = "a"\ncrm = "X"\nconflict = "two_ways"\n',
     r"m.toml:8: conflict 'two_ways' is not one of .* \(did you mean 'two_way'\?\)"),
    ('[[fields]]\nmarketing = "a"\ncrm = "X"\ndirection = "to_crm"\nconflict = "always_crm"\n',
     r"m.toml:8: conflict 'always_crm' never writes the side direction 'to_crm' writes"),
])
def test_bad_mappings_are_refused_naming_the_line(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_mapping(write(tmp_path, body))


@pytest.mark.parametrize(("body", "conflict", "writes"), [
    ("", "two_way", {"marketing", "crm"}),
    ('direction = "to_crm"\n', "always_marketing", {"crm"}),
    ('direction = "to_marketing"\n', "always_crm", {"marketing"}),
    ('conflict = "prefer_crm_unless_blank"\n', "prefer_crm_unless_blank", {"marketing", "crm"}),
    ('conflict = "always_crm"\n', "always_crm", {"marketing"}),
    ('conflict = "fill_blank_only"\ndirection = "to_crm"\n', "fill_blank_only", {"crm"}),
    ('conflict = "dont_sync"\n', "dont_sync", set()),
])
def test_a_conflict_rule_defaults_to_what_the_direction_means_and_limits_the_sides_written(
        tmp_path: Path, body: str, conflict: str, writes: set[str]) -> None:
    [rule] = load_mapping(write(tmp_path, f'[[fields]]\nmarketing = "a"\ncrm = "X"\n{body}')).rules
    assert rule.conflict == conflict
    assert {side for side in ("marketing", "crm") if rule.flows_to(side)} == writes


def test_bad_toml_is_refused_with_its_position(tmp_path: Path) -> None:
    path = tmp_path / "m.toml"
    path.write_text("[objects\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"not valid TOML: .*line 1"):
        load_mapping(path)


def test_a_missing_file_is_a_config_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.toml: cannot read mapping file"):
        load_mapping(tmp_path / "nope.toml")


def test_unknown_fields_read_only_targets_and_bad_value_maps_are_found_against_describe(
        tmp_path: Path) -> None:
    mapping = load_mapping(write(tmp_path, (
        '[[fields]]\nmarketing = "emial"\ncrm = "Email"\n'
        '[[fields]]\nmarketing = "createdate"\ncrm = "Title"\n'
        '[[fields]]\nmarketing = "lifecyclestage"\ncrm = "Status"\ndirection = "to_crm"\n'
        '[fields.to_crm]\nlead = "Open"\n')))
    marketing = {"email": FieldInfo("email", "string"),
                 "createdate": FieldInfo("createdate", "datetime", updateable=False),
                 "lifecyclestage": FieldInfo("lifecyclestage", "enumeration")}
    crm = {"Email": FieldInfo("Email", "email"), "Title": FieldInfo("Title", "string"),
           "Status": FieldInfo("Status", "picklist", options=("Open - Not Contacted",))}
    problems = mapping.check_against(marketing, crm)
    assert any(":8: marketing field 'emial' does not exist (did you mean 'email'?)" in p
               for p in problems)
    assert any(":11: marketing field 'createdate' is read-only" in p for p in problems)
    assert any(":14: value map writes ['Open'] to crm field 'Status'" in p for p in problems)
    assert len(problems) == 3


def test_value_maps_defaults_and_unmapped_values() -> None:
    rule = FieldRule("lifecyclestage", "Status", "to_crm", to_crm={"lead": "Open"},
                     unmapped="error", default_to_crm="Open")
    assert rule.convert("lead", "crm", CTX) == "Open"
    assert rule.convert(None, "crm", CTX) == "Open"
    with pytest.raises(TransformError, match="'other' has no entry"):
        rule.convert("other", "crm", CTX)
    skipping = FieldRule("a", "b", "both", to_crm={"x": "y"}, unmapped="skip")
    with pytest.raises(Skip):
        skipping.convert("z", "crm", CTX)
    keeping = FieldRule("a", "b", "both", to_crm={"x": "y"}, unmapped="keep")
    assert keeping.convert("z", "crm", CTX) == "z"


def test_company_default_fills_an_empty_value_going_to_the_crm_only() -> None:
    rule = FieldRule("company", "Company", "both", transform="trim",
                     default_to_crm="[not provided]")
    assert rule.convert("   ", "crm", CTX) == "[not provided]"
    assert rule.convert("  Acme  Inc ", "crm", CTX) == "Acme Inc"
    assert rule.convert("", "marketing", CTX) is None
