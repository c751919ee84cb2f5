"""Plain-language explanations with the numbers behind them, one function per finding kind.

An operator reads these at 3 am with a phone in the other hand: say what was seen, what is usual for
this resident and over how many days, in wall-clock times and whole minutes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from models.baselines import Baseline, MealWindow, TimeOfDay
from models.clock import LOCAL_TZ, hhmm, local_hhmm
from models.slowing import DayEvidence


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


# How each models.slowing measure reads ({value}, {usual}, {spread}), and the factor to the unit shown.
_SLOWING_WORDS: dict[str, tuple[str, float]] = {
    "seated_pauses": ("sitting still for up to {value} min at a time, 9 pauses in 10 (usual {usual} ± {spread})",
                      1 / 60),
    "seated_pace": ("stirring every {value} min in the chair (usual {usual} ± {spread})", 1 / 60),
    "moving_pace": ("moving every {value} min when up and about (usual {usual} ± {spread})", 1 / 60),
    "sit_length": ("sitting {value} min at a time (usual {usual} ± {spread})", 1.0),
    "movement": ("{value} minutes with movement per waking hour (usual {usual} ± {spread})", 1.0),
}


def activity_decline(run: Sequence[DayEvidence], recent: Sequence[DayEvidence], baseline: Baseline) -> str:
    """`run`: the days of the slowing so far; `recent`: its last few days, whose averages are shown."""
    slower = sum(d.slowdown for d in recent) / len(recent)
    ordinary = sum(d.spread for d in recent) / len(recent)
    parts = []
    for name, (words, scale) in _SLOWING_WORDS.items():
        level = baseline.levels.get(name)
        values = [d.values[name] for d in recent if name in d.values]
        if level is None or not values:
            continue
        usual = level.median * scale
        parts.append(words.format(value=f"{sum(values) / len(values) * scale:.1f}", usual=f"{usual:.1f}",
                                  spread=f"{usual * level.spread:.1f}"))
    days_used = max((level.days for level in baseline.levels.values()), default=0)
    until = baseline.levels_until or baseline.trained_until
    learned = f"usual from {days_used} days" + (f" before {until.astimezone(LOCAL_TZ):%a %-d %b}" if until else "")
    span = "that day" if len(run) == 1 else "those days" if len(recent) == len(run) else f"the last {len(recent)}"
    return (f"Moving about more slowly for {len(run)} day{'s' if len(run) > 1 else ''} at home since "
            f"{run[0].day:%a %-d %b}: {slower:.0%} slower than usual over {span} (an ordinary day within "
            f"±{ordinary:.0%}); " + "; ".join(parts) + f" ({learned}).")


def silent(device: str, last: datetime, now: datetime, interval: timedelta, baseline: Baseline,
           whole_unit: bool = False) -> str:
    minutes = (now - last).total_seconds() / 60
    every = interval.total_seconds() / 60
    missed = int((now - last) / interval)
    what = "the home unit (nothing relayed from any sensor)" if whole_unit else device
    return (f"Nothing heard from {what} for {duration(minutes)} since {local_hhmm(last)}: {missed} heartbeats "
            f"missed; it reports every {every:.0f} min.")
