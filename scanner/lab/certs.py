"""Certificates for the lab's TLS servers: a lab CA and leaves made with `cryptography`.

sslyze rejects a self-signed leaf as a CA certificate, so every leaf is issued by a
separate CA. An expired leaf is backdated, which the `openssl` command line cannot do.
"""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


@dataclass(frozen=True)
class Issued:
    """Paths of one leaf: its certificate, its key, and the chain (leaf then CA) to serve."""

    cert: Path
    key: Path
    chain: Path


class LabCA:
    """A certificate authority of the lab, written to `folder/NAME-ca.pem`."""

    def __init__(self, folder: Path, name: str = "art32-lab") -> None:
        self.folder = folder
        self.name = name
        self._key = ec.generate_private_key(ec.SECP256R1())
        now = _now()
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name} CA")])
        self._cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self._key.public_key()), critical=False)
            .add_extension(
                x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                              data_encipherment=False, key_agreement=False, key_cert_sign=True,
                              crl_sign=True, encipher_only=False, decipher_only=False),
                critical=True,
            )
            .sign(self._key, hashes.SHA256())
        )
        self.cert_path = folder / f"{name}-ca.pem"
        self.cert_path.write_bytes(self._cert.public_bytes(serialization.Encoding.PEM))

    def issue(
        self,
        name: str,
        hostnames: tuple[str, ...] = ("localhost",),
        addresses: tuple[str, ...] = ("127.0.0.1",),
        key: PrivateKey | None = None,
        valid_days: tuple[int, int] = (-1, 365),
        signature: hashes.SHA256 | hashes.SHA384 | hashes.SHA512 | None = None,
    ) -> Issued:
        """Issue a leaf for `hostnames` and `addresses`, valid from and to days relative to now."""
        leaf_key = key or rsa.generate_private_key(public_exponent=65537, key_size=2048)
        now = _now()
        names: list[x509.GeneralName] = [x509.DNSName(h) for h in hostnames]
        names.extend(x509.IPAddress(ipaddress.ip_address(a)) for a in addresses)
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostnames[0])]))
            .issuer_name(self._cert.subject)
            .public_key(leaf_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now + datetime.timedelta(days=valid_days[0]))
            .not_valid_after(now + datetime.timedelta(days=valid_days[1]))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            # Path validation as sslyze 6 does it (cryptography's verifier) requires this.
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()), critical=False
            )
            .sign(self._key, signature or hashes.SHA256())
        )
        return self._write(name, cert, leaf_key)

    def _write(self, name: str, cert: x509.Certificate, key: PrivateKey) -> Issued:
        cert_path = self.folder / f"{name}.pem"
        key_path = self.folder / f"{name}-key.pem"
        chain_path = self.folder / f"{name}-chain.pem"
        cert_pem = cert.public_bytes(serialization.Encoding.PEM)
        cert_path.write_bytes(cert_pem)
        chain_path.write_bytes(cert_pem + self._cert.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ))
        key_path.chmod(0o600)
        return Issued(cert=cert_path, key=key_path, chain=chain_path)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)
