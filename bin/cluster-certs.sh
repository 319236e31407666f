#!/usr/bin/env bash
# Makes a cluster CA and one certificate per node for mutual TLS on peer links (cluster.tls),
# with openssl: EC P-256 keys in PKCS#8 PEM, certificates valid for 825 days.
#
#   bin/cluster-certs.sh DIR [NODE[=HOST,HOST...]]...
#
# Writes DIR/ca.pem and DIR/ca.key (the CA; keep ca.key off the nodes), and for each node
# DIR/NODE.pem and DIR/NODE.key, whose subject CN is the node id and whose subject alternative
# names are localhost, 127.0.0.1 and the HOSTs given: every address its peers dial it at
# (cluster.peers host). Without nodes: n1, n2 and n3 on this machine, as bin/cluster-local.sh
# runs them. An existing CA in DIR is reused, so a node can be added later; existing node files
# are left alone. Then on each node:
#
#   cluster.tls { enabled = true, cert-file = DIR/n1.pem, key-file = DIR/n1.key, ca-file = DIR/ca.pem }
set -euo pipefail

if (($# < 1)) || [[ "$1" == -h || "$1" == --help ]]; then
  sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  exit 2
fi
command -v openssl >/dev/null 2>&1 || { echo "cluster-certs: openssl is missing (apt-get install openssl)" >&2; exit 1; }

DIR="$1"
shift
NODES=("$@")
((${#NODES[@]} > 0)) || NODES=(n1 n2 n3)
mkdir -p "$DIR"
umask 077

if [[ ! -f "$DIR/ca.pem" ]]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$DIR/ca.key" -out "$DIR/ca.pem" -days 3650 -subj "/CN=si-mqtt cluster CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    2>/dev/null
  echo "cluster-certs: made the CA $DIR/ca.pem"
fi

for spec in "${NODES[@]}"; do
  node="${spec%%=*}"
  [[ "$node" =~ ^[A-Za-z0-9._-]{1,64}$ ]] || { echo "cluster-certs: bad node id: $node" >&2; exit 2; }
  if [[ -f "$DIR/$node.pem" ]]; then
    echo "cluster-certs: $DIR/$node.pem exists, left alone"
    continue
  fi
  sans="DNS:localhost,IP:127.0.0.1"
  if [[ "$spec" == *=* ]]; then
    IFS=',' read -r -a hosts <<<"${spec#*=}"
    for h in "${hosts[@]}"; do
      if [[ "$h" =~ ^[0-9.]+$ || "$h" == *:* ]]; then sans+=",IP:$h"; else sans+=",DNS:$h"; fi
    done
  fi
  ext="$(mktemp)"
  printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=%s\n' \
    "$sans" >"$ext"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$DIR/$node.key" -out "$DIR/$node.csr" -subj "/CN=$node" 2>/dev/null
  openssl x509 -req -in "$DIR/$node.csr" -CA "$DIR/ca.pem" -CAkey "$DIR/ca.key" \
    -CAcreateserial -out "$DIR/$node.pem" -days 825 -sha256 -extfile "$ext" 2>/dev/null
  rm -f "$ext" "$DIR/$node.csr"
  echo "cluster-certs: made $DIR/$node.pem ($sans)"
done
