#!/usr/bin/env bash
# Install art32 with its lab and test extras, lint and type-check it, then run the test suite.
# Tests start every stand-in server they need themselves, on 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."

# The lab's TLS endpoints run on nginx and its SSH hosts on OpenSSH's sshd, with sudo and
# unattended-upgrades for their facts. Install what this machine lacks, when apt-get can.
missing=""
[ -x /usr/sbin/nginx ] || missing="$missing nginx-light"
[ -x /usr/sbin/sshd ] || missing="$missing openssh-server"
[ -x /usr/bin/sudo ] || missing="$missing sudo"
dpkg-query -W -f='${Status}' unattended-upgrades 2>/dev/null | grep -q "ok installed" || missing="$missing unattended-upgrades"
if [ -n "$missing" ] && [ "$(id -u)" = 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi

export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
python3 -m pip install --quiet -e '.[lab,test]'

# No SDK may probe a cloud metadata address, in tests or anywhere else here.
export AWS_EC2_METADATA_DISABLED=true GCE_METADATA_HOST=127.0.0.1:1 GCE_METADATA_IP=127.0.0.1:1 NO_GCE_CHECK=True

python3 -m ruff check scanner checks tests
python3 -m mypy

status=0
python3 -m pytest "$@" || status=$?
if [ "$status" -eq 5 ]; then
  # pytest exits 5 when a filter such as -k selects no test; that is not a failure of the code.
  echo "scripts/test.sh: pytest collected no tests"
  exit 0
fi
exit "$status"
