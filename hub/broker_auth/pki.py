"""The repo's own certificate authority: one CA that signs the broker's (and console's) server
certificates and a client certificate per home, plus the certificate revocation list the broker checks.

Keys are ECDSA P-256 by default (small, fast, supported by the TLS stacks home units carry); RSA 3072 is
available for units that only speak RSA. Everything is PEM.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from hub.broker_auth.files import PRIVATE, PUBLIC, write_in_place

KeyKind = Literal["ec", "rsa"]
PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

CA_VALIDITY = timedelta(days=3650)
SERVER_VALIDITY = timedelta(days=825)
# Home units sit in the field for years; a certificate outliving a typical unit saves a site visit.
CLIENT_VALIDITY = timedelta(days=5 * 365)
# The broker refuses every certificate once the CRL's next update has passed, so the list is long-lived;
# every revocation and every `hub provision-ca` signs a fresh one.
CRL_VALIDITY = timedelta(days=365)
# Devices' clocks drift; a certificate valid from a few minutes ago works on a unit slightly behind.
CLOCK_SKEW = timedelta(minutes=5)
ORGANISATION = "Telecare hub"


@dataclass(frozen=True)
class Authority:
    key: PrivateKey
    certificate: x509.Certificate


def new_key(kind: KeyKind = "ec") -> PrivateKey:
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=3072)
    return ec.generate_private_key(ec.SECP256R1())


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _key_usage(*, signs_certificates: bool = False, rsa_key: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not signs_certificates, key_encipherment=rsa_key and not signs_certificates,
        content_commitment=False, data_encipherment=False, key_agreement=False,
        key_cert_sign=signs_certificates, crl_sign=signs_certificates, encipher_only=False, decipher_only=False,
    )


def create_authority(common_name: str = f"{ORGANISATION} CA", kind: KeyKind = "ec") -> Authority:
    key = new_key(kind)
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name)).issuer_name(_name(common_name))
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW).not_valid_after(now + CA_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(signs_certificates=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Authority(key, certificate)


def _subject_alt_names(hosts: list[str]) -> x509.SubjectAlternativeName:
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return x509.SubjectAlternativeName(names)


def issue(authority: Authority, common_name: str, *, server_hosts: list[str] | None = None,
          kind: KeyKind = "ec", validity: timedelta | None = None) -> tuple[PrivateKey, x509.Certificate]:
    """A leaf certificate: a server certificate for `server_hosts` (names and IP addresses), otherwise a
    client certificate whose common name is the broker username (use_identity_as_username)."""
    key = new_key(kind)
    now = datetime.now(UTC)
    usage = ExtendedKeyUsageOID.SERVER_AUTH if server_hosts else ExtendedKeyUsageOID.CLIENT_AUTH
    ca_public = authority.certificate.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name)).issuer_name(authority.certificate.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(now + (validity or (SERVER_VALIDITY if server_hosts else CLIENT_VALIDITY)))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(rsa_key=kind == "rsa"), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_public), critical=False)  # type: ignore[arg-type]
    )
    if server_hosts:
        builder = builder.add_extension(_subject_alt_names(server_hosts), critical=False)
    return key, builder.sign(authority.key, hashes.SHA256())


def sign_crl(authority: Authority, revoked: dict[int, datetime], number: int) -> x509.CertificateRevocationList:
    """A CRL listing `revoked` (serial → revocation time), numbered `number`."""
    now = datetime.now(UTC)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(authority.certificate.subject)
        .last_update(now - CLOCK_SKEW).next_update(now + CRL_VALIDITY)
        .add_extension(x509.CRLNumber(number), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            authority.certificate.public_key()), critical=False)  # type: ignore[arg-type]
    )
    for serial, when in sorted(revoked.items()):
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when).build())
    return builder.sign(authority.key, hashes.SHA256())


def crl_entries(crl: x509.CertificateRevocationList) -> dict[int, datetime]:
    return {entry.serial_number: entry.revocation_date_utc for entry in crl}


def crl_number(crl: x509.CertificateRevocationList) -> int:
    try:
        return int(crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number)
    except x509.ExtensionNotFound:
        return 0


# -- PEM files ------------------------------------------------------------------------------------


def save_key(path: Path, key: PrivateKey) -> None:
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    write_in_place(path, pem, PRIVATE)


def save_certificate(path: Path, certificate: x509.Certificate) -> None:
    write_in_place(path, certificate.public_bytes(serialization.Encoding.PEM), PUBLIC)


def save_crl(path: Path, crl: x509.CertificateRevocationList) -> None:
    write_in_place(path, crl.public_bytes(serialization.Encoding.PEM), PUBLIC)


def load_key(path: Path) -> PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise ValueError(f"{path}: unsupported key type {type(key).__name__}")
    return key


def load_certificate(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def load_crl(path: Path) -> x509.CertificateRevocationList:
    return x509.load_pem_x509_crl(path.read_bytes())
