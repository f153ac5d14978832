#!/bin/sh
# Integration test: every bundled suite over TLS (--starttls) against a
# private aiosmtpd on 127.0.0.1, with AUTH and a test login.
exec /usr/bin/python3 "${SRCDIR:-$(dirname "$0")/../..}/tests/integration/realserver.py" aiosmtpd --starttls
