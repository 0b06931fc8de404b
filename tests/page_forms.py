"""The forms of a page as a browser would send them: tests post what the page showed."""
from html.parser import HTMLParser


class _FormParser(HTMLParser):
    """What a browser would send from the form posting to ``action`` (a form without an
    action posts to the page's own address, given as ``action`` too): its hidden and
    filled-in inputs, ticked boxes only, without the buttons. (With CSRF off in tests a
    form may hold no field at all.)"""

    def __init__(self, action):
        super().__init__()
        self.action = action
        self.inside = self.found = False
        self.fields = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("action") in (self.action, "", None)
            self.found = self.found or self.inside
        elif self.inside and tag == "input" and attrs.get("name"):
            kind = attrs.get("type", "text")
            if kind in ("submit", "button") or (kind in ("checkbox", "radio")
                                                and "checked" not in attrs):
                return
            self.fields[attrs["name"]] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False


def form_as_shown(page, action):
    parser = _FormParser(action)
    parser.feed(page)
    assert parser.found, f"no form posting to {action} on the page"
    return parser.fields
