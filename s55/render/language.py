"""Welsh and English: the message catalogue, and dates and numbers in each language's forms.

The texts s55 writes (the published page's headings, the web app, the emails) are English
in the templates and the code, marked for translation (Jinja2's i18n extension, `_()`); their
Welsh is in the gettext catalogue `s55/locale/cy/LC_MESSAGES/s55.po`, read with Babel and
compiled in memory (there is no binary file to keep in step). Dates and numbers in Welsh come
from Babel's CLDR data for `cy`, not from month names written here.

A record's own words are never translated: a bilingual record holds both texts (Record.cy).
"""

from __future__ import annotations

import gettext
import io
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from ..domain.record import LANGUAGES

LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
LANGS = tuple(LANGUAGES)  # ("en", "cy")
HTML_LANG = {"en": "en-GB", "cy": "cy"}  # the `lang` and `hreflang` each language is given
NAMES = {"en": "English", "cy": "Cymraeg"}  # each language named in itself, for a switch


@lru_cache(maxsize=4)
def translations(lang: str) -> gettext.NullTranslations:
    """The catalogue of a language (English: the texts as written)."""
    if lang == "en":
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    from babel.support import Translations

    with (LOCALE_DIR / lang / "LC_MESSAGES" / "s55.po").open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled)


def _(lang: str, message: str, **values) -> str:
    """One text in a language, its %(name)s places filled."""
    text = translations(lang).gettext(message)
    return text % values if values else text


def say(text, lang: str) -> str:
    """A message in a language: a Said (s55.domain.errors) through the catalogue, its values
    too; any other text as it is."""
    from ..domain.errors import Day, DueRule, Listed, Said

    if lang == "en":
        return str(text)
    if isinstance(text, Day):
        return long_date(text.day, lang)
    if isinstance(text, DueRule):
        return due_rule(str(text), lang)
    if isinstance(text, Listed):
        return say(text.joiner, lang).join(say(item, lang) for item in text.items)
    if isinstance(text, Said):
        return _(lang, text.msgid, **{k: say(v, lang) for k, v in text.values.items()})
    return str(text)


def long_date(day: date | None, lang: str = "en") -> str:
    """'Wed 19 Oct 2022' in English (as s55 has always written it); '19 Hydref 2022' in Welsh,
    from CLDR (without the day's name, which a Welsh sentence would mutate: 'ar ddydd
    Mercher')."""
    if day is None:
        return _(lang, "none")
    if lang == "en":
        return day.strftime("%a %d %b %Y")
    from babel.dates import format_date

    return format_date(day, "d MMMM y", locale=lang)


def date_time(value: datetime, lang: str = "en") -> str:
    """A moment in Europe/London, its zone named: 'Tue 18 Oct 2022 15:00 BST'; in Welsh
    '18 Hydref 2022 15:00 BST' (the zone's abbreviation is the same in both)."""
    from zoneinfo import ZoneInfo

    local = value.astimezone(ZoneInfo("Europe/London"))
    if lang == "en":
        return local.strftime("%a %d %b %Y %H:%M %Z")
    from babel.dates import format_date

    return f"{format_date(local.date(), 'd MMMM y', locale=lang)} " \
           f"{local.strftime('%H:%M %Z')}"


def number(value: int, lang: str = "en") -> str:
    from babel.numbers import format_decimal

    return format_decimal(value, locale="en_GB" if lang == "en" else lang)


def progress(published_on: date, last_day: date | None, done_on: date, lang: str,
             *, short: bool = False) -> str:
    """How a publication ended against the statutory period, in a language (the English is
    deadlines.progress's, word for word); `short`, without 'published' (for a sentence that
    says it already)."""
    from ..domain.deadlines import day_of_period

    if last_day is None:
        return _(lang, "no statutory deadline")
    period = (last_day - published_on).days + 1
    late = (done_on - last_day).days
    t = translations(lang)
    if late > 0 and short:
        said = t.ngettext("%(days)s day late", "%(days)s days late", late)
    elif late > 0:
        said = t.ngettext("published %(days)s day late", "published %(days)s days late", late)
    elif short:
        said = t.gettext("on day %(day)s of %(period)s (on time)")
    else:
        said = t.gettext("published on day %(day)s of %(period)s (on time)")
    return said % {"days": number(late, lang),
                   "day": number(day_of_period(published_on, done_on), lang),
                   "period": number(period, lang)}


def progress_now(published_on: date, last_day: date | None, today: date, lang: str) -> str:
    """Where a review stands against the statutory period today (deadlines.progress's
    English, word for word, in English)."""
    from ..domain import deadlines

    if lang == "en":
        return deadlines.progress(published_on, last_day, today)
    if last_day is None:
        return _(lang, "no statutory deadline")
    if today < published_on:
        return _(lang, "report not yet published (day 1 is %(day)s)",
                 day=long_date(published_on, lang))
    late = (today - last_day).days
    if late > 0:
        return translations(lang).ngettext("late by %(days)s day", "late by %(days)s days",
                                           late) % {"days": number(late, lang)}
    return _(lang, "day %(day)s of %(period)s",
             day=number(deadlines.day_of_period(published_on, today), lang),
             period=number((last_day - published_on).days + 1, lang))


def statutory_rule(period_days: int | None, has_deadline: bool, lang: str) -> str:
    if not has_deadline:
        return _(lang, "No statutory deadline applies to this response.")
    return _(lang, "s55(5A): publication before the end of the %(period)s days beginning with "
                   "the day the report was published, so by the publication date plus "
                   "%(more)s calendar days.", period=number(period_days, lang),
             more=number(period_days - 1, lang))


_GIVEN = "given by the OPCC on "
_WORKING = " England and Wales working days after the invitation on "
_PASSED = "; the statutory last day, "


def due_rule(rule: str | None, lang: str) -> str:
    """How the chief officer's date was worked out, as route.chief_officer_due wrote it down
    (in English, on the trail), said in `lang`; what it does not recognise stays as written."""
    import re

    if not rule or lang == "en":
        return rule or ""

    def day(text: str) -> str:
        try:
            return long_date(datetime.strptime(text.strip(), "%a %d %b %Y").date(), lang)
        except ValueError:
            return text

    how, _sep, passed = rule.partition(_PASSED)
    said = None
    if how.startswith(_GIVEN):
        said = _(lang, "given by the OPCC on %(day)s", day=day(how.removeprefix(_GIVEN)))
    elif m := re.fullmatch(r"(\d+)" + re.escape(_WORKING) + r"(.+?), skipping weekends and "
                           r"bank holidays", how):
        said = _(lang, "%(n)s England and Wales working days after the invitation on %(day)s, "
                       "skipping weekends and bank holidays", n=number(int(m[1]), lang),
                 day=day(m[2]))
    if said is None:
        return rule
    if passed:
        last = passed.removesuffix(", has already passed")
        said += _(lang, "; the statutory last day, %(day)s, has already passed", day=day(last))
    return said
