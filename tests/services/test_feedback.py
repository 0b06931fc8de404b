"""Evaluation rules: when a ticket may evaluate, one per ticket, ranges, follow-ups, the
satisfaction rate on a known set of answers, invitations sent once."""
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.models import Feedback, FollowUp, OutboxMessage
from app.services import feedback as feedback_service
from app.services.errors import Conflict, InvalidData, NotAllowed
from tests.conftest import iso, now_utc
from tests.feedback_factories import answers, check_in, started_slots


@pytest.mark.parametrize("start, days, expected", [
    (date(2026, 11, 23), 1, date(2026, 11, 24)),   # Monday → Tuesday
    (date(2026, 11, 27), 1, date(2026, 11, 30)),   # Friday → Monday
    (date(2026, 11, 28), 1, date(2026, 11, 30)),   # Saturday → Monday
    (date(2026, 11, 23), 15, date(2026, 12, 14)),  # Monday + 15 working days = 3 weeks
    (date(2026, 11, 27), 15, date(2026, 12, 18)),  # Friday + 15 → Friday 3 weeks later
])
def test_add_working_days_skips_weekends(start, days, expected):
    assert feedback_service.add_working_days(start, days) == expected


@pytest.mark.parametrize("start, days, expected", [
    # National Day 2026: 1–7 October off; Sunday 20 September and Saturday 10 October are
    # make-up working days (State Council schedule).
    (date(2026, 9, 30), 1, date(2026, 10, 8)),     # the day before the holiday → after it
    (date(2026, 9, 18), 1, date(2026, 9, 20)),     # Friday → the make-up Sunday
    (date(2026, 10, 9), 1, date(2026, 10, 10)),    # Friday → the make-up Saturday
    (date(2026, 9, 25), 15, date(2026, 10, 22)),   # 15 working days across Golden Week
    # Spring Festival 2026: 15–23 February off, Saturday 14 and 28 February worked.
    (date(2026, 2, 13), 1, date(2026, 2, 14)),
    (date(2026, 2, 14), 1, date(2026, 2, 24)),
])
def test_working_days_follow_chinas_holidays_and_make_up_days(start, days, expected):
    assert feedback_service.add_working_days(start, days) == expected


def test_a_year_without_a_published_schedule_counts_monday_to_friday():
    far = date(2099, 6, 5)  # a Friday, decades beyond any published schedule
    assert far.weekday() == 4
    assert feedback_service.add_working_days(far, 1) == date(2099, 6, 8)


def test_ticket_cannot_evaluate_before_its_slot_starts(app, make_event, make_registration):
    event = make_event()  # slot tomorrow
    registration = make_registration(event)
    assert feedback_service.ticket_feedback_state(registration) == "not_yet"
    with pytest.raises(NotAllowed):
        feedback_service.submit(event, answers(4), registration=registration)


def test_one_evaluation_per_ticket(app, db, make_event, make_registration):
    event = make_event(slots=started_slots())
    registration = make_registration(event)
    feedback = feedback_service.submit(event, answers(3), registration=registration)
    db.session.commit()
    assert feedback.slot_id == registration.slot_id
    assert feedback_service.ticket_feedback_state(registration) == "done"
    with pytest.raises(Conflict) as error:
        feedback_service.submit(event, answers(4), registration=registration)
    assert "已经评价过" in str(error.value.message)
    db.session.rollback()
    assert db.session.execute(select(Feedback)).scalars().all() == [feedback]


def test_cancelled_ticket_cannot_evaluate(app, db, make_event, make_registration):
    from app.services.registration import cancel

    event = make_event(slots=started_slots())
    registration = make_registration(event)
    cancel(registration)
    db.session.commit()
    with pytest.raises(NotAllowed):
        feedback_service.submit(event, answers(4), registration=registration)


@pytest.mark.parametrize("bad", [
    {"overall": 5}, {"overall": 0}, {"overall": None},
    {"overall": 4, "topic_ratings": {"垃圾分类": 7}},
    {"overall": 4, "topic_ratings": {"不存在的项目": 3}},
    {"overall": 4, "comment": "长" * 2001},
    {"overall": 4, "wants_reply": True, "contact": ""},
])
def test_out_of_range_answers_are_refused(app, make_event, bad):
    event = make_event(slots=started_slots())
    with pytest.raises(InvalidData):
        feedback_service.submit(event, bad, browser_key="b")


def test_contact_kept_only_when_a_reply_is_wanted(app, make_event):
    event = make_event(slots=started_slots())
    quiet = feedback_service.submit(event, answers(4, contact="13900000000"), browser_key="a")
    loud = feedback_service.submit(event, answers(4, wants_reply=True, contact=" 13900000001 "),
                                   browser_key="b")
    assert quiet.contact is None
    assert loud.contact == "13900000001"


def test_same_browser_is_refused_kindly(app, make_event):
    event = make_event(slots=started_slots())
    feedback_service.submit(event, answers(4), browser_key="same")
    with pytest.raises(Conflict) as error:
        feedback_service.submit(event, answers(3), browser_key="same")
    assert "感谢" in str(error.value.message)
    feedback_service.submit(event, answers(3), browser_key="other")


def test_dissatisfied_overall_opens_a_follow_up_due_in_15_working_days(app, make_event):
    event = make_event(slots=started_slots())
    feedback = feedback_service.submit(event, answers(1, comment="排队太久"), browser_key="x")
    follow_up = feedback.follow_up
    assert follow_up is not None and follow_up.status == "open"
    today = feedback_service.local_today()
    assert follow_up.due_on == feedback_service.add_working_days(today, 15)
    assert (follow_up.due_on - today).days in (19, 20, 21)


def test_bottom_topic_rating_opens_a_follow_up(app, make_event):
    event = make_event(slots=started_slots())
    happy = feedback_service.submit(event, answers(4, {"垃圾分类": 2}), browser_key="a")
    unhappy = feedback_service.submit(event, answers(4, {"食堂餐饮节约": 1}), browser_key="b")
    assert happy.follow_up is None
    assert unhappy.follow_up is not None


def test_a_reply_request_opens_a_follow_up_even_when_satisfied(app, db, make_event):
    event = make_event(slots=started_slots())
    feedback = feedback_service.submit(
        event, answers(4, wants_reply=True, contact="13912345678"), browser_key="a")
    follow_up = feedback.follow_up
    assert follow_up is not None and follow_up.status == "open"
    assert follow_up.due_on == feedback_service.add_working_days(feedback_service.local_today(), 15)
    assert feedback_service.follow_up_reasons(feedback) == ["reply"]
    # Without a reply request a satisfied evaluation still needs nothing.
    quiet = feedback_service.submit(event, answers(4, contact="13900000000"), browser_key="b")
    assert quiet.follow_up is None and feedback_service.follow_up_reasons(quiet) == []


def test_dissatisfied_and_asking_for_a_reply_opens_one_follow_up(app, db, make_event):
    event = make_event(slots=started_slots())
    feedback = feedback_service.submit(
        event, answers(1, wants_reply=True, contact="a@example.com"), browser_key="a")
    assert feedback_service.follow_up_reasons(feedback) == ["dissatisfied", "reply"]
    again = feedback_service.open_follow_up(feedback)  # already opened: the same one
    assert again.id == feedback.follow_up.id
    assert len(db.session.execute(select(FollowUp)).scalars().all()) == 1


def test_contact_to_reveal(app, make_event):
    from app.services.errors import NotFound

    event = make_event(slots=started_slots())
    loud = feedback_service.submit(event, answers(4, wants_reply=True, contact="13912345678"),
                                   browser_key="a")
    quiet = feedback_service.submit(event, answers(4), browser_key="b")
    assert feedback_service.contact_to_reveal(loud) == "13912345678"
    with pytest.raises(NotFound):
        feedback_service.contact_to_reveal(quiet)
    with pytest.raises(NotFound):
        feedback_service.get_feedback(loud.id, event=make_event(slug="other"))


def test_closing_a_follow_up_needs_a_note(app, db, make_event, make_staff):
    staff = make_staff("clerk", "staff")
    event = make_event(slots=started_slots())
    follow_up = feedback_service.submit(event, answers(1), browser_key="x").follow_up
    with pytest.raises(InvalidData):
        feedback_service.close_follow_up(follow_up, note="  ", staff=staff)
    feedback_service.close_follow_up(follow_up, note="已电话回访并改进排队", staff=staff)
    db.session.commit()
    assert follow_up.status == "closed" and follow_up.closed_by_id == staff.id
    assert feedback_service.follow_up_counts() == {"open": 0, "overdue": 0}
    with pytest.raises(Conflict):
        feedback_service.close_follow_up(follow_up, note="again", staff=staff)


def test_overdue_follow_ups_are_listed(app, db, make_event):
    event = make_event(slots=started_slots())
    late = feedback_service.submit(event, answers(1), browser_key="a").follow_up
    fresh = feedback_service.submit(event, answers(1), browser_key="b").follow_up
    late.due_on = feedback_service.local_today() - timedelta(days=1)
    db.session.commit()
    assert feedback_service.follow_up_counts() == {"open": 2, "overdue": 1}
    overdue = [row[0] for row in feedback_service.follow_up_list("overdue")]
    assert overdue == [late]
    assert {row[0] for row in feedback_service.follow_up_list("open")} == {late, fresh}


def test_satisfaction_and_response_rate_on_a_known_set(app, db, make_event, make_registration):
    event = make_event(slots=started_slots())
    registrations = [make_registration(event) for _ in range(8)]
    for registration in registrations:
        check_in(registration)
    # 2 非常满意, 1 满意, 1 基本满意, 1 不满意 → (2+1+1)/5 = 80% satisfied.
    for registration, level in zip(registrations, [4, 4, 3, 2, 1], strict=False):
        feedback_service.submit(event, answers(level, {"垃圾分类": level}),
                                registration=registration)
    db.session.commit()
    results = feedback_service.event_results(event)
    assert results["responses"] == 5
    assert results["checked_in"] == 8
    assert results["response_rate"] == pytest.approx(5 / 8)
    assert results["satisfaction_rate"] == pytest.approx(0.8)
    assert "非常满意 + 满意 + 基本满意" in results["definition"]
    overall = results["questions"][0]["chart"]
    assert [b["count"] for b in overall["bars"]] == [2, 1, 1, 1]
    topic = next(q for q in results["questions"] if q["title"] == "垃圾分类")
    assert [b["count"] for b in topic["chart"]["bars"]] == [2, 1, 1, 1]
    slot_row = results["slots"][0]
    assert (slot_row["registered"], slot_row["checked_in"], slot_row["responses"]) == (8, 8, 5)
    assert slot_row["satisfaction_rate"] == pytest.approx(0.8)

    # Configurable: only 非常满意 and 满意 count as satisfied → 3/5.
    app.config["SATISFIED_LEVELS"] = (4, 3)
    try:
        results = feedback_service.event_results(event)
        assert results["satisfaction_rate"] == pytest.approx(0.6)
        assert "基本满意" not in results["definition"]
    finally:
        app.config["SATISFIED_LEVELS"] = (4, 3, 2)


def test_comment_search(app, make_event):
    event = make_event(slots=started_slots())
    feedback_service.submit(event, answers(4, comment="讲解很清楚"), browser_key="a")
    feedback_service.submit(event, answers(2, suggestions="希望增加停车位"), browser_key="b")
    feedback_service.submit(event, answers(3), browser_key="c")
    assert len(feedback_service.search_comments(event)) == 2
    # A request for a reply is listed too (staff see it there, masked).
    feedback_service.submit(event, answers(4, wants_reply=True, contact="13912345678"),
                            browser_key="d")
    assert len(feedback_service.search_comments(event)) == 3
    assert feedback_service.search_comments(event, "1391234") == []  # contacts are not searched
    found = feedback_service.search_comments(event, "停车")
    assert [f.suggestions for f in found] == ["希望增加停车位"]
    assert feedback_service.search_comments(event, "100%_") == []


def test_comment_search_finds_what_staff_read_not_a_masked_number(app, make_event):
    """Comments show phone numbers masked (138****5678): typing the whole number must not
    confirm that someone wrote it; the words and the digits staff see still find it."""
    event = make_event(slots=started_slots())
    feedback_service.submit(event, answers(2, comment="门口太挤，请回电13812345678"), browser_key="a")
    assert feedback_service.search_comments(event, "13812345678") == []
    assert feedback_service.search_comments(event, "1381234") == []
    assert len(feedback_service.search_comments(event, "请回电")) == 1
    assert len(feedback_service.search_comments(event, "5678")) == 1


def test_invitations_go_out_once_after_the_slot_ends(app, db, make_event, make_registration):
    start = now_utc() - timedelta(hours=3)
    event = make_event(slots=[{"key": "am", "label": "上午场", "starts_at": iso(start),
                               "ends_at": iso(start + timedelta(hours=2)), "capacity": 10}])
    with_mail = make_registration(event, email="zhang@example.com")
    check_in(with_mail)
    check_in(make_registration(event))  # no e-mail: nobody to write to
    evaluated = make_registration(event, email="li@example.com")
    check_in(evaluated)
    make_registration(event, email="absent@example.com")  # never came: not thanked for coming
    feedback_service.submit(event, answers(4), registration=evaluated)
    db.session.commit()

    assert feedback_service.invite_due() == 1
    db.session.commit()
    assert feedback_service.invite_due() == 0
    messages = db.session.execute(select(OutboxMessage)).scalars().all()
    assert [(m.kind, m.recipient) for m in messages] == [("feedback_invite", "zhang@example.com")]
    assert f"/tickets/{with_mail.token}/feedback" in messages[0].body_text
    assert "15 个工作日" in messages[0].body_text
    assert with_mail.feedback_invited_at is not None


def test_no_invitation_before_the_slot_ends(app, db, make_event, make_registration):
    event = make_event(slots=started_slots(hours_ago=1, length=2))
    make_registration(event, email="zhang@example.com")
    assert feedback_service.invite_due() == 0
    assert db.session.execute(select(FollowUp)).first() is None


def test_feedback_invite_command(app, db, runner, make_event, make_registration):
    start = now_utc() - timedelta(hours=3)
    event = make_event(slots=[{"key": "am", "label": "上午场", "starts_at": iso(start),
                               "ends_at": iso(start + timedelta(hours=2)), "capacity": 10}])
    check_in(make_registration(event, email="zhang@example.com"))
    db.session.remove()
    first = runner.invoke(args=["feedback", "invite"])
    assert first.exit_code == 0, first.output
    assert "queued 1 " in first.output
    assert "queued 0 " in runner.invoke(args=["feedback", "invite"]).output


def test_the_mail_worker_runs_the_invitation_job(app, db, make_event, make_registration):
    from app.services.mail import PERIODIC_JOBS, run_periodic_jobs

    assert feedback_service.invite_job in PERIODIC_JOBS
    start = now_utc() - timedelta(hours=3)
    event = make_event(slots=[{"key": "am", "label": "上午场", "starts_at": iso(start),
                               "ends_at": iso(start + timedelta(hours=2)), "capacity": 10}])
    check_in(make_registration(event, email="zhang@example.com"))
    run_periodic_jobs()
    kinds = db.session.execute(select(OutboxMessage.kind)).scalars().all()
    assert kinds.count("feedback_invite") == 1


def test_poster_evaluations_belong_to_the_slot_at_the_venue(app, db, make_event):
    start = now_utc() - timedelta(hours=9)
    slots = [{"key": "early", "label": "早场", "starts_at": iso(start),
              "ends_at": iso(start + timedelta(hours=1)), "capacity": 10},
             {"key": "late", "label": "晚场", "starts_at": iso(start + timedelta(hours=8)),
              "ends_at": iso(start + timedelta(hours=10)), "capacity": 10}]
    event = make_event(slots=slots)
    late = event.slot_by_key("late")
    assert feedback_service.slot_at_venue(event).id == late.id
    assert feedback_service.slot_at_venue(event, now=start + timedelta(minutes=30)).key == "early"
    # Long after the early slot and before the late one: no slot to attribute it to.
    assert feedback_service.slot_at_venue(event, now=start + timedelta(hours=6)) is None
    feedback = feedback_service.submit(event, answers(4), browser_key="x")
    assert feedback.slot_id == late.id
    results = feedback_service.event_results(event)
    assert [(r["label"], r["responses"]) for r in results["slots"]] == [("早场", 0), ("晚场", 1)]


def test_poster_evaluation_outside_any_slot_is_listed_apart(app, db, make_event):
    event = make_event(slots=started_slots(hours_ago=8, length=1))
    feedback = feedback_service.submit(event, answers(3), browser_key="x")
    assert feedback.slot_id is None
    rows = feedback_service.event_results(event)["slots"]
    assert rows[-1]["label"] == "现场扫码（未关联场次）" and rows[-1]["responses"] == 1


def test_an_online_slots_ticket_holders_are_invited_without_a_check_in(app, db, make_event,
                                                                         make_registration):
    """An online slot has no door to check in at: whoever held its ticket is invited."""
    start = now_utc() - timedelta(hours=3)
    event = make_event(slots=[{"key": "web", "label": "线上场", "starts_at": iso(start),
                               "ends_at": iso(start + timedelta(hours=2)), "capacity": 10,
                               "mode": "online", "join_url": "https://live.example.com/x"}])
    make_registration(event, email="online@example.com")
    assert feedback_service.invite_due() == 1
    db.session.commit()
    recipients = db.session.execute(select(OutboxMessage.recipient)).scalars().all()
    assert recipients == ["online@example.com"]
