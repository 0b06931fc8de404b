"""The e-mail outbox as office staff see it: what waits, what went out, what failed and
why, and a resend for what failed (DESIGN: mail never gets lost; staff can see what
failed). Admin only: it shows whom each message was for (masked)."""
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from app.admin import bp
from app.admin.forms import ActionForm
from app.extensions import db
from app.models import OutboxMessage
from app.security import admin_required
from app.services import audit
from app.services import mail as mail_service
from app.services.errors import Conflict


@bp.get("/mail")
@admin_required
def mail_outbox():
    return render_template("admin/mail.html", action_form=ActionForm(),
                           **mail_service.outbox_overview())


@bp.post("/mail/<int:message_id>/retry")
@admin_required
def mail_retry(message_id):
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        abort(404)
    if ActionForm().validate_on_submit():
        try:
            mail_service.retry(message)
        except Conflict as error:
            # Queued or sent already: the outbox as it is now says so (409, as before),
            # rather than an error page away from it.
            db.session.rollback()
            flash(str(error.message), "error" if message.status == "failed" else "info")
            return render_template("admin/mail.html", action_form=ActionForm(),
                                   **mail_service.outbox_overview()), error.status
        audit.record("mail.retry", message, detail={"kind": message.kind})
        db.session.commit()
        flash(_("已重新排队，邮件将在几秒内再次发送。"), "success")
    return redirect(url_for("admin.mail_outbox"), code=303)
