"""Timeliness: the published responses against the 56-day line, as a page and a chart."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ..render.language import _
from ..services.compliance import chart_svg, report as timeliness
from .common import SignedIn, WebDep

router = APIRouter()


@router.get("/report", response_class=HTMLResponse)
def report(request: Request, w: WebDep, person: SignedIn, year: int | None = None):
    from ..services.followup import picture

    data = timeliness(w.ctx, actor=person.email, year=year)
    return w.page(request, "report.html", user=person, data=data, year=year,
                  follow_up=picture(w.ctx, actor=person.email)["measures"])


@router.get("/report/chart.svg")
def chart(request: Request, w: WebDep, person: SignedIn, year: int | None = None):
    data = timeliness(w.ctx, actor=person.email, year=year)
    lang = w.language(request, person)  # the chart in the page's language
    return Response(chart_svg(data, person.office or _(lang, "Every office"), lang),
                    media_type="image/svg+xml")


@router.api_route("/health", methods=["GET", "HEAD"])
def health() -> Response:
    return Response("ok", media_type="text/plain")
