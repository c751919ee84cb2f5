"""Who in the family is told, and when: consent, chosen kinds, kinds offered at all, quiet hours in the
relative's own time zone across the clock changes (Europe/London), emergencies bypassing them."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from alerts.family import policy
from alerts.family.policy import Channel, Member, decide, has_consent, next_channel, quiet_until, wants

CONSENT = datetime(2025, 1, 6, 10, 0, tzinfo=UTC)
NIGHT = (time(22, 0), time(7, 0))
SMS = Channel(1, "sms", 1, True)


def member(**changes: object) -> Member:
    values: dict[str, object] = {"id": 7, "consent_given_at": CONSENT, "consent_withdrawn_at": None,
                                 "channels": (SMS,)}
    values.update(changes)
    return Member(**values)  # type: ignore[arg-type]


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# consent and kinds ------------------------------------------------------------------------------


def test_no_consent_no_message() -> None:
    assert not has_consent(member(consent_given_at=None), utc(2026, 5, 1, 12))
    assert decide("fall", 1, utc(2026, 5, 1, 12), [member(consent_given_at=None)]) == []


def test_withdrawn_consent_no_message_but_consent_given_again_counts() -> None:
    withdrawn = member(consent_withdrawn_at=utc(2025, 6, 1))
    again = member(consent_withdrawn_at=utc(2025, 6, 1), consent_given_at=utc(2025, 9, 1))

    assert decide("fall", 1, utc(2026, 5, 1, 12), [withdrawn]) == []
    assert [d.status for d in decide("fall", 1, utc(2026, 5, 1, 12), [again])] == ["pending"]


def test_consent_recorded_for_a_later_date_does_not_count_yet() -> None:
    assert not has_consent(member(consent_given_at=utc(2026, 6, 1)), utc(2026, 5, 1))


@pytest.mark.parametrize("kind", ["battery_low", "device_silent", "tamper", "mains_fail", "unit_offline", "weird"])
def test_technical_and_unknown_kinds_are_never_offered_to_families(kind: str) -> None:
    assert not policy.offered_to_families(kind)
    assert decide(kind, 4, utc(2026, 5, 1, 12), [member()]) == []


def test_every_alarm_and_behavioural_kind_is_offered() -> None:
    for kind in ("pendant_press", "fall", "smoke", "no_activity_morning", "cold_home", "activity_decline"):
        assert policy.offered_to_families(kind)


def test_a_relative_who_chose_kinds_hears_of_those_only() -> None:
    choosy = member(alert_kinds=("fall", "smoke"))

    assert wants(choosy, "fall")
    assert not wants(choosy, "missed_meal")
    assert wants(member(), "missed_meal"), "no choice means every offered kind"


def test_a_relative_without_a_working_channel_is_recorded_as_skipped() -> None:
    [decision] = decide("fall", 1, utc(2026, 5, 1, 12), [member(channels=(Channel(1, "sms", 1, False),))])

    assert decision.status == "skipped"
    assert "channel" in decision.reason


def test_next_channel_goes_by_position_and_skips_disabled_and_tried_ones() -> None:
    email, sms, push = Channel(10, "email", 2, True), Channel(11, "sms", 1, False), Channel(12, "webpush", 3, True)

    assert next_channel([push, sms, email]) == email
    assert next_channel([push, sms, email], tried=[10]) == push
    assert next_channel([push, sms, email], tried=[10, 12]) is None


# quiet hours ----------------------------------------------------------------------------------


def test_outside_quiet_hours_nothing_is_held() -> None:
    assert quiet_until(utc(2026, 1, 14, 12, 0), *NIGHT, "Europe/London") is None


def test_no_quiet_hours_set_or_an_empty_window_holds_nothing() -> None:
    assert quiet_until(utc(2026, 1, 14, 23, 0), None, None, "Europe/London") is None
    assert quiet_until(utc(2026, 1, 14, 23, 0), time(22), time(22), "Europe/London") is None


def test_late_evening_is_held_until_the_next_morning() -> None:
    assert quiet_until(utc(2026, 1, 14, 23, 30), *NIGHT, "Europe/London") == utc(2026, 1, 15, 7, 0)


def test_small_hours_are_held_until_the_same_morning() -> None:
    assert quiet_until(utc(2026, 1, 15, 3, 0), *NIGHT, "Europe/London") == utc(2026, 1, 15, 7, 0)


def test_quiet_hours_are_read_in_british_summer_time() -> None:
    # 21:30 UTC in June is 22:30 in London: quiet, until 07:00 BST = 06:00 UTC.
    assert quiet_until(utc(2026, 6, 10, 21, 30), *NIGHT, "Europe/London") == utc(2026, 6, 11, 6, 0)
    # The same UTC time in January is 21:30 in London: not quiet.
    assert quiet_until(utc(2026, 1, 14, 21, 30), *NIGHT, "Europe/London") is None


def test_the_night_the_clocks_go_forward_ends_at_seven_summer_time() -> None:
    # 29 March 2026: 01:00 GMT becomes 02:00 BST. Quiet from 22:00 GMT on the 28th to 07:00 BST (06:00 UTC).
    assert quiet_until(utc(2026, 3, 28, 23, 0), *NIGHT, "Europe/London") == utc(2026, 3, 29, 6, 0)


def test_the_night_the_clocks_go_back_ends_at_seven_greenwich_time() -> None:
    # 25 October 2026: 02:00 BST becomes 01:00 GMT. 21:30 UTC on the 24th is 22:30 BST: quiet until 07:00 GMT.
    assert quiet_until(utc(2026, 10, 24, 21, 30), *NIGHT, "Europe/London") == utc(2026, 10, 25, 7, 0)


def test_quiet_hours_ending_in_the_skipped_hour_end_when_the_clocks_have_gone_forward() -> None:
    held = quiet_until(utc(2026, 3, 29, 0, 30), time(0, 0), time(1, 30), "Europe/London")

    assert held == utc(2026, 3, 29, 1, 30), "01:30 does not exist that night; the first moment after is 02:30 BST"


def test_a_daytime_window_holds_within_the_day() -> None:
    assert quiet_until(utc(2026, 1, 14, 13, 30), time(13), time(15), "Europe/London") == utc(2026, 1, 14, 15, 0)


def test_quiet_hours_follow_the_relatives_own_time_zone() -> None:
    # 14:00 UTC is 22:00 in Singapore: a relative there is in quiet hours until 07:00 their time (23:00 UTC).
    assert quiet_until(utc(2026, 1, 14, 14, 0), *NIGHT, "Asia/Singapore") == utc(2026, 1, 14, 23, 0)


def test_an_unknown_time_zone_is_read_as_london() -> None:
    assert quiet_until(utc(2026, 1, 14, 23, 30), *NIGHT, "Mars/Olympus") == utc(2026, 1, 15, 7, 0)


# decide ----------------------------------------------------------------------------------------


def test_quiet_hours_hold_urgent_and_wellbeing_alerts() -> None:
    sleeping = member(quiet_start=NIGHT[0], quiet_end=NIGHT[1])

    for kind, priority in (("no_activity_morning", 2), ("activity_decline", 3)):
        [decision] = decide(kind, priority, utc(2026, 1, 14, 23, 30), [sleeping])
        assert (decision.status, decision.hold_until) == ("held", utc(2026, 1, 15, 7, 0))


def test_emergencies_bypass_quiet_hours() -> None:
    sleeping = member(quiet_start=NIGHT[0], quiet_end=NIGHT[1])

    [decision] = decide("fall", 1, utc(2026, 1, 14, 23, 30), [sleeping])

    assert (decision.status, decision.hold_until) == ("pending", None)


def test_each_relative_is_decided_on_their_own() -> None:
    relatives = [member(id=1), member(id=2, consent_given_at=None), member(id=3, alert_kinds=("smoke",)),
                 member(id=4, quiet_start=NIGHT[0], quiet_end=NIGHT[1])]

    decisions = decide("missed_meal", 2, utc(2026, 1, 14, 23, 30), relatives)

    assert [(d.member_id, d.status) for d in decisions] == [(1, "pending"), (4, "held")]
