"""The volunteer application (thin view: the rules are in services/volunteers).

``handle_volunteer_application(event)`` answers GET and POST for a volunteer drive; the
registration view at /events/<slug>/register calls it when ``event.kind == "volunteer"``.
/events/<slug>/apply reaches it directly.
"""
from datetime import datetime, timezone

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from app.extensions import db
from app.public import bp, my_tickets
from app.public.volunteer_forms import VolunteerApplicationForm
from app.security import count_against_the_phone, registration_limits
from app.services import volunteers as volunteer_service
from app.services.errors import AlreadyRegistered, Conflict, InvalidData
from app.services.registration import booking_state, get_event_for_registration


@bp.route("/events/<slug>/apply", methods=["GET", "POST"])
@registration_limits
def volunteer_apply(slug):
    event = get_event_for_registration(slug)
    if event.kind != "volunteer":
        return redirect(url_for("public.event_detail", slug=event.slug))
    return handle_volunteer_application(event)


def handle_volunteer_application(event):
    form = VolunteerApplicationForm(event=event)
    now = datetime.now(timezone.utc)
    state = booking_state(event, now)
    status = 200
    if form.is_submitted():
        status = 400
        if state != "open":
            status = 409
        elif form.validate():
            slots = [s for s in map(event.slot_by_key, form.slots.data) if s is not None]
            try:
                registrations = volunteer_service.apply(
                    event, slots,
                    name=form.name.data, phone=form.phone.data, email=form.email.data,
                    submission_key=form.submission_key.data,
                    consent_version=current_app.config["PRIVACY_NOTICE_VERSION"],
                    age_group=form.age_group.data, organisation=form.organisation.data,
                    experience=form.experience.data, availability=form.availability.data,
                    code_agreed=form.code.data, now=now,
                )
            except (Conflict, InvalidData) as error:
                db.session.rollback()
                if isinstance(error, AlreadyRegistered):
                    count_against_the_phone()
                mine = _sent_again(event, slots, form.phone.data, error)
                if mine is not None:
                    flash(_("您已经提交过这份申请，不用再提交一次。下面是您的申请。"), "success")
                    return redirect(f"/tickets/{mine}", code=303)
                target = form._fields.get(error.field or "", form.slots)
                target.errors = list(target.errors) + [str(error.message)]
                status = error.status
            else:
                db.session.commit()
                my_tickets.remember(registrations[0].token)
                return redirect(f"/tickets/{registrations[0].token}", code=303)
    return render_template("public/volunteer_apply.html", event=event, form=form,
                           registration_state=state), status


def refill_volunteer_application(event, error):
    """The application as it was sent, not checked, under a fresh token (see
    app.public.routes.form_expired)."""
    form = VolunteerApplicationForm(event=event)
    return render_template("public/volunteer_apply.html", event=event, form=form, error=error,
                           registration_state=booking_state(event, datetime.now(timezone.utc))), 400


def _sent_again(event, slots, phone, error):
    """The application this browser sent a moment ago, sent again (the back button, a second
    tab): its ticket, when every chosen shift is already this phone's and one of them this
    browser's. Otherwise None, and the refusal stands (a new shift among them is not lost)."""
    if not isinstance(error, AlreadyRegistered):
        return None
    existing = volunteer_service.active_applications(event, slots, phone)
    if len(existing) == len(slots) and any(my_tickets.is_mine(r.token) for r in existing):
        return existing[0].token
    return None
