"""aiosmtpd's own command line (python3 -m aiosmtpd ...), with AUTH on: an
authenticator that accepts one test login, auth-tester / auth-tester-pass
(tests/integration/realserver.py passes them as --auth-user/--auth-pass).
aiosmtpd offers AUTH only over TLS (auth_require_tls), so the STARTTLS
options of tests/servers/aiosmtpd.sh make it appear after the handshake."""
import functools
import sys

import aiosmtpd.main
from aiosmtpd.smtp import SMTP, AuthResult

USER, PASSWORD = b"auth-tester", b"auth-tester-pass"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (getattr(auth_data, "login", None) == USER and
          getattr(auth_data, "password", None) == PASSWORD)
    # handled=False: aiosmtpd then answers a failure with 535 itself
    return AuthResult(success=ok, handled=False)


aiosmtpd.main.SMTP = functools.partial(SMTP, authenticator=authenticator)
aiosmtpd.main.main(sys.argv[1:])
