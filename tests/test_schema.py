"""The migrations produce exactly the models' schema, on SQLite and on PostgreSQL."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.extensions import db

# SQLite cannot reflect an index on an expression (staff_user's lower(username)), so alembic
# skips comparing it there and says so; PostgreSQL compares it, and
# tests/routes/test_accounts_name_case.py proves the index holds on both.
pytestmark = [
    pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index"),
    pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based"),
]

def test_migrations_match_models(app):
    # The session's database was built by `flask db upgrade` (see conftest).
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == [], f"models and migrations differ: {diff}"


def test_schema_check_detects_a_model_change(app):
    """The comparison is not vacuous: a column missing from the migrations is reported."""
    from sqlalchemy import Column, Integer, MetaData, Table

    metadata = MetaData()
    for table in db.metadata.sorted_tables:
        table.to_metadata(metadata)
    Table("event", metadata, Column("not_migrated", Integer), extend_existing=True)
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, metadata)
    assert any(d[0] == "add_column" and d[3].name == "not_migrated" for d in diff)
