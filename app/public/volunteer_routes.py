"""The volunteer application (thin view: the rules are in services/volunteers).

``handle_volunteer_application(event)`` answers GET and POST for a volunteer drive; the
registration view at /events/<slug>/register calls it when ``event.kind == "volunteer"``.
/events/<slug>/apply reaches it directly.
"""
from datetime import datetime, timezone

from flask import current_app, redirect, render_template, url_for

from app.extensions import db
from app.public import bp
from app.public.volunteer_forms import VolunteerApplicationForm
from app.security import registration_limits
from app.services import volunteers as volunteer_service
from app.services.errors import Conflict, InvalidData
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
            try:
                registrations = volunteer_service.apply(
                    event, [s for s in map(event.slot_by_key, form.slots.data) if s is not None],
                    name=form.name.data, phone=form.phone.data, email=form.email.data,
                    submission_key=form.submission_key.data,
                    consent_version=current_app.config["PRIVACY_NOTICE_VERSION"],
                    age_group=form.age_group.data, organisation=form.organisation.data,
                    experience=form.experience.data, availability=form.availability.data,
                    code_agreed=form.code.data, now=now,
                )
            except (Conflict, InvalidData) as error:
                db.session.rollback()
                target = form._fields.get(error.field or "", form.slots)
                target.errors = list(target.errors) + [str(error.message)]
                status = error.status
            else:
                db.session.commit()
                return redirect(f"/tickets/{registrations[0].token}", code=303)
    return render_template("public/volunteer_apply.html", event=event, form=form,
                           registration_state=state), status
