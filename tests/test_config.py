"""Settings read from the environment when the app is made (CONTRACT §2)."""
import pytest


@pytest.mark.parametrize("name, value, said", [
    ("PRIVACY_RETENTION_DAYS", "abc", "PRIVACY_RETENTION_DAYS must be a whole number, not 'abc'"),
    ("PRIVACY_RETENTION_DAYS", "-5", "PRIVACY_RETENTION_DAYS must be at least 0, not -5"),
    ("PROXY_COUNT", "one", "PROXY_COUNT must be a whole number"),
    ("MAIL_PORT", "0", "MAIL_PORT must be at least 1"),
])
def test_a_wrong_number_in_the_environment_is_named(monkeypatch, database_url, name, value, said):
    from app import create_app

    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError) as refused:
        create_app("development")
    assert said in str(refused.value)


def test_a_retention_in_the_environment_is_taken(monkeypatch, database_url):
    from app import create_app

    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SECRET_KEY", "k")
    monkeypatch.setenv("PRIVACY_RETENTION_DAYS", " 45 ")
    assert create_app("development").config["PRIVACY_RETENTION_DAYS"] == 45
