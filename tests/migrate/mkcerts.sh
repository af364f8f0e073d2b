#!/bin/sh
# Certificates for the TLS tests, made fresh in DIR: a migration CA with a
# server and a client certificate it signed and one of its that expired
# yesterday, and a rogue CA with a client certificate of its own.  Needs
# openssl.
set -eu
d=$1
cd "$d"
ca() { # name
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -subj "/CN=$1" -keyout "$1.key" -out "$1.pem" 2>/dev/null
}
printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\n' >leaf.ext
request() { # name
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -subj "/CN=$1" -keyout "$1.key" -out "$1.csr" 2>/dev/null
}
leaf() { # name ca
    request "$1"
    openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial -days 2 \
        -extfile leaf.ext -out "$1.pem" 2>/dev/null
}
# openssl x509 cannot date a certificate in the past; openssl ca can
expired_leaf() { # name ca
    request "$1"
    : >index.txt
    cat >ca.cnf <<CNF
[ca]
default_ca = mig
[mig]
database = index.txt
new_certs_dir = .
serial = $2.srl
default_md = sha256
policy = any
[any]
commonName = supplied
CNF
    openssl ca -batch -notext -config ca.cnf -cert "$2.pem" -keyfile "$2.key" \
        -in "$1.csr" -out "$1.pem" -extfile leaf.ext \
        -startdate "$(date -u -d '3 days ago' +%Y%m%d%H%M%SZ)" \
        -enddate "$(date -u -d '1 day ago' +%Y%m%d%H%M%SZ)" 2>/dev/null
}
ca migration-ca
leaf receiver migration-ca
leaf sender migration-ca
expired_leaf expired migration-ca
ca rogue-ca
leaf intruder rogue-ca
