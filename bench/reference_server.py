"""The raw reference for bench/load.py: gunicorn with ``kengen serve --production``'s settings
(``kengen.ops.server.server_options``: the same workers, threads, keep-alive, access log and log
configuration) serving one fixed HTML page for every path from a trivial WSGI function — no Django
request handling, no session, no database. What the server, the kernel's loopback and the load
generator cost on this machine, beside which Kengen's figures are read.

    python bench/reference_server.py PAGE_FILE 127.0.0.1:PORT

Started by ``bench/load.py --start-server`` (``--no-reference`` skips it). Not a test.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from gunicorn.app.base import BaseApplication


class ReferenceServer(BaseApplication):
    def __init__(self, options: dict, page: bytes):
        self.options = options
        self.page = page
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        page = self.page
        headers = [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(page)))]

        def application(environ, start_response):
            start_response("200 OK", headers)
            return [page]

        return application


def main() -> None:
    page_file, bind = sys.argv[1], sys.argv[2]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kengen.settings")
    import django

    django.setup()  # Kengen's LOGGING: the access line is written as Kengen's is
    from kengen.ops.server import server_options

    options = server_options(bind)
    options["proc_name"] = "kengen-reference"
    ReferenceServer(options, Path(page_file).read_bytes()).run()


if __name__ == "__main__":
    main()
