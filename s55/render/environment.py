"""The Jinja2 environment: autoescaping everywhere, an office's own templates first."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from ..files import bundled
from .language import HTML_LANG, date_time, long_date, say, translations
from .sanitise import sanitise_html

BUILT_IN = bundled("templates")


def rich(value: str) -> Markup:
    """A rich field, sanitised once more on its way into a page (it was on its way in, too)."""
    return Markup(sanitise_html(value or ""))


def _parsed(value, kind):
    """A date or time as a template is given it: the object, or its ISO text."""
    return kind.fromisoformat(value) if isinstance(value, str) else value


def environment(office_templates: tuple[Path, ...] | Path | None = (),
                lang: str = "en") -> Environment:
    """Templates from the office's folders (its own, then S55_TEMPLATES_DIR) when they have
    them, else the built-in ones; their texts in `lang` (the catalogue's, s55/locale/)."""
    if isinstance(office_templates, Path):
        office_templates = (office_templates,)
    return _environment(tuple(office_templates or ()), lang)


@lru_cache(maxsize=64)
def _environment(folders: tuple[Path, ...], lang: str = "en") -> Environment:
    """One environment per list of folders and language, kept: it compiles each template
    once (and compiles it again when its file changes), rather than once per message or
    page; its translations are its own, so two languages never share one."""
    loaders = [FileSystemLoader(str(folder)) for folder in folders]
    env = Environment(
        extensions=["jinja2.ext.i18n"],
        loader=ChoiceLoader([*loaders, FileSystemLoader(str(BUILT_IN))]),
        # on for every template but plain text, where there is no markup to escape
        autoescape=select_autoescape(disabled_extensions=("txt",), default_for_string=True,
                                     default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["rich"] = rich
    env.filters["say"] = lambda text: say(text, lang)  # a Said message in this language
    env.filters["day"] = lambda value: long_date(_parsed(value, date), lang)
    env.filters["when"] = lambda value: date_time(_parsed(value, datetime), lang)
    env.install_gettext_translations(translations(lang), newstyle=True)
    env.globals.update(lang=lang, html_lang=HTML_LANG[lang])
    return env

