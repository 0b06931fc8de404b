"""The ticket mail's QR code travels as a picture of the HTML (multipart/related), which mail
programs show in the text, not also as an attachment under it (multipart/mixed)."""
from app.services.mail import send_queued
from tests.services.test_mail_registration import register_by_form, smtp_sink  # noqa: F401


def test_the_qr_code_is_a_picture_of_the_html_not_an_attachment(client, db, make_event,
                                                                 smtp_sink):  # noqa: F811
    make_event()
    register_by_form(client)
    assert send_queued() == (1, 0)
    [message] = smtp_sink.messages
    assert message.get_content_type() == "multipart/related"
    assert message.get_param("type") == "multipart/alternative"
    alternative, picture = message.get_payload()
    assert alternative.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in alternative.get_payload()] == ["text/plain",
                                                                          "text/html"]
    assert picture.get_content_type() == "image/png"
    assert picture["Content-ID"] == "<ticket-qr>"
    assert 'src="cid:ticket-qr"' in message.get_body(("html",)).get_content()


def test_a_mail_without_a_picture_has_no_related_part(client, db, make_event,
                                                     smtp_sink):  # noqa: F811
    make_event()
    token = register_by_form(client)
    assert client.post(f"/tickets/{token}/cancel").status_code in (302, 303)
    assert send_queued() == (2, 0)
    ticket, cancelled = smtp_sink.messages
    assert "报名已取消" in cancelled["Subject"]
    assert cancelled.get_content_type() != "multipart/related"
    assert not [p for p in cancelled.walk() if p.get_content_type() == "image/png"]
    assert cancelled.get_body(("html",)) is not None
