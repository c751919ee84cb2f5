"""Write the detection benchmark: bench/detection.md with a table per kind, targets and pass/fail, and a
chart per kind in bench/detection/ (precision, recall and F1 against the inactivity timer, and the
time-to-detect histogram).

    python -m models.report --homes 200 --days 60 --seed 1     (or: hub evaluate)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator

from models.evaluate import TIMER_HOURS, evaluate
from models.metrics import DECLINE_WITHIN, RECALL_TARGET

MODEL_COLOUR, TIMER_COLOUR = "#1f77b4", "#bbbbbb"
LABELS = {
    "no_activity_morning": "No activity in the morning", "prolonged_inactivity": "Prolonged inactivity (fall)",
    "prolonged_bathroom": "Prolonged bathroom stay", "night_wandering": "Night wandering",
    "door_open_night": "Front door opened at night", "missed_meal": "Missed meal", "cold_home": "Cold home",
    "activity_decline": "Activity decline", "device_silent": "Device silent", "unit_offline": "Home unit offline",
}


def _num(value: object, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"  # type: ignore[str-format]


def _duration(minutes: object) -> str:
    if minutes is None:
        return "–"
    value = float(minutes)  # type: ignore[arg-type]
    if value >= 2 * 1440:
        return f"{value / 1440:.1f} d"
    if value >= 120:
        return f"{value / 60:.1f} h"
    return f"{value:.0f} min"


def _counts(counts: dict) -> str:  # type: ignore[type-arg]
    return ", ".join(f"{key} {value}" for key, value in sorted(counts.items()))


def _target(kind: str) -> str:
    if kind == "activity_decline":
        return (f"≥ {RECALL_TARGET} found within {DECLINE_WITHIN.days} days of onset, time on a registered absence "
                "not counted; F1 above the timer's")
    return f"recall ≥ {RECALL_TARGET}; F1 above the timer's"


def chart(kind: str, summary: dict, folder: Path) -> str:  # type: ignore[type-arg]
    """Bars (model against timer) and the time-to-detect histogram for one kind; returns the file name."""
    fig, (bars, hist) = plt.subplots(1, 2, figsize=(9, 3.4), gridspec_kw={"width_ratios": [1, 1.3]})
    metrics = ("precision", "recall", "f1")
    model = [summary[m] or 0.0 for m in metrics]
    timer = [summary["baseline"][m] or 0.0 for m in metrics]
    xs = range(len(metrics))
    drawn = bars.bar([x - 0.2 for x in xs], model, 0.4, label="learned model", color=MODEL_COLOUR)
    bars.bar_label(drawn, fmt="%.2f", fontsize=7)
    drawn = bars.bar([x + 0.2 for x in xs], timer, 0.4, label=f"{TIMER_HOURS:.0f} h inactivity timer",
                     color=TIMER_COLOUR)
    bars.bar_label(drawn, fmt="%.2f", fontsize=7)
    bars.set_xticks(list(xs), ["precision", "recall", "F1"])
    bars.set_ylim(0, 1.3)
    bars.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
    bars.legend(loc="upper center", ncol=2, fontsize=7, frameon=False)
    bars.set_title("Model against the timer", fontsize=10)
    ttd = summary["ttd_min"]
    if kind == "activity_decline":
        values, unit = [t / 1440 for t in ttd], "days"
        hist.axvline(DECLINE_WITHIN.days, color="#d62728", linewidth=0.8, linestyle="--", label="7-day target")
        hist.legend(fontsize=8)
    elif ttd and max(ttd) > 180:
        values, unit = [t / 60 for t in ttd], "hours"
    else:
        values, unit = list(ttd), "minutes"
    hist.hist(values, bins=min(max(len(values) // 3, 5), 30), color=MODEL_COLOUR)
    hist.yaxis.set_major_locator(MaxNLocator(integer=True))
    hist.set_xlabel(f"time to detect ({unit}, from the labelled start)")
    hist.set_ylabel("anomalies")
    hist.set_title(f"Time to detect, n = {len(values)}", fontsize=10)
    fig.suptitle(LABELS.get(kind, kind), fontsize=11)
    fig.tight_layout()
    name = f"{kind}.png"
    fig.savefig(folder / name, dpi=110)
    plt.close(fig)
    return name


def overview_chart(result: dict, folder: Path) -> str:  # type: ignore[type-arg]
    kinds = list(result["kinds"])
    fig, ax = plt.subplots(figsize=(10, 3.6))
    xs = range(len(kinds))
    ax.bar([x - 0.2 for x in xs], [result["kinds"][k]["recall"] or 0 for k in kinds], 0.4, label="model recall",
           color=MODEL_COLOUR)
    ax.bar([x + 0.2 for x in xs], [result["kinds"][k]["baseline"]["recall"] or 0 for k in kinds], 0.4,
           label="timer recall", color=TIMER_COLOUR)
    ax.axhline(RECALL_TARGET, color="#d62728", linewidth=0.8, linestyle="--", label="target")
    ax.set_xticks(list(xs), [k.replace("_", "\n") for k in kinds], fontsize=8)
    ax.set_ylim(0, 1.2)
    ax.legend(fontsize=8, loc="upper center", ncol=3, frameon=False)
    ax.set_title("Recall per kind: learned model against a 4-hour inactivity timer", fontsize=10)
    fig.tight_layout()
    fig.savefig(folder / "overview.png", dpi=110)
    plt.close(fig)
    return "overview.png"


def markdown(result: dict, charts: dict[str, str], folder_name: str) -> str:  # type: ignore[type-arg]
    r = result
    lines = [
        "# Behavioural detection benchmark",
        "",
        f"`hub evaluate --homes {r['homes']} --days {r['days']} --seed {r['seed']}` · "
        f"{r['homes']} simulated homes × {r['days']} days ({r['warmup_days']} warm-up days train each baseline, "
        f"{r['labelled_home_days']:.0f} labelled home-days), {r['anomalies']} labelled anomalies, {r['traps']} traps "
        f"({', '.join(f'{v} {k}' for k, v in sorted(r['trap_kinds'].items()))}). Scored every {r['step_min']} min "
        f"of event time; {r['seconds']:.0f} s on {r['processes']} processes ({os.cpu_count()} cores, Python "
        f"{platform.python_version()}).",
        "",
        f"![recall per kind]({folder_name}/{charts['overview']})",
        "",
        "| kind | priority | anomalies | recall | precision | F1 | median / p95 time to detect | "
        "false per home per 30 d | timer recall | timer F1 | target | pass |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for kind, s in r["kinds"].items():
        lines.append(
            f"| {kind} | {s['priority']} | {s['anomalies']} | {_num(s['recall'])} | {_num(s['precision'])} | "
            f"{_num(s['f1'])} | {_duration(s['ttd_median_min'])} / {_duration(s['ttd_p95_min'])} | "
            f"{_num(s['false_per_home_30d'], 3)} | {_num(s['baseline']['recall'])} | {_num(s['baseline']['f1'])} | "
            f"{_target(kind)} | {'pass' if s['pass'] else '**fail**'} |")
    lines += [
        "",
        f"**False behavioural alerts: {r['false_behavioural_per_home_30d']:.3f} per home per 30 days** "
        f"({r['false_behavioural']} in all; target ≤ {r['false_target_per_home_30d']:.0f}) "
        f"{'pass' if r['false_behavioural_per_home_30d'] <= r['false_target_per_home_30d'] else '**fail**'}; "
        f"the {TIMER_HOURS:.0f}-hour timer: {r['timer']['false_per_home_30d']:.3f} "
        f"({r['timer']['false']} of its {r['timer']['alerts']} alerts matched nothing). "
        f"After feedback (each false alert resolved `false_alarm`, {r['homes_with_feedback']} homes replayed): "
        f"{r['false_behavioural_per_home_30d_after_feedback']:.3f} per home per 30 days. "
        f"False alerts during traps: {_counts(r['false_during_traps']) or 'none'}.",
        "",
    ]
    for kind, s in r["kinds"].items():
        lines += _kind_section(kind, s, charts[kind], folder_name)
    lines += ["## Every false behavioural alert", ""]
    lines += [f"- {e['home']} `{e['kind']}` at {e['at'][:16]} UTC: {e['explanation']}"
              for e in r["false_examples"][:60]] or ["None."]
    lines.append("")
    lines += _method()
    return "\n".join(lines) + "\n"


def _kind_section(kind: str, s: dict, chart_name: str, folder_name: str) -> list[str]:  # type: ignore[type-arg]
    b = s["baseline"]
    lines = [
        f"## {LABELS.get(kind, kind)} (`{kind}`, priority {s['priority']})",
        "",
        "| | learned model | 4 h timer |",
        "|---|---|---|",
        f"| anomalies found | {s['found']} / {s['anomalies']} | {b['found']} / {s['anomalies']} |",
        f"| recall | {_num(s['recall'])} | {_num(b['recall'])} |",
        f"| precision (strict, counting other-kind matches as false) | {_num(s['precision'])} "
        f"({_num(s['strict_precision'])}) | {_num(b['precision'])} |",
        f"| F1 | {_num(s['f1'])} | {_num(b['f1'])} |",
        f"| time to detect, median / p95 | {_duration(s['ttd_median_min'])} / {_duration(s['ttd_p95_min'])} | – |",
        f"| false alerts (per home per 30 days) | {s['false']} ({_num(s['false_per_home_30d'], 3)}) | – |",
        f"| raised inside another kind's anomaly | {s['other_kind']} {_counts(s['other_kind_with'])} | – |",
        f"| after feedback: recall, false alerts | {_num(s['recall_after_feedback'])}, "
        f"{s['false_after_feedback']} | – |",
        f"| target | {_target(kind)} | |",
        f"| result | {'pass' if s['pass'] else '**fail**'} | |",
        "",
    ]
    if kind == "activity_decline":
        lines += [
            f"Found within {DECLINE_WITHIN.days} days of onset: {s['within_7_days']} of {s['anomalies']} "
            f"({_num(s['within_7d'])}); within {DECLINE_WITHIN.days} days of the resident at home, the time on a "
            f"registered absence (a hospital stay) not counted: {s['within_7_days_at_home']} "
            f"({_num(s['within_7d_at_home'])}), time to detect at home median / p95 "
            f"{_duration(s['ttd_at_home_median_min'])} / {_duration(s['ttd_at_home_p95_min'])}. Of the "
            f"{s['clear_first_week']} declines whose first week held no trap, {s['clear_first_week_within_7_days']} "
            "were found within the week. The days are counted at bedtime, so a week in hospital leaves nothing to "
            "count. Found later:",
        ]
        for late in s["late"]:
            traps = ", ".join(late["traps_in_first_week"]) or "nothing unusual"
            lines.append(f"- {late['home']}: {late['days']} days; in its first week: {traps}")
        lines.append("")
    lines += [f"![{kind}]({folder_name}/{chart_name})", ""]
    return lines


def _method() -> list[str]:
    return [
        "## How this is measured",
        "",
        "- A finding of kind K matches a labelled anomaly of kind K (device_silent: the same device) when first "
        "raised within [start, end + 1 h]; time to detect is first raised − labelled start. Missed meals are "
        "labelled from the opening of the meal window, so their time to detect includes the window itself.",
        "- A finding inside another kind's labelled anomaly (a missed lunch during a fall) is neither a hit nor "
        "a false alert (column \"strict\" counts it as false). Every other finding is a false alert, traps "
        "(away weekends, hospital stays, visitors, late nights out) included.",
        f"- The baseline is a traditional inactivity timer: an alert after {TIMER_HOURS:.0f} h with no motion "
        "anywhere between 07:00 and 23:00 local (the clock starts at 07:00 at the earliest), paused during "
        "registered absences. Its alerts are matched to labels of every kind; its precision for a kind sets "
        "that kind's hits against all of its alerts that matched nothing.",
        "- Households where someone else lives with the resident are not judged for person-level "
        "inactivity (no_activity_morning only when nobody is up, no prolonged_inactivity, prolonged_bathroom, "
        "missed_meal or activity_decline): their movements hide the resident's and they are there to help. "
        "The simulator injects none of these kinds there either.",
        "- Feedback: each home with false alerts is replayed with every one of them resolved `false_alarm` "
        "first; recall and false alerts after that are reported per kind.",
        "",
    ]


def write_report(result: dict, path: Path = Path("bench/detection.md")) -> Path:  # type: ignore[type-arg]
    """The markdown report at `path`, its charts and the raw numbers (results.json) beside it in a folder of
    the same name (bench/detection/)."""
    folder = path.with_suffix("")
    folder.mkdir(parents=True, exist_ok=True)
    charts = {kind: chart(kind, summary, folder) for kind, summary in result["kinds"].items()}
    charts["overview"] = overview_chart(result, folder)
    (folder / "results.json").write_text(json.dumps(result, indent=1, default=str))
    path.write_text(markdown(result, charts, folder.name))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--homes", type=int, default=200)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--processes", type=int, default=None)
    parser.add_argument("--report", type=Path, default=Path("bench/detection.md"))
    args = parser.parse_args()
    result = evaluate(args.homes, args.days, args.seed, processes=args.processes)
    print(write_report(result, args.report))
    for kind, s in result["kinds"].items():
        print(f"{kind:22s} recall {_num(s['recall'])} precision {_num(s['precision'])} F1 {_num(s['f1'])} "
              f"timer F1 {_num(s['baseline']['f1'])} {'pass' if s['pass'] else 'FAIL'}")
    print(f"false behavioural per home per 30 days {result['false_behavioural_per_home_30d']:.3f}; "
          f"{result['seconds']} s")


if __name__ == "__main__":
    main()
