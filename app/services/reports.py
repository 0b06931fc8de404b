"""The quarterly (or yearly) report the bureau's work plan counts: events held, registered,
attended and attendance rate, volunteers and their hours, evaluations, satisfaction rate,
follow-ups closed on time.

Periods are calendar quarters or years in Asia/Shanghai. What counts where:

- an event is *held* in the period when one of its slots starts in it and has ended by the
  time the report is made; the figures below only count those slots (an event over two
  quarters is split between them). Slots of the period still to come (or still running)
  would put their confirmed tickets in the attendance rate's denominator with nobody able
  to have attended yet, so they are counted apart, as ``ahead``;
- *registered* are confirmed tickets of open-day slots (and the people on them);
  *attended* are those tickets with a check-in; attendance rate = attended ÷ registered
  tickets of onsite slots: an online slot's people join through a link and are never
  checked in at a door (an "online + offline" day would read as half its people absent);
- *volunteers* are the distinct people of volunteer shifts with a check-in, told apart by
  phone, or once purged by the stand-in that replaces it (``privacy.people_behind``): the
  same figure before and after the purge. Their hours come from ``volunteer_hours``
  (below), which the volunteer pages reuse;
- *evaluations* are those of the period's slots; a venue-poster evaluation tied to no slot
  (made long after a slot, ``feedback.POSTER_SLOT_GRACE``) goes with the last slot of its
  event that had started when it was made: one made on 2 January about a New Year's Eve
  open day counts in the fourth quarter, as on the results page, not in no report at all.
  Satisfaction rate as on the results page (``SATISFIED_LEVELS``);
- *response rate* as on the results page (``feedback.response_counts``): the evaluations
  of slots at the venue (on a ticket or on the venue poster) ÷ the people checked in at
  open days. An online slot's evaluations are left out (nobody is checked in online);
  poster evaluations are also shown apart, as they are tied to no ticket;
- *follow-ups closed on time*: of the follow-ups due in the period that are settled
  (closed, or still open after their due date), those closed on or before their due date;
  open ones not yet due are counted apart as pending.
"""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased

from app.extensions import db
from app.models import CheckIn, Event, Feedback, FollowUp, Registration, Slot
from app.models.types import FIRST_YEAR, LAST_YEAR
from app.services.errors import InvalidData
from app.services.feedback import (
    local_date,
    rate,
    response_rate_definition,
    satisfaction_definition,
    satisfied_levels,
)
from app.services.privacy import people_behind


def volunteer_hours(checked_in_at, checked_out_at, slot_ends_at, extended_until=None,
                    counts_from=None):
    """Hours served, by the volunteer pages' rule (``volunteers.served_minutes``)."""
    from app.services.volunteers import served_minutes

    return served_minutes(checked_in_at, checked_out_at, slot_ends_at, extended_until,
                          counts_from) / 60


def period_bounds(year, quarter=None):
    """(start, end, label) in UTC for a calendar quarter (1–4) or, without one, a year."""
    if not isinstance(year, int) or not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidData(_("年份不正确。"), field="year")
    if quarter is not None and quarter not in (1, 2, 3, 4):
        raise InvalidData(_("季度应为 1 至 4。"), field="quarter")
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    if quarter is None:
        start = datetime(year, 1, 1, tzinfo=tz)
        end = datetime(year + 1, 1, 1, tzinfo=tz)
        label = _("%(year)d 年", year=year)
    else:
        start = datetime(year, 3 * quarter - 2, 1, tzinfo=tz)
        end = datetime(year + (quarter == 4), (3 * quarter) % 12 + 1, 1, tzinfo=tz)
        label = _("%(year)d 年第 %(q)d 季度", year=year, q=quarter)
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc), label


def _blank(event):
    return {"event": event, "slots": 0, "registered": 0, "registered_people": 0,
            "registered_onsite": 0, "attended": 0,
            "attended_people": 0, "rate_evaluations": 0, "volunteers": set(), "hours": 0.0,
            "evaluations": 0, "poster_evaluations": 0, "satisfied": 0}


def build_report(year, quarter=None, now=None):
    """The report's figures: ``totals``, one row per event held, and ``ahead`` (the period's
    slots that have not ended yet, with their confirmed tickets)."""
    start, end, label = period_bounds(year, quarter)
    now = now or datetime.now(timezone.utc)
    # A slot counts once it has ended, by the report's clock. Not capped at the period's
    # end: a slot starting in the period belongs to it, even if it ends just after.
    in_period = and_(Slot.starts_at >= start, Slot.starts_at < end, Slot.ends_at <= now)
    rows = {}

    slots = db.session.execute(
        select(Slot, Event).join(Event, Event.id == Slot.event_id)
        .where(in_period, Event.status != "draft").order_by(Slot.starts_at)).all()
    for _slot, event in slots:
        rows.setdefault(event.id, _blank(event))["slots"] += 1

    # Open-day tickets and check-ins, counted per ticket and per person.
    for event_id, mode, has_checkin, tickets, people in db.session.execute(
            select(Registration.event_id, Slot.mode, CheckIn.id.is_not(None), func.count(),
                   func.coalesce(func.sum(Registration.party_size), 0))
            .join(Slot, Slot.id == Registration.slot_id)
            .join(Event, Event.id == Registration.event_id)
            .outerjoin(CheckIn, CheckIn.registration_id == Registration.id)
            .where(in_period, Event.status != "draft", Event.kind == "open_day",
                   Registration.status == "confirmed")
            .group_by(Registration.event_id, Slot.mode, CheckIn.id.is_not(None))):
        row = rows[event_id]
        row["registered"] += tickets
        row["registered_people"] += people
        if mode != "online":
            row["registered_onsite"] += tickets
        if has_checkin:
            row["attended"] += tickets
            row["attended_people"] += people

    # Volunteers who came, and their hours.
    from app.services.volunteers import counting_starts

    for event_id, phone, checked_in_at, checked_out_at, extended_until, slot in db.session.execute(
            select(Registration.event_id, Registration.phone, CheckIn.checked_in_at,
                   CheckIn.checked_out_at, CheckIn.extended_until, Slot)
            .join(CheckIn, CheckIn.registration_id == Registration.id)
            .join(Slot, Slot.id == Registration.slot_id)
            .join(Event, Event.id == Registration.event_id)
            .where(in_period, Event.status != "draft", Event.kind == "volunteer")):
        row = rows[event_id]
        row["volunteers"].add(phone)  # a phone or a stand-in; made people below
        row["hours"] += volunteer_hours(checked_in_at, checked_out_at, slot.ends_at, extended_until,
                                        counting_starts(row["event"], slot))

    levels = satisfied_levels()
    held_ids = list(rows)
    if held_ids:
        # A slot-less evaluation's slot: the event's last one started before it was made.
        before = aliased(Slot)
        slot_before = (select(before.id).where(before.event_id == Feedback.event_id,
                                               before.starts_at <= Feedback.created_at)
                       .order_by(before.starts_at.desc(), before.id.desc()).limit(1)
                       .correlate(Feedback).scalar_subquery())
        slot_of_evaluation = func.coalesce(Feedback.slot_id, slot_before)
        from_poster = Feedback.registration_id.is_(None)
        for event_id, overall, poster, mode, count in db.session.execute(
                select(Feedback.event_id, Feedback.overall, from_poster, Slot.mode, func.count())
                .join(Slot, Slot.id == slot_of_evaluation)
                .where(Feedback.event_id.in_(held_ids), in_period)
                .group_by(Feedback.event_id, Feedback.overall, from_poster, Slot.mode)):
            rows[event_id]["evaluations"] += count
            if mode != "online":  # nobody is checked in online: not over the people at the door
                rows[event_id]["rate_evaluations"] += count
            if poster:
                rows[event_id]["poster_evaluations"] += count
            if overall in levels:
                rows[event_id]["satisfied"] += count

    start_day, end_day = local_date(start), local_date(end)
    due = db.session.execute(
        select(FollowUp.status, FollowUp.due_on, FollowUp.closed_at)
        .where(FollowUp.due_on >= start_day, FollowUp.due_on < end_day)).all()
    today = local_date(now)
    on_time = sum(1 for status, due_on, closed_at in due
                  if status == "closed" and closed_at is not None and local_date(closed_at) <= due_on)
    pending = sum(1 for status, due_on, _closed in due if status == "open" and due_on >= today)
    settled = len(due) - pending

    events = sorted(rows.values(), key=lambda r: r["event"].first_starts_at or start)
    people = people_behind(set().union(*(row["volunteers"] for row in events)))
    all_people = set()
    for row in events:
        row["volunteers"] = {people[phone] for phone in row["volunteers"]}
        all_people |= row["volunteers"]
        row["volunteer_count"] = len(row["volunteers"])
        row["attendance_rate"] = rate(row["attended"], row["registered_onsite"])
        row["response_rate"] = rate(row["rate_evaluations"], row["attended_people"])
        row["satisfaction_rate"] = rate(row["satisfied"], row["evaluations"])
    totals = {key: sum(r[key] for r in events) for key in (
        "slots", "registered", "registered_people", "registered_onsite", "attended",
        "attended_people", "rate_evaluations", "hours", "evaluations", "poster_evaluations",
        "satisfied")}
    totals.update(
        events=len(events),
        volunteer_count=len(all_people),
        attendance_rate=rate(totals["attended"], totals["registered_onsite"]),
        response_rate=rate(totals["rate_evaluations"], totals["attended_people"]),
        satisfaction_rate=rate(totals["satisfied"], totals["evaluations"]),
        follow_ups_due=len(due),
        follow_ups_settled=settled,
        follow_ups_pending=pending,
        follow_ups_on_time=on_time,
        follow_ups_on_time_rate=rate(on_time, settled),
    )
    return {"label": label, "year": year, "quarter": quarter, "start": start, "end": end,
            "last_day": end - timedelta(seconds=1), "as_of": now, "events": events,
            "totals": totals, "ahead": _ahead(start, end, now),
            "satisfaction_definition": satisfaction_definition(),
            "response_definition": response_rate_definition()}


def _ahead(start, end, now):
    """The period's slots not ended yet, and their confirmed open-day tickets (and people):
    shown beside the figures so that nothing is hidden."""
    slots = db.session.execute(
        select(func.count()).select_from(Slot).join(Event, Event.id == Slot.event_id)
        .where(Slot.starts_at >= start, Slot.starts_at < end, Slot.ends_at > now,
               Event.status != "draft")).scalar_one()
    tickets, people = db.session.execute(
        select(func.count(), func.coalesce(func.sum(Registration.party_size), 0))
        .join(Slot, Slot.id == Registration.slot_id)
        .join(Event, Event.id == Registration.event_id)
        .where(Slot.starts_at >= start, Slot.starts_at < end, Slot.ends_at > now,
               Event.status != "draft", Event.kind == "open_day",
               Registration.status == "confirmed")).one()
    return {"slots": slots, "registered": tickets, "registered_people": int(people)}


def percent(value):
    """A rate to one decimal, as the pages and the report's file show it; "" when there was
    nothing to count. A rate short of all never reads as all (nor a rate above none as
    none): one dissatisfied citizen among 2,000 is 99.95%, which would round to the 100.0%
    the work plan aims at."""
    if value is None:
        return ""
    shown = f"{value * 100:.1f}%"
    if shown == "100.0%" and value < 1:
        return "99.9%"
    if shown == "0.0%" and value > 0:
        return "0.1%"
    return shown


def report_rows(report):
    """The report as (header, rows) for the exports service: one row per event, a total."""
    # The response rate's columns come last: a sheet made from the file before they were
    # added still finds its columns where they were.
    header = ["活动", "类型", "场次", "报名（票）", "报名（人）", "签到（票）", "签到（人）", "到场率",
              "志愿者（人）", "志愿服务时长（小时）", "评价数", "满意率", "计入参评率的评价数",
              "参评率（评价数 ÷ 签到人数）", "其中现场扫码评价（不关联票）"]

    def line(title, kind, r):
        return [title, kind, r["slots"], r["registered"], r["registered_people"], r["attended"],
                r["attended_people"], percent(r["attendance_rate"]), r["volunteer_count"],
                round(r["hours"], 2), r["evaluations"], percent(r["satisfaction_rate"]),
                r["rate_evaluations"], percent(r["response_rate"]), r["poster_evaluations"]]

    kinds = {"open_day": "开放日", "volunteer": "志愿服务"}
    rows = [line(r["event"].title, kinds.get(r["event"].kind, r["event"].kind), r)
            for r in report["events"]]
    t = report["totals"]
    rows.append(line(f"合计（{report['label']}）", "", t))
    rows.append([f"评价跟进按期办结（另有 {t['follow_ups_pending']} 件未到期）", "", "", "", "", "",
                 # In words: Excel and WPS open a bare "1/3" as the date 3 January.
                 "", "", "", "", f"按期 {t['follow_ups_on_time']} 件 / 办结 {t['follow_ups_settled']} 件",
                 percent(t["follow_ups_on_time_rate"]), "", "", ""])
    # As on the page: the figures count ended slots only; the ones still ahead are named.
    a = report["ahead"]
    as_of = report["as_of"].astimezone(ZoneInfo(current_app.config["TIMEZONE"]))
    rows.append([f"尚未结束的场次（以上只计已结束的场次，截至 {as_of:%Y-%m-%d %H:%M}）",
                 "", a["slots"], a["registered"], a["registered_people"], "", "", "", "", "", "",
                 "", "", "", ""])
    return header, rows


def current_quarter(now=None):
    local = (now or datetime.now(timezone.utc)).astimezone(ZoneInfo(current_app.config["TIMEZONE"]))
    return local.year, (local.month - 1) // 3 + 1
