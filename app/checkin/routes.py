"""Door staff: the check-in screen and the check-in API."""
from app.checkin import bp  # noqa: F401
