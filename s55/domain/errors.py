"""Named refusals. Each carries a message a person can act on."""


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
