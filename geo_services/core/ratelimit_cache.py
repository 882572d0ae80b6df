"""The rate-limit counters' cache: Django's database cache with an atomic add and increment.

django-ratelimit counts with `cache.add(key, 1)` and then `cache.incr(key)`. Django's database cache
does both as a read followed by a write, so two workers counting the same key at once can both read
n and both write n + 1 (a request not counted), and two first requests can collide on the insert.
Here `add` is one INSERT … ON CONFLICT statement and `incr` reads the row with FOR UPDATE, so
concurrent requests queue on the row and every one is counted. Values keep Django's format (pickled,
base64), so `get`, `set` and `clear` are Django's own.
"""

from __future__ import annotations

import base64
import pickle
from datetime import UTC, datetime
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.db import DatabaseCache
from django.db import connections, router, transaction
from django.utils import timezone


class AtomicDatabaseCache(DatabaseCache):
    def __init__(self, table: str, params: dict[str, Any]) -> None:
        super().__init__(table, params)
        self.table_name = table

    def _encode(self, value: Any) -> str:
        return base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")

    def _expiry(self, timeout: Any) -> datetime:
        expires_at = self.get_backend_timeout(timeout)
        if expires_at is None:
            return datetime.max.replace(tzinfo=UTC)
        return datetime.fromtimestamp(expires_at, tz=UTC).replace(microsecond=0)

    def add(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        table = connection.ops.quote_name(self.table_name)
        now = timezone.now().replace(microsecond=0)
        with connection.cursor() as cursor:
            # Counters of past windows are never read again; removing them here keeps the table
            # as small as the number of clients counted now (the expires column is indexed).
            cursor.execute(f"DELETE FROM {table} WHERE expires < %s", [now])  # noqa: S608 - table: a setting, quoted
            # A row that exists and has not expired wins; an expired one is replaced.
            insert = (
                f"INSERT INTO {table} (cache_key, value, expires) VALUES (%s, %s, %s) "  # noqa: S608 - as above
                f"ON CONFLICT (cache_key) DO UPDATE SET value = EXCLUDED.value, expires = EXCLUDED.expires "
                f"WHERE {table}.expires < %s"
            )
            cursor.execute(insert, [key, self._encode(value), self._expiry(timeout), now])
            return cursor.rowcount == 1

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        key = self.make_and_validate_key(key, version=version)
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        table = connection.ops.quote_name(self.table_name)
        now = timezone.now().replace(microsecond=0)
        with transaction.atomic(using=db), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT value FROM {table} WHERE cache_key = %s AND expires >= %s FOR UPDATE",  # noqa: S608 - as above
                [key, now],
            )
            row = cursor.fetchone()
            if row is None:
                raise ValueError(f"Key '{key}' not found")
            # Written by this cache only (Django's database cache unpickles its rows the same way).
            value = pickle.loads(base64.b64decode(row[0].encode())) + delta  # noqa: S301
            cursor.execute(
                f"UPDATE {table} SET value = %s WHERE cache_key = %s",  # noqa: S608 - as above
                [self._encode(value), key],
            )
        return int(value)
