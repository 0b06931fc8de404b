"""Personal data: masking for staff screens and logs. (Retention and purge live here too.)"""


def mask_phone(phone):
    """138****1234 — never show a full phone number on a staff screen or in a log."""
    if not phone:
        return ""
    if len(phone) < 7:
        return "*" * len(phone)
    return f"{phone[:3]}****{phone[-4:]}"


def mask_name(name):
    """张** / 欧阳** — enough for a steward to recognise someone in front of them."""
    if not name:
        return ""
    return name[0] + "*" * min(max(len(name) - 1, 1), 2)


def mask_email(email):
    if not email or "@" not in email:
        return ""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"
