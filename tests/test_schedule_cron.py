"""Cron expressions, the `season` preset and the "due" rule of crawler.schedule."""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from crawler.portals import SCHEDULE_PRESETS
from crawler.schedule import is_due, make_trigger, next_fire_time, previous_fire_time

CST = ZoneInfo("Asia/Shanghai")
SEASON = SCHEDULE_PRESETS["season"]


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=CST)


@pytest.mark.parametrize("now, prev, nxt", [
    (at(2026, 2, 10, 12), at(2026, 2, 10, 3), at(2026, 2, 11, 3)),     # daily in the reporting season
    (at(2026, 4, 30, 12), at(2026, 4, 30, 3), at(2026, 5, 4, 3)),      # last daily run, then Mondays
    (at(2026, 7, 10, 12), at(2026, 7, 6, 3), at(2026, 7, 13, 3)),      # weekly on Mondays
    (at(2026, 12, 31, 12), at(2026, 12, 28, 3), at(2027, 1, 1, 3)),    # back to daily on 1 January
])
def test_season_is_daily_in_january_to_april_and_weekly_otherwise(now, prev, nxt):
    trigger = make_trigger(SEASON)
    assert previous_fire_time(trigger, now) == prev
    assert next_fire_time(trigger, now) == nxt


def test_day_of_week_numbers_are_crontab_ones_not_apschedulers():
    # 2026-07-05 is a Sunday: crontab 0 and 7 both mean Sunday; APScheduler 3 alone would read 0 as Monday.
    for dow in ("0", "7", "sun"):
        assert previous_fire_time(make_trigger([f"0 3 * * {dow}"]), at(2026, 7, 10)) == at(2026, 7, 5, 3)
    weekdays = make_trigger(["0 3 * * 1-5/2"])  # Mon, Wed, Fri
    fires = [next_fire_time(weekdays, at(2026, 7, 5))]
    for _ in range(3):
        fires.append(next_fire_time(weekdays, fires[-1]))
    assert [f.strftime("%a") for f in fires] == ["Mon", "Wed", "Fri", "Mon"]


def test_six_fields_put_seconds_first():
    trigger = make_trigger(["*/3 * * * * *"])
    now = at(2026, 3, 1, 8, 0, 4)
    assert previous_fire_time(trigger, now) == at(2026, 3, 1, 8, 0, 3)
    assert next_fire_time(trigger, now) == at(2026, 3, 1, 8, 0, 6)


def test_previous_fire_time_of_a_yearly_cron():
    assert previous_fire_time(make_trigger(["0 0 1 4 *"]), at(2027, 3, 1)) == at(2026, 4, 1)


@pytest.mark.parametrize("expr", ["* * * *", "61 * * * *", "0 3 * * 9", "0 3 * 13 *"])
def test_bad_cron_expressions_are_refused_with_the_expression_named(expr):
    with pytest.raises(ValueError, match="schedule"):
        make_trigger([expr])


def test_due_when_no_run_started_since_the_previous_fire_time():
    trigger = make_trigger(SEASON)
    now = at(2026, 2, 10, 12)
    assert is_due(trigger, None, now)                                   # never crawled
    assert is_due(trigger, at(2026, 2, 10, 2, 59), now)                 # last run before today's 03:00
    assert not is_due(trigger, at(2026, 2, 10, 3, 0, 1), now)           # already ran after it
    summer = at(2026, 7, 10, 12)
    assert not is_due(trigger, at(2026, 7, 6, 3, 5), summer)            # Monday's run counts all week
    assert is_due(trigger, at(2026, 7, 6, 3, 5) - timedelta(hours=1), summer)


def test_due_compares_instants_across_time_zones():
    trigger = make_trigger(SEASON)                                       # 03:00 CST = 19:00 UTC the day before
    started_utc = datetime(2026, 2, 9, 19, 0, 5, tzinfo=timezone.utc)
    assert not is_due(trigger, started_utc, at(2026, 2, 10, 12))
