"""`hub provision-ca`, `provision-hub`, `provision-home` and `revoke-home`: broker identities on disk.

Run from the repository root (paths default to config/mosquitto/). Passwords are printed once, on
stdout, and never written anywhere in clear; everything else goes to stderr.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:  # the hub's other commands should not pay for importing the crypto library
    from hub.broker_auth.provision import BrokerFiles, Provisioned

CertsDir = Annotated[Path, typer.Option(help="CA, server and client certificates and keys (git-ignored).")]
PasswordFile = Annotated[Path, typer.Option(help="Mosquitto password file the broker reads.")]
AclFile = Annotated[Path, typer.Option(help="Mosquitto ACL file the broker reads.")]
KeyKindOption = Annotated[str, typer.Option("--key-type", help="ec (P-256) or rsa (3072 bits).")]
# Mosquitto re-reads the password file and the CRL on SIGHUP and drops connected clients whose password
# is gone; a unit connected with a now-revoked certificate keeps its connection until the broker restarts.
RELOAD_HINT = "Reload the broker to apply: docker compose kill -s HUP mosquitto"
RESTART_HINT = ("A unit still connected with a revoked certificate keeps its connection until the broker "
                "restarts: docker compose restart mosquitto")


def _files(password_file: Path, acl_file: Path, certs_dir: Path) -> BrokerFiles:
    from hub.broker_auth.provision import BrokerFiles

    return BrokerFiles(password_file=password_file, acl_file=acl_file, certs_dir=certs_dir)


def _key_kind(value: str) -> str:
    if value not in ("ec", "rsa"):
        raise typer.BadParameter("--key-type must be ec or rsa")
    return value


def _hub_username() -> str:
    from hub.settings import get_settings

    return get_settings().mqtt_username


def _fail(exc: Exception) -> typer.Exit:
    typer.secho(str(exc), fg="red", err=True)
    return typer.Exit(2)


def _report(result: Provisioned, what: str) -> None:
    typer.echo(f"{what} {result.username}: password (shown once, store it now):", err=True)
    typer.echo(result.password)
    if result.certificate_file is not None:
        typer.echo(f"client certificate {result.certificate_file}, key {result.key_file} "
                   "(install on the unit, then delete the key here)", err=True)
    for serial in result.revoked_serials:
        typer.echo(f"previous certificate {serial:x} revoked", err=True)
    typer.echo(RELOAD_HINT, err=True)
    if result.revoked_serials:
        typer.echo(RESTART_HINT, err=True)


def provision_ca_command(
    certs_dir: CertsDir = Path("config/mosquitto/certs"),
    acl_file: AclFile = Path("config/mosquitto/acl"),
    broker_host: Annotated[list[str] | None, typer.Option(
        help="Name or address homes and the hub use to reach the broker (repeat for each).")] = None,
    console_host: Annotated[list[str] | None, typer.Option(
        help="Name or address operators use to reach the console (repeat for each).")] = None,
    renew: Annotated[bool, typer.Option(help="Reissue the server certificates (the CA is kept).")] = False,
    key_type: KeyKindOption = "ec",
) -> None:
    """Create the CA, the broker's and the console's server certificates, the CRL and the ACL (what is missing)."""
    from hub.broker_auth.provision import (
        DEFAULT_BROKER_HOSTS,
        DEFAULT_CONSOLE_HOSTS,
        BrokerFiles,
        ProvisioningError,
        provision_ca,
    )

    files = BrokerFiles(acl_file=acl_file, certs_dir=certs_dir)
    try:
        written = provision_ca(files, broker_hosts=broker_host or list(DEFAULT_BROKER_HOSTS),
                               console_hosts=console_host or list(DEFAULT_CONSOLE_HOSTS),
                               hub_username=_hub_username(), renew_servers=renew,
                               kind=_key_kind(key_type))  # type: ignore[arg-type]
    except ProvisioningError as exc:
        raise _fail(exc) from exc
    for path in written:
        typer.echo(f"wrote {path}", err=True)
    typer.echo(f"Keep {files.ca_key} offline and backed up: it signs every broker identity.", err=True)


def provision_hub_command(
    cert: Annotated[bool, typer.Option("--cert", help="Also issue a client certificate for the hub.")] = False,
    rotate: Annotated[bool, typer.Option(help="Replace existing credentials.")] = False,
    password_file: PasswordFile = Path("config/mosquitto/passwd"),
    certs_dir: CertsDir = Path("config/mosquitto/certs"),
    key_type: KeyKindOption = "ec",
) -> None:
    """Create the hub's own broker account (MQTT_USERNAME); put the printed password in MQTT_PASSWORD."""
    from hub.broker_auth.provision import BrokerFiles, ProvisioningError, provision_account

    files = BrokerFiles(password_file=password_file, certs_dir=certs_dir)
    try:
        result = provision_account(files, _hub_username(), certificate=cert, rotate=rotate,
                                   kind=_key_kind(key_type))  # type: ignore[arg-type]
    except (ProvisioningError, ValueError) as exc:
        raise _fail(exc) from exc
    _report(result, "hub account")


def provision_home_command(
    home_id: Annotated[str, typer.Argument(help="The home's id; it is also its broker username.")],
    cert: Annotated[bool, typer.Option("--cert", help="Also issue a client certificate (port 8884).")] = False,
    rotate: Annotated[bool, typer.Option(help="Replace existing credentials (a replaced certificate is revoked).")]
    = False,
    password_file: PasswordFile = Path("config/mosquitto/passwd"),
    acl_file: AclFile = Path("config/mosquitto/acl"),
    certs_dir: CertsDir = Path("config/mosquitto/certs"),
    key_type: KeyKindOption = "ec",
) -> None:
    """Create a home unit's broker credentials: a random password (printed once, stored hashed), and with
    --cert a client certificate signed by the repo's CA."""
    from hub.broker_auth.provision import ProvisioningError, provision_home

    try:
        result = provision_home(_files(password_file, acl_file, certs_dir), home_id, hub_username=_hub_username(),
                                certificate=cert, rotate=rotate, kind=_key_kind(key_type))  # type: ignore[arg-type]
    except (ProvisioningError, ValueError) as exc:
        raise _fail(exc) from exc
    _report(result, "home")


def revoke_home_command(
    home_id: Annotated[str, typer.Argument(help="The home whose credentials are withdrawn.")],
    password_file: PasswordFile = Path("config/mosquitto/passwd"),
    certs_dir: CertsDir = Path("config/mosquitto/certs"),
) -> None:
    """Withdraw a home's broker credentials: its password entry goes, its certificate joins the CRL."""
    from hub.broker_auth.provision import BrokerFiles, ProvisioningError, revoke

    try:
        result = revoke(BrokerFiles(password_file=password_file, certs_dir=certs_dir), home_id)
    except (ProvisioningError, ValueError) as exc:
        raise _fail(exc) from exc
    if result.password_removed:
        typer.echo(f"removed the password of {home_id}", err=True)
    for serial in result.revoked_serials:
        typer.echo(f"revoked certificate {serial:x} of {home_id}", err=True)
    typer.echo(RELOAD_HINT, err=True)
    if result.revoked_serials:
        typer.echo(RESTART_HINT, err=True)


def register_security_commands(app: typer.Typer) -> None:
    app.command("provision-ca")(provision_ca_command)
    app.command("provision-hub")(provision_hub_command)
    app.command("provision-home")(provision_home_command)
    app.command("revoke-home")(revoke_home_command)
