#!/usr/bin/env bash
# The ufw equivalent of nftables.conf, for machines managed with ufw (Ubuntu's
# default). Use one or the other, not both: ufw keeps its own rules.
#
#   sudo deploy/firewall/ufw.sh              # reset ufw to exactly these rules and enable it
#   sudo deploy/firewall/ufw.sh --dry-run    # print what ufw would do
#   sudo deploy/firewall/ufw.sh --ssh-port 2222
#
# Result: incoming denied except SSH (ufw `limit`: an address opening 6 or
# more connections within 30 seconds is refused), 80/tcp and 443/tcp;
# outgoing allowed; routed traffic denied. Loopback, established/related
# traffic and the essential ICMP/ICMPv6 types (errors, echo, neighbour
# discovery) are accepted by ufw's own before.rules/before6.rules.
#
# Docker note: ports that Docker publishes bypass ufw (Docker's DNAT happens
# before ufw's chains). docker-compose.yml publishes only the gateway, on
# GATEWAY_BIND (127.0.0.1 unless set to 0.0.0.0 for a public server) and the
# ops listener on 127.0.0.1, so nothing else is exposed either way.
#
# Lock-out safety: SSH is allowed before ufw is enabled, and `ufw enable`
# keeps established sessions. Keep a second session open while testing.
set -euo pipefail

SSH_PORT=22
DRY_RUN=0
while (($#)); do
    case $1 in
        --dry-run) DRY_RUN=1 ;;
        --ssh-port) SSH_PORT=${2:?--ssh-port needs a port}; shift ;;
        -h | --help) sed -n '2,23p' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) echo "unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
[[ $SSH_PORT =~ ^[0-9]+$ ]] || { echo "--ssh-port takes a number" >&2; exit 2; }

if ((DRY_RUN)) && ! command -v ufw >/dev/null; then
    # Nothing to ask: just show the commands.
    run() { echo "ufw $*"; }
else
    [[ $(id -u) -eq 0 ]] || { echo "run as root (sudo)" >&2; exit 1; }
    command -v ufw >/dev/null || { echo "ufw not found: apt-get install ufw" >&2; exit 1; }
    if ((DRY_RUN)); then
        run() { ufw --dry-run "$@"; }
    else
        run() { ufw "$@"; }
    fi
fi

# A known state: removes every rule added by hand (ufw keeps backups of the
# old rule files in /etc/ufw/*.<timestamp>).
run --force reset
run default deny incoming
run default allow outgoing
run default deny routed
run limit "$SSH_PORT/tcp" comment "SSH (rate limited)"
run allow 80/tcp comment "Dayone gateway (HTTP)"
run allow 443/tcp comment "Dayone gateway (HTTPS)"
run logging low
run --force enable
((DRY_RUN)) || ufw status verbose
