"""The home page puts what a citizen can still take part in first. An open day that is over
(and that staff never closed) no longer heads the list with 查看并报名, a button that led to
"报名已经结束"; it is listed under 已结束的活动, where its evaluation may still be open."""
import re
from datetime import timedelta

from tests.conftest import iso, now_utc
from tests.feedback_factories import started_slots


def card_of(page, title):
    """The event card holding ``title``."""
    return next(card for card in re.findall(r'<li class="card event-card">(.*?)</li>', page, re.S)
                if title in card)


def test_current_events_come_first_and_those_over_are_listed_apart(client, make_event):
    past_window = {"registration_opens_at": iso(now_utc() - timedelta(days=10)),
                   "registration_closes_at": iso(now_utc() - timedelta(days=4))}
    make_event(slug="last-week", title="上周的开放日", slots=started_slots(hours_ago=24 * 3),
               **past_window)
    make_event(slug="tomorrow", title="明天的开放日")
    page = client.get("/").get_data(as_text=True)
    assert page.index("明天的开放日") < page.index("已结束的活动") < page.index("上周的开放日")
    assert "查看并报名" in card_of(page, "明天的开放日")
    over = card_of(page, "上周的开放日")
    assert "查看并报名" not in over and "查看详情" in over


def test_an_event_not_yet_open_says_when_registration_opens(client, make_event):
    make_event(slug="next-month", title="下个月的开放日",
               registration_opens_at=iso(now_utc() + timedelta(days=3)),
               registration_closes_at=iso(now_utc() + timedelta(days=10)),
               slots=started_slots(hours_ago=-24 * 20))
    card = card_of(client.get("/").get_data(as_text=True), "下个月的开放日")
    assert "报名尚未开始" in card and "查看并报名" not in card and "查看详情" in card
    assert "已结束的活动" not in client.get("/").get_data(as_text=True)
