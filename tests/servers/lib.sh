# tests/servers/lib.sh - helpers shared by aiosmtpd.sh and postfix.sh
# (sourced after they define PY and die()).

# Serialize start/stop on one STATEDIR (fd 9; closed for the server itself).
lock_statedir() {
    exec 9>"$1/.lock" || die "cannot create $1/.lock"
    flock -w 60 9 || die "timed out waiting for the lock on $1"
}

# Print a TCP port on 127.0.0.1 that is free right now.
free_port() {
    "$PY" -I -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Succeed if 127.0.0.1:$1 answers with a 220 greeting (then say QUIT).
greets_220() {
    "$PY" -I - "$1" <<'EOF'
import socket, sys
try:
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1)
    s.settimeout(1)
    line = s.makefile("rb").readline()
    try:
        s.sendall(b"QUIT\r\n")
        s.recv(1024)
    except OSError:
        pass
    s.close()
    sys.exit(0 if line.startswith(b"220") else 1)
except OSError:
    sys.exit(1)
EOF
}

# A self-signed certificate for STARTTLS in $1/tls/{cert,key}.pem, for the
# name $2 and 127.0.0.1, made once per state directory.  Tests trust it
# with --cacert $1/tls/cert.pem.
make_test_cert() {
    [ -s "$1/tls/cert.pem" ] && return 0
    mkdir -p "$1/tls" && chmod 755 "$1/tls"
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=$2" \
        -addext "subjectAltName=DNS:$2,IP:127.0.0.1" \
        -keyout "$1/tls/key.pem" -out "$1/tls/cert.pem" >/dev/null 2>&1 ||
        die "openssl could not make the test certificate"
    chmod 600 "$1/tls/key.pem"
    chmod 644 "$1/tls/cert.pem"
}
