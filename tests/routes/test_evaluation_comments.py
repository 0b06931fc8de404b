"""The results page lists the newest comments only; when there are more, it says so (a
leader reading 200 of 350 comments took them for all)."""
from app.services import feedback as feedback_service
from tests.feedback_factories import answers, started_slots


def comment_items(page):
    return page.count('class="card comment"')


def test_the_results_page_says_when_it_lists_only_the_newest_comments(
        client, auth, db, make_event, monkeypatch):
    monkeypatch.setattr(feedback_service, "COMMENTS_SHOWN", 3)
    event = make_event(slots=started_slots())
    for n in range(4):
        feedback_service.submit(event, answers(4, comment=f"第{n}条：停车方便"),
                                browser_key=f"phone-{n}")
    db.session.commit()
    auth.login("staff")
    page = client.get(f"/staff/events/{event.slug}/results").get_data(as_text=True)
    assert comment_items(page) == 3
    assert "这里只列出最新的 3 条，全部意见和建议请导出评价表格。" in page
    assert "第0条" not in page  # the oldest is the one left out
    found = client.get(f"/staff/events/{event.slug}/results?q=停车").get_data(as_text=True)
    assert comment_items(found) == 3 and 'id="comments-cut"' in found
    few = client.get(f"/staff/events/{event.slug}/results?q=第1条").get_data(as_text=True)
    assert comment_items(few) == 1 and 'id="comments-cut"' not in few


def test_no_such_note_when_every_comment_is_listed(client, auth, db, make_event):
    event = make_event(slots=started_slots())
    feedback_service.submit(event, answers(3, comment="讲解清楚"), browser_key="only")
    db.session.commit()
    auth.login("staff")
    page = client.get(f"/staff/events/{event.slug}/results").get_data(as_text=True)
    assert comment_items(page) == 1 and 'id="comments-cut"' not in page
