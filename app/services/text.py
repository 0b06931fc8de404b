"""Text that staff and citizens type and others read: it must show what it says."""
import re
import unicodedata

# Zero-width joiner keeps emoji sequences (family, flags) intact; other format characters
# (bidi overrides, zero-width spaces) only hide what a text really says, or flip how it reads.
ALLOWED_FORMAT_CHARS = frozenset({"\u200d"})
# A text over several lines keeps its line breaks, and its tabs: a description pasted from a
# Word document or a spreadsheet carries them, and a page shows a tab as a space.
MULTILINE_WHITESPACE = frozenset({"\n", "\r", "\t"})


def has_hidden_characters(text, *, multiline=False):
    """True when the text holds a control or format character (Unicode Cc, Cf) other than
    the zero-width joiner, or line breaks and tabs where the text may run over several lines.
    Emoji pass: their joiner is allowed and the variation selector (U+FE0F) is a mark."""
    for char in text or "":
        if multiline and char in MULTILINE_WHITESPACE:
            continue
        category = unicodedata.category(char)
        if category == "Cc" or (category == "Cf" and char not in ALLOWED_FORMAT_CHARS):
            return True
    return False


_SPACE_IN_A_NUMBER = re.compile(r"(?<=\d) (?=\d)")


def keep_numbers_whole(text):
    """A number written in groups (139 0000 1111, 021 5770 0000) with no-break spaces: in
    large text a line broke inside the example phone number, and "139" alone on a line
    reads as the whole of it."""
    from markupsafe import Markup

    if text is None:
        return text
    whole = _SPACE_IN_A_NUMBER.sub("\u00a0", str(text))
    if isinstance(text, Markup):
        # Safe already (a template's own words); a space becomes a space: nothing to escape.
        return Markup(whole)  # noqa: S704  # nosec B704
    return whole
