#!/bin/sh
# Integration test: every bundled suite against a private aiosmtpd on 127.0.0.1.
exec /usr/bin/python3 "${SRCDIR:-$(dirname "$0")/../..}/tests/integration/realserver.py" aiosmtpd
