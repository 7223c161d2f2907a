"""Named refusals. Each carries a message a person can act on.

A message a person may read in Welsh (on the web) is a `Said`: the English, as a str, that
also keeps its catalogue text and values, so that s55.render.language.say puts it in the
page's language (the values that are Said themselves, such as a stage or a role, too).
"""


class Said(str):
    """`said("the review is '%(stage)s'", stage=said(stage))`: the English, formatted; its
    text (the msgid of s55/locale) and values kept for another language."""

    msgid: str
    values: dict

    def __new__(cls, msgid: str, **values):
        self = super().__new__(cls, msgid % {k: str(v) for k, v in values.items()}
                               if values else msgid)
        self.msgid, self.values = msgid, values
        return self


said = Said


class Day(str):
    """A date in a message: `Day(day, long_date(day))`, said in the page's language's form."""

    day: object

    def __new__(cls, day, english: str):
        self = super().__new__(cls, english)
        self.day = day
        return self


class DueRule(str):
    """How a chief officer's date was worked out (route.chief_officer_due), in a message."""


class Listed(str):
    """Several texts said as one value: `Listed(items, said(" or "))`; each item (and the
    joiner) in the page's language when it is Said."""

    items: tuple
    joiner: str

    def __new__(cls, items, joiner: str = ", "):
        items = tuple(items)
        self = super().__new__(cls, str(joiner).join(map(str, items)))
        self.items, self.joiner = items, joiner
        return self


class S55Error(Exception):
    """A refusal or bad input, reported to the user; never a crash."""

    exit_code = 1


class InvalidInput(S55Error):
    """Input that breaks a rule; the message names the field and the rule."""

    exit_code = 2

    def __init__(self, field: str, rule: str):
        super().__init__(f"{field}: {rule}")
        self.field = field
        self.rule = rule


class NotFound(S55Error):
    exit_code = 3


class NotPermitted(S55Error):
    """The actor's role may not take this action (in this stage)."""

    exit_code = 4


class WrongStage(S55Error):
    exit_code = 5


class StaleVersion(S55Error):
    """The version the actor saw is no longer the current one."""

    exit_code = 6


class UnansweredRecommendations(S55Error):
    """s55(5B): every recommendation needs an answer before sign-off."""

    exit_code = 7


class OneLanguageOnly(UnansweredRecommendations):
    """A bilingual record is signed off and published in both languages or not at all: a text
    written in one language only blocks sign-off as an unanswered recommendation does (the
    same exit status: the record is not complete)."""


class Conflict(S55Error):
    """Someone else changed the review between reading and writing it; nothing was saved."""

    exit_code = 8


class SchemaOutOfDate(S55Error):
    """The database's schema is not the one this s55 was written for: nothing was done."""

    exit_code = 9
