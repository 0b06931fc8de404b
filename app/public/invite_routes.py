"""The invitee's page: register through an invitation link into the slot's reserved
seats (then public seats, should the reserve run short), even when the public seats are
gone."""
import secrets

from flask import current_app, flash, redirect, render_template, request
from flask_babel import gettext as _

from app.extensions import db
from app.public import bp, my_tickets
from app.public.forms import FindTicketForm, ResendTicketForm
from app.public.invite_forms import invite_form_for
from app.security import count_against_the_phone, registration_limits
from app.services.errors import AlreadyRegistered, Conflict, DomainError
from app.services.invitations import find_by_token, ticket_through, usable_invitation
from app.services.registration import find_by_submission, register_through_invitation


@bp.route("/invite/<token>", methods=["GET", "POST"])
@registration_limits
def invite(token):
    submitted = request.method == "POST"
    # A resubmitted form (double click, back button) finds its ticket even once the link
    # has been used up by that very submission.
    previous = find_by_submission(request.form.get("submission_key")) if submitted else None
    if previous is not None:
        return redirect(f"/tickets/{previous.token}", code=303)
    try:
        invitation = usable_invitation(token)
    except Conflict:
        # The invitee opening their link again (the back button, or the link in the chat to
        # find their ticket) once it is used up: their ticket, not "this link is used up".
        # A form sent is someone else's try (another phone), refused as before.
        mine = None if submitted else ticket_through(token, my_tickets.all_mine())
        if mine is not None:
            flash(_("您已经报名成功，不用再报一次。这是您的电子票。"), "success")
            return redirect(f"/tickets/{mine.token}", code=303)
        used = _used_link(token)
        if used is None:
            raise
        # Most often the invitee again, on another phone or in another browser: a way to
        # their ticket (mailed to the e-mail given then; the page says the same for any
        # number typed), instead of only "used up" and the home page.
        return render_template("public/invite_used.html", invitation=used,
                               event=used.slot.event, find_form=FindTicketForm(formdata=None),
                               refusal=_("这个邀请链接已经用完。")
                               if used.used >= used.max_uses else _("这个邀请链接已经失效。")), 409
    slot = invitation.slot
    event = slot.event
    form = invite_form_for(event.max_party_size)()  # the party size this event allows
    status, resend_form = 200, None
    refusal = _no_booking(slot)
    if refusal is not None:
        form.form_errors.append(refusal)
        status = 409 if form.is_submitted() else 200
    elif not form.is_submitted():
        form.submission_key.data = secrets.token_urlsafe(16)
    elif form.validate():
        try:
            registration, _created = register_through_invitation(
                event, slot, invitation, name=form.name.data, phone=form.phone.data,
                email=form.email.data or None, party_size=form.party_size.data,
                submission_key=form.submission_key.data or None,
                consent_version=current_app.config["PRIVACY_NOTICE_VERSION"])
        except AlreadyRegistered as error:
            db.session.rollback()
            mine = _ticket_of_this_browser(error)
            if mine is not None:
                flash(_already_message(mine), "success")
                return redirect(f"/tickets/{mine.token}", code=303)
            # Someone else's browser: the phone may be theirs (registered earlier, on another
            # phone or without the link) or a slip of the finger. Their ticket is not shown
            # to whoever types a number; it can be mailed again to the e-mail given then, and
            # the form stays for a mistyped number. Like a booking, this counts against the
            # phone (no trying numbers one after another).
            count_against_the_phone()
            form.phone.errors.append(str(error.message))
            resend_form = ResendTicketForm(formdata=None, phone=form.normalised_phone)
            status = error.status
        except DomainError as error:
            db.session.rollback()
            target = getattr(form, error.field or "", None)
            if target is None:
                form.form_errors.append(str(error.message))
            else:
                target.errors.append(str(error.message))
            status = error.status
        else:
            db.session.commit()
            my_tickets.remember(registration.token)
            return redirect(f"/tickets/{registration.token}", code=303)
    else:
        status = 400
    return render_template("public/invite.html", form=form, invitation=invitation, slot=slot,
                           event=event, taking=_no_booking(slot) is None,
                           resend_form=resend_form), status


def _used_link(token):
    """The invitation behind a link that someone has registered through and that takes no
    one more (used up, or voided since), of an open day whose tickets can be found again;
    else None."""
    invitation = find_by_token(token)
    if invitation is None or invitation.used < 1:
        return None
    event = invitation.slot.event
    if event.kind != "open_day" or event.status == "draft":
        return None
    return invitation


def _ticket_of_this_browser(error):
    existing = getattr(error, "existing", None)
    return existing if existing is not None and my_tickets.is_mine(existing.token) else None


def _already_message(registration):
    """What the holder reads above their own ticket, when they try to register again."""
    if registration.status == "waitlisted":
        # Not "registered": the invitation's seat is not theirs while this waiting place is.
        return _("您已经在这个活动的候补名单上，这是您的候补电子票。如要改用邀请报名，"
                 "请先在本页取消候补，再打开邀请链接。")
    if registration.status == "pending":
        return _("您已经提交过这份申请，不用再提交一次。下面是您的申请。")
    return _("您已经报名成功，不用再报一次。这是您的电子票。")


def _no_booking(slot):
    """Why the link cannot book now (the page then shows no form), or None."""
    if slot.has_started:
        return _("这个场次已经开始，不能再报名。")
    if slot.seats_for_invitees < 1:
        return _("这个场次的名额（含为受邀代表预留的）已经用完。")
    return None
