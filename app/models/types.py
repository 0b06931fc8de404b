"""Column types shared by the models."""
from datetime import datetime, timezone

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

# The years the app deals in. A time outside them is a slip (0001 typed into a date picker),
# and year 1 at +08:00 does not even convert to UTC. Events, reports and corrected check-in
# times all hold to them.
FIRST_YEAR, LAST_YEAR = 2000, 2100

# Every id is an INTEGER column: at most 2**31 - 1 on PostgreSQL. A larger one (a link
# typed wrong, a probe) names no row, and the databases refuse to even look it up.
LARGEST_ID = 2**31 - 1


def utcnow():
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Stores naive UTC on every database and always hands back an aware UTC datetime.

    SQLite has no time zones; PostgreSQL's ``timestamp without time zone`` behaves the same,
    so both databases hold exactly the same values.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware datetime in UTC")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)
