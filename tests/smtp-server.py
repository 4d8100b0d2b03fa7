#!/usr/bin/python3
"""A throwaway SMTP server for the tests: Debian's aiosmtpd on loopback,
storing what it receives in a Maildir (with X-MailFrom and X-RcptTo headers),
demanding AUTH PLAIN/LOGIN as USER/PASSWORD when they are given, and
STARTTLS before anything else with CERT and KEY.

Usage: smtp-server.py PORT MAILDIR [USER PASSWORD [CERT KEY]]
Runs until SIGTERM."""
import mailbox
import signal
import ssl
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import AuthResult, LoginPassword


def main():
    port, maildir = int(sys.argv[1]), sys.argv[2]
    mailbox.Maildir(maildir, create=True)
    kwargs = {}
    if len(sys.argv) >= 5:
        user, password = sys.argv[3].encode(), sys.argv[4].encode()

        def check(server, session, envelope, mechanism, data):
            ok = isinstance(data, LoginPassword) and data.login == user and data.password == password
            return AuthResult(success=ok)

        # the password in clear is fine on loopback, as the client also decides
        kwargs = {"authenticator": check, "auth_required": True, "auth_require_tls": len(sys.argv) == 7}
    if len(sys.argv) == 7:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(sys.argv[5], sys.argv[6])
        kwargs.update(tls_context=context, require_starttls=True)
    controller = Controller(Mailbox(maildir), hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    signal.signal(signal.SIGTERM, lambda *_: (controller.stop(), sys.exit(0)))
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
