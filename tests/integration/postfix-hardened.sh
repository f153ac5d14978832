#!/bin/sh
# Integration test: the security suite against a private Postfix hardened
# against SMTP smuggling, relaying and VRFY (realserver.py VARIANTS).
exec /usr/bin/python3 "${SRCDIR:-$(dirname "$0")/../..}/tests/integration/realserver.py" postfix-hardened
