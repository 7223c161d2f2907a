"""The follow-up across reports (DOMAIN.md, After publication: follow-up): the open actions of
every report of the office (of every office, for a national reader) by inspection theme and
age, the overdue ones oldest first; and the measures a board or the inspectorate asks of it:
the share of actions done within a year of being opened, and the median days to close one.

An action's theme is the inspection area the report gives its item (PEEL's areas, "Investigating
crime"; many thematic items name one too), else the inspection's title (a national thematic
has one title in every office). Its age counts from the day it was opened, when the review's
copies went."""

from __future__ import annotations

import statistics
from datetime import date

from sqlalchemy import select

from ..domain.actions import DONE, OPEN, Status, action_name, overdue
from ..store.models import FollowUpAction, Review
from .context import Context, london_date
from .reading import may_read

# an open action's age, in days since it was opened: (the longest it may be, the band's name)
AGES = ((91, "under 3 months"), (183, "3 to 6 months"), (365, "6 to 12 months"),
        (730, "1 to 2 years"), (None, "over 2 years"))
YEAR = 365


def age_band(days: int) -> str:
    return next(name for most, name in AGES if most is None or days < most)


def _theme_key(text: str) -> str:
    return " ".join(text.split()).casefold()


def picture(ctx: Context, *, actor: str | None) -> dict:
    """The open actions by theme and age, the overdue ones (the longest overdue first), and
    the follow-up measures, of the actor's office (every office's for a national reader)."""
    office = may_read(ctx, actor)
    today = ctx.today()
    with ctx.uow(read=True) as session:
        query = select(FollowUpAction, Review.ref, Review.title).join(
            Review, Review.id == FollowUpAction.review_id)
        if office is not None:
            query = query.where(FollowUpAction.office == office)
        rows = session.execute(query).all()
    themes: dict[str, dict] = {}
    late = []
    for action, ref, title in rows:
        state = Status(action.status)
        if state not in OPEN:
            continue
        written = " ".join((action.area or title or "").split()) or "(no theme)"
        theme = themes.setdefault(_theme_key(written), {
            "theme": written, "open": 0, "overdue": 0, "ages": {name: 0 for _d, name in AGES},
            "oldest_days": 0, "offices": set()})
        age = (today - london_date(action.opened_at)).days
        theme["open"] += 1
        theme["ages"][age_band(age)] += 1
        theme["oldest_days"] = max(theme["oldest_days"], age)
        theme["offices"].add(action.office)
        if overdue(state, action.target_on, today):
            theme["overdue"] += 1
            late.append({"action": action_name(ref, action.kind, action.number),
                         "office": action.office, "theme": written, "text": action.text,
                         "owner": action.owner, "target": action.target_on.isoformat(),
                         "days_overdue": (today - action.target_on).days, "age_days": age,
                         "status": action.status})
    late.sort(key=lambda a: (-a["days_overdue"], a["action"]))
    by_theme = sorted(themes.values(), key=lambda t: (-t["overdue"], -t["oldest_days"],
                                                      t["theme"].casefold()))
    for theme in by_theme:
        theme["offices"] = len(theme["offices"])
    out = {"today": today.isoformat(), "office": office, "themes": by_theme, "overdue": late,
           "ages": [name for _d, name in AGES],
           "measures": measures([(a, today) for a, _ref, _title in rows])}
    if office is None:  # the national picture: each office's measures beside the whole
        per: dict[str, list] = {}
        for action, _ref, _title in rows:
            per.setdefault(action.office, []).append((action, today))
        out["offices"] = {name: measures(actions) for name, actions in sorted(per.items())}
    return out


def measures(actions: list[tuple[FollowUpAction, date]]) -> dict:
    """How the follow-up is going: how many actions, open, overdue and done; of those opened at
    least a year ago (not counting any not accepted), the share done within a year of being
    opened; and the median days from opening to done."""
    counts = {"actions": 0, "open": 0, "overdue": 0, "done": 0, "not_accepted": 0}
    days_to_close = []
    year_old = within_year = 0
    for action, today in actions:
        state = Status(action.status)
        opened = london_date(action.opened_at)
        counts["actions"] += 1
        if state in OPEN:
            counts["open"] += 1
            counts["overdue"] += overdue(state, action.target_on, today)
        elif state == Status.NOT_ACCEPTED:
            counts["not_accepted"] += 1
        if state in DONE and action.closed_on is not None:
            counts["done"] += 1
            days_to_close.append((action.closed_on - opened).days)
        if state != Status.NOT_ACCEPTED and (today - opened).days >= YEAR:
            year_old += 1
            within_year += state in DONE and action.closed_on is not None and \
                (action.closed_on - opened).days <= YEAR
    return {**counts, "opened_a_year_ago": year_old, "closed_within_a_year": within_year,
            "closed_within_a_year_share": round(100 * within_year / year_old, 1)
            if year_old else None,
            "median_days_to_close": statistics.median(days_to_close) if days_to_close
            else None}
