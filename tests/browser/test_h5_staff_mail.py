"""Chromium: the mail outbox's failed messages on an office tablet (820 px) and at a desk:
a long address and a mail server's long answer do not squeeze the other columns into one
character a line."""
import pytest
from sqlalchemy import update

from app.models import OutboxMessage, Registration
from tests.browser.staff_sign_in import sign_in

ADDRESS = "zhangsan.songjiang.district@example-company.com.cn"
ERROR = ("SMTPRecipientsRefused: {'" + ADDRESS + "': (550, b'5.1.1 <" + ADDRESS + ">: Recipient "
         "address rejected: User unknown in virtual mailbox table')}")
# Cells of the first row and the header, and how many lines each one's text takes.
LINES = """() => [...document.querySelectorAll('#mail-troubled th, #mail-troubled tbody tr:first-child td')]
  .map(cell => {
    const range = document.createRange();
    range.selectNodeContents(cell);
    const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
    return [cell.textContent.trim().slice(0, 12), tops.size];
  })"""


@pytest.fixture
def failed_mail(db, make_event, make_registration, make_staff):
    make_staff("admin", "admin")
    event = make_event(slug="mail-day")
    person = make_registration(event, name="张三", phone="13900001111", email=ADDRESS)
    # A number as a busy office's (on PostgreSQL a long run's ids grew past one digit and the
    # type cell broke "报名 #57" over a third line).
    db.session.execute(update(Registration).where(Registration.id == person.id).values(id=1057))
    db.session.add(OutboxMessage(kind="confirmation", registration_id=1057, recipient=ADDRESS,
                                 subject="报名确认", body_text="…", status="failed", attempts=5,
                                 last_error=ERROR))
    db.session.commit()


@pytest.mark.parametrize("width, height", [(820, 1180), (1280, 800)])
def test_failed_mail_reads_across(browser, live_server, failed_mail, width, height):
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    page = context.new_page()
    try:
        sign_in(page, live_server)
        page.goto(f"{live_server}/staff/mail")
        lines = dict(page.evaluate(LINES))
        # Before, on a tablet: 类型 read 报/名/确/认 down the cell, 尝试次数 four lines.
        assert lines["尝试次数"] == 1 and lines["写入时间"] == 1
        kind = [n for text, n in lines.items() if text.startswith("报名确认")]
        assert len(kind) == 1 and kind[0] <= 2
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    finally:
        context.close()
