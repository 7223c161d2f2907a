"""The compliance picture: every open review at a glance, and the record of days taken."""

from __future__ import annotations

from datetime import date

from ..domain import deadlines
from ..domain.workflow import CLOSED_STAGES, HELD_BY, WAITING_FOR, Stage
from ..store import repo
from .context import Context, london_date
from .reading import may_read


def rag(stage: Stage, days_left: int | None, co_due: date | None, today: date) -> str:
    """red: late, or a week or less left and not signed off, or the chief officer overdue;
    amber: two weeks or less left and not signed off; green otherwise."""
    if days_left is None:
        return "green" if not (co_due and stage == Stage.AWAITING_CHIEF_OFFICER
                               and co_due < today) else "amber"
    done = stage in (Stage.SIGNED_OFF, Stage.PUBLISHED)
    if days_left <= 0 or (days_left <= 7 and not done) or (
            stage == Stage.AWAITING_CHIEF_OFFICER and co_due and co_due < today):
        return "red"
    if days_left <= 14 and not done or (done and days_left <= 2):
        return "amber"
    return "green"


def status(ctx: Context, *, actor: str | None) -> list[dict]:
    scope = may_read(ctx, actor)
    today = ctx.today()
    rows = []
    with ctx.uow(read=True) as session:
        published = repo.published_on(session, scope)
        for row in repo.reviews(session, office=scope):
            stage = Stage(row.stage)
            if stage in CLOSED_STAGES:
                continue
            done_on = london_date(published[row.id]) if row.id in published else None
            left = None if done_on else deadlines.days_left(row.statutory_last_day, today)
            holders = ctx.directory_of(row).holders(HELD_BY[stage])
            rows.append({
                "ref": row.ref, "force": row.force, "title": row.title, "stage": row.stage,
                "report_published_on": row.report_published_on.isoformat(),
                "held_by": holders[0].name if holders else str(HELD_BY[stage]),
                "held_by_role": str(HELD_BY[stage]), "waiting_for": WAITING_FOR[stage],
                "statutory_last_day": row.statutory_last_day.isoformat()
                if row.statutory_last_day else None,
                "days_left": left,
                "published_on": done_on.isoformat() if done_on else None,
                "progress": deadlines.progress(row.report_published_on, row.statutory_last_day,
                                               today, done_on=done_on),
                "rag": rag(stage, left, row.chief_officer_due, today)})
    order = {"red": 0, "amber": 1, "green": 2}
    return sorted(rows, key=lambda r: (order[r["rag"]], r["days_left"] is None,
                                       r["days_left"] or 0, r["ref"]))


def finished(ctx: Context, *, actor: str | None, days: int = 90) -> list[dict]:
    """Reviews published in the last `days` days, newest first, with how they ended."""
    scope = may_read(ctx, actor)
    since = ctx.today().toordinal() - days
    rows = []
    with ctx.uow(read=True) as session:
        for row, pub in repo.publications_done(session, scope):
            on = london_date(pub.requested_at)
            if on.toordinal() < since:
                continue
            page = (pub.files or {}).get("page", {}).get("path")
            rows.append({
                "ref": row.ref, "force": row.force, "title": row.title, "stage": row.stage,
                "published_on": on.isoformat(),
                "report_published_on": row.report_published_on.isoformat(),
                "statutory_last_day": row.statutory_last_day.isoformat()
                if row.statutory_last_day else None,
                "progress": deadlines.progress(row.report_published_on, row.statutory_last_day,
                                               ctx.today(), done_on=on),
                "page_url": f"{ctx.site_address(ctx.office_of(row))}/{page}" if page else None})
    return rows


def report(ctx: Context, *, actor: str | None, year: int | None = None,
           check: bool = True, office: str | None = None) -> dict:
    """Published responses (of the actor's office; of every office for a national reader):
    the day each was published on against the 56-day line. (`check=False` only for the
    route itself, which regenerates an office's public page, naming the office.)"""
    if check:
        office = may_read(ctx, actor)
    rows = []
    with ctx.uow(read=True) as session:
        for row, pub in repo.publications_done(session, office):
            published_on = london_date(pub.requested_at)
            if year is not None and published_on.year != year:
                continue
            day = deadlines.day_of_period(row.report_published_on, published_on)
            period = ((row.statutory_last_day - row.report_published_on).days + 1
                      if row.statutory_last_day else None)
            rows.append({
                "ref": row.ref, "force": row.force, "title": row.title,
                "report_published_on": row.report_published_on.isoformat(),
                "published_on": published_on.isoformat(), "day": day, "period": period,
                "on_time": period is None or day <= period,
                "late_by": max(0, day - period) if period else 0,
                "late_reason": pub.late_reason})
    rows.sort(key=lambda r: (r["published_on"], r["ref"]))
    timed = [r for r in rows if r["period"]]
    on_time = sum(r["on_time"] for r in timed)
    return {"year": year, "rows": rows, "published": len(rows), "with_deadline": len(timed),
            "on_time": on_time,
            "on_time_rate": round(100 * on_time / len(timed), 1) if timed else None,
            "late_reasons": [f"{r['ref']}: late by {r['late_by']} days: {r['late_reason']}"
                             for r in rows if not r["on_time"]]}


def chart_svg(data: dict, title: str, lang: str = "en") -> bytes:
    """Days taken by each response, against the 56-day line, its words in `lang`."""
    import textwrap

    from ..render.charts import figure, svg
    from ..render.language import _

    rows = [r for r in data["rows"] if r["period"]]
    fig, ax = figure(8, max(2.5, 0.35 * len(rows) + 1.5))
    labels = [f"{r['force'][:28]} ({r['published_on']})" for r in rows]
    colours = ["#1d70b8" if r["on_time"] else "#d4351c" for r in rows]
    ax.barh(labels, [r["day"] for r in rows], color=colours)
    ax.axvline(56, color="#0b0c0c", linestyle="--", linewidth=1.5,
               label=_(lang, "day 56: the last day"))
    ax.invert_yaxis()
    ax.set_xlabel(_(lang, "day of the 56-day period on which the response was published"))
    rate = data["on_time_rate"]
    # a long office name is wrapped, never cut off at the drawing's edge
    ax.set_title("\n".join(textwrap.wrap(
        _(lang, "%(title)s: no responses", title=title) if rate is None else
        _(lang, "%(title)s: %(rate)s%% on time", title=title, rate=rate), 70)), fontsize=11)
    ax.legend(loc="lower right")
    return svg(fig)


def describe_year(year: int | None, lang: str = "en") -> str:
    from ..render.language import _

    return _(lang, "responses published in %(year)s", year=year) if year else \
        _(lang, "all published responses")

