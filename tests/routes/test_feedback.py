"""The evaluation pages of CONTRACT §4, the poster, and the staff pages for results,
follow-ups and the report."""
import io

import pytest
from sqlalchemy import select

from app.models import AuditLog, Feedback, FollowUp
from app.services import feedback as feedback_service
from tests.feedback_factories import answers, check_in, started_slots


def form_data(**fields):
    data = {"overall": "3", "topic_0": "4", "topic_1": "", "comment": "讲解清楚",
            "suggestions": "", "come_again": "yes"}
    data.update(fields)
    return data


def test_ticket_form_waits_for_the_slot_to_start(client, make_event, make_registration):
    registration = make_registration(make_event())
    page = client.get(f"/tickets/{registration.token}/feedback")
    assert page.status_code == 200
    assert "活动开始后才能评价" in page.get_data(as_text=True)
    response = client.post(f"/tickets/{registration.token}/feedback", data=form_data())
    assert response.status_code == 403


def test_ticket_holder_evaluates_once(client, db, make_event, make_registration):
    event = make_event(slots=started_slots())
    registration = make_registration(event)
    page = client.get(f"/tickets/{registration.token}/feedback").get_data(as_text=True)
    for text in ("总体满意度", "非常满意", "基本满意", "不满意", "公共机构节能", "垃圾分类",
                 "食堂餐饮节约", 'name="overall"', 'name="comment"', 'name="topic_2"'):
        assert text in page
    response = client.post(f"/tickets/{registration.token}/feedback", data=form_data())
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/events/{event.slug}/feedback/thanks")
    thanks = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "感谢您的评价" in thanks and "15 个工作日内跟进" in thanks
    stored = db.session.execute(select(Feedback)).scalar_one()
    assert (stored.overall, stored.topic_ratings, stored.comment, stored.come_again) == \
        (3, {"公共机构节能": 4}, "讲解清楚", True)
    assert stored.registration_id == registration.id

    again = client.post(f"/tickets/{registration.token}/feedback", data=form_data(overall="1"))
    assert again.status_code == 409
    assert "已经评价过了" in again.get_data(as_text=True)
    assert db.session.execute(select(Feedback)).scalars().all() == [stored]
    # Coming back later just shows the thank-you note.
    later = client.get(f"/tickets/{registration.token}/feedback")
    assert later.status_code == 200 and "已经评价过了" in later.get_data(as_text=True)


@pytest.mark.parametrize("fields, message", [
    ({"overall": "5"}, "评价只能是非常满意、满意、基本满意或不满意"),
    ({"overall": "0"}, "评价只能是"),
    ({"overall": "abc"}, "评价只能是"),
    ({"overall": ""}, "请选择一项评价"),
    ({"topic_1": "9"}, "评价只能是"),
    ({"come_again": "maybe"}, "请选择“愿意”或“不愿意”"),
    ({"comment": "长" * 2001}, "意见最多 2000 个字"),
    ({"wants_reply": "y", "contact": ""}, "请留下联系方式"),
])
def test_out_of_range_answers_get_400_in_chinese(client, db, make_event, make_registration,
                                                 fields, message):
    registration = make_registration(make_event(slots=started_slots()))
    response = client.post(f"/tickets/{registration.token}/feedback", data=form_data(**fields))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert "请修改以下内容" in page
    assert db.session.execute(select(Feedback)).first() is None


def test_a_reply_without_a_contact_is_told_under_the_contact(client, db, make_event,
                                                            make_registration):
    import re

    registration = make_registration(make_event(slots=started_slots()))
    page = client.post(f"/tickets/{registration.token}/feedback",
                       data=form_data(wants_reply="y", contact="")).get_data(as_text=True)
    under_contact = re.search(r'id="contact-error"[^>]*>(.*?)</p>', page, re.S)
    assert under_contact and "请留下联系方式" in under_contact.group(1)
    assert 'id="overall-error"' not in page


def test_dissatisfied_evaluation_opens_a_follow_up(client, db, make_event, make_registration):
    registration = make_registration(make_event(slots=started_slots()))
    client.post(f"/tickets/{registration.token}/feedback",
                data=form_data(overall="4", topic_1="1", wants_reply="y", contact="13912345678"))
    follow_up = db.session.execute(select(FollowUp)).scalar_one()
    assert follow_up.status == "open"
    assert follow_up.feedback.contact == "13912345678"


def test_anonymous_evaluation_and_kind_repeat_refusal(client, db, make_event):
    event = make_event(slots=started_slots())
    page = client.get(f"/events/{event.slug}/feedback")
    assert page.status_code == 200
    assert "fb_key=" in page.headers.get("Set-Cookie", "")
    response = client.post(f"/events/{event.slug}/feedback", data=form_data())
    assert response.status_code == 303
    stored = db.session.execute(select(Feedback)).scalar_one()
    assert stored.registration_id is None
    assert stored.slot_id == event.slots[0].id  # the slot running at the venue
    assert stored.browser_key
    again = client.get(f"/events/{event.slug}/feedback")
    assert "已经在这台设备上评价过本次活动" in again.get_data(as_text=True)
    repeat = client.post(f"/events/{event.slug}/feedback", data=form_data(overall="1"))
    assert repeat.status_code == 409
    assert "感谢您的参与" in repeat.get_data(as_text=True)
    assert db.session.execute(select(Feedback)).scalars().all() == [stored]


def test_a_line_break_counts_as_one_character(client, db, make_event):
    """Browsers send a textarea's line breaks as CRLF: a comment of 1,995 characters as the
    person sees them (15 lines) fits the 2,000 of the box; it is stored with LF."""
    event = make_event(slots=started_slots())
    comment = "\r\n".join(["节" * 132] * 15)
    assert len(comment) > 2000 and len(comment.replace("\r\n", "\n")) <= 2000
    response = client.post(f"/events/{event.slug}/feedback",
                           data=form_data(comment=comment, suggestions="一\r\n二\r三"))
    assert response.status_code == 303, response.get_data(as_text=True)
    stored = db.session.execute(select(Feedback)).scalar_one()
    assert stored.comment == comment.replace("\r\n", "\n") and stored.suggestions == "一\n二\n三"


def test_anonymous_form_closed_before_the_event(client, make_event):
    event = make_event()
    assert "活动开始后才能评价" in client.get(f"/events/{event.slug}/feedback").get_data(as_text=True)
    assert client.post(f"/events/{event.slug}/feedback", data=form_data()).status_code == 403
    assert client.get("/events/no-such-event/feedback").status_code == 404


@pytest.fixture
def limited_client(make_app, app):
    from app.extensions import limiter

    limited = make_app(RATELIMIT_ENABLED=True, FEEDBACK_ANONYMOUS_LIMIT="3 per hour")
    yield limited.test_client()
    # The limiter is one object shared by every app: switch it back off for other tests.
    make_app()
    limiter.enabled = False


def test_anonymous_evaluations_are_rate_limited(limited_client, make_event, db):
    slug = make_event(slots=started_slots()).slug
    db.session.remove()  # the other app writes: hold no SQLite transaction open here
    statuses = []
    for i in range(5):
        limited_client.delete_cookie("fb_key", path="/events/")  # a new "browser" each time
        statuses.append(limited_client.post(f"/events/{slug}/feedback",
                                            data=form_data(comment=f"第{i}次")).status_code)
    assert statuses == [303, 303, 303, 429, 429]
    blocked = limited_client.post(f"/events/{slug}/feedback", data=form_data())
    assert "操作太频繁" in blocked.get_data(as_text=True)
    # Reading the form is not limited.
    assert limited_client.get(f"/events/{slug}/feedback").status_code == 200
    assert len(db.session.execute(select(Feedback)).scalars().all()) == 3


def test_poster_carries_the_qr_code_of_the_form(client, make_event):
    import zxingcpp
    from PIL import Image

    event = make_event()
    page = client.get(f"/events/{event.slug}/poster").get_data(as_text=True)
    assert "请您评价我们的工作" in page
    assert f"/events/{event.slug}/feedback/qr.png" in page
    png = client.get(f"/events/{event.slug}/feedback/qr.png")
    assert png.mimetype == "image/png"
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.data)))
    assert decoded[0].text == f"http://testserver/events/{event.slug}/feedback"


# ---- staff pages ----------------------------------------------------------------------------

def seed_results(db, make_event, make_registration, hours_ago=1):
    event = make_event(slots=started_slots(hours_ago=hours_ago))
    registrations = [make_registration(event) for _ in range(4)]
    for registration in registrations:
        check_in(registration)
    for registration, level in zip(registrations, (4, 3, 1), strict=False):
        feedback_service.submit(event, answers(level, {"垃圾分类": level},
                                               comment=f"评价{level}：停车方便" if level == 4 else "",
                                               suggestions="多办几场" if level == 1 else ""),
                                registration=registration)
    db.session.commit()
    return event


def test_results_page_shows_figures_charts_and_comments(client, auth, db, make_event,
                                                        make_registration):
    event = seed_results(db, make_event, make_registration)
    auth.login("staff")
    page = client.get(f"/staff/events/{event.slug}/results").get_data(as_text=True)
    assert 'id="kpi-responses">3<' in page
    assert 'id="kpi-response-rate">75.0%<' in page        # 3 of 4 checked in
    assert 'id="kpi-satisfaction">66.7%<' in page          # 4 and 3 of 4, 3, 1
    assert "满意率 = （非常满意 + 满意 + 基本满意）÷ 全部评价" in page
    assert page.count("<svg class=\"chart\"") == 5  # overall, 3 topics, come again
    assert 'class="chart-bar chart-bar-level-4"' in page
    assert "停车方便" in page and "多办几场" in page
    assert "导出评价 CSV" not in page  # exports are for admins
    searched = client.get(f"/staff/events/{event.slug}/results?q=停车").get_data(as_text=True)
    assert "停车方便" in searched and "多办几场" not in searched


def test_the_response_rate_counts_people_checked_in_not_tickets(client, auth, db, make_event,
                                                                make_registration):
    """A family of three on one ticket is three people who may each evaluate: 4 answers
    from 2 tickets of 3 and 1 people are 4 of 4, not 4 of 2 (200%), nor 1 of 2 tickets."""
    event = make_event(slots=started_slots(), max_party_size=4)
    family = make_registration(event, party_size=3)
    alone = make_registration(event)
    for registration in (family, alone):
        check_in(registration)
    for level in (4, 4, 3):
        feedback_service.submit(event, answers(level))  # anonymous, from the venue's poster
    feedback_service.submit(event, answers(3), registration=alone)
    db.session.commit()
    auth.login("staff")
    page = client.get(f"/staff/events/{event.slug}/results").get_data(as_text=True)
    assert 'id="kpi-response-rate">100.0%<' in page
    assert "参评率（评价 4 ÷ 签到 4 人）" in page
    assert 'id="kpi-poster">3<' in page  # the poster's share, shown apart


def test_results_need_a_staff_login(client, make_event):
    event = make_event()
    response = client.get(f"/staff/events/{event.slug}/results")
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]


def test_staff_close_a_follow_up_with_a_note(client, auth, db, make_event, make_registration):
    seed_results(db, make_event, make_registration)
    auth.login("staff")
    page = client.get("/staff/follow-ups").get_data(as_text=True)
    assert 'id="open-count">待办理 1<' in page
    assert "多办几场" in page
    follow_up = db.session.execute(select(FollowUp)).scalar_one()
    empty = client.post(f"/staff/follow-ups/{follow_up.id}/close", data={"action_note": ""})
    assert empty.status_code == 400
    assert "请填写办理情况" in empty.get_data(as_text=True)
    done = client.post(f"/staff/follow-ups/{follow_up.id}/close",
                       data={"action_note": "已电话回访，增加场次"})
    assert done.status_code == 303
    db.session.expire_all()
    follow_up = db.session.get(FollowUp, follow_up.id)
    assert follow_up.status == "closed" and follow_up.action_note == "已电话回访，增加场次"
    assert db.session.execute(select(AuditLog).where(AuditLog.action == "follow_up.close")).first()
    closed = client.get("/staff/follow-ups?show=closed").get_data(as_text=True)
    assert "已电话回访，增加场次" in closed
    assert 'id="open-count">待办理 0<' in closed


def test_a_follow_up_note_shows_numbers_masked(client, auth, db, make_event, make_registration):
    """Staff may write down how they reached someone; the list shows it masked like every
    other phone number on a staff screen."""
    seed_results(db, make_event, make_registration)
    auth.login("staff")
    follow_up = db.session.execute(select(FollowUp)).scalar_one()
    client.post(f"/staff/follow-ups/{follow_up.id}/close",
                data={"action_note": "已致电 13912345678 回访，加微信 zhang_san88"})
    closed = client.get("/staff/follow-ups?show=closed").get_data(as_text=True)
    assert "13912345678" not in closed and "139****5678" in closed
    assert "zhang_san88" not in closed and "已致电" in closed


def test_overdue_follow_ups_are_marked(client, auth, db, make_event, make_registration):
    from datetime import timedelta

    seed_results(db, make_event, make_registration)
    follow_up = db.session.execute(select(FollowUp)).scalar_one()
    follow_up.due_on = feedback_service.local_today() - timedelta(days=2)
    db.session.commit()
    auth.login("staff")
    page = client.get("/staff/follow-ups?show=overdue").get_data(as_text=True)
    assert 'id="overdue-count">已逾期 1<' in page
    assert "is-overdue" in page


def test_report_page(mid_quarter, client, auth, db, make_event, make_registration):
    from app.services.reports import current_quarter

    seed_results(db, make_event, make_registration, hours_ago=3)  # ended: the report counts it
    auth.login("staff")
    year, quarter = current_quarter()
    page = client.get(f"/staff/report?year={year}&quarter={quarter}").get_data(as_text=True)
    assert f"{year} 年第 {quarter} 季度" in page
    assert 'id="r-attended">4 张票' in page
    assert 'id="r-evaluations">3 份' in page
    assert 'id="r-satisfaction">66.7%' in page
    assert client.get("/staff/report?year=abc").status_code == 400
    assert client.get("/staff/report?year=2026&quarter=7").status_code == 400
    whole_year = client.get("/staff/report?year=2026&quarter=").get_data(as_text=True)
    assert "2026 年" in whole_year
    # A link written by hand (only the year) or carrying a parameter of its own (a tracking
    # tag) is the same whole year, not "the form has errors".
    for url in ("/staff/report?year=2026", "/staff/report?year=2026&utm_source=mail"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "2026 年" in response.get_data(as_text=True)


def test_dashboard_shows_open_and_overdue_follow_ups(client, auth, db, make_event,
                                                     make_registration):
    from datetime import timedelta

    event = seed_results(db, make_event, make_registration)
    feedback_service.submit(event, answers(1), browser_key="poster")
    db.session.commit()
    late = db.session.execute(select(FollowUp).order_by(FollowUp.id)).scalars().first()
    late.due_on = feedback_service.local_today() - timedelta(days=1)
    db.session.commit()
    auth.login("staff")
    # (The staff workspace may redirect /staff/ to its event list: the panel is there.)
    page = client.get("/staff/", follow_redirects=True).get_data(as_text=True)
    assert "待办理的评价跟进：2 件" in page
    assert "已逾期：1 件" in page
    assert f"/staff/events/{event.slug}/results" in page


def test_results_of_an_event_without_evaluations(client, auth, make_event):
    event = make_event(feedback_topics=[])
    auth.login("staff")
    page = client.get(f"/staff/events/{event.slug}/results")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'id="kpi-responses">0<' in text and 'id="kpi-satisfaction">—<' in text
    assert text.count('<svg class="chart"') == 2  # overall and come again
    assert client.get("/staff/events/nope/results").status_code == 404


def test_hostile_text_is_stored_and_shown_escaped(client, auth, db, make_event):
    event = make_event(slots=started_slots())
    client.post(f"/events/{event.slug}/feedback",
                data=form_data(comment="<script>alert(1)</script> 😀", overall="2"))
    auth.login("staff")
    page = client.get(f"/staff/events/{event.slug}/results").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; 😀" in page


def test_forms_carry_a_csrf_token(make_app, make_event, db):
    import re

    slug = make_event(slots=started_slots()).slug
    db.session.remove()
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    assert client.post(f"/events/{slug}/feedback", data=form_data()).status_code == 400
    page = client.get(f"/events/{slug}/feedback").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(f"/events/{slug}/feedback", data=form_data(csrf_token=token))
    assert response.status_code == 303


@pytest.mark.parametrize("token", ["%00", "a" * 65, "../x", "票"])
def test_odd_ticket_tokens_are_not_found(client, token):
    from urllib.parse import quote

    assert client.get(f"/tickets/{quote(token, safe='')}/feedback").status_code == 404
    assert client.post(f"/tickets/{quote(token, safe='')}/feedback").status_code == 404


def test_control_characters_never_reach_the_database(client, auth, db, make_event):
    event = make_event(slots=started_slots())
    client.set_cookie("fb_key", "\x00bad", path="/events/")
    # NUL is refused at the door for every route (app/security.py); other controls are dropped.
    refused = client.post(f"/events/{event.slug}/feedback",
                          data=form_data(overall="1", comment="坏\x00字符"))
    assert refused.status_code == 400 and "无法识别的字符" in refused.get_data(as_text=True)
    response = client.post(f"/events/{event.slug}/feedback",
                           data=form_data(overall="1", comment="坏字\u200b符\x07", suggestions="\x1b\u202e",
                                          wants_reply="y", contact="139\x08"))
    assert response.status_code == 303
    stored = db.session.execute(select(Feedback)).scalar_one()
    assert (stored.comment, stored.suggestions, stored.contact) == ("坏字符", "", "139")
    assert "\x00" not in (stored.browser_key or "")
    assert client.get("/events/%00/feedback").status_code == 400
    auth.login("staff")
    assert client.get(f"/staff/events/{event.slug}/results?q=%00坏").status_code == 400
    assert client.get("/staff/events/%00/results").status_code == 400
    follow_up = db.session.execute(select(FollowUp)).scalar_one()
    closed = client.post(f"/staff/follow-ups/{follow_up.id}/close", data={"action_note": "\x07"})
    assert closed.status_code == 400
    # Hidden format characters go too: a zero-width space inside a phone number would hide
    # it from the masking on staff screens.
    assert client.post(f"/staff/follow-ups/{follow_up.id}/close",
                       data={"action_note": "已回访\x07 139\u200b0000\u200b1111"}).status_code == 303
    db.session.refresh(follow_up)
    assert follow_up.action_note == "已回访 13900001111"
    assert "13900001111" not in client.get("/staff/follow-ups?show=closed").get_data(as_text=True)


def test_ticket_page_invites_an_evaluation_once_the_slot_has_started(client, db, make_event,
                                                                     make_registration):
    from datetime import timedelta

    from tests.conftest import event_data, now_utc

    start = now_utc() - timedelta(minutes=30)
    event = make_event(slug="started", slots=[dict(event_data()["slots"][0],
                                                   starts_at=start.isoformat(),
                                                   ends_at=(start + timedelta(hours=2)).isoformat())])
    registration = make_registration(event)
    page = client.get(f"/tickets/{registration.token}").get_data(as_text=True)
    assert f"/tickets/{registration.token}/feedback" in page
    future = make_event(slug="later")
    later = make_registration(future)
    assert "/feedback" not in client.get(f"/tickets/{later.token}").get_data(as_text=True)


# ---- the report counts ended slots only --------------------------------------------------

def test_report_page_and_csv_count_only_ended_slots(mid_quarter, client, auth, db, make_event,
                                                    make_registration):
    from app.services.reports import current_quarter
    from tests.routes.test_exports import read_csv
    from tests.services.test_reports import build_half_held_quarter

    build_half_held_quarter(db, make_event, make_registration)
    year, quarter = current_quarter()
    auth.login("admin")
    page = client.get(f"/staff/report?year={year}&quarter={quarter}").get_data(as_text=True)
    assert 'id="r-registered">3 张票' in page and 'id="r-attended">2 张票' in page
    assert 'id="r-attendance">66.7%<' in page  # 2 of 3, not 2 of 8
    assert 'id="r-events">1 项（1 场）' in page
    assert "只计已结束的场次" in page
    assert "另有 2 个场次尚未结束（已报名 6 张票、6 人）" in page
    # Plain words for leaders; the definition of the satisfaction rate stays.
    assert "SATISFIED_LEVELS" not in page
    assert "满意率 = （非常满意 + 满意 + 基本满意）÷ 全部评价" in page
    rows = read_csv(client.get(f"/staff/report/export.csv?year={year}&quarter={quarter}"))
    total = rows[-3]
    assert total[0].startswith("合计") and total[3] == "3" and total[5] == "2"
    assert total[7] == "66.7%"  # the CSV agrees with the page
    assert rows[-1][0].startswith("尚未结束的场次") and rows[-1][2:5] == ["2", "6", "6"]


def test_report_page_without_slots_ahead_says_nothing_of_them(mid_quarter, client, auth, db,
                                                              make_event, make_registration):
    seed_results(db, make_event, make_registration, hours_ago=3)
    auth.login("staff")
    page = client.get("/staff/report").get_data(as_text=True)
    assert "只计已结束的场次" in page and 'id="r-ahead"' not in page


# ---- contacts left for a reply: masked on staff screens, revealed by an admin, audited ----

CONTACT = "13912345678"


def seed_reply(db, make_event, make_registration):
    """A satisfied ticket holder who asks for a reply (a follow-up of its own)."""
    event = make_event(slots=started_slots())
    registration = make_registration(event)
    feedback = feedback_service.submit(
        event, answers(4, comment="想了解光伏屋顶", wants_reply=True, contact=CONTACT),
        registration=registration)
    db.session.commit()
    return event, feedback


@pytest.mark.parametrize("role", ["staff", "admin"])
def test_follow_ups_and_results_show_the_contact_masked(client, auth, db, make_event,
                                                        make_registration, role):
    event, _feedback = seed_reply(db, make_event, make_registration)
    auth.login(role)
    for url in ("/staff/follow-ups", f"/staff/events/{event.slug}/results"):
        page = client.get(url).get_data(as_text=True)
        assert "139****5678" in page, url
        assert CONTACT not in page, url
        assert ("显示完整联系方式" in page) is (role == "admin"), url
    follow_ups = client.get("/staff/follow-ups").get_data(as_text=True)
    assert "跟进原因：</strong>希望得到回复" in follow_ups


def test_only_an_admin_reveals_a_contact_and_it_is_audited(client, auth, db, make_event,
                                                           make_registration):
    event, feedback = seed_reply(db, make_event, make_registration)
    follow_up_id = feedback.follow_up.id
    feedback_id = feedback.id
    reveals = select(AuditLog).where(AuditLog.action == "feedback.reveal_contact")
    urls = (f"/staff/follow-ups/{follow_up_id}/reveal",
            f"/staff/events/{event.slug}/feedback/{feedback_id}/reveal")

    auth.login("staff")
    for url in urls:
        response = client.post(url)
        assert response.status_code == 403, url
        assert CONTACT not in response.get_data(as_text=True)
    assert db.session.execute(reveals).first() is None

    auth.logout()
    auth.login("admin")
    for url in urls:
        response = client.post(url)
        assert response.status_code == 200, url
        assert CONTACT in response.get_data(as_text=True), url
        assert response.headers["Cache-Control"] == "no-store"
    rows = db.session.execute(reveals).scalars().all()
    assert len(rows) == 2
    assert all(r.actor_name == "admin" and r.event_id == event.id for r in rows)
    assert rows[0].detail == {"feedback": feedback_id, "follow_up": follow_up_id}
    assert CONTACT not in repr([r.detail for r in rows])
    # Only that answer shows it, and only then: the next visit is masked again.
    for url in ("/staff/follow-ups", f"/staff/events/{event.slug}/results"):
        assert CONTACT not in client.get(url).get_data(as_text=True)


def test_a_wechat_id_is_masked_for_staff_and_revealed_in_full_to_an_admin(
        client, auth, db, make_event, make_registration):
    event = make_event(slots=started_slots())
    feedback = feedback_service.submit(
        event, answers(4, wants_reply=True, contact="微信号：wxid_abc123"),
        registration=make_registration(event))
    db.session.commit()
    feedback_id, follow_up_id = feedback.id, feedback.follow_up.id
    auth.login("admin")
    for url in ("/staff/follow-ups", f"/staff/events/{event.slug}/results"):
        page = client.get(url).get_data(as_text=True)
        assert "微信号：wx****" in page, url
        assert "wxid_abc123" not in page, url
    for url in (f"/staff/follow-ups/{follow_up_id}/reveal",
                f"/staff/events/{event.slug}/feedback/{feedback_id}/reveal"):
        response = client.post(url)
        assert response.status_code == 200, url
        assert "微信号：wxid_abc123" in response.get_data(as_text=True), url
    assert len(db.session.execute(select(AuditLog).where(
        AuditLog.action == "feedback.reveal_contact")).all()) == 2



def test_a_wechat_id_typed_into_a_comment_is_masked_on_staff_screens(
        client, auth, db, make_event, make_registration):
    """Comments and suggestions are free text: a WeChat ID, phone or e-mail someone typed
    into them is masked like a contact (the words around it stay). The admin's reveal is
    for the contact left for a reply only; the admin's export file keeps the text whole."""
    event = make_event(slots=started_slots())
    feedback_service.submit(
        event, answers(1, comment="加我微信 abc123 聊", suggestions="VX zs2026 或 13912345678",
                       wants_reply=True, contact="微信号：wxid_abc123"),
        registration=make_registration(event))
    db.session.commit()
    for role in ("staff", "admin"):
        auth.login(role)
        for url in (f"/staff/events/{event.slug}/results", "/staff/follow-ups"):
            page = client.get(url).get_data(as_text=True)
            assert "意见：</strong>加我微信 ab**** 聊</p>" in page, (role, url)
            assert "建议：</strong>VX zs**** 或 139****5678</p>" in page, (role, url)
            for secret in ("abc123", "zs2026", "13912345678", "wxid_abc123"):
                assert secret not in page, (role, url, secret)
    export = client.get(f"/staff/events/{event.slug}/export/feedback.csv").get_data(as_text=True)
    assert "加我微信 abc123 聊" in export


def test_revealing_nothing_or_elsewhere_is_not_found(client, auth, db, make_event,
                                                     make_registration):
    event, feedback = seed_reply(db, make_event, make_registration)
    silent = feedback_service.submit(event, answers(1), browser_key="x")  # no contact
    other = make_event(slug="other-day")
    db.session.commit()
    auth.login("admin")
    assert client.post(f"/staff/follow-ups/{silent.follow_up.id}/reveal").status_code == 404
    assert client.post("/staff/follow-ups/999999/reveal").status_code == 404
    assert client.post(f"/staff/events/{other.slug}/feedback/{feedback.id}/reveal").status_code == 404
    assert client.post(f"/staff/events/{event.slug}/feedback/999999/reveal").status_code == 404
    assert client.post(f"/staff/events/{event.slug}/feedback/abc/reveal").status_code == 404
    assert db.session.execute(
        select(AuditLog).where(AuditLog.action == "feedback.reveal_contact")).first() is None


def test_a_reply_request_from_the_form_opens_a_follow_up(client, db, make_event,
                                                         make_registration):
    registration = make_registration(make_event(slots=started_slots()))
    client.post(f"/tickets/{registration.token}/feedback",
                data=form_data(overall="4", wants_reply="y", contact="13912345678"))
    follow_up = db.session.execute(select(FollowUp)).scalar_one()
    assert follow_up.status == "open" and follow_up.feedback.overall == 4
