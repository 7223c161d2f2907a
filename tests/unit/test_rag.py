"""The red/amber/green mark, with literal dates."""

from datetime import date

import pytest

from s55.domain.workflow import Stage
from s55.services.compliance import rag

TODAY = date(2022, 11, 1)


@pytest.mark.parametrize("stage, days_left, co_due, mark", [
    (Stage.AWAITING_LOCAL_POLICING_BODY, 30, None, "green"),
    (Stage.AWAITING_LOCAL_POLICING_BODY, 14, None, "amber"),
    (Stage.AWAITING_SIGN_OFF, 7, None, "red"),
    (Stage.SIGNED_OFF, 7, None, "green"),  # signed off with a week to publish
    (Stage.SIGNED_OFF, 2, None, "amber"),
    (Stage.SIGNED_OFF, 0, None, "red"),  # the last day has passed
    (Stage.AWAITING_CHIEF_OFFICER, 30, date(2022, 10, 31), "red"),  # chief officer overdue
    (Stage.AWAITING_CHIEF_OFFICER, 30, date(2022, 11, 1), "green"),  # due today: not overdue
    (Stage.DRAFT, None, None, "green"),  # no statutory deadline
    (Stage.AWAITING_CHIEF_OFFICER, None, date(2022, 10, 31), "amber"),
])
def test_rag(stage, days_left, co_due, mark):
    assert rag(stage, days_left, co_due, TODAY) == mark
