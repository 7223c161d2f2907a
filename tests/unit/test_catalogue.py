"""The Welsh catalogue (s55/locale/cy) has a Welsh text for every text marked for translation
in the templates and the code: a page, message or screen is never half Welsh, half English
because a text was added in English and not translated."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from s55.render import language

ROOT = Path(__file__).resolve().parents[2]
# language._(lang, text), and said(text, ...): a refusal a person may read in Welsh
PYTHON_KEYWORDS = {"_": (2,), "gettext": None, "ngettext": (1, 2), "said": None}


def marked() -> dict[str, str]:
    """Every marked text (msgid, or (singular, plural)), with where it is."""
    found = {}
    for folder, method_map, options in (
            (ROOT / "templates", [("**.html", "jinja2.ext:babel_extract"),
                                  ("**.txt", "jinja2.ext:babel_extract"),
                                  ("**.atom", "jinja2.ext:babel_extract")],
             {"**": {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"}}),
            (ROOT / "s55", [("**.py", "python")], {})):
        for filename, lineno, message, _comments, _context in extract_from_dir(
                str(folder), method_map, options_map=options, keywords=PYTHON_KEYWORDS
                if folder.name == "s55" else {"_": None, "gettext": None,
                                              "ngettext": (1, 2)}):
            found[message] = f"{folder.name}/{filename}:{lineno}"
    return found


def test_every_marked_text_has_its_welsh():
    with (language.LOCALE_DIR / "cy" / "LC_MESSAGES" / "s55.po").open("rb") as fh:
        catalog = read_po(fh, locale="cy")
    texts = marked()
    assert len(texts) > 25  # the extraction found the page's texts (it can fail)
    # the texts a template translates by value: the grades and the kinds of answer
    from s55.domain.record import GRADES, AnswerKind

    texts.update({g: "the PEEL grades" for g in GRADES})
    texts.update({str(k): "the kinds of answer" for k in AnswerKind})
    from s55.domain.workflow import Stage

    texts.update({str(s): "the stages" for s in Stage})
    texts.update({mark: "the marks" for mark in ("red", "amber", "green")})
    from s55.domain.workflow import WAITING_FOR, waiting_for
    from s55.web.common import DONE

    texts.update({said: "what a review waits for" for said in WAITING_FOR.values()})
    texts[waiting_for(Stage.SIGNED_OFF, released=True)] = "what a review waits for"
    texts.update({said: "what a form did" for said in DONE.values()})
    from s55.domain.workflow import HELD_BY

    texts.update({f"the {role}": "who holds a review" for role in HELD_BY.values()})
    # the values a refusal names (said(str(action)) and the like), said in Welsh too
    from s55.domain.record import ITEM_NAMES
    from s55.domain.workflow import Action, Role

    texts.update({str(a): "the actions (refusals)" for a in Action})
    texts.update({str(r): "the roles (refusals)" for r in Role})
    texts.update({one: "the items (refusals)" for one in ITEM_NAMES.values()})
    texts.update({name: "the fields (language gaps)" for name in (
        "title", "summary", "initial response", "chief officer response", "overall comments")})
    texts.update({what: "what waits (refusals)" for what in ("sign-off", "publication")})
    from s55.domain.actions import Status as ActionStatus

    texts.update({str(s): "an action's status (a cycle's messages)" for s in ActionStatus})
    from s55.services.followup import AGES

    texts.update({name: "an open action's age (the themes page)" for _most, name in AGES})
    missing = []
    for message, where in texts.items():
        msgid = message[0] if isinstance(message, tuple) else message
        entry = catalog.get(msgid)
        strings = [] if entry is None else (
            entry.string if isinstance(entry.string, tuple) else (entry.string,))
        if not strings or not all(strings):
            missing.append(f"{where}: {msgid!r}")
    assert missing == []


def test_a_welsh_text_keeps_every_place_of_its_english():
    import re

    with (language.LOCALE_DIR / "cy" / "LC_MESSAGES" / "s55.po").open("rb") as fh:
        catalog = read_po(fh, locale="cy")
    places = re.compile(r"%\((\w+)\)s")
    wrong = []
    for entry in catalog:
        if not entry.id:
            continue
        english = entry.id if isinstance(entry.id, str) else entry.id[1]
        for welsh in (entry.string if isinstance(entry.string, tuple) else (entry.string,)):
            if set(places.findall(welsh)) != set(places.findall(english)):
                wrong.append(f"{english!r} -> {welsh!r}")
    assert wrong == []


def test_welsh_dates_and_numbers_come_from_cldr():
    from datetime import date

    assert language.long_date(date(2023, 10, 2), "cy") == "2 Hydref 2023"
    assert language.long_date(date(2023, 10, 2), "en") == "Mon 02 Oct 2023"
    assert language.progress(date(2023, 9, 28), date(2023, 11, 22), date(2023, 11, 24),
                             "cy") == "cyhoeddwyd 2 ddiwrnod yn hwyr"
    assert language.progress(date(2023, 9, 28), date(2023, 11, 22), date(2023, 11, 24),
                             "en") == "published 2 days late"
