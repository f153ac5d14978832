#!/bin/bash
# tests/certs/mkcerts.sh OUTDIR - test certificates for the TLS tests, made
# with the openssl command (nothing is committed; every run makes its own):
#
#   ca.pem                 a test CA ("smtpspec test CA"), to pass as --cacert
#   valid.{pem,key}        signed by the CA, for fake.test, localhost, 127.0.0.1, ::1
#   expired.{pem,key}      the same names, valid 2020-01-01 to 2021-01-01
#   selfsigned.{pem,key}   the same names, signed by itself
#   wrongname.{pem,key}    signed by the CA, for wrong.example only
#   weak.{pem,key}         signed by the CA, the good names, an RSA 1024-bit key
#
# Silent on success; exits non-zero with openssl's message on failure.
set -eu
out=${1:?usage: mkcerts.sh OUTDIR}
mkdir -p "$out"
cd "$out"
work=$(mktemp -d)               # openssl ca's database and config, and the log
trap 'rm -rf "$work"' EXIT
log=$work/log
fail() { cat "$log" >&2; echo "mkcerts.sh: $*" >&2; exit 1; }
run() { "$@" >>"$log" 2>&1 || fail "$1 failed"; }

good_names="DNS:fake.test,DNS:localhost,IP:127.0.0.1,IP:::1"
mkdir -p "$work/new"
: > "$work/index.txt"
echo 1000 > "$work/serial"
cat > "$work/ca.cnf" <<CNF
[ ca ]
default_ca = test
[ test ]
dir = $work
database = \$dir/index.txt
new_certs_dir = \$dir/new
serial = \$dir/serial
certificate = $PWD/ca.pem
private_key = $PWD/ca.key
default_md = sha256
policy = any
unique_subject = no
copy_extensions = copy
[ any ]
commonName = supplied
CNF

run openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=smtpspec test CA" \
    -keyout ca.key -out ca.pem

# sign NAME BITS SANS [STARTDATE ENDDATE]: NAME.key, NAME.pem signed by the CA
sign() {
    local name=$1 bits=$2 sans=$3 cn=${3%%,*}
    run openssl req -newkey "rsa:$bits" -nodes -subj "/CN=${cn#DNS:}" \
        -addext "subjectAltName=$sans" -keyout "$name.key" -out "$work/$name.csr"
    local dates=(-days 3650)
    [ $# -eq 5 ] && dates=(-startdate "$4" -enddate "$5")
    run openssl ca -batch -config "$work/ca.cnf" -notext "${dates[@]}" \
        -in "$work/$name.csr" -out "$name.pem"
}

sign valid 2048 "$good_names"
sign expired 2048 "$good_names" 20200101000000Z 20210101000000Z
sign wrongname 2048 "DNS:wrong.example"
sign weak 1024 "$good_names"
run openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=fake.test" \
    -addext "subjectAltName=$good_names" -keyout selfsigned.key -out selfsigned.pem
chmod 644 ./*.pem ./*.key
