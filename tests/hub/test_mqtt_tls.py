"""TLS files travel with the broker URL (hub/mqtt.py) and from MQTT_CA_FILE & co. into it (hub/settings.py)."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
from pydantic import ValidationError

from hub.broker_auth import pki
from hub.mqtt import make_client, parse_mqtt_url, with_tls_files
from hub.settings import Settings


@pytest.fixture(autouse=True)
def no_outside_configuration(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("MQTT_URL", "MQTT_CA_FILE", "MQTT_CERT_FILE", "MQTT_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env file here


def test_a_url_may_name_its_tls_files() -> None:
    address = parse_mqtt_url("mqtts://hub:pw@mosquitto:8883?ca_file=/run/tls/ca.crt&cert_file=/run/tls/hub.crt"
                             "&key_file=/run/tls/hub.key")

    assert (address.host, address.port, address.tls, address.username) == ("mosquitto", 8883, True, "hub")
    assert (address.ca_file, address.cert_file, address.key_file) == (
        "/run/tls/ca.crt", "/run/tls/hub.crt", "/run/tls/hub.key")


@pytest.mark.parametrize("url", ["mqtt://broker?ca_file=/ca.crt", "mqtts://broker?cafile=/ca.crt",
                                 "mqtts://broker?insecure=1"])
def test_tls_files_on_plaintext_or_unknown_parameters_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match="MQTT_URL"):
        parse_mqtt_url(url)


def test_with_tls_files_adds_what_the_url_does_not_already_name() -> None:
    url = with_tls_files("mqtts://mosquitto:8883?ca_file=/explicit/ca.crt", ca_file="/setting/ca.crt",
                         cert_file="/setting/hub.crt")

    address = parse_mqtt_url(url)
    assert (address.ca_file, address.cert_file, address.key_file) == ("/explicit/ca.crt", "/setting/hub.crt", None)
    with pytest.raises(ValueError, match="not mqtts"):
        with_tls_files("mqtt://mosquitto:1883", ca_file="/ca.crt")


def test_settings_fold_the_tls_files_into_the_broker_url() -> None:
    settings = Settings(mqtt_url="mqtts://mosquitto:8883", mqtt_ca_file="/run/tls/ca.crt",
                        mqtt_cert_file="/run/tls/hub.crt", mqtt_key_file="/run/tls/hub.key")

    assert settings.mqtt_url is not None
    address = parse_mqtt_url(settings.mqtt_url)
    assert (address.ca_file, address.cert_file, address.key_file) == (
        "/run/tls/ca.crt", "/run/tls/hub.crt", "/run/tls/hub.key")
    assert Settings(mqtt_url="mqtts://mosquitto:8883").mqtt_url == "mqtts://mosquitto:8883"  # untouched without


def test_settings_refuse_a_ca_file_for_a_plaintext_broker() -> None:
    with pytest.raises(ValidationError, match="not mqtts"):
        Settings(mqtt_url="mqtt://mosquitto:1883", mqtt_ca_file="/run/tls/ca.crt")


def test_the_client_trusts_the_named_ca_and_presents_the_named_certificate(tmp_path: Path) -> None:
    authority = pki.create_authority()
    key, certificate = pki.issue(authority, "hub")
    pki.save_certificate(tmp_path / "ca.crt", authority.certificate)
    pki.save_certificate(tmp_path / "hub.crt", certificate)
    pki.save_key(tmp_path / "hub.key", key)
    broker = parse_mqtt_url(f"mqtts://127.0.0.1:8883?ca_file={tmp_path}/ca.crt&cert_file={tmp_path}/hub.crt"
                            f"&key_file={tmp_path}/hub.key")

    context: ssl.SSLContext = make_client("t", broker)._ssl_context  # type: ignore[attr-defined]

    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert [ca["subject"] for ca in context.get_ca_certs()] == [
        ((("organizationName", "Telecare hub"),), (("commonName", "Telecare hub CA"),))]
    with pytest.raises(FileNotFoundError):  # the files are really read: a missing key is an error
        make_client("t", parse_mqtt_url(f"mqtts://127.0.0.1?ca_file={tmp_path}/ca.crt&cert_file={tmp_path}/hub.crt"
                                        f"&key_file={tmp_path}/missing.key"))
