"""Plain-language explanations with the numbers behind them, one function per finding kind.

An operator reads these at 3 am with a phone in the other hand: say what was seen, what is usual for
this resident and over how many days, in wall-clock times and whole minutes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from models.baselines import Baseline, MealWindow, TimeOfDay
from models.clock import hhmm, local_hhmm


def duration(minutes: float) -> str:
    """'45 min', '2 h 05 min', '3 days'."""
    minutes = max(minutes, 0.0)
    if minutes >= 2 * 1440:
        return f"{minutes / 1440:.0f} days"
    if minutes < 60:
        return f"{minutes:.0f} min"
    hours, rest = divmod(round(minutes), 60)
    return f"{hours} h {rest:02d} min"


def basis(baseline: Baseline) -> str:
    """Where the 'usual' comes from, ending the sentence: '(last 28 days)' or the cold-start note."""
    if baseline.cold_start:
        return (f"(cold start: population priors, only {baseline.days_used} days of own history; "
                f"personal routine is learned after 14 days)")
    return f"(last {baseline.days_used} days)"


def usual_time(tod: TimeOfDay) -> str:
    return f"{hhmm(tod.median)} ± {tod.spread:.0f} min"


def no_activity_morning(now: datetime, usual: TimeOfDay, deadline: float, in_bed: bool | None,
                        last_seen: datetime | None, baseline: Baseline) -> str:
    where = "still in bed" if in_bed else "no movement in kitchen, lounge or hallway"
    last = f"; last movement {local_hhmm(last_seen)}" if last_seen else ""
    return (f"Not up by {local_hhmm(now)}: {where}{last}. Usually up {usual_time(usual)}, "
            f"latest usual {hhmm(usual.late)}; alert after {hhmm(deadline)} {basis(baseline)}.")


def prolonged_inactivity(room: str, since: datetime, now: datetime, threshold: float, usual: float, pace: float,
                         baseline: Baseline) -> str:
    still = (now - since).total_seconds() / 60
    slower = f", allowing for moving {pace - 1:.0%} more slowly than usual lately" if pace > 1.05 else ""
    return (f"No movement anywhere for {duration(still)} since {local_hhmm(since)}, last seen in the {room}. "
            f"Usual longest still spell there at this hour: {duration(usual)}; alert after "
            f"{duration(threshold)}{slower} {basis(baseline)}.")


def prolonged_bathroom(since: datetime, now: datetime, threshold: float, baseline: Baseline) -> str:
    stay = (now - since).total_seconds() / 60
    return (f"In the bathroom for {duration(stay)} since {local_hhmm(since)}. Usual visits: 95% under "
            f"{duration(baseline.bathroom_p95)}, longest usual {duration(baseline.bathroom_p99)}; alert after "
            f"{duration(threshold)} {basis(baseline)}.")


def night_wandering(night_start: datetime, events: Sequence[tuple[str, datetime]], rooms: Sequence[str],
                    threshold: float, baseline: Baseline) -> str:
    first, last = events[0][1], events[-1][1]
    span = (last - first).total_seconds() / 60
    return (f"Up and about at night: {len(events)} movements in the {', '.join(rooms)} between "
            f"{local_hhmm(first)} and {local_hhmm(last)} ({duration(span)}) after going to bed at "
            f"{local_hhmm(night_start)}. Usually at most {baseline.night_events_p95:.0f} such movements a night "
            f"(95th percentile); alert from {threshold:.0f} {basis(baseline)}.")


def door_open_night(opened: datetime, now: datetime, away: bool, still_open: bool, night_start: datetime | None,
                    baseline: Baseline) -> str:
    context = f" after going to bed at {local_hhmm(night_start)}" if night_start else ""
    if away:
        outcome = "nothing has moved at home since: the resident may have gone out"
    elif still_open:
        outcome = "the door is still open"
    else:
        outcome = "the door was closed again"
    rate = baseline.night_door_rate
    usual = "usually never opened at night" if rate == 0 else f"usually opened on {rate:.0%} of nights"
    return (f"Front door opened at {local_hhmm(opened)}{context}, from inside by the resident; {outcome} "
            f"(checked {local_hhmm(now)}). The door is {usual} {basis(baseline)}.")


def missed_meal(meal: MealWindow, deadline: float, now: datetime, kitchen_minutes: float,
                fridge_opens: int, baseline: Baseline) -> str:
    return (f"No {meal.name} by {local_hhmm(now)}: {kitchen_minutes:.1f} min in the kitchen in all and "
            f"{fridge_opens} fridge opening(s) since the meal's window opened (a meal here takes "
            f"{meal.min_stay:.0f} min or more). Usually starts {hhmm(meal.typical)} (latest {hhmm(meal.late)}) "
            f"on {meal.reliability:.0%} of days; alert after {hhmm(deadline)} {basis(baseline)}.")


def cold_home(since: datetime, now: datetime, latest: float, coldest: float, limit: float,
              baseline: Baseline) -> str:
    usual = (f"; usual coldest night reading {baseline.night_temp_p05:.1f} °C" if baseline.night_temp_p05
             else "")
    stretch = duration((now - since).total_seconds() / 60)
    return (f"Home below {limit:.0f} °C for {stretch} since {local_hhmm(since)}: now {latest:.1f} °C, "
            f"lowest {coldest:.1f} °C{usual}. A fixed safety limit, whatever the home is usually like.")


def activity_decline(pace: float, usual: float, spread: float, active: float | None, usual_active: float,
                     days: int, slope_per_week: float, unusual_days: int, of_days: int, baseline: Baseline) -> str:
    """Paces in minutes between movements."""
    slower = pace / usual - 1 if usual else 0.0
    moving = (f"; {active:.1f} minutes with movement per waking hour against a usual {usual_active:.1f}"
              if active is not None and usual_active else "")
    unusual = (f"; {unusual_days} of the last {of_days} days unlike usual days (isolation forest)"
               if unusual_days else "")
    return (f"Slowing down for {days} days: moving every {pace:.1f} min on average where they are over the last "
            f"3 days, {slower:.0%} slower than the usual {usual:.1f} ± {spread:.1f} min, trend "
            f"{slope_per_week:+.2f} min per week{moving}{unusual} {basis(baseline)}.")


def silent(device: str, last: datetime, now: datetime, interval: timedelta, baseline: Baseline,
           whole_unit: bool = False) -> str:
    minutes = (now - last).total_seconds() / 60
    every = interval.total_seconds() / 60
    missed = int((now - last) / interval)
    what = "the home unit (nothing relayed from any sensor)" if whole_unit else device
    return (f"Nothing heard from {what} for {duration(minutes)} since {local_hhmm(last)}: {missed} heartbeats "
            f"missed; it reports every {every:.0f} min.")
