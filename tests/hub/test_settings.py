"""Production refuses to start with default secrets or embedded services (hub/settings.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.settings import InsecureConfiguration, Settings

LEAKY_ENV = ("DATABASE_URL", "MQTT_URL", "HUB_SECRET_KEY", "MQTT_PASSWORD", "HUB_ENV", "MQTT_USERNAME")
STRONG_SECRET = "Zq3v8RkP1xW0mN7tY4bL9cJ2hG6fD5sA-e_uIoKQ"  # 40 characters, not a known default
PRODUCTION: dict[str, object] = {
    "hub_env": "production",
    "hub_secret_key": STRONG_SECRET,
    "mqtt_password": "broker-pass-for-the-hub",
    "database_url": "postgresql://hub@db.internal:5432/telecare",
    "mqtt_url": "mqtts://broker.internal:8883",
}
PROBLEM_NAMES = ("HUB_SECRET_KEY", "MQTT_PASSWORD", "DATABASE_URL", "MQTT_URL")


@pytest.fixture(autouse=True)
def no_outside_configuration(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in LEAKY_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env file here


def production(**changes: object) -> Settings:
    return Settings(**{**PRODUCTION, **changes})  # type: ignore[arg-type]


def test_the_environment_does_not_leak_into_these_tests() -> None:
    settings = Settings()

    assert settings.hub_env == "development"
    assert settings.database_url is None
    assert settings.mqtt_url is None
    assert settings.hub_secret_key == ""


def test_development_with_defaults_is_allowed() -> None:
    Settings().check_production_safe()


def test_development_ignores_weak_secrets() -> None:
    Settings(hub_env="development", hub_secret_key="hub", mqtt_password="password").check_production_safe()


def test_production_with_proper_values_is_allowed() -> None:
    production().check_production_safe()


def test_production_accepts_a_secret_of_exactly_32_characters() -> None:
    production(hub_secret_key=STRONG_SECRET[:32]).check_production_safe()


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        pytest.param({"hub_secret_key": ""}, "HUB_SECRET_KEY", id="secret-empty"),
        pytest.param({"hub_secret_key": "change-me"}, "HUB_SECRET_KEY", id="secret-placeholder"),
        pytest.param({"hub_secret_key": "  CHANGE-ME  "}, "HUB_SECRET_KEY", id="secret-placeholder-padded"),
        pytest.param({"hub_secret_key": " " * 40}, "HUB_SECRET_KEY", id="secret-blank"),
        pytest.param({"hub_secret_key": STRONG_SECRET[:31]}, "HUB_SECRET_KEY", id="secret-31-chars"),
        pytest.param({"mqtt_password": ""}, "MQTT_PASSWORD", id="mqtt-password-empty"),
        pytest.param({"mqtt_password": "password"}, "MQTT_PASSWORD", id="mqtt-password-default"),
        pytest.param({"mqtt_password": "hub"}, "MQTT_PASSWORD", id="mqtt-password-username"),
        pytest.param({"database_url": None}, "DATABASE_URL", id="database-url-missing"),
        pytest.param({"database_url": ""}, "DATABASE_URL", id="database-url-empty"),
        pytest.param({"mqtt_url": None}, "MQTT_URL", id="mqtt-url-missing"),
        pytest.param({"mqtt_url": ""}, "MQTT_URL", id="mqtt-url-empty"),
        pytest.param({"mqtt_url": "mqtt://broker.internal:1883"}, "MQTT_URL", id="mqtt-url-plaintext"),
    ],
)
def test_production_refuses_each_unsafe_setting_and_names_it(changes: dict[str, object], named: str) -> None:
    with pytest.raises(InsecureConfiguration) as refused:
        production(**changes).check_production_safe()

    message = str(refused.value)
    assert named in message
    assert [name for name in PROBLEM_NAMES if name in message] == [named]


def test_production_lists_every_problem_at_once() -> None:
    with pytest.raises(InsecureConfiguration) as refused:
        Settings(hub_env="production").check_production_safe()

    message = str(refused.value)
    assert all(name in message for name in PROBLEM_NAMES)


def test_every_setting_is_in_the_readme_configuration_table_and_nothing_else_is() -> None:
    import re

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    table = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([A-Z0-9_]+)` \|", table, re.MULTILINE))

    assert documented == {name.upper() for name in Settings.model_fields}
