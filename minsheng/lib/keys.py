"""A row's primary key before its INSERT, where the database can give one.

A value that carries the key (a case's number, ``131002-20261205-004211``) otherwise needs the
row written first and updated after: on a table with a dozen indexes that second write is a new
version of the row with a new entry in every index, on every filing (bench/open311_cluster_bench).
PostgreSQL hands out the key from the column's own sequence (``nextval``), so the row goes in
once with its number; SQLite, which has no sequences, keeps the insert-then-update.
"""

from __future__ import annotations

from django.db import connections, router
from django.db.models import Model

__all__ = ["reserve_pk"]


def reserve_pk(model: type[Model]) -> int | None:
    """The next key of `model`'s auto-incremented primary key from the database's sequence
    (PostgreSQL), or None where there is none to ask (the key then comes with the INSERT)."""
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        return None
    meta = model._meta
    with connection.cursor() as cur:
        cur.execute("SELECT nextval(pg_get_serial_sequence(%s, %s))",
                    [connection.ops.quote_name(meta.db_table), meta.pk.column])
        return cur.fetchone()[0]
