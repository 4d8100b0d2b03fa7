#!/usr/bin/python3
"""A throwaway OAuth 2 token introspection endpoint (RFC 7662) for the
tests: Dovecot asks it whether the bearer token an IMAP client logged in
with is good. TOKEN is active for USER; any other token is not.

Usage: oauth-introspect.py PORT TOKEN USER
Runs until SIGTERM."""
import http.server
import json
import sys
import urllib.parse


def main():
    port, token, user = int(sys.argv[1]), sys.argv[2], sys.argv[3]

    class Introspect(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            form = urllib.parse.parse_qs(self.rfile.read(length).decode())
            good = form.get("token", [""])[0] == token
            body = json.dumps({"active": True, "username": user} if good else {"active": False}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    http.server.HTTPServer(("127.0.0.1", port), Introspect).serve_forever()


if __name__ == "__main__":
    main()
