"""All configuration in one place, read from the environment (or a `.env` file).

Nothing here is created at import time: call `get_settings()` where a setting is needed.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Values that must never reach production: empty or the placeholders in the examples.
KNOWN_DEFAULT_SECRETS = frozenset({"", "change-me", "changeme", "secret", "password", "hub"})


class InsecureConfiguration(RuntimeError):
    """Raised when production mode is asked to start with a default or empty secret."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    hub_env: Literal["development", "production"] = Field(
        "development", description="`production` refuses default secrets and the embedded services."
    )
    database_url: str | None = Field(
        None, description="PostgreSQL URL. Unset: `hub demo` starts an embedded PostgreSQL (pgserver)."
    )
    mqtt_url: str | None = Field(
        None, description="Broker URL, mqtt://host:1883 or mqtts://host:8883. Unset: embedded broker (amqtt)."
    )
    mqtt_username: str = Field("hub", description="The hub's own broker account.")
    mqtt_password: str = Field("", description="Password of the hub's broker account.")
    mqtt_client_id: str = Field(
        "hub-ingest", description="Fixed client id: the broker keeps this session's unacked messages."
    )
    mqtt_protocol: Literal["5", "3.1.1"] = Field("5", description="MQTT protocol version the hub speaks.")
    mqtt_session_expiry_s: int = Field(
        7 * 24 * 3600, description="How long the broker keeps the hub's session while it is away (MQTT 5)."
    )
    mqtt_ca_file: str | None = Field(
        None, description="CA certificate the broker's certificate must chain to (mqtts://); unset: system CAs."
    )
    mqtt_cert_file: str | None = Field(None, description="The hub's client certificate, for a broker asking one.")
    mqtt_key_file: str | None = Field(None, description="Private key of MQTT_CERT_FILE.")
    console_host: str = Field("127.0.0.1", description="Address the console listens on.")
    console_port: int = Field(8000, description="Port the console listens on.")
    console_tls_cert_file: str | None = Field(
        None, description="Certificate (PEM, chain included) the console serves HTTPS with; unset: plain HTTP."
    )
    console_tls_key_file: str | None = Field(None, description="Private key of CONSOLE_TLS_CERT_FILE.")
    console_ws_compression: bool = Field(
        False, description="Compress the live websocket stream (permessage-deflate). Costs the console a "
        "compression of every message for every client; worth it only for operators on slow links."
    )
    hub_secret_key: str = Field("", description="Secret for signing console sessions. Required in production.")
    session_ttl_h: float = Field(
        12.0, gt=0, description="Hours a console sign-in lasts before the operator must sign in again."
    )
    escalate_after_s: float = Field(
        60.0, description="An emergency not acknowledged within this many seconds is escalated, and again."
    )
    heartbeat_misses: int = Field(3, description="Missed heartbeat intervals before `device_silent`.")
    score_every_s: float = Field(60.0, description="How often behavioural models score every home (event time).")
    retrain_hour: int = Field(3, description="Local hour after which baselines are retrained, once a day.")
    model_train_workers: int = Field(
        1, ge=1, description="Processes that train baselines (nightly, and a new home's first), at low CPU "
        "priority beside scoring; scoring never waits for them."
    )
    ingest_batch_max: int = Field(1000, description="Most events committed in one ingest transaction.")
    ingest_batch_wait_ms: float = Field(
        5.0, description="How long ingest waits to fill a batch once the first event is in."
    )
    ingest_home_refresh_s: float = Field(
        10.0, description="How often ingest looks for newly registered homes (several workers) and alarm devices."
    )
    ingest_alarm_session: bool = Field(
        True, description="Hear alarm-capable devices on a second MQTT session, so a flood never delays an alarm."
    )
    ingest_home_rate_per_s: float = Field(
        20.0, description="Activity and technical events a second one home may send; alarms are never limited."
    )
    ingest_home_burst: int = Field(
        2000, description="Events one home may send in a burst above its rate (a unit flushing its buffer)."
    )
    events_retention_days: int = Field(730, description="TimescaleDB only: drop event chunks older than this.")
    events_compress_after_days: int = Field(7, description="TimescaleDB only: compress chunks older than this.")
    notify_webhook_url: str | None = Field(
        None, description="Escalations are POSTed here as JSON (e.g. a supervisor pager gateway)."
    )
    log_level: str = Field("INFO", description="Python log level.")
    public_base_url: str = Field(
        "http://127.0.0.1:8000", description="Address families reach the hub's family page at (used in links)."
    )
    fhir_base_url: str | None = Field(
        None, description="FHIR R4 base URL of the council's care record; unset: no sync, no write-back."
    )
    fhir_home_identifier_system: str = Field(
        "urn:telecare-hub:home-id", description="Patient identifier system whose value names the resident's home."
    )
    fhir_sync_every_s: float = Field(900.0, description="How often residents are synced from FHIR_BASE_URL.")
    smtp_url: str | None = Field(
        None, description="SMTP server for family email, e.g. smtp://user:pass@mail.example:587?starttls=1."
    )
    smtp_from: str = Field("Telecare response centre <no-reply@localhost>", description="From: of family email.")
    sms_gateway_url: str | None = Field(None, description="HTTP SMS gateway endpoint family texts are POSTed to.")
    sms_gateway_token: str = Field("", description="Bearer token for the SMS gateway.")
    vapid_private_key: str = Field("", description="VAPID private key (base64url) for web push to families.")
    vapid_subject: str = Field("mailto:tec-team@localhost", description="VAPID contact for web push.")
    family_answer_timeout_s: float = Field(
        1800.0, description="How long a wellbeing alert waits for a relative's answer before it is requeued."
    )
    family_link_ttl_h: float = Field(72.0, description="How long a family magic link stays valid.")

    @model_validator(mode="after")
    def _mqtt_url_carries_tls_files(self) -> Settings:
        """Fold MQTT_CA_FILE/CERT_FILE/KEY_FILE into MQTT_URL, so every process and helper handed the URL
        (ingest, console, simulators) connects with them."""
        if self.mqtt_url and (self.mqtt_ca_file or self.mqtt_cert_file or self.mqtt_key_file):
            from hub.mqtt import with_tls_files

            self.mqtt_url = with_tls_files(self.mqtt_url, ca_file=self.mqtt_ca_file,
                                           cert_file=self.mqtt_cert_file, key_file=self.mqtt_key_file)
        return self

    def check_production_safe(self) -> None:
        """Refuse to run in production with secrets left at their defaults."""
        if self.hub_env != "production":
            return
        problems = []
        if self.hub_secret_key.strip().lower() in KNOWN_DEFAULT_SECRETS or len(self.hub_secret_key) < 32:
            problems.append("HUB_SECRET_KEY must be set to a random value of at least 32 characters")
        if self.mqtt_password.strip().lower() in KNOWN_DEFAULT_SECRETS:
            problems.append("MQTT_PASSWORD must be set to the hub's broker password")
        if not self.database_url:
            problems.append("DATABASE_URL must be set (the embedded database is for demos)")
        if not self.mqtt_url:
            problems.append("MQTT_URL must be set (the embedded broker is for demos)")
        elif not self.mqtt_url.startswith("mqtts://"):
            problems.append("MQTT_URL must use mqtts:// (TLS with MQTT_CA_FILE): alarms and health data never "
                            "cross the network in clear")
        if problems:
            raise InsecureConfiguration(
                "Refusing to start in production: "
                + "; ".join(problems)
                + ". Generate a secret with: python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
