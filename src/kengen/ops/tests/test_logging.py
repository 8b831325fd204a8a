"""KENGEN_LOG_FORMAT=json: one JSON object per line, without query strings or request bodies."""

from __future__ import annotations

import json
import logging

from django.test import RequestFactory

from kengen.ops.logging import JsonFormatter


def _record(msg="hello %s", args=("world",), **extra) -> logging.LogRecord:
    record = logging.LogRecord("kengen.test", logging.WARNING, __file__, 1, msg, args, None)
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def test_a_record_becomes_one_json_line_with_its_extra_fields():
    line = JsonFormatter().format(_record(status=200, path="/people/"))
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "WARNING"
    assert entry["logger"] == "kengen.test"
    assert entry["message"] == "hello world"
    assert entry["status"] == 200
    assert entry["path"] == "/people/"
    assert entry["time"].endswith("+00:00")


def test_a_request_is_logged_as_method_and_path_without_the_query_string():
    request = RequestFactory().post("/credentials/x/?token=abc123", {"password": "hunter2hunter2"})
    entry = json.loads(JsonFormatter().format(_record(request=request, status_code=500)))
    assert entry["method"] == "POST"
    assert entry["path"] == "/credentials/x/"
    assert "abc123" not in json.dumps(entry)
    assert "hunter2" not in json.dumps(entry)


def test_exceptions_are_included():
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record = _record()
        record.exc_info = sys.exc_info()
    entry = json.loads(JsonFormatter().format(record))
    assert "ValueError: boom" in entry["exception"]


def test_the_json_format_is_chosen_by_the_environment(settings_under):
    values = settings_under(["LOGGING"], KENGEN_LOG_FORMAT="json")
    assert values["LOGGING"]["handlers"]["console"]["formatter"] == "json"


def test_an_unknown_log_format_is_refused(settings_under):
    values = settings_under(["LOGGING"], KENGEN_LOG_FORMAT="xml")
    assert values["error"] == "ImproperlyConfigured: KENGEN_LOG_FORMAT must be text or json, not 'xml'"
