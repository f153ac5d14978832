#!/bin/sh
# Integration test: every bundled suite over TLS (--starttls) against a
# private postfix on 127.0.0.1.
exec /usr/bin/python3 "${SRCDIR:-$(dirname "$0")/../..}/tests/integration/realserver.py" postfix --starttls
