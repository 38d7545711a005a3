#!/usr/bin/env bash
# Makes what a TLS deployment of strata mounts (docs/security.md), with
# Debian's openssl, into OUT_DIR (default deploy/secrets, which git ignores):
#   ca.crt, ca.key               a private CA (keep ca.key off the servers)
#   coordinator/tls.{crt,key}    the coordinator: server certificate, and its
#                                client certificate towards the services
#   service/tls.{crt,key}        every partition service: CN and SAN
#                                strata-service (checked with
#                                --tls_service_name=strata-service: services
#                                advertise IPs no certificate can name)
#   coordinator/tokens           --auth_token_file: an admin and a user token
#   admin.token, user.token      the same tokens, for `strata --token_file`
#   client/{ca.crt,token}        what a client pod mounts (the user token)
# Both certificates also name localhost and 127.0.0.1, so a health check in
# the container (`strata health --server=127.0.0.1:...`) verifies them.
#   scripts/make_certs.sh [OUT_DIR] [DAYS]
set -euo pipefail
OUT="${1:-deploy/secrets}"
DAYS="${2:-365}"
command -v openssl >/dev/null || { echo "make_certs: openssl is not installed (scripts/setup.sh installs it)" >&2; exit 1; }
mkdir -p "$OUT/coordinator" "$OUT/service" "$OUT/client"
cd "$OUT"
umask 077  # keys and tokens readable by their owner only
key() { openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "$@" 2>/dev/null; }

key -x509 -days "$DAYS" -keyout ca.key -out ca.crt -subj /CN=strata-ca
issue() {  # DIR COMMON_NAME SAN
  key -keyout "$1/tls.key" -out "$1/tls.csr" -subj "/CN=$2"
  printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\n' "$3" > "$1/ext"
  openssl x509 -req -in "$1/tls.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days "$DAYS" \
    -extfile "$1/ext" -out "$1/tls.crt" 2>/dev/null
  rm -f "$1/tls.csr" "$1/ext"
  cp ca.crt "$1/ca.crt"  # each secret carries the CA it checks its peers with
}
issue coordinator strata-coordinator "DNS:strata-coordinator,DNS:coordinator,DNS:localhost,IP:127.0.0.1"
issue service strata-service "DNS:strata-service,DNS:localhost,IP:127.0.0.1"

admin=$(openssl rand -hex 32)
user=$(openssl rand -hex 32)
printf '# token owner [admin|service] (docs/security.md)\n%s admin admin\n%s user\n' "$admin" "$user" > coordinator/tokens
echo "$admin" > admin.token
echo "$user" > user.token
cp ca.crt client/ca.crt
echo "$user" > client/token
chmod a+r ca.crt coordinator/ca.crt service/ca.crt coordinator/tls.crt service/tls.crt
# Containers run as uid 10001 (deploy/Dockerfile): let it read the bind mounts.
chmod a+rx . coordinator service client
chmod a+r coordinator/tls.key coordinator/tokens service/tls.key client/ca.crt client/token
echo "make_certs: wrote $(pwd): ca.crt, coordinator/, service/, client/, admin.token, user.token"
