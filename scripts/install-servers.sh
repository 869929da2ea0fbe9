#!/usr/bin/env bash
# Installs the server binaries the integration tests start: redis-server 7 (Debian) and
# valkey-server 8 (Debian's bookworm-backports suite), plus kubectl (Debian's kubernetes-client) and
# openssl for the Kubernetes API test server's client checks. Does nothing when all are present.
# Tests start their own throw-away servers on free loopback ports; nothing is started here.
set -euo pipefail

have() { command -v "$1" >/dev/null 2>&1; }
need_redis=0; need_valkey=0
{ have redis-server && have redis-cli; } || need_redis=1
{ have valkey-server && have valkey-cli; } || need_valkey=1
need_kube=0
{ have kubectl && have openssl; } || need_kube=1
if [ "$need_redis$need_valkey$need_kube" = "000" ]; then
  echo "install-servers: $(redis-server --version | cut -d' ' -f1-3); $(valkey-server --version | cut -d' ' -f1-3)"
  exit 0
fi

if ! have apt-get; then
  echo "install-servers: redis-server/valkey-server missing and this is not a Debian-like system;" >&2
  echo "install Redis 7 and Valkey 8 with your package manager, then re-run." >&2
  exit 1
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

if [ "$need_valkey" = 1 ]; then
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
  list=/etc/apt/sources.list.d/latchkey-backports.sources
  if ! grep -rqs "${codename}-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
    echo "install-servers: adding the ${codename}-backports suite for valkey-server"
    $sudo tee "$list" >/dev/null <<SOURCES
Types: deb
URIs: http://deb.debian.org/debian
Suites: ${codename}-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
  fi
fi

$sudo apt-get update -q
if [ "$need_redis" = 1 ]; then $sudo apt-get install -y -q redis-server; fi
if [ "$need_kube" = 1 ]; then $sudo apt-get install -y -q kubernetes-client openssl; fi
if [ "$need_valkey" = 1 ]; then
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
  $sudo apt-get install -y -q -t "${codename}-backports" valkey-server
fi

for binary in redis-server redis-cli valkey-server valkey-cli kubectl openssl; do
  have "$binary" || { echo "install-servers: $binary still missing after install" >&2; exit 1; }
done
echo "install-servers: $(redis-server --version | cut -d' ' -f1-3); $(valkey-server --version | cut -d' ' -f1-3)"
