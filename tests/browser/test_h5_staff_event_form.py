"""Chromium: the event form's slot rows as office staff meet them at a desk (1280 and 1920 px)
and on a tablet (820 px). Each box is wide enough to read what is in it: a slot's name, its
capacity, 现场 or 线上, its place; a row wider than the form scrolls inside its own box."""
from datetime import timedelta
from pathlib import Path

import pytest

from tests.browser.staff_sign_in import sign_in
from tests.conftest import now_utc

# Each text box of the first slot row, and whether its whole value is in sight.
CLIPPED_BOXES = """() => [...document.querySelectorAll('.slot-row[data-index="0"] input:not([type=hidden])')]
  .filter(el => el.type !== 'datetime-local' && el.id.indexOf('join_url') < 0)
  .filter(el => el.scrollWidth > el.clientWidth + 1)
  .map(el => `${el.id} ${el.scrollWidth}>${el.clientWidth}`)"""
# A select too narrow for the option it shows (its text, its padding and the arrow).
NARROW_SELECTS = """() => [...document.querySelectorAll('.slot-row select')].filter(sel => {
  const s = getComputedStyle(sel);
  const ctx = document.createElement('canvas').getContext('2d');
  ctx.font = `${s.fontWeight} ${s.fontSize} ${s.fontFamily}`;
  const text = ctx.measureText(sel.options[sel.selectedIndex].text).width;
  return sel.clientWidth < text + parseFloat(s.paddingLeft) + 20;
}).map(sel => `${sel.id} ${sel.clientWidth}`)"""
PAGE_WIDTH = "[document.documentElement.scrollWidth, window.innerWidth]"
SHOTS = Path("/tmp/h5shots")  # to look at, not the README's


@pytest.fixture
def tour(make_event, make_staff):
    make_staff("admin", "admin")
    start = now_utc() + timedelta(days=3)
    make_event(slug="tour", title="公共机构节能宣传周开放日", slots=[
        {"key": "am", "label": "上午场（线下参观）", "starts_at": start.isoformat(),
         "ends_at": (start + timedelta(hours=2)).isoformat(), "capacity": 400, "mode": "onsite",
         "location": "区行政中心一号楼大厅"},
        {"key": "live", "label": "下午场（线上直播）", "starts_at": (start + timedelta(hours=4)).isoformat(),
         "ends_at": (start + timedelta(hours=6)).isoformat(), "capacity": 1000, "mode": "online",
         "join_url": "https://live.example.com/openday"}])


def open_form(browser, live_server, width, height):
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN",
                                  has_touch=width < 1000)
    page = context.new_page()
    sign_in(page, live_server)
    page.goto(f"{live_server}/staff/events/tour/edit")
    return context, page


@pytest.mark.parametrize("width, height", [(820, 1180), (1280, 800), (1920, 1080)])
def test_each_slot_box_shows_what_is_in_it(browser, live_server, tour, width, height):
    """Before: on a tablet the slot's name, place, link and note boxes were 20 px wide (one
    character, or none), 400 read 40 and 现场 read 现; at a desk the name showed 4 characters."""
    context, page = open_form(browser, live_server, width, height)
    try:
        assert page.evaluate(CLIPPED_BOXES) == []
        assert page.evaluate(NARROW_SELECTS) == []
        # The page keeps its width: a wide row scrolls inside its box.
        scroll_width, viewport = page.evaluate(PAGE_WIDTH)
        assert scroll_width <= viewport
        # What is typed into the name box can be read as it is typed.
        page.fill("#slots-2-label", "周六上午场（亲子专场）")
        assert page.evaluate(CLIPPED_BOXES.replace('data-index="0"', 'data-index="2"')) == []
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / f"event-form-{width}.png"), full_page=True)
    finally:
        context.close()


def test_a_wide_screen_shows_the_whole_slot_row(browser, live_server, tour):
    """On a 1920 px screen the row fits: no box hidden past the right edge of the form."""
    context, page = open_form(browser, live_server, 1920, 1080)
    try:
        box = page.locator(".event-form .table-scroll")
        assert box.evaluate("b => b.scrollWidth <= b.clientWidth")
    finally:
        context.close()
