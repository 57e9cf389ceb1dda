#!/usr/bin/env bash
# Installs every system peer the test-suite talks to (idempotent; run as root).
# Daemons are NOT started here: each test starts its own instance on loopback.
set -euo pipefail
PKGS=(clamav-daemon clamdscan slapd ldap-utils libnss3-tools gpgsm gnupg
      libbcmail-java libbcpkix-java libbcprov-java postfix swaks chromium openssl sqlite3
      ca-certificates)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Keep package post-install scripts from starting system daemons on standard ports.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  echo "postfix postfix/mailname string localhost" | debconf-set-selections
  echo "slapd slapd/no_configuration boolean true" | debconf-set-selections
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "system test dependencies present"
