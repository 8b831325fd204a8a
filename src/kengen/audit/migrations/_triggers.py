"""The append-only triggers' SQL, shared by the migrations that must put them back on SQLite."""

import importlib

SQLITE = importlib.import_module("kengen.audit.migrations.0003_append_only_triggers").SQLITE
