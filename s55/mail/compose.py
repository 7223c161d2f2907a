"""One message from its folder under templates/email/<name>/: subject.txt, body.txt, body.html."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..render.environment import environment

TEMPLATES = ("invitation", "comments_received", "comments_requested", "sign_off_request",
             "published", "statutory_copy")


@dataclass(frozen=True)
class Composed:
    subject: str
    text: str
    html: str


def compose(name: str, context: dict, office_templates: tuple[Path, ...] | Path | None = ()
            ) -> Composed:
    env = environment(office_templates)

    def render(part: str) -> str:
        return env.get_template(f"email/{name}/{part}").render(m=context)

    subject = " ".join(render("subject.txt").split())  # one line, whatever the template did
    return Composed(subject=subject, text=render("body.txt"), html=render("body.html"))
