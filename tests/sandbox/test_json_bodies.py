"""The emulators' JSON: orjson where it can, the standard library for what orjson refuses, the
same documents either way."""

from __future__ import annotations

import json

import pytest

from leadsync.sandbox.http import json_response, parse_json


def test_an_answer_is_compact_json_of_the_body() -> None:
    body = {"records": [{"Id": "00Q1", "Email": "zoë@example.com", "AnnualRevenue": 1.5,
                         "IsConverted": False, "Owner": None}], "done": True}
    answer = json_response(body, status=201, headers={"Sforce-Limit-Info": "api-usage=1/15000"})
    assert (answer.status_code, answer.headers["Sforce-Limit-Info"]) == (201, "api-usage=1/15000")
    assert answer.content_type == "application/json;charset=UTF-8"
    assert json.loads(answer.get_data()) == body
    assert b" " not in answer.get_data().replace("zoë".encode(), b"")  # compact


def test_what_orjson_refuses_is_written_by_the_standard_library() -> None:
    body = {"big": 2**70, 7: "a key that is not a string"}
    assert json.loads(json_response(body).get_data()) == {"big": 2**70, "7": body[7]}


def test_no_body_is_an_empty_answer() -> None:
    assert json_response(None, status=204).get_data() == b""


def test_a_request_body_orjson_refuses_but_json_accepts_is_read() -> None:
    assert parse_json('{"n": 1180591620717411303424, "x": NaN}')["n"] == 2**70


def test_a_request_body_that_is_not_json_raises_with_its_line_and_column() -> None:
    with pytest.raises(json.JSONDecodeError) as failed:
        parse_json('{\n  "a": ,\n}')
    assert (failed.value.lineno, failed.value.colno) == (2, 8)
