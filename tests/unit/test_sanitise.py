"""Text from people and imports: markup made inert, and no character that hides what is stored."""

import pytest

from s55.render.sanitise import plain_text, rich_text


@pytest.mark.parametrize("hostile", [
    "\x1b[31mred\x1b]0;PWNED\x07 and back\x08space",  # a terminal's colours, title, bell
    "&#27;[31mred &#x1b;]0;PWNED&#7;",                 # the same, as character references
    "\u202eevil\u202c \u2066isolated\u2069 \u202aembedded\u202c",  # bidirectional overrides
    "nul\x00 del\x7f c1\x85\x9b",
])
def test_no_control_or_override_character_survives(hostile):
    for cleaned in (plain_text(hostile), rich_text(hostile), rich_text(f"<p>{hostile}</p>")):
        assert not any(ord(c) < 0x20 and c not in "\t\n" or 0x7f <= ord(c) <= 0x9f
                       or 0x202a <= ord(c) <= 0x202e or 0x2066 <= ord(c) <= 0x2069
                       for c in cleaned), repr(cleaned)
        assert "&#27;" not in cleaned and "&#x1b;" not in cleaned and "&#7;" not in cleaned


def test_real_text_keeps_every_character():
    text = "Café é 👮 “quotes” – dashes; Arabic مرحبا with marks \u200fو\u200e; Welsh ŵ ŷ"
    assert plain_text(text) == text
    assert rich_text(text) == f"<p>{text}</p>"
