"""One message from its folder under templates/email/<name>/: subject.txt, body.txt, body.html."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..render.environment import environment
from ..render.language import HTML_LANG

TEMPLATES = ("invitation", "comments_received", "comments_requested", "sign_off_request",
             "published", "statutory_copy")


@dataclass(frozen=True)
class Composed:
    subject: str
    text: str
    html: str


def compose(name: str, context: dict, office_templates: tuple[Path, ...] | Path | None = (),
            lang: str = "en") -> Composed:
    env = environment(office_templates, lang)

    def render(part: str) -> str:
        return env.get_template(f"email/{name}/{part}").render(m=context)

    subject = " ".join(render("subject.txt").split())  # one line, whatever the template did
    return Composed(subject=subject, text=render("body.txt"), html=render("body.html"))


def compose_bilingual(name: str, english: dict, welsh: dict,
                      office_templates: tuple[Path, ...] | Path | None = (), *,
                      welsh_first: bool = False) -> Composed:
    """One message in both languages (Welsh Language Standards): the subject as 'one / the
    other', the text one after the other, the HTML as two parts each marked with its `lang`;
    Welsh first where the office says so."""
    import html
    import re

    parts = {"en": compose(name, english, office_templates, "en"),
             "cy": compose(name, welsh, office_templates, "cy")}
    order = ("cy", "en") if welsh_first else ("en", "cy")
    first, second = (parts[lang] for lang in order)

    def body(page: str) -> str:
        found = re.search(r"<body[^>]*>(.*)</body>", page, re.S | re.I)
        return (found[1] if found else page).strip()

    subject = f"{first.subject} / {second.subject}"
    tags = HTML_LANG
    sections = "\n<hr>\n".join(f'<div lang="{tags[lang]}">\n{body(parts[lang].html)}\n</div>'
                                for lang in order)
    page = (f'<!DOCTYPE html>\n<html lang="{tags[order[0]]}">\n<head><meta charset="utf-8">'
            f"<title>{html.escape(subject)}</title></head>\n"
            '<body style="font-family: sans-serif; line-height: 1.5; max-width: 40rem;">\n'
            f"{sections}\n</body>\n</html>\n")
    return Composed(subject=subject, text=f"{first.text.rstrip()}\n\n{'-' * 40}\n\n"
                                          f"{second.text}", html=page)
