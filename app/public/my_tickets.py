"""This browser's latest tickets, kept in its session, so that the same person coming back
to a form (the back button, a second tab) is shown their ticket instead of a refusal."""
from flask import session

from app.services import registration as registration_service

MY_TICKETS = "my_tickets"
MY_TICKETS_KEPT = 5


def remember(token):
    kept = [t for t in session.get(MY_TICKETS, []) if t != token]
    session[MY_TICKETS] = [token, *kept][:MY_TICKETS_KEPT]


def is_mine(token):
    return token in session.get(MY_TICKETS, [])


def all_mine():
    return list(session.get(MY_TICKETS, []))


def held_for(event):
    """This browser's ticket for ``event`` that still holds a place (the newest), or None."""
    return registration_service.active_among(event, all_mine())
