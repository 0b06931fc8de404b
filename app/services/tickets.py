"""What a ticket carries: its absolute URL (the QR content) and the QR image."""
import io

import qrcode
from flask import current_app


def ticket_url(registration):
    return f"{current_app.config['BASE_URL']}/tickets/{registration.token}"


def qr_png(content, box_size=8):
    """A QR code as PNG bytes, built in memory."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box_size,
                         border=4)
    code.add_data(content)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image(fill_color="black", back_color="white").save(buffer, format="PNG")
    return buffer.getvalue()
