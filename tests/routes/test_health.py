"""/healthz answers 200 when the database and Redis answer, 503 when one is down."""
import socket

import pytest

from tests.conftest import free_port


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["database"] == "ok"


def test_healthz_503_when_the_database_is_not_migrated(make_app, tmp_path):
    """A database that answers but was never upgraded (or is behind the code): every page
    would fail, so the load balancer must not send people there."""
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    app = make_app(DATABASE_URL=url, SQLALCHEMY_DATABASE_URI=url)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "not_migrated"


def test_healthz_503_when_the_database_is_unreachable(make_app):
    port = free_port()  # nothing listens there
    url = f"postgresql://postgres@127.0.0.1:{port}/test"
    app = make_app(DATABASE_URL=url, SQLALCHEMY_DATABASE_URI=url.replace(
        "postgresql://", "postgresql+psycopg://") + "?connect_timeout=2")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "down"


def _redis_up():
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not _redis_up(), reason="Redis is not running on 127.0.0.1:6379")
def test_healthz_checks_redis_when_configured(make_app, app):
    good = make_app(REDIS_URL="redis://127.0.0.1:6379/0")
    assert good.test_client().get("/healthz").status_code == 200
    bad = make_app(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    response = bad.test_client().get("/healthz")
    assert response.status_code == 503 and response.get_json()["redis"] == "down"


@pytest.fixture
def schema_version(app, db):
    """Set the database's recorded migration for one test; put the real one back after."""
    from sqlalchemy import text

    real = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()

    def set_version(version):
        db.session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": version})
        db.session.commit()

    yield set_version
    set_version(real)


def test_healthz_stays_200_on_an_old_host_once_the_database_is_upgraded(client,
                                                                         schema_version):
    """An upgrade runs `flask db upgrade` first, then restarts the hosts one by one: until
    its restart, a host still running the old code must stay in the load balancer."""
    schema_version("9999_from_the_next_release")
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["database"] == "ok"


def test_healthz_503_when_the_database_is_behind_the_code(client, schema_version):
    schema_version("0001")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "not_migrated"


def _read_only_url(database_url):
    """The session's database, through a connection that may read but not write."""
    if database_url.startswith("sqlite:///"):
        return f"sqlite:///file:{database_url.removeprefix('sqlite:///')}?mode=ro&uri=true"
    return database_url.replace("postgresql://", "postgresql+psycopg://", 1) + (
        "&" if "?" in database_url else "?") + "options=-c%20default_transaction_read_only%3Don"


def test_healthz_503_when_the_database_refuses_writes(make_app, database_url, client):
    """Before: a database that answered reads but refused writes (a backup restored
    read-only, a PostgreSQL standby after a failover) passed the check; the host stayed in
    the load balancer and refused every registration."""
    url = _read_only_url(database_url)
    app = make_app(SQLALCHEMY_DATABASE_URI=url)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "read_only"
    # The same database through a normal connection is fine, and the probe changed nothing.
    assert client.get("/healthz").status_code == 200
