"""Opening a review and changing its content: every change makes a new immutable version."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

from ..domain import deadlines
from ..domain.errors import Conflict, InvalidInput, NotPermitted, StaleVersion, said
from ..domain.record import Answer, AnswerKind, Item, Record, Welsh, language
from ..domain.workflow import Action, Role, Stage, transition
from ..store import repo
from ..store.models import Review
from .context import Context
from .deciding import audit, check_current, deciding


def open_review(ctx: Context, *, actor: str | None, record: Record, published_on: date,
                kind: str = "police-s55", source: str = "", source_key: str | None = None,
                again: bool = True, office: str | None = None) -> str:
    """Register a published report and open its review as a draft in the actor's office;
    returns the reference. With `again=False` (what `s55 import` asks for unless told
    --again), a record whose content is already a version of another office's review is
    refused, naming it: the same file imported twice makes one review, not two.

    `office` is given by the national fan-out alone: a national thematic report's review
    opens in each force's office (Action.OPEN_THEMATIC)."""
    person = ctx.actor(actor)
    if office is None:
        stage = transition(Action.OPEN, person.role, None)
        office = person.office
    else:
        stage = transition(Action.OPEN_THEMATIC, person.role, None)
        if person.office and person.office != office:
            raise NotPermitted(f"refused: {person.email} is of the office of {person.office}, "
                               f"not of {office}; its reviews are opened by its own people")
    if not office:
        raise NotPermitted(f"refused: {person.email} belongs to no office; a review is opened "
                           "by a person of the office it belongs to")
    home = ctx.offices.get(office)
    directory = home.directory if person.office else ctx.offices.national
    other = ctx.offices.serving(record.force) if ctx.offices.many else None
    if other is not None and other.force_id != office:
        raise InvalidInput("force", f"'{record.force}' is {other.force}, whose own office "
                           f"({other.name}) is on this service: a review is opened by the "
                           "office of its force")
    if home.welsh:  # Welsh Language Standards: the record is kept, and published, in both
        record = record.made_bilingual(Welsh(*home.welsh_names))
    elif record.bilingual:
        raise InvalidInput("Welsh", f"{home.name} publishes in English only, and this record "
                           "has a Welsh part: import its English part alone, or set `welsh: "
                           "true` in the office's office.yaml")
    rules = ctx.kind(kind)
    if published_on > ctx.today():
        raise InvalidInput("published_on", f"{published_on} is in the future; give the day "
                           "HMICFRS published the report")
    last_day = deadlines.statutory_last_day(
        published_on, period_days=rules.statutory_period_days,
        applies_from=rules.period_applies_from)
    at = ctx.now()
    with ctx.uow() as session:
        same = repo.reviews_with_version(session, record.content_hash(), office=office)
        if same and not again:
            raise Conflict(f"refused: this record is already {' and '.join(same)} (the same "
                           "content, version for version); `s55 show` it, or give --again to "
                           "open another review of it")
        prefix = f"{home.code}-{rules.ref_prefix}" if home.code else rules.ref_prefix
        ref = repo.next_ref(session, prefix, published_on.year)
        row = Review(ref=ref, office=office, kind=kind, force=record.force, title=record.title, stage=str(stage),
                     report_published_on=published_on, statutory_last_day=last_day,
                     current_version="", stage_seq=0, created_at=at, updated_at=at,
                     source_key=source_key)
        session.add(row)
        session.flush()
        digest = repo.add_version(session, row, record, at=at, by=person.email,
                                  reason=f"opened from {source}" if source else "opened")
        details = {"kind": kind, "report_published_on": published_on.isoformat(),
                   "statutory_last_day": last_day.isoformat() if last_day else None}
        if source:
            details["source"] = source
        row.stage_seq = audit(session, at=at, person=person, holder=directory.holder_for(person),
                              action=str(Action.OPEN), ref=ref, version=digest, details=details)
    return ref


INSPECTORATE = "His Majesty's Inspectorate of Constabulary and Fire & Rescue Services"


def blank_record(ctx: Context, title: str, actor: str | None) -> Record:
    """A new record for the actor's office's force, its office holders named from config/."""
    office = ctx.home_office(actor)
    return Record(force=office.force, title=title,
                  local_policing_body=office.holder(Role.LOCAL_POLICING_BODY),
                  chief_officer=office.holder(Role.CHIEF_OFFICER), inspectorates=(INSPECTORATE,))


def edit_text(ctx: Context, *, actor: str | None, ref: str, field_name: str, value: str,
              seen_version: str | None = None, lang: str = "en") -> str | None:
    """Replace one narrative or heading field, or an item's text ('recommendations.2'), in
    one language (sanitised by the caller)."""
    with deciding(ctx, ref, actor, Action.EDIT, seen_version=seen_version) as d:
        d.details["field"] = field_name
        if lang != "en":
            d.details["lang"] = lang
        return d.save(d.record().with_text(field_name, value, lang),
                      f"edited {field_name}" + (" in Welsh" if lang == "cy" else ""),
                      confirmed={f"{field_name}:{lang}"})


def add_item(ctx: Context, *, actor: str | None, ref: str, kind: str, text: str,
             area: str = "", lang: str = "en") -> str | None:
    """Record a recommendation, cause of concern or area for improvement from the report."""
    return add_items(ctx, actor=actor, ref=ref, kind=kind, texts=[text], area=area, lang=lang)


def add_items(ctx: Context, *, actor: str | None, ref: str, kind: str, texts: list[str],
              area: str = "", lang: str = "en") -> str | None:
    """Several items of one kind as one decision: one version, one audit entry. On a
    bilingual record an item is written in one language, and the other waits for its
    translation (`edit --field KIND.N --lang ...`)."""
    if not texts or any(not t.strip() for t in texts):
        raise InvalidInput("text", said("must not be empty"))
    with deciding(ctx, ref, actor, Action.EDIT) as d:
        d.details.update(kind=kind, text=texts[0] if len(texts) == 1 else texts)
        record = d.record()
        language(lang, record)
        if lang != "en":
            d.details["lang"] = lang
        for text in texts:
            item = Item(text, area) if lang == "en" else Item("", "", cy_text=text, cy_area=area)
            record = record.with_item(kind, item)
        return d.save(record, f"added to {kind}" if len(texts) == 1
                      else f"added {len(texts)} to {kind}")


def replace_content(ctx: Context, *, actor: str | None, ref: str, record: Record, source: str,
                    seen_version: str | None = None, exported_from: str | None = None
                    ) -> tuple[str, str | None]:
    """The draft's content replaced by a document's, as one decision: (the version before,
    the new one or None if nothing changed). The office holders stay as recorded, and an
    answer stays with its recommendation while the recommendation's text is unchanged.
    `exported_from`: the version a document `s55 export` wrote names; if the draft has moved
    on since and the document would change it, it is refused as a stale version would be (a
    translator's old copy must not undo what changed since)."""
    with deciding(ctx, ref, actor, Action.EDIT, seen_version=seen_version) as d:
        before = d.record()
        if before.bilingual and not record.bilingual:
            raise InvalidInput("Welsh", f"{ref} is kept in Welsh and English, and this "
                               "document has no Welsh part: import both parts (see the "
                               "bilingual house style), or edit one language with --lang")
        answers = {i.text: i.answer for i in before.recommendations if i.answer}
        recs = tuple(replace(i, answer=i.answer or answers.get(i.text))
                     for i in record.recommendations)
        new = replace(record, local_policing_body=before.local_policing_body,
                      chief_officer=before.chief_officer, recommendations=recs)
        if before.bilingual:
            new = replace(new, cy=replace(new.cy, local_policing_body=before.cy.local_policing_body,
                                          chief_officer=before.cy.chief_officer))
        current = d.review.current_version
        if exported_from and not current.startswith(exported_from) \
                and new.content_hash() != current:
            try:
                check_current(d.session, d.review, exported_from)
            except StaleVersion as stale:
                raise StaleVersion(f"{stale} ({source} was exported from version "
                                   f"{exported_from[:12]}: export the review again and make the "
                                   "changes there, or give --version with the current version "
                                   "to replace the draft with this document anyway)") from None
        d.details["source"] = source
        return d.version, d.save(new, f"replaced from {source}")


def answer_recommendation(ctx: Context, *, actor: str | None, ref: str, number: int, kind: str,
                          text: str, seen_version: str | None = None, lang: str = "en"
                          ) -> str | None:
    """s55(5B): the action taken or proposed, or why no action has been or will be taken; on
    a bilingual record, in one language (the kind is one for both)."""
    answers = {number: _answer(number, kind, text, field_kind="kind", field_text="text")}
    with deciding(ctx, ref, actor, Action.ANSWER_RECOMMENDATION, seen_version=seen_version) as d:
        d.details.update(recommendation=number, answer_kind=str(answers[number].kind))
        if lang != "en":
            d.details["lang"] = lang
        return d.save(_with_answers(d.record(), answers, lang),
                      f"answered recommendation {number}" + (" in Welsh" if lang == "cy" else ""),
                      confirmed={f"recommendations.{number}.answer:{lang}"})


def _answer(number: int, kind: str, text: str, *, field_kind: str, field_text: str) -> Answer:
    answer_kind = AnswerKind.read(kind, field_kind)
    if not text.strip():
        raise InvalidInput(field_text, said("an answer must explain the action, or why there "
                                             "is none"))
    return Answer(answer_kind, text)


def _with_answers(record: Record, answers: dict[int, Answer], lang: str = "en") -> Record:
    """The answers given, each in `lang`; on a bilingual record the other language's text of
    an answer already given is kept (the kind given is the kind for both)."""
    language(lang, record)
    for number in sorted(answers):
        if not 1 <= number <= len(record.recommendations):
            raise InvalidInput(f"answer-{number}", said(
                "there is no recommendation %(n)s (the record has %(count)s)", n=number,
                count=len(record.recommendations)))
        given, old = answers[number], record.recommendations[number - 1].answer
        if lang == "cy":
            given = Answer(given.kind, old.text if old else "", given.text)
        elif record.bilingual:
            given = Answer(given.kind, given.text, old.cy_text if old else "")
        record = record.with_answer(number, given)
    return record


def _comment_fields(ctx: Context, actor: str | None, text: str | None,
                    initial_response: str | None, overall_comments: str | None
                    ) -> tuple[Action, dict[str, str]]:
    """Which comments action this is, for this person, and the record fields it changes."""
    person = ctx.offices.find(actor or "")
    chief = person is not None and person.role == Role.CHIEF_OFFICER
    action = Action.CHIEF_OFFICER_COMMENTS if chief else Action.LOCAL_POLICING_BODY_COMMENTS
    fields = {"chief_officer_response" if chief else "initial_response": text,
              "overall_comments": overall_comments}
    if not chief and initial_response is not None:
        if text is not None:
            raise InvalidInput("initial_response", "give the comments on the report once, not twice")
        fields["initial_response"] = initial_response
    if chief and (initial_response is not None or overall_comments is not None):
        raise InvalidInput("initial_response", "and the overall comments are the local "
                           "policing body's; a chief officer gives their own comments only")
    return action, {k: v for k, v in fields.items() if v is not None}


def comments(ctx: Context, *, actor: str | None, ref: str, seen_version: str | None,
             text: str | None = None, initial_response: str | None = None,
             overall_comments: str | None = None, lang: str = "en",
             welsh: dict[str, str] | None = None) -> str | None:
    """The chief officer's comments (s55(5)(b)), or the body's own (s55(5)(a) and (c)).

    `text` is the actor's own comments: the chief officer's response for a chief officer,
    the body's comments on the report, (a), for the local policing body. On a bilingual
    record they are in `lang`, and `welsh` may give the Welsh of the same fields (keys text,
    initial_response, overall_comments) in the same decision.
    """
    action, given = _comment_fields(ctx, actor, text, initial_response, overall_comments)
    _action, given_cy = _comment_fields(ctx, actor, *(
        (welsh or {}).get(k) for k in ("text", "initial_response", "overall_comments")))
    if not given and not given_cy:
        raise InvalidInput("text", said("give the comments: there is nothing to record"))
    with deciding(ctx, ref, actor, action, seen_version=seen_version) as d:
        d.details["given_version"] = d.version
        if lang != "en":
            d.details["lang"] = lang
        record = _with_comments(d.record(), given, lang)
        if given_cy:
            record = _with_comments(record, given_cy, "cy")
            d.details["welsh"] = sorted(given_cy)
        return d.save(record, str(action) + (" in Welsh" if lang == "cy" else "")
                      + (" (with the Welsh)" if given_cy and lang != "cy" else ""),
                      confirmed={f"{k}:{lang}" for k in given} | {f"{k}:cy" for k in given_cy})


def _with_comments(record: Record, given: dict[str, str], lang: str) -> Record:
    if language(lang, record) == "cy":
        return replace(record, cy=replace(record.cy, **given))
    return replace(record, **given)


def comments_and_answers(ctx: Context, *, actor: str | None, ref: str, seen_version: str | None,
                         text: str | None = None, initial_response: str | None = None,
                         overall_comments: str | None = None,
                         answers: dict[int, tuple[str, str]] | None = None,
                         lang: str = "en", welsh: dict[str, str] | None = None,
                         answers_cy: dict[int, str] | None = None,
                         confirm: set[str] | None = None) -> str | None:
    """One form's comments and answers as one decision: every part is checked, then all of it
    is stored as one version with one audit entry and one route request, or none of it (and
    the refusal is on the record, like any other).

    `answers` maps a recommendation's number to (kind, text); an empty text is no answer. On
    a bilingual record the form gives both languages: `welsh` the comments' Welsh (keys text,
    initial_response, overall_comments) and `answers_cy` each answer's Welsh text; `confirm`
    the stale texts (keys as Record.stale) the person says still say the same, of those this
    action may change.
    """
    person = ctx.offices.find(actor or "")
    commenting = text is not None or initial_response is not None or overall_comments is not None
    action = (Action.CHIEF_OFFICER_COMMENTS if person and person.role == Role.CHIEF_OFFICER
              else Action.LOCAL_POLICING_BODY_COMMENTS if commenting
              else Action.ANSWER_RECOMMENDATION)
    with deciding(ctx, ref, actor, action, seen_version=seen_version) as d:
        checked = {n: _answer(n, kind, text, field_kind=f"kind-{n}", field_text=f"answer-{n}")
                   for n, (kind, text) in sorted((answers or {}).items()) if text.strip()}
        _action, given = _comment_fields(ctx, actor, text, initial_response, overall_comments)
        _action, given_cy = _comment_fields(ctx, actor, *(
            (welsh or {}).get(k) for k in ("text", "initial_response", "overall_comments")))
        welsh_answers = {n: t for n, t in (answers_cy or {}).items() if t.strip()}
        now = d.record()
        mine = (r"chief_officer_response" if action == Action.CHIEF_OFFICER_COMMENTS else
                r"initial_response|overall_comments|recommendations\.\d+\.answer")
        confirms = {k for k in (confirm or set()) & set(now.stale)
                    if re.fullmatch(rf"(?:{mine}):(?:en|cy)", k)}
        if not given and not checked and not given_cy and not welsh_answers and not confirms:
            raise InvalidInput("text", said("give the comments or an answer: there is "
                                            "nothing to record"))
        if checked and action != Action.ANSWER_RECOMMENDATION:
            # the answers are a second action in the same decision: the table decides it too
            transition(Action.ANSWER_RECOMMENDATION, d.person.role, Stage(d.review.stage))
        d.details["given_version"] = d.version
        shown = now.in_language(language(lang, now))
        checked = {n: a for n, a in checked.items()  # a form shows the answers already given
                   if n > len(shown.recommendations) or shown.recommendations[n - 1].answer != a}
        if checked:
            d.details["answered"] = {str(n): str(a.kind) for n, a in checked.items()}
        if lang != "en":
            d.details["lang"] = lang
        record = _with_answers(_with_comments(now, given, lang), checked, lang)
        if given_cy or welsh_answers:
            language("cy", record)
            record = _with_comments(record, given_cy, "cy")
            for n, welsh_text in sorted(welsh_answers.items()):
                if not 1 <= n <= len(record.recommendations):
                    raise InvalidInput(f"answer-{n}-cy", said(
                        "there is no recommendation %(n)s", n=n))
                kept = record.recommendations[n - 1].answer
                if kept is None:  # the kind comes with the English answer (or the form's)
                    kind = (answers or {}).get(n, ("", ""))[0]
                    kept = _answer(n, kind, welsh_text, field_kind=f"kind-{n}",
                                   field_text=f"answer-{n}-cy")
                    kept = Answer(kept.kind, "", "")
                if kept.cy_text != welsh_text:
                    record = record.with_answer(n, replace(kept, cy_text=welsh_text))
                    parts_cy = d.details.setdefault("answered_in_welsh", [])
                    parts_cy.append(n)
        parts = ([str(action)] if given else []) + (
            [f"answered recommendation{'s' if len(checked) > 1 else ''} "
             f"{', '.join(map(str, checked))}"] if checked else [])
        if given_cy:
            parts.append(f"{action} in Welsh")
        if d.details.get("answered_in_welsh"):
            parts.append("answered in Welsh " + ", ".join(
                map(str, d.details["answered_in_welsh"])))
        if confirms:
            d.details["confirmed"] = sorted(confirms)
            parts.append("confirmed " + ", ".join(sorted(confirms)))
        # a text the form changed is written; one shown back unchanged confirms nothing (a
        # stale one is confirmed by its box: `confirm`)
        return d.save(record, "; ".join(parts) or "no change", confirmed=confirms)

