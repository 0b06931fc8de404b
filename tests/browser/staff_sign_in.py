"""Signing in on the staff login page, as a person does, for the browser tests."""
from tests.conftest import ADMIN_PASSWORD


def sign_in(page, base, username="admin", password=ADMIN_PASSWORD):
    """Sign in through the login form and wait for the events list it leads to."""
    page.goto(f"{base}/staff/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/staff/events")
