"""The ``kengen`` console command: a thin wrapper over Django's management commands.

kengen serve [addr:port]     run the web UI (development server, for `make demo`)
kengen serve --production [addr:port]
                             run the web UI for production (gunicorn; checks the configuration,
                             collects static files; default 127.0.0.1:8000; docs/operations.md)
kengen check --deploy        check the production configuration (exit 1 on errors)
kengen backup [PATH]         back up the database (and write PATH.json with the audit anchor)
kengen restore PATH          restore a backup, then verify the audit chain and its anchor
kengen demo [--serve]        load the Kitami demo profile (after migrate), print the sign-ins
kengen profile_load kitami   load only the regulation's tables (organizations, systems, 別表)
kengen migrate               apply database migrations
kengen audit verify [--anchor SEQ:HASH]   check the audit log's hash chain (exit 1 if broken)
kengen audit anchor          print the chain head to keep outside the database
kengen audit rotate-key      add a new audit key to KENGEN_AUDIT_KEYRING and sign new events with it
kengen run-due               close expired grants, apply scheduled personnel changes, send reminders
kengen person add|move|renew|end --staff-number N …   personnel changes (--preview prints the consequences)
kengen schedule list|cancel [ID]                       scheduled personnel changes (予定されている変更)
kengen role list|designate USER ROLE|end ID            designated roles (auditor, configurator, personnel)
kengen hr import FILE --effective DATE [--apply|--schedule] [--mapping NAME]   the HR wave (bulk changes)
kengen hr apply ID | kengen hr list                    apply a previewed HR list; list imports
kengen <any manage.py command>
"""

from __future__ import annotations

import os
import sys

ALIASES = {"serve": "runserver", "run-due": "run_due"}
DEFAULT_BIND = "127.0.0.1:8000"


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kengen.settings")
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        print(__doc__)
        return
    if args[0] == "serve" and "--production" in args:
        rest = [a for a in args[1:] if a != "--production"]
        if len(rest) > 1 or any(a.startswith("-") for a in rest):
            sys.exit("usage: kengen serve --production [addr:port]")
        from kengen.ops.server import serve_production

        serve_production(rest[0] if rest else os.environ.get("KENGEN_BIND", DEFAULT_BIND))
        return
    if args[0] == "audit" and len(args) > 1:
        args = [f"audit_{args[1].replace('-', '_')}", *args[2:]]
    args[0] = ALIASES.get(args[0], args[0])
    from django.core.management import execute_from_command_line

    execute_from_command_line(["kengen", *args])


if __name__ == "__main__":
    main()
