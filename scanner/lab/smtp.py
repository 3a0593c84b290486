"""An SMTP server with STARTTLS for the lab, run as `python -m scanner.lab.smtp`.

aiosmtpd serves on 127.0.0.1 and accepts no mail: the lab only needs the STARTTLS
handshake. Its TLS settings follow Mozilla intermediate (TLS 1.2 and 1.3, ECDHE suites).
"""

from __future__ import annotations

import argparse
import logging
import signal
import ssl
import threading

from aiosmtpd.controller import Controller


class RejectAll:
    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        return "554 the art32 lab accepts no mail"


def main() -> None:
    parser = argparse.ArgumentParser(description="SMTP with STARTTLS on 127.0.0.1, for the art32 lab")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cert", required=True, help="PEM chain: leaf then CA")
    parser.add_argument("--key", required=True)
    arguments = parser.parse_args()

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers("ECDHE+AESGCM:ECDHE+CHACHA20")
    context.load_cert_chain(arguments.cert, arguments.key)

    controller = Controller(RejectAll(), hostname="127.0.0.1", port=arguments.port,
                            tls_context=context, require_starttls=True)
    # aiosmtpd logs a traceback for every handshake a scanner breaks off on purpose.
    logging.getLogger("mail.log").setLevel(logging.CRITICAL)
    controller.start()
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    stopped.wait()
    controller.stop()


if __name__ == "__main__":
    main()
