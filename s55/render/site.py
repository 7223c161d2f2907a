"""The site's index of published responses and its Atom feed."""

from __future__ import annotations

from pathlib import Path

from .environment import environment


def render_index(office: str, listing: list[dict], templates: tuple[Path, ...] | Path | None = (),
                 lang: str = "en", alternates: list[dict] | None = None,
                 reports: list[dict] | None = None) -> str:
    """The site's index in a language; `alternates`: the index in each language (a Welsh
    office's site has index.html and index.cy.html, each linking the other); `reports`: the
    boards' follow-up reports on the site."""
    return environment(templates, lang).get_template("site/index.html").render(
        office=office, listing=listing, alternates=alternates or [], reports=reports or [])


def render_feed(office: str, site: str, listing: list[dict], templates: tuple[Path, ...] | Path | None = ()) -> str:
    return environment(templates).get_template("site/feed.atom").render(
        office=office, site=site, listing=listing)
