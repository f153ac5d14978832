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
