"""Text that staff and citizens type and others read: it must show what it says."""
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
