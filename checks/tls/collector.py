"""Collect TLS facts with one sslyze `Scanner` for every endpoint of a scan."""

from __future__ import annotations

import http.client
import logging
import socket
import ssl
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.x509.oid import NameOID
from sslyze import (
    CertificateInfoExtraArgument,
    ProtocolWithOpportunisticTlsEnum,
    ScanCommand,
    ScanCommandAttemptStatusEnum,
    ScanCommandsExtraArguments,
    Scanner,
    ServerNetworkConfiguration,
    ServerNetworkLocation,
    ServerScanRequest,
    ServerScanResult,
    ServerScanStatusEnum,
)
from sslyze.errors import ServerHostnameCouldNotBeResolved

from checks.tls.facts import (
    CERTIFICATE,
    CURVES,
    HTTP_HEADERS,
    PROTOCOLS,
    VULNERABILITIES,
    AcceptedSuite,
    Certificate,
    CertificateFacts,
    HttpFacts,
    Renegotiation,
    TlsEndpoint,
)
from checks.tls.target import TlsTarget
from scanner.addresses import is_ip
from scanner.model import ErrorReason, Resource
from scanner.plugin import CollectError, CollectRequest, Unit, UnitFacts
from scanner.policies import Protocol

log = logging.getLogger(__name__)

CONCURRENT_SERVERS = 10
"""Servers sslyze scans at once; each is further bounded by the per-host limit."""

SUITE_COMMANDS = {
    Protocol.SSL_2_0: ScanCommand.SSL_2_0_CIPHER_SUITES,
    Protocol.SSL_3_0: ScanCommand.SSL_3_0_CIPHER_SUITES,
    Protocol.TLS_1_0: ScanCommand.TLS_1_0_CIPHER_SUITES,
    Protocol.TLS_1_1: ScanCommand.TLS_1_1_CIPHER_SUITES,
    Protocol.TLS_1_2: ScanCommand.TLS_1_2_CIPHER_SUITES,
    Protocol.TLS_1_3: ScanCommand.TLS_1_3_CIPHER_SUITES,
}
VULNERABILITY_COMMANDS = {
    ScanCommand.HEARTBLEED, ScanCommand.ROBOT, ScanCommand.OPENSSL_CCS_INJECTION,
    ScanCommand.SESSION_RENEGOTIATION, ScanCommand.TLS_COMPRESSION,
}
_CONNECTIVITY_REASONS = {
    "ServerRejectedConnection": (ErrorReason.CONNECTION_REFUSED, "connection refused"),
    "ConnectionToServerTimedOut": (ErrorReason.TIMED_OUT, "connection timed out"),
    "TlsHandshakeTimedOut": (ErrorReason.TIMED_OUT, "TLS handshake timed out"),
    "ServerTlsConfigurationNotSupported": (ErrorReason.HANDSHAKE_FAILED, "no TLS handshake succeeded"),
    "ServerRejectedTlsHandshake": (ErrorReason.HANDSHAKE_FAILED, "the server rejected the TLS handshake"),
    "TlsHandshakeFailed": (ErrorReason.HANDSHAKE_FAILED, "the TLS handshake failed"),
    "ServerRejectedOpportunisticTlsNegotiation": (ErrorReason.HANDSHAKE_FAILED, "STARTTLS was rejected"),
}


def collect_endpoints(
    requests: Sequence[CollectRequest], connections_per_host: int, timeout: float
) -> Iterator[tuple[Unit, UnitFacts]]:
    """Queue every endpoint in one sslyze Scanner and yield each unit's facts as it completes."""
    queued: dict[tuple[str, int, str], CollectRequest] = {}
    scan_requests = []
    for request in requests:
        target = _target(request)
        try:
            scan_request = _scan_request(target, request.facts, request.settings.connect_timeout)
        except ServerHostnameCouldNotBeResolved as error:
            failure = CollectError(ErrorReason.DNS_FAILED, f"DNS lookup of {target.host!r} failed: {error}")
            yield request.unit, _failed(target, failure)
            continue
        queued[(target.host, target.port, target.server_name)] = request
        scan_requests.append(scan_request)
    if not scan_requests:
        return

    scanner = Scanner(
        per_server_concurrent_connections_limit=connections_per_host,
        concurrent_server_scans_limit=CONCURRENT_SERVERS,
    )
    scanner.queue_scans(scan_requests)
    # The HTTPS request for HSTS starts once sslyze is done with that server, so the host
    # never receives more than `connections_per_host` connections, and it runs beside the scans
    # of the other servers.
    with ThreadPoolExecutor(max_workers=CONCURRENT_SERVERS, thread_name_prefix="https") as pool:
        pending: list[Future[tuple[Unit, UnitFacts]]] = []
        for result in scanner.get_results():
            location = result.server_location
            sni = result.network_configuration.tls_server_name_indication
            request = queued.pop((_host_of(location), location.port, sni))
            pending.append(pool.submit(_unit_facts, request, result, timeout))
            for future in [f for f in pending if f.done()]:
                pending.remove(future)
                yield future.result()
        for future in as_completed(pending):
            yield future.result()


def _unit_facts(request: CollectRequest, result: ServerScanResult, timeout: float) -> tuple[Unit, UnitFacts]:
    return request.unit, _endpoint_facts(_target(request), request.facts, result, timeout)


def _target(request: CollectRequest) -> TlsTarget:
    target = request.target
    assert isinstance(target, TlsTarget)
    return target


def _host_of(location: ServerNetworkLocation) -> str:
    return str(location.hostname)


def _scan_request(target: TlsTarget, facts: frozenset[str], timeout: float) -> ServerScanRequest:
    commands: set[ScanCommand] = set()
    if PROTOCOLS.name in facts:
        commands.update(SUITE_COMMANDS.values())
    if CURVES.name in facts:
        commands.add(ScanCommand.ELLIPTIC_CURVES)
    if CERTIFICATE.name in facts:
        commands.add(ScanCommand.CERTIFICATE_INFO)
    if VULNERABILITIES.name in facts:
        commands.update(VULNERABILITY_COMMANDS)

    starttls = ProtocolWithOpportunisticTlsEnum[target.starttls.name] if target.starttls else None
    extra = ScanCommandsExtraArguments(
        certificate_info=CertificateInfoExtraArgument(custom_ca_file=target.ca_file)
    ) if target.ca_file else ScanCommandsExtraArguments()
    return ServerScanRequest(
        server_location=ServerNetworkLocation(
            hostname=target.host, port=target.port, ip_address=target.host if is_ip(target.host) else None
        ),
        network_configuration=ServerNetworkConfiguration(
            tls_server_name_indication=target.server_name,
            tls_opportunistic_encryption=starttls,
            network_timeout=int(max(1, timeout)),
        ),
        scan_commands=commands,
        scan_commands_extra_arguments=extra,
    )


def _failed(target: TlsTarget, error: CollectError) -> UnitFacts:
    return UnitFacts(resource=_resource(target), error=error)


def _resource(target: TlsTarget) -> Resource:
    return Resource("tls", "tls.endpoint", target.resource_id(), name=target.name)


def _endpoint_facts(
    target: TlsTarget, facts: frozenset[str], result: ServerScanResult, timeout: float
) -> UnitFacts:
    resource = _resource(target)
    if result.scan_status is not ServerScanStatusEnum.COMPLETED or result.scan_result is None:
        return UnitFacts(resource=resource, error=_connectivity_error(result))

    scan = result.scan_result
    probing = result.connectivity_result
    endpoint = TlsEndpoint(
        resource=resource,
        host=target.host,
        port=target.port,
        server_name=target.server_name,
        starttls=target.starttls.value if target.starttls else None,
        protocols={p: _suites(p, getattr(scan, c.value)) for p, c in SUITE_COMMANDS.items()}
        if PROTOCOLS.name in facts else {},
        curves=_attempt(scan.elliptic_curves, lambda r: tuple(c.name for c in r.supported_curves)),
        certificate=_attempt(scan.certificate_info, _certificate_facts),
        heartbleed=_attempt(scan.heartbleed, lambda r: bool(r.is_vulnerable_to_heartbleed)),
        robot=_attempt(scan.robot, lambda r: str(r.robot_result.name)),
        ccs_injection=_attempt(scan.openssl_ccs_injection, lambda r: bool(r.is_vulnerable_to_ccs_injection)),
        renegotiation=_attempt(scan.session_renegotiation, lambda r: Renegotiation(
            bool(r.supports_secure_renegotiation), bool(r.is_vulnerable_to_client_renegotiation_dos))),
        compression=_attempt(scan.tls_compression, lambda r: bool(r.supports_compression)),
        http=_http_facts(target, timeout) if HTTP_HEADERS.name in facts else _not_requested(),
        highest_protocol=probing.highest_tls_version_supported.name if probing else None,
    )
    return UnitFacts(resource=resource, subjects=[endpoint])


def _connectivity_error(result: ServerScanResult) -> CollectError:
    trace = result.connectivity_error_trace
    kind = trace.exc_type.__name__ if trace is not None else "unknown"
    reason, text = _CONNECTIVITY_REASONS.get(kind, (ErrorReason.UNREACHABLE, "the server could not be reached"))
    detail = str(trace).strip().splitlines()[-1] if trace is not None else ""
    return CollectError(reason, f"{text}: {detail}" if detail else text, "tls:connect")


def _attempt(attempt: Any, read: Any) -> Any:
    """Return `read(result)` for a completed scan command, else the reason it has none."""
    if attempt.status is ScanCommandAttemptStatusEnum.NOT_SCHEDULED:
        return _not_requested()
    if attempt.status is not ScanCommandAttemptStatusEnum.COMPLETED or attempt.result is None:
        reason = attempt.error_reason.name if attempt.error_reason else "unknown"
        detail = str(attempt.error_trace).strip().splitlines()[-1] if attempt.error_trace else ""
        return CollectError(ErrorReason.API_ERROR, f"sslyze {reason}: {detail}".strip(), "tls:scan")
    return read(attempt.result)


def _not_requested() -> CollectError:
    return CollectError(ErrorReason.CHECK_FAILED, "this fact was not requested by any check")


def _suites(protocol: Protocol, attempt: Any) -> tuple[AcceptedSuite, ...] | CollectError:
    def read(result: Any) -> tuple[AcceptedSuite, ...]:
        return tuple(_suite(protocol, accepted) for accepted in result.accepted_cipher_suites)

    value: tuple[AcceptedSuite, ...] | CollectError = _attempt(attempt, read)
    return value


def _suite(protocol: Protocol, accepted: Any) -> AcceptedSuite:
    key = accepted.ephemeral_key
    if key is None:
        return AcceptedSuite(accepted.cipher_suite.name, protocol)
    kind = "DH" if key.type_name == "DH" else "ECDH"
    curve = getattr(key, "curve_name", None)
    return AcceptedSuite(accepted.cipher_suite.name, protocol, kind, int(key.size), curve)


def _certificate_facts(result: Any) -> CertificateFacts:
    deployment = result.certificate_deployments[0]
    trusted = tuple(p.trust_store.name for p in deployment.path_validation_results if p.was_validation_successful)
    errors = {
        p.trust_store.name: str(p.validation_error)
        for p in deployment.path_validation_results
        if not p.was_validation_successful and p.validation_error
    }
    return CertificateFacts(
        server_name=str(result.hostname_used_for_server_name_indication),
        chain=tuple(_certificate(c) for c in deployment.received_certificate_chain),
        trusted_by=trusted,
        validation_errors=errors,
    )


def _certificate(cert: x509.Certificate) -> Certificate:
    key = cert.public_key()
    key_type, key_bits = _key_info(key)
    try:
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        dns_names = tuple(names.get_values_for_type(x509.DNSName))
        ip_addresses = tuple(str(a) for a in names.get_values_for_type(x509.IPAddress))
    except x509.ExtensionNotFound:
        dns_names, ip_addresses = (), ()
    hash_algorithm = cert.signature_hash_algorithm
    return Certificate(
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        key_type=key_type,
        key_bits=key_bits,
        signature_hash=hash_algorithm.name if hash_algorithm else None,
        self_signed=cert.subject == cert.issuer,
        dns_names=dns_names,
        ip_addresses=ip_addresses,
        common_names=tuple(str(a.value) for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)),
    )


def _key_info(key: Any) -> tuple[str, int]:
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "EC", key.curve.key_size
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA", key.key_size
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519", 256
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448", 456
    return type(key).__name__, 0


def _http_facts(target: TlsTarget, timeout: float) -> HttpFacts | CollectError:
    """Read the raw Strict-Transport-Security header of `GET /`, or note the service is not HTTP."""
    if target.starttls is not None:
        return HttpFacts(is_http=False)
    # The header is read, not trusted: the certificate is judged by the certificate checks.
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    connection = http.client.HTTPSConnection(target.host, target.port, timeout=timeout, context=context)
    try:
        connection.sock = context.wrap_socket(
            socket.create_connection((target.host, target.port), timeout=timeout),
            server_hostname=target.server_name,
        )
        connection.request("GET", "/", headers={"Host": target.server_name, "User-Agent": "art32"})
        response = connection.getresponse()
        header = response.getheader("Strict-Transport-Security")
        # Only the first header counts (RFC 6797, section 8.1); getheader joins repeats with ", ".
        first = response.msg.get_all("Strict-Transport-Security") or []
        return HttpFacts(is_http=True, status=response.status, hsts_header=first[0] if first else header)
    except (http.client.BadStatusLine, http.client.LineTooLong):
        return HttpFacts(is_http=False)
    except (OSError, http.client.HTTPException) as error:
        return CollectError(ErrorReason.UNREACHABLE, f"HTTPS request failed: {error}", "https:GET")
    finally:
        connection.close()
