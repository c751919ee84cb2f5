"""Provisioning broker identities on disk: the CA and server certificates, one account per home (and
the hub's), and revocation. Pure file work, no broker and no database: the operator reloads the broker
afterwards (SIGHUP: Mosquitto re-reads the password file and the CRL).

A password is returned to the caller exactly once and only its hash is written. Private keys of the CA,
the servers and the clients live under `certs_dir`, which git ignores.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from hub.broker_auth import passwords, pki
from hub.broker_auth.acl import render_acl
from hub.broker_auth.files import PUBLIC, write_in_place

DEFAULT_CONFIG_DIR = Path("config/mosquitto")
DEFAULT_BROKER_HOSTS = ("mosquitto", "localhost", "127.0.0.1")  # compose service name, then local checks
DEFAULT_CONSOLE_HOSTS = ("localhost", "127.0.0.1")


class ProvisioningError(RuntimeError):
    """Something an operator must sort out first; the message says what."""


@dataclass(frozen=True)
class BrokerFiles:
    """Where the broker's identity files live (defaults: the repo's config/mosquitto/)."""

    password_file: Path = DEFAULT_CONFIG_DIR / "passwd"
    acl_file: Path = DEFAULT_CONFIG_DIR / "acl"
    certs_dir: Path = DEFAULT_CONFIG_DIR / "certs"

    @property
    def ca_key(self) -> Path:
        return self.certs_dir / "ca.key"

    @property
    def ca_certificate(self) -> Path:
        return self.certs_dir / "ca.crt"

    @property
    def crl(self) -> Path:
        return self.certs_dir / "ca.crl"

    def server(self, name: str) -> tuple[Path, Path]:
        """(key, certificate) of a server: `server` is the broker, `console` the operator console."""
        return self.certs_dir / f"{name}.key", self.certs_dir / f"{name}.crt"

    def client(self, username: str) -> tuple[Path, Path]:
        """(key, certificate) of a client: a home (common name = home_id) or the hub."""
        return self.certs_dir / "clients" / f"{username}.key", self.certs_dir / "clients" / f"{username}.crt"

    def revoked_certificate(self, username: str, serial: int) -> Path:
        return self.certs_dir / "clients" / "revoked" / f"{username}-{serial:x}.crt"


@dataclass
class Provisioned:
    username: str
    password: str  # shown to the operator once, never stored in clear
    key_file: Path | None = None
    certificate_file: Path | None = None
    revoked_serials: list[int] = field(default_factory=list)


@dataclass
class Revoked:
    username: str
    password_removed: bool
    revoked_serials: list[int]


def load_authority(files: BrokerFiles) -> pki.Authority:
    if not (files.ca_key.exists() and files.ca_certificate.exists()):
        raise ProvisioningError(f"no CA in {files.certs_dir}: run `hub provision-ca` first")
    return pki.Authority(pki.load_key(files.ca_key), pki.load_certificate(files.ca_certificate))


def _revoke_serials(files: BrokerFiles, authority: pki.Authority, serials: list[int]) -> None:
    """Add serials to the CRL (creating it if needed) and sign it afresh with the next number."""
    entries, number = {}, 0
    if files.crl.exists():
        current = pki.load_crl(files.crl)
        entries, number = pki.crl_entries(current), pki.crl_number(current)
    now = datetime.now(UTC)
    for serial in serials:
        entries.setdefault(serial, now)
    pki.save_crl(files.crl, pki.sign_crl(authority, entries, number + 1))


def write_acl(files: BrokerFiles, hub_username: str) -> bool:
    """Write the rendered ACL; False when the file already says exactly that."""
    text = render_acl(hub_username)
    if files.acl_file.exists() and files.acl_file.read_text() == text:
        return False
    write_in_place(files.acl_file, text.encode(), PUBLIC)
    return True


def provision_ca(files: BrokerFiles, *, broker_hosts: list[str], console_hosts: list[str],
                 hub_username: str = "hub", renew_servers: bool = False, kind: pki.KeyKind = "ec") -> list[Path]:
    """Create what is missing: the CA, the broker's and the console's server certificates, the CRL and
    the ACL. An existing CA is kept (every issued certificate depends on it); `renew_servers` reissues the
    server certificates, e.g. for new host names. Returns the files written."""
    written: list[Path] = []
    if files.ca_key.exists() != files.ca_certificate.exists():
        raise ProvisioningError(f"{files.certs_dir} holds only half a CA (ca.key and ca.crt go together)")
    if not files.ca_key.exists():
        authority = pki.create_authority(kind=kind)
        pki.save_key(files.ca_key, authority.key)
        pki.save_certificate(files.ca_certificate, authority.certificate)
        written += [files.ca_key, files.ca_certificate]
    else:
        authority = load_authority(files)
    for name, hosts in (("server", broker_hosts), ("console", console_hosts)):
        key_file, certificate_file = files.server(name)
        if certificate_file.exists() and not renew_servers:
            continue
        key, certificate = pki.issue(authority, hosts[0], server_hosts=hosts, kind=kind)
        pki.save_key(key_file, key)
        pki.save_certificate(certificate_file, certificate)
        written += [key_file, certificate_file]
    # Re-signing keeps the CRL's next update far away; the broker refuses every certificate past it.
    _revoke_serials(files, authority, [])
    written.append(files.crl)
    if write_acl(files, hub_username):
        written.append(files.acl_file)
    return written


def provision_account(files: BrokerFiles, username: str, *, certificate: bool = False, rotate: bool = False,
                      kind: pki.KeyKind = "ec") -> Provisioned:
    """A new random password for `username` (hashed into the password file) and, with `certificate`, a
    client certificate whose common name is `username`. An existing account is replaced only with
    `rotate`; a replaced certificate is revoked."""
    passwords.check_username(username)
    key_file, certificate_file = files.client(username)
    exists = username in passwords.read_password_file(files.password_file) or certificate_file.exists()
    if exists and not rotate:
        raise ProvisioningError(f"{username} already has broker credentials; --rotate replaces them")
    authority = load_authority(files) if certificate else None
    result = Provisioned(username, passwords.new_password())
    passwords.set_password(files.password_file, username, result.password)
    if authority is not None:
        if certificate_file.exists():
            result.revoked_serials = [_retire_certificate(files, username)]
            _revoke_serials(files, authority, result.revoked_serials)
        key, issued = pki.issue(authority, username, kind=kind)
        pki.save_key(key_file, key)
        pki.save_certificate(certificate_file, issued)
        result.key_file, result.certificate_file = key_file, certificate_file
    return result


def provision_home(files: BrokerFiles, home_id: str, *, hub_username: str = "hub", certificate: bool = False,
                   rotate: bool = False, kind: pki.KeyKind = "ec") -> Provisioned:
    """A home's account (username = home_id); the ACL is (re)written so the pattern lines are in place."""
    if home_id == hub_username:
        raise ProvisioningError(f"{home_id!r} is the hub's own account, not a home")
    result = provision_account(files, home_id, certificate=certificate, rotate=rotate, kind=kind)
    write_acl(files, hub_username)
    return result


def _retire_certificate(files: BrokerFiles, username: str) -> int:
    """Move a client's certificate aside (kept as a record) and delete its private key; its serial."""
    key_file, certificate_file = files.client(username)
    serial = pki.load_certificate(certificate_file).serial_number
    archived = files.revoked_certificate(username, serial)
    archived.parent.mkdir(parents=True, exist_ok=True)
    certificate_file.replace(archived)
    key_file.unlink(missing_ok=True)
    return serial


def revoke(files: BrokerFiles, username: str) -> Revoked:
    """Remove the account's password and revoke its client certificate, if it has them."""
    passwords.check_username(username)
    removed = passwords.remove_account(files.password_file, username)
    serials: list[int] = []
    if files.client(username)[1].exists():
        authority = load_authority(files)
        serials.append(_retire_certificate(files, username))
        _revoke_serials(files, authority, serials)
    if not removed and not serials:
        raise ProvisioningError(f"{username} has no broker credentials to revoke")
    return Revoked(username, removed, serials)
