"""The evaluation form names every slip at once: someone who ticked 我希望得到回复 without a
contact and forgot the overall rating is told both on the first try, not the contact only
after putting the rating right (a second round of errors, on a phone, in large text)."""
from tests.feedback_factories import started_slots


def test_a_missing_rating_and_a_missing_contact_are_said_together(client, make_event):
    event = make_event(slots=started_slots())
    response = client.post(f"/events/{event.slug}/feedback",
                           data={"wants_reply": "y", "contact": "  ", "comment": "排队太久"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "请选择一项评价。" in page
    assert "需要回复时，请留下联系方式。" in page
    assert "排队太久" in page  # what was written stays


def test_a_contact_without_a_reply_wanted_is_no_error(client, make_event):
    event = make_event(slots=started_slots())
    response = client.post(f"/events/{event.slug}/feedback", data={"overall": "4"})
    assert response.status_code == 303
