"""Chromium: the event form's slots as office staff meet them at a desk (1280 and 1920 px), on a
tablet (820 px) and on a phone (390 px). Each box is wide enough to read what is in it: a
slot's name, its capacity, 现场 or 线上, its place; every box of a slot is in sight, under
its name."""
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


@pytest.mark.parametrize("width, height", [(390, 844), (820, 1180), (1280, 800), (1920, 1080)])
def test_each_slot_box_shows_what_is_in_it(browser, live_server, tour, width, height):
    """Before: on a tablet the slot's name, place, link and note boxes were 20 px wide (one
    character, or none), 400 read 40 and 现场 read 现; at a desk the name showed 4 characters."""
    context, page = open_form(browser, live_server, width, height)
    try:
        assert page.evaluate(CLIPPED_BOXES) == []
        assert page.evaluate(NARROW_SELECTS) == []
        # The page keeps its width.
        scroll_width, viewport = page.evaluate(PAGE_WIDTH)
        assert scroll_width <= viewport
        # What is typed into the name box can be read as it is typed.
        page.fill("#slots-2-label", "周六上午场（亲子专场）")
        assert page.evaluate(CLIPPED_BOXES.replace('data-index="0"', 'data-index="2"')) == []
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / f"event-form-{width}.png"), full_page=True)
    finally:
        context.close()


# Each box of the first slot whose right edge is past its card's, or past the window's.
FIRST_SLOT_BOXES = ("document.querySelectorAll("
                    "'.slot-row[data-index=\"0\"] input:not([type=hidden]), .slot-row[data-index=\"0\"] select')")
BOXES_OFF_THE_CARD = """() => {
  const card = document.querySelector('.slot-row[data-index="0"]').getBoundingClientRect();
  return [...""" + FIRST_SLOT_BOXES + """]
    .filter(el => { const r = el.getBoundingClientRect();
                    return r.right > card.right + 1 || r.right > window.innerWidth || r.width < 40; })
    .map(el => el.id);
}"""

# The name shown above each box of the first slot.
VISIBLE_LABELS = """() => [...""" + FIRST_SLOT_BOXES + """]
  .map(el => { const label = document.querySelector(`label[for="${el.id}"]`);
               const r = label.getBoundingClientRect(), box = el.getBoundingClientRect();
               return r.width > 1 && r.height > 1 && r.bottom <= box.top + 1 ? label.textContent.trim() : null; })"""


@pytest.mark.parametrize("width, height", [(390, 844), (820, 1180), (1280, 800), (1920, 1080)])
def test_every_box_of_a_slot_is_in_sight_under_its_name(browser, live_server, tour, width, height):
    """Before: at a 1280 px desk the nine boxes of a slot stood in one table row wider than the
    form; the note (场次说明) and half the link were past the right edge, reached only by
    scrolling the row sideways."""
    context, page = open_form(browser, live_server, width, height)
    try:
        assert page.evaluate(BOXES_OFF_THE_CARD) == []
        assert page.evaluate(VISIBLE_LABELS) == ["场次代码", "场次名称", "开始时间", "结束时间", "名额",
                                                 "方式", "场次地点", "线上参与链接", "场次说明"]
        # Each slot is named for a screen reader too: the boxes of 场次 2 are in its group.
        assert page.get_by_role("group", name="场次 2").get_by_label("场次名称").count() == 1
    finally:
        context.close()
