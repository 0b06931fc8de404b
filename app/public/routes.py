"""Public pages for citizens and volunteers (thin views: the rules are in services)."""
from datetime import datetime, timezone

from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import MethodNotAllowed

from app.database import begin_writing, read_only
from app.extensions import db
from app.i18n import speak_as_holder
from app.public import bp, my_tickets
from app.public.forms import (
    CancelForm,
    FindTicketForm,
    ResendTicketForm,
    new_submission_key,
    registration_form_for,
)
from app.public.volunteer_routes import handle_volunteer_application, refill_volunteer_application
from app.security import (
    count_against_the_phone,
    local_path,
    registration_limits,
    resend_ticket_limits,
)
from app.services import events as event_service
from app.services import feedback as feedback_service
from app.services import privacy, tickets, waitlist
from app.services import registration as registration_service
from app.services import volunteers as volunteer_service
from app.services.errors import AlreadyRegistered, DomainError, RegistrationClosed, SlotFull
from app.services.registration import (
    TicketChanged,
    get_event_for_registration,
    normalise_phone,
)


@bp.get("/")
def index():
    read_only()
    now = datetime.now(timezone.utc)
    events, past_events = event_service.published_events(now)
    return render_template("public/index.html", events=events, past_events=past_events,
                           states={e.id: registration_service.public_state(e, now) for e in events})


@bp.get("/events/<slug>")
def event_detail(slug):
    read_only()
    event = get_event_for_registration(slug)
    now = datetime.now(timezone.utc)
    return render_template("public/event.html", event=event, held=my_tickets.held_for(event),
                           registration_state=registration_service.public_state(event, now),
                           find_form=FindTicketForm(formdata=None),
                           feedback_state=feedback_service.event_feedback_state(event, now),
                           feedback_closes_at=feedback_service.feedback_closes_at(event),
                           event_over=event.last_ends_at is not None and event.last_ends_at <= now)


@bp.route("/events/<slug>/register", methods=["GET", "POST"])
@registration_limits
def register(slug):
    # Everything up to the booking only reads (on SQLite: without the write lock, so a rush
    # of people reading forms or being turned away does not queue behind the bookings).
    read_only()
    event = get_event_for_registration(slug)
    if event.kind == "volunteer":
        # A volunteer drive takes an application for one or more shifts instead.
        if request.method == "POST":
            begin_writing()
        return handle_volunteer_application(event)
    state = registration_service.booking_state(event, datetime.now(timezone.utc))
    if state != "open" or not registration_service.has_room(event):
        # Nothing to fill in: the page says why (closed, or every seat taken).
        error = None
        if request.method == "POST":
            earlier = _ticket_already_made(event)
            if earlier is not None:
                return earlier
            error = RegistrationClosed() if state != "open" else SlotFull()
        return _registration_page(event, None, state, error=error, status=409 if error else 200)
    form = registration_form_for(event)
    if request.method != "POST":
        chosen = event.slot_by_key(request.args.get("slot", ""))
        if chosen is not None and not chosen.has_started and (not chosen.is_full or event.waitlist):
            form.slot.data = chosen.key
        return _registration_page(event, form, state)
    if not form.validate():
        return _registration_page(event, form, state, status=400)
    if form.is_bot:
        return _registration_page(event, form, state, status=400,
                                  error=DomainError(_("提交未被接受，请刷新页面后重新填写。")))
    slot = event.slot_by_key(form.slot.data)
    fields = {
        "name": form.name.data, "phone": form.normalised_phone,
        "party_size": form.party_size.data, "email": form.email.data or None,
        "submission_key": form.submission_key.data,
        "consent_version": current_app.config["PRIVACY_NOTICE_VERSION"],
        "extra": form.extra_data(),
    }
    try:
        registration = registration_service.look_before_booking(event, slot, **fields)
        if registration is not None and not registration.is_active:
            # This very form booked once, and that booking has been cancelled since (back
            # from the cancelled ticket to the form, then "submit"): a new booking, under a
            # key of its own, not the cancelled ticket again.
            fields["submission_key"] = new_submission_key()
            registration = registration_service.look_before_booking(event, slot, **fields)
        if registration is None and _seat_expected(form) and registration_service.would_wait(
                event, slot, form.party_size.data):
            # The form was sent with "提交报名" for a slot that would only put them on the
            # waiting list (it filled up meanwhile, the party is larger than the seats left,
            # or a full slot was picked in a browser that could not change the button): they
            # are asked, not put on the list unawares.
            return _registration_page(event, form, state, status=409, asked_to_wait=slot)
        if registration is None:
            # On SQLite the booking needs the writing transaction; the event and its slots,
            # read a moment ago, come along without being read again.
            begin_writing()
            registration = registration_service.register(event, slot, looked=True, alone=True,
                                                         mail=True, **fields)
    except DomainError as error:
        return _refused(event, slot, form, state, error)
    token = registration.token
    db.session.commit()
    my_tickets.remember(token)
    return redirect(url_for("public.ticket", token=token), code=303)


def _seat_expected(form):
    """Whether the form was sent with its "提交报名" button (``join=book``), not "加入候补".
    A form without either (a script that follows CONTRACT §4) takes a waiting place when
    the slot is full, as it always has."""
    return request.form.get("join") == "book"


def _ticket_already_made(event):
    """A form that a full or closed event refuses may have been booked already: by its own
    first click (a double click that took the last seat, or the same form sent again from
    the back button), or, in this browser, for the same phone (a second tab). Those people
    are shown their ticket, not "full"; a redirect to it, or None."""
    made = registration_service.active_made_by_form(event, request.form.get("submission_key"))
    if made is not None:
        return redirect(url_for("public.ticket", token=made.token), code=303)
    phone = normalise_phone(request.form.get("phone"))
    mine = registration_service.find_active(event, None, phone) if phone else None
    if mine is not None and my_tickets.is_mine(mine.token):
        flash(_("您已经报名成功，不用再报一次。这是您的电子票。"), "success")
        return redirect(url_for("public.ticket", token=mine.token), code=303)
    return None


def _ticket_of_this_browser(error):
    existing = getattr(error, "existing", None)
    if existing is not None and my_tickets.is_mine(existing.token):
        return existing.token
    return None


@bp.post("/events/<slug>/resend-ticket")
@resend_ticket_limits
def resend_ticket(slug):
    """Someone who registered before and lost the ticket page: the ticket goes again to the
    e-mail they gave, if any. The answer is the same whether or not it was sent."""
    event = get_event_for_registration(slug)
    form = FindTicketForm()
    if not form.validate():
        # A slip in the number typed on the event page: say so, rather than "check your
        # mail" for a ticket that cannot come. (This says nothing about who registered.)
        return render_template("public/find_ticket.html", event=event, find_form=form), 400
    registration_service.resend_ticket(event, form.normalised_phone)
    db.session.commit()
    return render_template("public/ticket_resent.html", event=event)


def _refused(event, slot, form, state, error):
    mine = _ticket_of_this_browser(error) if isinstance(error, AlreadyRegistered) else None
    if mine is not None:
        db.session.rollback()
        flash(_("您已经报名成功，不用再报一次。这是您的电子票。"), "success")
        return redirect(url_for("public.ticket", token=mine), code=303)
    if error.field and error.field in form and (error.status == 400 or isinstance(error, SlotFull)):
        # A field to change (also a party too large for the seats left): not a dead end.
        form[error.field].errors = [*form[error.field].errors, str(error.message)]
        return _registration_page(event, form, state, status=error.status)
    if isinstance(error, SlotFull) and _other_slot_open(event, slot):
        # Another slot still has room: keep what was typed so they can switch.
        return _registration_page(event, form, state, error=error, status=error.status)
    already = isinstance(error, AlreadyRegistered)
    if already:
        count_against_the_phone()
    # The phone as typed a moment ago, for the "mail my ticket again" button.
    resend_form = ResendTicketForm(formdata=None, phone=form.normalised_phone) if already else None
    page = render_template("public/refused.html", event=event, error=error, already=already,
                           resend_form=resend_form)
    db.session.rollback()  # nothing of a refused registration is kept
    return page, error.status


def _other_slot_open(event, slot):
    return any(other.id != slot.id and (not other.is_full or event.waitlist)
               for other in event.slots)


@bp.errorhandler(CSRFError)
def form_expired(error):
    """The registration form sent with a token its session no longer holds (WeChat's
    browser dropped its cookie, the phone slept overnight with the form open): nothing was
    saved. The form comes back as it was sent, under a fresh token, to be checked and sent
    once more: someone who typed it all on a phone should not have to type it again."""
    from app.errors import expired_form_response

    if request.endpoint != "public.register" or request.method != "POST":
        return expired_form_response()
    event = get_event_for_registration(request.view_args["slug"])
    expired = DomainError(_("页面已过期，刚才填写的内容还没有提交。请核对下面的内容，再提交一次。"))
    if event.kind == "volunteer":
        return refill_volunteer_application(event, expired)
    state = registration_service.booking_state(event, datetime.now(timezone.utc))
    if state != "open" or not registration_service.has_room(event):
        return _registration_page(event, None, state, error=expired, status=400)
    return _registration_page(event, registration_form_for(event), state, error=expired, status=400)


def _registration_page(event, form, state, *, error=None, status=200, asked_to_wait=None):
    # Shown the form again (the back button after registering, the link opened later):
    # this browser's ticket first. A form sent back with a question or an error is not.
    held = my_tickets.held_for(event) if request.method == "GET" else None
    page = render_template("public/register.html", event=event, form=form, held=held,
                           registration_state=state, error=error, asked_to_wait=asked_to_wait,
                           **_waiting_list_choices(event, form))
    if request.method == "POST":
        db.session.rollback()  # nothing of a refused registration is kept
    return page, status


def _waiting_list_choices(event, form):
    """Which slots the form offers as a waiting place (a full slot, or one with fewer
    seats left than the party chosen), and whether the slot chosen is one: the page then
    says "加入候补" instead of "提交报名" (the stylesheet switches the two as another slot is
    picked, where the browser can)."""
    if form is None or event.kind == "volunteer" or not event.waitlist:
        return {"waiting_slots": set(), "joins_waitlist": False}
    party = form.party_size.data if isinstance(form.party_size.data, int) else 1
    waiting = {slot.key for slot in event.slots
               if registration_service.would_wait(event, slot, party)}
    bookable = [slot.key for slot in event.slots if not slot.has_started]
    chosen = form.slot.data
    if chosen in bookable:
        joins = chosen in waiting
    else:  # nothing chosen yet: only when every slot on offer is a waiting place
        joins = bool(bookable) and all(key in waiting for key in bookable)
    return {"waiting_slots": waiting, "joins_waitlist": joins}


def _no_store(response):
    response = make_response(response)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/tickets/<token>")
def ticket(token):
    read_only()
    registration = registration_service.get_by_token(token)
    speak_as_holder(registration)
    return _no_store(render_template(
        "public/ticket.html", registration=registration, event=registration.event,
        slot=registration.slot, status=registration_service.display_status(registration),
        shows_qr=tickets.shows_qr(registration), ticket_url=tickets.ticket_url(registration),
        feedback_state=feedback_service.ticket_feedback_state(registration),
        cancel_refusal=registration_service.holder_may_not_cancel(registration),
        erase_refusal=privacy.erase_refusal(registration),
        applications=volunteer_service.applications_in_drive(registration),
        served_hours=volunteer_service.hours_served(registration),
        places_ahead=waitlist.places_ahead(registration),
        in_wechat=_in_wechat(),
        # As the cancellation mail offers: the event's form, while it takes registrations.
        may_register_again=(registration.status == "cancelled" and registration_service.public_state(
            registration.event, datetime.now(timezone.utc)) == "open"),
    ))


def _in_wechat():
    """WeChat's own browser, where many open their link: it downloads no files, so the
    calendar file needs the page opened in the phone's browser first."""
    return "MicroMessenger" in request.headers.get("User-Agent", "")


@bp.get("/tickets/<token>/qr.png")
def ticket_qr(token):
    read_only()
    registration = registration_service.get_by_token(token)
    if not tickets.shows_qr(registration):
        abort(404)
    response = make_response(tickets.qr_png(tickets.ticket_url(registration)))
    response.mimetype = "image/png"
    return _no_store(response)


@bp.get("/tickets/<token>/calendar.ics")
def ticket_calendar(token):
    read_only()
    registration = registration_service.get_by_token(token)
    if not registration.admits:  # a waiting or pending ticket has no seat to put in a diary
        abort(404)
    response = make_response(tickets.calendar_ics(registration))
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = "attachment; filename=openday.ics"
    return _no_store(response)


@bp.route("/tickets/<token>/cancel", methods=["GET", "POST"])
def ticket_cancel(token):
    """GET asks for confirmation; POST (with the CSRF token) cancels."""
    if request.method != "POST":
        read_only()
    registration = registration_service.get_by_token(token)
    speak_as_holder(registration)
    form = CancelForm()
    refusal = registration_service.holder_may_not_cancel(registration)
    changed = None
    if request.method == "POST" and refusal is None and form.validate():
        try:
            previous_status = registration_service.cancel_by_holder(
                registration, expected=form.seen_status)
        except TicketChanged as error:
            # Promoted or approved since the page was opened: asked again, on a page that
            # shows the ticket as it is now.
            db.session.rollback()
            changed = error.message
        else:
            db.session.commit()
            if previous_status is None:  # a double tap, another tab, or staff: done already
                flash(_already_cancelled_message(registration), "info")
            else:
                flash(_cancelled_message(previous_status), "success")
            return redirect(url_for("public.ticket", token=token), code=303)
    status = 200
    if request.method == "POST":
        status = 409 if refusal or changed else 400
    return _no_store(make_response(render_template(
        "public/cancel.html", registration=registration, event=registration.event,
        slot=registration.slot, form=form, refusal=refusal, changed=changed), status))


def _already_cancelled_message(registration):
    if registration.status == "rejected":
        return _("这份申请未通过，不需要再退出。")
    return _("这张票已经取消了，不用再取消。")


def _cancelled_message(previous_status):
    """Only a confirmed ticket held seats; a waiting place or an application did not."""
    if previous_status == "waitlisted":
        return _("已取消候补。")
    if previous_status == "pending":
        return _("已撤回申请。")
    return _("已取消报名，名额已释放。")


@bp.route("/tickets/<token>/erase", methods=["GET", "POST"])
def ticket_erase(token):
    """After cancelling, the holder may delete their personal data (PIPL). GET asks for
    confirmation; POST (with the CSRF token) erases. The ticket page stays, without them."""
    if request.method != "POST":
        read_only()
    registration = registration_service.get_by_token(token)
    speak_as_holder(registration)
    form = CancelForm()
    if request.method == "POST" and form.validate():
        erased = (registration.anonymised_at is None
                  and privacy.erase_by_holder(registration, datetime.now(timezone.utc)))
        db.session.commit()  # the ticket page now says the data is gone
        if not erased:  # a double tap, or another tab erased it a moment ago
            flash(_("您的个人信息已经删除。"), "info")
        return redirect(url_for("public.ticket", token=token), code=303)
    status = 400 if request.method == "POST" else 200
    return _no_store(make_response(render_template(
        "public/erase.html", registration=registration, event=registration.event,
        slot=registration.slot, form=form, refusal=privacy.erase_refusal(registration)), status))


@bp.get("/privacy")
def privacy_notice():
    return render_template("public/privacy.html")


@bp.app_template_global()
def preferences_return_path():
    """Where the language and large-text switches send the reader back to: this page when a
    GET shows it again; a page that answered a POST to a POST-only route ("请查收邮箱" after
    /resend-ticket, or its 429) would be a 405 there, so the event's page or the home page."""
    rule = request.url_rule
    if rule is not None:
        gettable = "GET" in (rule.methods or ())
    else:  # not routed: a 404 shows again on GET; a 405 to a GET does not
        gettable = (request.method in ("GET", "HEAD")
                    and not isinstance(request.routing_exception, MethodNotAllowed))
    if gettable:
        return request.full_path.rstrip("?")
    slug = (request.view_args or {}).get("slug")
    if slug and request.blueprint == "public":
        return url_for("public.event_detail", slug=slug)
    return url_for("public.index")


@bp.post("/preferences")
def preferences():
    """Remember the reader's language and large-text choice in cookies (a year)."""
    # Back to the page the switch was on; when the language changes, without its ?lang=,
    # which would outvote the new choice.
    dropped = ("lang",) if request.form.get("lang") else ()
    target = local_path(request.form.get("next"), dropped) or url_for("public.index")
    response = redirect(target, code=303)
    year = 365 * 24 * 3600
    if request.form.get("lang") in ("zh", "en"):
        response.set_cookie("lang", request.form["lang"], max_age=year, samesite="Lax",
                            httponly=True)
    if request.form.get("elder") in ("0", "1"):
        response.set_cookie("elder", request.form["elder"], max_age=year, samesite="Lax",
                            httponly=True)
    return response
