"""The published record: an accessible HTML page, house-style text, and a tagged PDF."""

from __future__ import annotations

from pathlib import Path

from ..domain.record import Record
from .environment import environment
from .sanitise import html_to_text


def _env(office_templates: tuple[Path, ...] | Path | None, lang: str = "en"):
    env = environment(office_templates, lang)
    env.filters["text"] = html_to_text
    return env


def render_html(record: Record, meta: dict, office_templates: tuple[Path, ...] | Path | None = (),
                lang: str = "en") -> str:
    """The page of one language (`record` already that language's: Record.in_language)."""
    return _env(office_templates, lang).get_template("record/page.html").render(r=record,
                                                                               meta=meta)


def render_text(record: Record, meta: dict, office_templates: tuple[Path, ...] | Path | None = ()) -> str:
    return _env(office_templates).get_template("record/record.txt").render(r=record, meta=meta)


def render_pdf(page_html: str, meta: dict) -> bytes:
    """A PDF/UA (tagged) PDF of the page, titled and in the page's language."""
    import logging
    import warnings

    # font-subsetting notices are about WeasyPrint's own future, not about this document
    warnings.filterwarnings("ignore", message="HarfBuzz-Subset", category=DeprecationWarning)
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    from weasyprint import HTML  # heavy: imported only when a PDF is made
    return HTML(string=page_html).write_pdf(
        pdf_identifier=meta["version"][:32].encode(), pdf_variant="pdf/ua-1")
