"""The check-in screen reopens without the network: a steward who reloads it, or whose phone
closed the tab, while the lobby's network is down still has the screen, its list and its
queue, and the queue reaches the server when the network is back."""
import threading

import pytest
from sqlalchemy import select
from werkzeug.serving import WSGIRequestHandler, make_server

from app.models import CheckIn
from tests.browser.test_checkin_screen import login
from tests.conftest import free_port

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


class OneRequestPerConnection(WSGIRequestHandler):
    # HTTP/1.0: no connection outlives the server, so "stopped" means unreachable.
    protocol_version = "HTTP/1.0"


class Server:
    """The app on a fixed loopback port that the test can stop and start again."""

    def __init__(self, app):
        self.app, self.port = app, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        app.config["BASE_URL"] = self.url
        self.start()

    def start(self):
        self.running = True
        self.server = make_server("127.0.0.1", self.port, self.app, threaded=True,
                                  request_handler=OneRequestPerConnection)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        if not self.running:
            return  # shutdown() would wait forever for a loop that is not running
        self.running = False
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


def test_the_screen_reopens_without_the_network_and_its_scans_sync_later(
        app, browser, db, door_day):
    number, ticket_id = door_day
    server = Server(app)
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    try:
        login(page, server.url)
        page.goto(f"{server.url}/staff/events/door-day/checkin")
        page.fill("#gate-input", "北门")
        page.locator("#checkin[data-list-size='2'][data-offline-ready='1']").wait_for()

        server.stop()  # the lobby's network goes down
        page.reload()
        page.locator("#checkin[data-event='door-day']").wait_for()
        assert "北门" == page.input_value("#gate-input")  # the gate is remembered
        page.click("#result")  # gives the focus back to the scanner input, a moment later
        for _ in range(50):
            if page.evaluate("() => document.activeElement.id") == "scan-input":
                break
            page.wait_for_timeout(100)
        page.keyboard.type(number)
        page.keyboard.press("Enter")
        page.locator("#result.ck-ok").wait_for()
        assert "签到成功" in page.locator("#result").inner_text()
        page.locator("#checkin[data-queued='1']").wait_for()
        assert db.session.scalars(select(CheckIn)).all() == []
        db.session.rollback()

        server.start()  # the network is back: the queued scan reaches the server
        page.locator("#checkin[data-online='1'][data-queued='0']").wait_for(timeout=20000)
        row = db.session.execute(select(CheckIn).where(CheckIn.registration_id == ticket_id)
                                 ).scalar_one()
        assert row.source == "offline" and row.gate == "北门"
        db.session.rollback()
    finally:
        context.close()
        server.stop()
