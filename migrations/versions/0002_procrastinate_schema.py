"""Procrastinate's job-queue schema (PostgreSQL only; embedded mode uses no Procrastinate).

The SQL is the one shipped by the installed Procrastinate (``SchemaManager.get_schema()``),
so this migration creates the schema of that version. When Procrastinate is upgraded, add a
migration applying its delta files (``SchemaManager.get_migrations_path()``) for the versions
in between, guarded like this one by the dialect.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Everything the schema creates, for the downgrade (types after the tables that use them).
_TABLES = (
    "procrastinate_events",
    "procrastinate_periodic_defers",
    "procrastinate_workers",
    "procrastinate_jobs",
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    from procrastinate.schema import SchemaManager

    # Straight to the DBAPI cursor with no parameters, so neither SQLAlchemy nor psycopg
    # parses the script's ':' and '%' characters; it runs as one multi-statement script.
    cursor = op.get_bind().connection.cursor()
    try:
        cursor.execute(SchemaManager.get_schema())
    finally:
        cursor.close()


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in _TABLES:
        op.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
    op.execute(
        """
        DO $$
        DECLARE item record;
        BEGIN
            FOR item IN SELECT p.oid::regprocedure AS signature FROM pg_proc p
                        JOIN pg_namespace n ON n.oid = p.pronamespace
                        WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate%'
            LOOP
                EXECUTE 'DROP FUNCTION IF EXISTS ' || item.signature || ' CASCADE';
            END LOOP;
            FOR item IN SELECT t.typname FROM pg_type t
                        JOIN pg_namespace n ON n.oid = t.typnamespace
                        WHERE n.nspname = current_schema() AND t.typname LIKE 'procrastinate%'
                          AND t.typtype IN ('e', 'c')
            LOOP
                EXECUTE 'DROP TYPE IF EXISTS ' || quote_ident(item.typname) || ' CASCADE';
            END LOOP;
        END $$;
        """
    )
