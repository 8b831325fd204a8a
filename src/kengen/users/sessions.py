"""Django's database sessions (``SESSION_ENGINE``), read with one plain SELECT.

The same table, the same rows and the same rules as ``django.contrib.sessions.backends.db``: a
session is found only by its key and only while it has not expired, so ending a session (sign-out,
a second-factor reset, ``user_session_forget``) deletes the row and the very next request is
anonymous. Only the read differs: every signed-in request loads its session, and Django's ORM spent
more Python building that one-line query than the database spent answering it.
"""

from __future__ import annotations

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import connections, router
from django.utils import timezone


class SessionStore(DatabaseSessionStore):
    def _get_session_from_db(self):
        model = self.model
        connection = connections[router.db_for_read(model)]
        table = connection.ops.quote_name(model._meta.db_table)
        now = connection.ops.adapt_datetimefield_value(timezone.now())  # as the ORM passes it
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT session_data FROM {table} WHERE session_key = %s AND expire_date > %s",  # noqa: S608 - the model's table
                [self.session_key, now],
            )
            row = cursor.fetchone()
        if row is None:
            self._session_key = None  # as Django does for a missing or expired session
            return None
        return model(session_key=self.session_key, session_data=row[0])
