"""Evaluations: who may evaluate and when, one per ticket, follow-up of dissatisfied
answers, the results of an event, and the invitation to evaluate after a slot ends.

The scale is the government's: 4 非常满意, 3 满意, 2 基本满意, 1 不满意. Each of the event's
``feedback_topics`` is rated on the same scale (optional); 1 is the bottom of both.
"""
import logging
import re
import secrets
from datetime import datetime, timedelta, timezone
from itertools import islice
from zoneinfo import ZoneInfo

import chinese_calendar
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import case, func, or_, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import CheckIn, Event, Feedback, FollowUp, Registration, Slot
from app.models.feedback import overall_labels
from app.services.errors import Conflict, InvalidData, NotAllowed, NotFound
from app.services.mail import periodic, queue_registration_mail
from app.services.privacy import mask_contacts
from app.services.registration import get_by_token
from app.services.text import has_hidden_characters

log = logging.getLogger("openday.feedback")

LEVELS = (4, 3, 2, 1)
BOTTOM = 1
COMMENT_MAX = 2000
CONTACT_MAX = 200
# Evaluation invitations go out for slots that ended within this many days (a worker
# started after a long pause does not write to people about last year's open day).
INVITE_WITHIN_DAYS = 7


# C0 control characters other than tab, LF and CR: PostgreSQL refuses NUL in text, and
# none of them belongs in a comment.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def utcnow():
    return datetime.now(timezone.utc)


def clean_text(value):
    """Without control characters, nor hidden format characters (a zero-width space in
    "138\u200b0013 8000" would hide the number from the masking on staff screens)."""
    text = _CONTROL.sub("", value or "")
    if has_hidden_characters(text, multiline=True):
        text = "".join(char for char in text
                       if not has_hidden_characters(char, multiline=True))
    return text.strip()


def get_ticket(token):
    """The registration behind a ticket URL; anything not shaped like a token is not found
    (without asking the database about it)."""
    if not TOKEN_RE.match(token or ""):
        raise NotFound(_("没有找到这张票，请检查链接是否完整。"))
    return get_by_token(token)


def local_today(now=None):
    return (now or utcnow()).astimezone(ZoneInfo(current_app.config["TIMEZONE"])).date()


# ---- working days -----------------------------------------------------------------------

def add_working_days(start, days):
    """The date ``days`` working days after ``start``, by China's official calendar: public
    holidays are not working days and the make-up working weekends (调休) are.

    The calendar comes from the ``chinesecalendar`` package, which follows the State
    Council's yearly schedule; for a year it does not know yet (the schedule is published
    in the autumn before), Monday to Friday count. Upgrading the package brings the new year.
    """
    current = start
    added = 0
    while added < days:
        current += timedelta(days=1)
        if is_working_day(current):
            added += 1
    return current


def is_working_day(day):
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:  # a year the package has no schedule for yet
        return day.weekday() < 5


def overdue(status, due_on, closed_at, today):
    """Open past its due date, or closed after it."""
    if status == "closed" and closed_at is not None:
        return local_date(closed_at) > due_on
    return today > due_on


def local_date(dt):
    return dt.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).date()


# ---- who may evaluate ---------------------------------------------------------------------

def feedback_closes_at(event):
    """Evaluations are taken until the event's personal data is removed (its last slot's
    end + PRIVACY_RETENTION_DAYS, as the privacy notice says): a later one would collect a
    reply contact for an event whose data is gone, and change a quarter already reported."""
    last = event.last_ends_at
    if last is None:
        return None
    return last + timedelta(days=current_app.config["PRIVACY_RETENTION_DAYS"])


def _evaluation_over(event, now):
    closes = feedback_closes_at(event)
    return closes is not None and now >= closes


def ticket_feedback_state(registration, now=None):
    """'open', 'not_yet', 'over', 'not_allowed' or 'done' for a ticket holder's form."""
    now = now or utcnow()
    if registration.feedback is not None:
        return "done"
    if registration.status != "confirmed":
        return "not_allowed"
    if now < registration.slot.starts_at:
        return "not_yet"
    if _evaluation_over(registration.event, now):
        return "over"
    return "open"


def event_feedback_state(event, now=None):
    """The venue poster's form: 'open' from the event's first slot's start until
    feedback_closes_at, 'not_yet' before, 'over' after."""
    now = now or utcnow()
    first = event.first_starts_at
    if event.status == "draft" or first is None or now < first:
        return "not_yet"
    return "over" if _evaluation_over(event, now) else "open"


def event_feedback_open(event, now=None):
    return event_feedback_state(event, now) == "open"


# A poster evaluation belongs to the slot running at the venue, or one that ended within
# this long (people fill it in on the way out); otherwise to no slot.
POSTER_SLOT_GRACE = timedelta(hours=3)


def slot_at_venue(event, now=None):
    """The slot a venue-poster evaluation most likely belongs to, or None. Only a slot at
    the venue: the poster hangs there, not in an online slot's stream."""
    now = now or utcnow()
    started = [s for s in event.slots if s.mode != "online"
               and s.starts_at <= now <= s.ends_at + POSTER_SLOT_GRACE]
    return max(started, key=lambda s: s.starts_at, default=None)


def find_event(slug):
    from app.services.events import get_event

    return get_event(slug)


def get_event_for_feedback(slug):
    event = find_event(slug)
    if event is None or event.status == "draft":
        raise NotFound(_("没有找到这个活动。"))
    return event


def new_browser_key():
    return secrets.token_urlsafe(24)


def valid_browser_key(value):
    return bool(value) and TOKEN_RE.match(value) is not None


def browser_already_evaluated(event, browser_key):
    if not valid_browser_key(browser_key):
        return False
    return db.session.execute(
        select(Feedback.id).where(Feedback.event_id == event.id, Feedback.browser_key == browser_key)
    ).first() is not None


# ---- submitting ---------------------------------------------------------------------------

def clean_answers(event, *, overall, topic_ratings=None, comment="", suggestions="",
                  come_again=None, wants_reply=False, contact=None):
    """Check the answers' ranges (the form checks shape; this is the rule, also for other
    callers) and return them as Feedback fields."""
    if overall not in LEVELS:
        raise InvalidData(_("请选择总体满意度（非常满意、满意、基本满意或不满意）。"), field="overall")
    topics = list(event.feedback_topics or [])
    ratings = {}
    for topic, value in (topic_ratings or {}).items():
        if topic not in topics:
            raise InvalidData(_("评价项目不存在。"), field="topics")
        if value is None:
            continue
        if value not in LEVELS:
            raise InvalidData(_("“%(topic)s”的评价超出范围。", topic=topic), field="topics")
        ratings[topic] = value
    comment = clean_text(comment)
    suggestions = clean_text(suggestions)
    if len(comment) > COMMENT_MAX or len(suggestions) > COMMENT_MAX:
        raise InvalidData(_("意见和建议每项最多 %(n)d 个字。", n=COMMENT_MAX), field="comment")
    contact = clean_text(contact) if wants_reply else ""
    if wants_reply and not contact:
        raise InvalidData(_("需要回复时，请留下联系方式。"), field="contact")
    if len(contact) > CONTACT_MAX:
        raise InvalidData(_("联系方式最多 %(n)d 个字。", n=CONTACT_MAX), field="contact")
    return {"overall": overall, "topic_ratings": ratings, "comment": comment,
            "suggestions": suggestions, "come_again": come_again, "contact": contact or None}


def is_dissatisfied(feedback):
    return feedback.overall == BOTTOM or any(
        v == BOTTOM for v in (feedback.topic_ratings or {}).values())


def wants_reply(feedback):
    """A contact is kept only when the citizen asked for a reply (``clean_answers``)."""
    return bool(feedback.contact)


def follow_up_reasons(feedback):
    """Why an evaluation needs a follow-up: 'dissatisfied', 'reply' (a reply was asked
    for), both or neither. Derived from the answers, so nothing extra is stored."""
    reasons = []
    if is_dissatisfied(feedback):
        reasons.append("dissatisfied")
    if wants_reply(feedback):
        reasons.append("reply")
    return reasons


def submit(event, answers, *, registration=None, browser_key=None, now=None):
    """Store one evaluation; open a follow-up when it is dissatisfied or asks for a reply
    (otherwise the request would only show in the CSV). Returns the Feedback.

    A ticket evaluates once (the unique registration_id settles a race between two tabs);
    a browser that already evaluated this event from the poster is refused kindly.
    """
    now = now or utcnow()
    fields = clean_answers(event, **answers)
    if registration is not None:
        state = ticket_feedback_state(registration, now)
        if state == "done":
            raise Conflict(_("这张票已经评价过了，感谢您的参与！每张票只能评价一次。"))
        if state == "not_yet":
            raise NotAllowed(_("活动开始后才能评价，请到时再来。"))
        if state == "over":
            raise NotAllowed(_("本次活动的评价已经截止，感谢您的关注。"))
        if state == "not_allowed":
            raise NotAllowed(_("这张票目前不能评价（未确认或已取消）。"))
        if registration.event_id != event.id:
            raise NotFound(_("没有找到这张票。"))
    else:
        state = event_feedback_state(event, now)
        if state == "over":
            raise NotAllowed(_("本次活动的评价已经截止，感谢您的关注。"))
        if state != "open":
            raise NotAllowed(_("活动开始后才能评价，请到时再来。"))
        if valid_browser_key(browser_key):
            _one_poster_evaluation_at_a_time(event)
        if browser_already_evaluated(event, browser_key):
            raise Conflict(_("您已经在这台设备上评价过本次活动了，感谢您的参与！"))
    feedback = Feedback(
        event_id=event.id,
        registration_id=getattr(registration, "id", None),
        slot_id=(registration.slot_id if registration is not None
                 else getattr(slot_at_venue(event, now), "id", None)),
        browser_key=None if registration is not None or not valid_browser_key(browser_key)
        else browser_key,
        created_at=now,
        **fields,
    )
    try:
        with db.session.begin_nested():
            db.session.add(feedback)
            db.session.flush()
    except IntegrityError:
        raise Conflict(_("这张票已经评价过了，感谢您的参与！每张票只能评价一次。")) from None
    if follow_up_reasons(feedback):
        open_follow_up(feedback, now=now)
    return feedback


def _one_poster_evaluation_at_a_time(event):
    """Hold the event's row until the commit, so that a double tap's twin (same browser
    key) waits, then finds the first evaluation and is refused, instead of both passing
    the check and counting twice. PostgreSQL: FOR NO KEY UPDATE, which registrations'
    foreign keys do not wait for; SQLite writes one transaction at a time anyway."""
    db.session.execute(select(Event.id).where(Event.id == event.id)
                       .with_for_update(key_share=True))


# ---- follow-ups ---------------------------------------------------------------------------

def open_follow_up(feedback, now=None):
    """The evaluation's follow-up, due in FOLLOW_UP_WORKING_DAYS working days; one per
    evaluation (also unique in the database), so asking again returns the one there is."""
    existing = db.session.execute(
        select(FollowUp).where(FollowUp.feedback_id == feedback.id)).scalar_one_or_none()
    if existing is not None:
        return existing
    now = now or utcnow()
    days = current_app.config.get("FOLLOW_UP_WORKING_DAYS", 15)
    follow_up = FollowUp(feedback_id=feedback.id, event_id=feedback.event_id, status="open",
                         due_on=add_working_days(local_today(now), days), created_at=now)
    db.session.add(follow_up)
    db.session.flush()
    return follow_up


def get_feedback(feedback_id, event=None):
    feedback = db.session.get(Feedback, feedback_id)
    if feedback is None or (event is not None and feedback.event_id != event.id):
        raise NotFound(_("没有找到这条评价。"))
    return feedback


def contact_to_reveal(feedback):
    """The full contact, for an admin's audited reveal; an evaluation without one (no reply
    asked for, or erased) has nothing to reveal."""
    if not feedback.contact:
        raise NotFound(_("这条评价没有留下联系方式。"))
    return feedback.contact


def get_follow_up(follow_up_id):
    follow_up = db.session.get(FollowUp, follow_up_id)
    if follow_up is None:
        raise NotFound(_("没有找到这条跟进记录。"))
    return follow_up


def close_follow_up(follow_up, *, note, staff, now=None):
    """Record what was done and close the item. Closing twice is refused, also when two
    staff members close it at the same moment: the row is read again under a lock (on
    PostgreSQL; SQLite writes one at a time), so the second finds it closed and its note
    does not replace the first's."""
    note = clean_text(note)
    if not note:
        raise InvalidData(_("请填写办理情况。"), field="action_note")
    if len(note) > COMMENT_MAX:
        raise InvalidData(_("办理情况最多 %(n)d 个字。", n=COMMENT_MAX), field="action_note")
    db.session.refresh(follow_up, with_for_update=True)
    if follow_up.status == "closed":
        raise Conflict(_("这条跟进已经办结。"))
    follow_up.status = "closed"
    follow_up.action_note = note
    follow_up.closed_at = now or utcnow()
    follow_up.closed_by_id = getattr(staff, "id", None)
    db.session.flush()
    return follow_up


# The most follow-ups one page lists (a year's closed ones may be more): the page says
# when there are more, rather than ending the list as if that were all.
FOLLOW_UPS_SHOWN = 500


def follow_up_list(which="open", event=None, today=None, limit=FOLLOW_UPS_SHOWN):
    """Follow-ups with their feedback and event: ``open``, ``overdue``, ``closed`` or ``all``."""
    today = today or local_today()
    query = (select(FollowUp, Feedback, Event)
             .join(Feedback, Feedback.id == FollowUp.feedback_id)
             .join(Event, Event.id == FollowUp.event_id)
             .order_by(FollowUp.due_on, FollowUp.id))
    if event is not None:
        query = query.where(FollowUp.event_id == event.id)
    if which == "open":
        query = query.where(FollowUp.status == "open")
    elif which == "overdue":
        query = query.where(FollowUp.status == "open", FollowUp.due_on < today)
    elif which == "closed":
        query = query.where(FollowUp.status == "closed").order_by(None).order_by(
            FollowUp.closed_at.desc())
    return db.session.execute(query.limit(limit)).all()


def follow_up_counts(today=None):
    today = today or local_today()
    open_count = db.session.execute(
        select(func.count()).select_from(FollowUp).where(FollowUp.status == "open")).scalar_one()
    overdue_count = db.session.execute(
        select(func.count()).select_from(FollowUp)
        .where(FollowUp.status == "open", FollowUp.due_on < today)).scalar_one()
    return {"open": open_count, "overdue": overdue_count}


# ---- results ------------------------------------------------------------------------------

def satisfied_levels():
    return tuple(current_app.config.get("SATISFIED_LEVELS", (4, 3, 2)))


def satisfaction_definition():
    levels = satisfied_levels()
    labels = overall_labels()
    names = " + ".join(labels[level] for level in LEVELS if level in levels)
    return _("满意率 = （%(names)s）÷ 全部评价", names=names)


def rate(part, whole):
    return None if not whole else part / whole


def distribution(counts, levels=LEVELS, labels=None, css="level"):
    """{total, bars: [{value, label, count, share, css}]} for a chart, in the scale's order.
    ``css`` names the bar's colour class (``level-4`` … ``level-1`` on the scale)."""
    labels = labels or overall_labels()
    total = sum(counts.get(level, 0) for level in levels)
    return {"total": total, "bars": [
        {"value": level, "label": labels[level], "count": counts.get(level, 0),
         "share": rate(counts.get(level, 0), total) or 0.0, "css": f"{css}-{level}"}
        for level in levels]}


def response_counts(event):
    """The response rate's parts. Per slot at the venue: {slot id: {"people": people
    checked in (confirmed tickets' party sizes), "evaluations": the evaluations of that
    slot}}; and, for the whole event, the evaluations counted in the rate and those left
    out, by source ({"online": n}), with the venue-poster ones among those counted.

    The response rate (参评率) is evaluations ÷ people checked in, as the issue defines it:
    a ticket for three admits three, and each of them may evaluate (one on the ticket, the
    others on the venue poster). An online slot's people join through a link and are never
    checked in: their evaluations count in the evaluations and the satisfaction rate, not
    over the people at the door (an "online + offline" day read 200%). A poster evaluation
    is tied to no ticket (a passer-by, someone never checked in, the same person in another
    browser): the rate may then pass 100%, and the page says why when it does."""
    people = dict(db.session.execute(
        select(Registration.slot_id, func.coalesce(func.sum(Registration.party_size), 0))
        .join(CheckIn, CheckIn.registration_id == Registration.id)
        .where(Registration.event_id == event.id, Registration.status == "confirmed")
        .group_by(Registration.slot_id)).all())
    evaluations = dict(db.session.execute(
        select(Feedback.slot_id, func.count()).where(Feedback.event_id == event.id)
        .group_by(Feedback.slot_id)).all())
    online = {slot.id for slot in event.slots if slot.mode == "online"}
    per_slot = {slot.id: {"people": int(people.get(slot.id, 0)),
                          "evaluations": evaluations.get(slot.id, 0)}
                for slot in event.slots if slot.id not in online}
    counted = sum(n for slot_id, n in evaluations.items() if slot_id not in online)
    poster = db.session.execute(
        select(func.count()).select_from(Feedback)
        .where(Feedback.event_id == event.id, Feedback.registration_id.is_(None))).scalar_one()
    left_out = {"online": sum(n for slot_id, n in evaluations.items() if slot_id in online)}
    return per_slot, {"counted": counted, "poster": poster, "left_out": left_out}


def event_results(event):
    """Everything the results page shows, computed in the database where it can be."""
    levels = satisfied_levels()
    overall_counts = dict(db.session.execute(
        select(Feedback.overall, func.count()).where(Feedback.event_id == event.id)
        .group_by(Feedback.overall)).all())
    responses = sum(overall_counts.values())
    satisfied = sum(n for level, n in overall_counts.items() if level in levels)
    per_slot, counts = response_counts(event)
    checked_in = sum(slot["people"] for slot in per_slot.values())

    topics = list(event.feedback_topics or [])
    topic_counts = {t: {} for t in topics}
    come_again = {True: 0, False: 0, None: 0}
    for ratings, again in db.session.execute(
            select(Feedback.topic_ratings, Feedback.come_again)
            .where(Feedback.event_id == event.id)
            .execution_options(yield_per=2000)):
        for topic, value in (ratings or {}).items():
            if topic in topic_counts:
                topic_counts[topic][value] = topic_counts[topic].get(value, 0) + 1
        come_again[again] = come_again.get(again, 0) + 1

    questions = [{"title": _("总体满意度"), "chart": distribution(overall_counts)}]
    for topic in topics:
        questions.append({"title": topic, "chart": distribution(topic_counts[topic])})
    again_labels = {"yes": _("愿意"), "no": _("不愿意"), "none": _("未回答")}
    questions.append({"title": _("是否愿意再来参加"), "chart": distribution(
        {"yes": come_again[True], "no": come_again[False], "none": come_again[None]},
        levels=("yes", "no", "none"), labels=again_labels, css="again")})

    return {
        "responses": responses,
        "checked_in": checked_in,  # people
        "rate_responses": counts["counted"],
        "poster_responses": counts["poster"],
        "left_out": counts["left_out"],
        "response_rate": rate(counts["counted"], checked_in),
        "satisfied": satisfied,
        "satisfaction_rate": rate(satisfied, responses),
        "definition": satisfaction_definition(),
        "response_definition": response_rate_definition(),
        "questions": questions,
        "slots": slot_breakdown(event, levels, per_slot),
        "follow_ups": db.session.execute(
            select(FollowUp.status, func.count()).where(FollowUp.event_id == event.id)
            .group_by(FollowUp.status)).all(),
    }


def response_rate_definition():
    return _("参评率 = 评价数 ÷ 签到人数（凭票评价和现场扫码评价都计入；线上场次不签到，其评价不计入）")


def slot_breakdown(event, levels, per_slot=None):
    if per_slot is None:
        per_slot, _counts = response_counts(event)
    feedback_by_slot = {
        slot_id: (n, s) for slot_id, n, s in db.session.execute(
            select(Feedback.slot_id, func.count(),
                   func.sum(case((Feedback.overall.in_(levels), 1), else_=0)))
            .where(Feedback.event_id == event.id).group_by(Feedback.slot_id)).all()}
    registered = dict(db.session.execute(
        select(Registration.slot_id, func.count())
        .where(Registration.event_id == event.id, Registration.status == "confirmed")
        .group_by(Registration.slot_id)).all())
    rows = []
    for slot in event.slots:
        n, s = feedback_by_slot.get(slot.id, (0, 0))
        counts = per_slot.get(slot.id)  # None for an online slot: no check-in to count over
        rows.append({"label": slot.label, "starts_at": slot.starts_at,
                     "registered": registered.get(slot.id, 0),
                     "checked_in": counts["people"] if counts else None,
                     "responses": n,
                     "response_rate": rate(counts["evaluations"], counts["people"]) if counts else None,
                     "satisfaction_rate": rate(s or 0, n)})
    if None in feedback_by_slot:
        n, s = feedback_by_slot[None]
        rows.append({"label": _("现场扫码（未关联场次）"), "starts_at": None, "registered": None,
                     "checked_in": None, "responses": n,
                     "response_rate": None, "satisfaction_rate": rate(s or 0, n)})
    return rows


# The results page lists this many comments, newest first; the export has them all.
COMMENTS_SHOWN = 200


def search_comments(event, q="", limit=COMMENTS_SHOWN):
    """The evaluations with a comment, a suggestion or a request for a reply, newest first;
    ``q`` searches comments and suggestions as staff see them (contacts masked): a phone
    number someone wrote in a comment cannot be found by typing it."""
    query = (select(Feedback).where(Feedback.event_id == event.id,
                                    or_(Feedback.comment != "", Feedback.suggestions != "",
                                        Feedback.contact.is_not(None)))
             .order_by(Feedback.created_at.desc(), Feedback.id.desc()))
    q = clean_text(q)[:100]
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(Feedback.comment.ilike(pattern, escape="\\"),
                                Feedback.suggestions.ilike(pattern, escape="\\")))
        # The database matched the stored text; keep what matches the text staff read.
        wanted = q.casefold()
        shown = (f for f in db.session.execute(query).scalars()
                 if wanted in mask_contacts(f.comment or "").casefold()
                 or wanted in mask_contacts(f.suggestions or "").casefold())
        return list(islice(shown, limit))
    return db.session.execute(query.limit(limit)).scalars().all()


# ---- invitations --------------------------------------------------------------------------

def invite_due(now=None):
    """Invite ticket holders with an e-mail to evaluate once their slot has ended: those
    who came (checked in at the door; an online slot has no door, so all of its ticket
    holders). The invitation thanks them for coming: one who never came is not thanked.
    Each ticket is invited once (``feedback_invited_at`` and the outbox's dedupe key)."""
    now = now or utcnow()
    due = db.session.execute(
        select(Registration).join(Slot, Slot.id == Registration.slot_id)
        .outerjoin(CheckIn, CheckIn.registration_id == Registration.id)
        .where(Registration.status == "confirmed", Registration.email.is_not(None),
               Registration.email != "", Registration.feedback_invited_at.is_(None),
               Slot.ends_at <= now, Slot.ends_at > now - timedelta(days=INVITE_WITHIN_DAYS),
               or_(Slot.mode == "online", CheckIn.id.is_not(None)))
        .outerjoin(Feedback, Feedback.registration_id == Registration.id)
        .where(Feedback.id.is_(None))
        .order_by(Registration.id).limit(500)
    ).scalars().all()
    invited = 0
    for registration in due:
        message = queue_registration_mail(registration, "feedback_invite",
                                          dedupe_key=f"feedback_invite:{registration.id}")
        registration.feedback_invited_at = now
        invited += message is not None
    db.session.flush()
    if invited:
        log.info("queued %d evaluation invitations", invited)
    return invited


@periodic
def invite_job():
    invite_due()


def feedback_url(registration):
    return f"{current_app.config['BASE_URL']}/tickets/{registration.token}/feedback"


def poster_url(event, english=False):
    """The evaluation form's address for the venue poster's QR code; the English poster's
    asks for the English form (the phones that scan it have no language cookie yet)."""
    url = f"{current_app.config['BASE_URL']}/events/{event.slug}/feedback"
    return url + "?lang=en" if english else url
