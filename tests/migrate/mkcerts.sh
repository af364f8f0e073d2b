#!/bin/sh
# Certificates for the TLS tests, made fresh in DIR: a migration CA with a
# server and a client certificate it signed, and a rogue CA with a client
# certificate of its own.  Needs openssl.
set -eu
d=$1
cd "$d"
ca() { # name
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -subj "/CN=$1" -keyout "$1.key" -out "$1.pem" 2>/dev/null
}
leaf() { # name ca
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -subj "/CN=$1" -keyout "$1.key" -out "$1.csr" 2>/dev/null
    printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\n' >leaf.ext
    openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial -days 2 \
        -extfile leaf.ext -out "$1.pem" 2>/dev/null
}
ca migration-ca
leaf receiver migration-ca
leaf sender migration-ca
ca rogue-ca
leaf intruder rogue-ca
