"""The site's index of published responses and its Atom feed."""

from __future__ import annotations

from pathlib import Path

from .environment import environment


def render_index(office: str, listing: list[dict], templates: tuple[Path, ...] | Path | None = ()) -> str:
    return environment(templates).get_template("site/index.html").render(office=office,
                                                                          listing=listing)


def render_feed(office: str, site: str, listing: list[dict], templates: tuple[Path, ...] | Path | None = ()) -> str:
    return environment(templates).get_template("site/feed.atom").render(
        office=office, site=site, listing=listing)
