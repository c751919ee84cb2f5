"""Broker identities on disk (hub/broker_auth): password hashes, the ACL, the CA, provisioning, revocation
and the `hub provision-*` / `revoke-home` commands. No broker here: tests/integration/test_broker_security.py
runs these files in a real Mosquitto."""

from __future__ import annotations

import base64
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from paho.mqtt.client import topic_matches_sub
from typer.testing import CliRunner

from hub.broker_auth import passwords, pki
from hub.broker_auth.acl import render_acl
from hub.broker_auth.files import write_in_place
from hub.broker_auth.provision import (
    BrokerFiles,
    ProvisioningError,
    provision_account,
    provision_ca,
    provision_home,
    revoke,
)

REPO_ACL = Path(__file__).resolve().parents[2] / "config" / "mosquitto" / "acl"


# -- password hashes --------------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("mosquitto_passwd") is None, reason="mosquitto_passwd is not installed")
def test_the_hash_is_the_one_mosquitto_passwd_writes(tmp_path: Path) -> None:
    password_file = tmp_path / "passwd"
    subprocess.run(["mosquitto_passwd", "-c", "-b", str(password_file), "home-0001", "s3cret-Pa55"], check=True)
    written = passwords.read_password_file(password_file)["home-0001"]
    _, kind, iterations, salt, _digest = written.split("$")

    ours = passwords.hash_password("s3cret-Pa55", salt=base64.b64decode(salt),
                                   iterations=int(iterations))

    assert kind == str(passwords.PBKDF2_SHA512_ID)
    assert ours == written
    assert passwords.verify_password("s3cret-Pa55", written)
    assert not passwords.verify_password("s3cret-Pa56", written)


def test_a_hash_has_the_mosquitto_shape_and_verifies_only_its_password() -> None:
    encoded = passwords.hash_password("correct horse")

    _, kind, iterations, salt, digest = encoded.split("$")
    assert (kind, iterations) == ("7", str(passwords.DEFAULT_ITERATIONS))
    assert len(base64.b64decode(salt)) == passwords.SALT_BYTES
    assert len(base64.b64decode(digest)) == 64  # SHA-512
    assert passwords.verify_password("correct horse", encoded)
    assert not passwords.verify_password("correct horse ", encoded)


def test_each_hash_has_its_own_salt_and_each_password_is_new() -> None:
    assert passwords.hash_password("same") != passwords.hash_password("same")
    fresh = {passwords.new_password() for _ in range(50)}
    assert len(fresh) == 50
    assert all(len(p) >= 43 for p in fresh)  # 32 random bytes, base64url


@pytest.mark.parametrize("username", ["", "a/b", "home+1", "home#", "a:b", "-lead", "x" * 65, "home 1"])
def test_usernames_that_would_break_the_file_or_the_acl_are_refused(username: str) -> None:
    with pytest.raises(passwords.PasswordFileError):
        passwords.check_username(username)


def test_setting_and_removing_one_account_leaves_the_others(tmp_path: Path) -> None:
    path = tmp_path / "passwd"
    passwords.set_password(path, "hub", "hub-pass")
    passwords.set_password(path, "home-0001", "one")
    before = passwords.read_password_file(path)["hub"]
    passwords.set_password(path, "home-0002", "two")

    assert passwords.remove_account(path, "home-0001")
    assert not passwords.remove_account(path, "home-0001")
    entries = passwords.read_password_file(path)
    assert list(entries) == ["hub", "home-0002"]
    assert entries["hub"] == before
    assert passwords.verify_password("two", entries["home-0002"])
    assert oct(path.stat().st_mode & 0o777) == "0o640"


def test_a_malformed_password_file_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "passwd"
    path.write_text("hub:$7$101$abc$def\nnot a line\n")

    with pytest.raises(passwords.PasswordFileError, match="passwd:2"):
        passwords.read_password_file(path)


def test_files_are_rewritten_in_place_for_bind_mounts(tmp_path: Path) -> None:
    path = tmp_path / "passwd"
    write_in_place(path, b"first, and longer\n", 0o644)
    inode = path.stat().st_ino
    write_in_place(path, b"second\n", 0o600)

    assert path.read_bytes() == b"second\n"
    assert path.stat().st_ino == inode
    assert oct(path.stat().st_mode & 0o777) == "0o600"


# -- the ACL ----------------------------------------------------------------------------------------


def _rules(acl: str, username: str) -> list[tuple[str, str]]:
    """(access, topic filter) pairs that apply to `username`, read the way Mosquitto reads the file."""
    rules, user = [], None
    for line in acl.splitlines():
        if not line or line.startswith("#"):
            continue
        kind, *rest = line.split()
        if kind == "user":
            user = rest[0]
        elif kind == "topic" and user == username:
            rules.append((rest[0], rest[1]))
        elif kind == "pattern":
            rules.append((rest[0], rest[1].replace("%u", username)))
    return rules


def _may(acl: str, username: str, access: str, topic: str) -> bool:
    return any(access in granted and topic_matches_sub(pattern, topic)
               for granted, pattern in _rules(acl, username))


def test_the_repo_acl_is_the_rendered_one() -> None:
    assert REPO_ACL.read_text() == render_acl("hub")


def test_a_home_may_write_its_own_events_and_status_and_read_its_own_acks_only() -> None:
    acl = render_acl("hub")

    assert _may(acl, "home-0001", "write", "tec/v1/home-0001/pendant-1/event")
    assert _may(acl, "home-0001", "write", "tec/v1/home-0001/status")
    assert _may(acl, "home-0001", "read", "tec/v1/home-0001/pendant-1/ack")
    assert not _may(acl, "home-0001", "write", "tec/v1/home-0002/pendant-1/event")
    assert not _may(acl, "home-0001", "write", "tec/v1/home-0002/status")
    assert not _may(acl, "home-0001", "write", "tec/v1/home-0001/pendant-1/ack")  # no forged acks
    assert not _may(acl, "home-0001", "read", "tec/v1/home-0002/pendant-1/ack")
    assert not _may(acl, "home-0001", "read", "tec/v1/home-0002/pendant-1/event")
    assert not _may(acl, "home-0001", "read", "tec/v1/home-0001/pendant-1/event")
    assert not _may(acl, "home-0001", "write", "elsewhere/x")


def test_the_hub_reads_everything_under_the_root_and_writes_only_acks() -> None:
    acl = render_acl("hub-arc")

    assert _may(acl, "hub-arc", "read", "tec/v1/home-0001/pendant-1/event")
    assert _may(acl, "hub-arc", "read", "tec/v1/home-0002/status")
    assert _may(acl, "hub-arc", "write", "tec/v1/home-0001/pendant-1/ack")
    assert not _may(acl, "hub-arc", "write", "tec/v1/home-0001/pendant-1/event")
    assert not _may(acl, "hub-arc", "write", "tec/v1/home-0001/status")
    assert not _may(acl, "hub", "read", "tec/v1/home-0001/pendant-1/event")  # only the named hub account


# -- the CA and provisioning ------------------------------------------------------------------------


@pytest.fixture
def files(tmp_path: Path) -> BrokerFiles:
    files = BrokerFiles(tmp_path / "passwd", tmp_path / "acl", tmp_path / "certs")
    provision_ca(files, broker_hosts=["mosquitto", "127.0.0.1"], console_hosts=["hub.example.org"])
    return files


def _signed_by(certificate: x509.Certificate, authority: x509.Certificate) -> bool:
    try:
        certificate.verify_directly_issued_by(authority)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def test_provision_ca_writes_a_ca_server_certificates_crl_and_acl(files: BrokerFiles) -> None:
    ca = pki.load_certificate(files.ca_certificate)
    server = pki.load_certificate(files.server("server")[1])
    console = pki.load_certificate(files.server("console")[1])

    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert _signed_by(server, ca) and _signed_by(console, ca)
    names = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["mosquitto"]
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert ExtendedKeyUsageOID.SERVER_AUTH in server.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(pki.load_crl(files.crl)) == []
    assert pki.load_crl(files.crl).is_signature_valid(ca.public_key())  # type: ignore[arg-type]
    assert files.acl_file.read_text() == render_acl("hub")
    for key in (files.ca_key, files.server("server")[0], files.server("console")[0]):
        assert oct(key.stat().st_mode & 0o777) == "0o600"


def test_provision_ca_again_keeps_the_ca_and_renews_servers_only_when_asked(files: BrokerFiles) -> None:
    ca_before = files.ca_certificate.read_bytes()
    server_before = files.server("server")[1].read_bytes()

    provision_ca(files, broker_hosts=["mosquitto"], console_hosts=["localhost"])
    assert (files.ca_certificate.read_bytes(), files.server("server")[1].read_bytes()) == (ca_before, server_before)

    provision_ca(files, broker_hosts=["mqtt.example.org"], console_hosts=["localhost"], renew_servers=True)
    assert files.ca_certificate.read_bytes() == ca_before
    renewed = pki.load_certificate(files.server("server")[1])
    assert renewed.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
        x509.DNSName) == ["mqtt.example.org"]


def test_a_home_gets_a_hashed_password_and_a_client_certificate_named_after_it(files: BrokerFiles) -> None:
    result = provision_home(files, "home-0001", certificate=True)

    stored = passwords.read_password_file(files.password_file)
    assert passwords.verify_password(result.password, stored["home-0001"])
    assert result.password not in files.password_file.read_text()
    assert result.certificate_file is not None and result.key_file is not None
    certificate = pki.load_certificate(result.certificate_file)
    assert certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "home-0001"
    assert _signed_by(certificate, pki.load_certificate(files.ca_certificate))
    assert not _signed_by(certificate, pki.create_authority("Another CA").certificate)
    usage = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    assert isinstance(pki.load_key(result.key_file), ec.EllipticCurvePrivateKey)
    assert oct(result.key_file.stat().st_mode & 0o777) == "0o600"


def test_rsa_keys_are_available_for_units_that_need_them(files: BrokerFiles) -> None:
    result = provision_home(files, "home-rsa", certificate=True, kind="rsa")

    assert result.key_file is not None
    assert pki.load_key(result.key_file).key_size == 3072  # type: ignore[union-attr]


def test_provisioning_an_existing_home_needs_rotate_which_replaces_and_revokes(files: BrokerFiles) -> None:
    first = provision_home(files, "home-0001", certificate=True)
    assert first.certificate_file is not None
    old_serial = pki.load_certificate(first.certificate_file).serial_number

    with pytest.raises(ProvisioningError, match="--rotate"):
        provision_home(files, "home-0001")
    second = provision_home(files, "home-0001", certificate=True, rotate=True)

    stored = passwords.read_password_file(files.password_file)["home-0001"]
    assert passwords.verify_password(second.password, stored)
    assert not passwords.verify_password(first.password, stored)
    assert second.revoked_serials == [old_serial]
    assert old_serial in pki.crl_entries(pki.load_crl(files.crl))
    assert files.revoked_certificate("home-0001", old_serial).exists()
    assert second.certificate_file is not None
    assert pki.load_certificate(second.certificate_file).serial_number != old_serial


def test_a_certificate_without_a_ca_fails_before_anything_is_written(tmp_path: Path) -> None:
    files = BrokerFiles(tmp_path / "passwd", tmp_path / "acl", tmp_path / "certs")

    with pytest.raises(ProvisioningError, match="provision-ca"):
        provision_home(files, "home-0001", certificate=True)
    assert not files.password_file.exists()


def test_the_hub_account_is_not_a_home(files: BrokerFiles) -> None:
    provision_account(files, "hub")

    with pytest.raises(ProvisioningError, match="hub's own account"):
        provision_home(files, "hub", rotate=True)


def test_revoking_removes_the_password_and_lists_the_certificate(files: BrokerFiles) -> None:
    home = provision_home(files, "home-0001", certificate=True)
    provision_home(files, "home-0002", certificate=True)
    assert home.certificate_file is not None and home.key_file is not None
    serial = pki.load_certificate(home.certificate_file).serial_number
    number_before = pki.crl_number(pki.load_crl(files.crl))

    result = revoke(files, "home-0001")

    assert (result.password_removed, result.revoked_serials) == (True, [serial])
    assert list(passwords.read_password_file(files.password_file)) == ["home-0002"]
    crl = pki.load_crl(files.crl)
    assert list(pki.crl_entries(crl)) == [serial]
    assert pki.crl_number(crl) == number_before + 1
    assert crl.is_signature_valid(pki.load_certificate(files.ca_certificate).public_key())  # type: ignore[arg-type]
    assert not home.key_file.exists() and not home.certificate_file.exists()
    with pytest.raises(ProvisioningError, match="no broker credentials"):
        revoke(files, "home-0001")


def test_revocations_accumulate_in_the_crl(files: BrokerFiles) -> None:
    serials = []
    for home_id in ("home-0001", "home-0002"):
        issued = provision_home(files, home_id, certificate=True).certificate_file
        assert issued is not None
        serials.append(pki.load_certificate(issued).serial_number)
        revoke(files, home_id)
    provision_ca(files, broker_hosts=["mosquitto"], console_hosts=["localhost"])  # re-signs, keeps entries

    assert sorted(pki.crl_entries(pki.load_crl(files.crl))) == sorted(serials)


# -- the commands -----------------------------------------------------------------------------------


def test_the_commands_print_the_password_once_on_stdout_and_nowhere_else(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from hub.cli import app

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MQTT_USERNAME", raising=False)
    runner = CliRunner()
    assert runner.invoke(app, ["provision-ca"]).exit_code == 0

    made = runner.invoke(app, ["provision-home", "home-0001", "--cert"])
    stored = passwords.read_password_file(Path("config/mosquitto/passwd"))
    written = b"".join(p.read_bytes() for p in Path("config").rglob("*") if p.is_file())
    again = runner.invoke(app, ["provision-home", "home-0001"])
    revoked = runner.invoke(app, ["revoke-home", "home-0001"])

    assert made.exit_code == 0, made.output
    password = made.stdout.strip()
    assert "\n" not in password and len(password) >= 43
    assert passwords.verify_password(password, stored["home-0001"])
    assert password.encode() not in written
    assert again.exit_code == 2 and "--rotate" in again.stderr
    assert revoked.exit_code == 0 and revoked.stdout == ""
    assert "home-0001" not in passwords.read_password_file(Path("config/mosquitto/passwd"))
    assert Path("config/mosquitto/certs/ca.key").exists()
