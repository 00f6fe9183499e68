#!/usr/bin/env bash
# Applies the nftables rules of this directory without locking yourself out
# of a remote machine:
#
#   1. checks the file (nft -c -f), refusing to go on if it has errors;
#   2. backs up the current ruleset (for the record) and the table the file
#      replaces (`inet filter`, for the rollback) under BACKUP_DIR;
#   3. applies the file atomically (nft -f);
#   4. waits ROLLBACK seconds for a confirmation, and otherwise restores the
#      previous table. The rollback runs detached from this shell, so it also
#      happens when the SSH session that ran this script hangs or dies.
#      Confirm from a NEW SSH session (that proves new connections still get
#      in): `sudo deploy/firewall/apply.sh --confirm`, or type "yes" here;
#   5. with --persist, once confirmed, installs the file as /etc/nftables.conf
#      and enables nftables.service, which loads it at boot.
#
# usage: sudo deploy/firewall/apply.sh [--rollback-after SECONDS | --no-rollback]
#                                      [--persist] [FILE]
#        sudo deploy/firewall/apply.sh --check [FILE]   # validate only
#        sudo deploy/firewall/apply.sh --confirm        # keep the new rules
#
# FILE defaults to nftables.conf beside this script. Only `inet filter` is
# replaced and rolled back; other tables (Docker's, fail2ban's) are untouched.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FILE="$HERE/nftables.conf"
ROLLBACK=60
PERSIST=0
MODE=apply
BACKUP_DIR=${BACKUP_DIR:-/var/backups/dayone-firewall}
RUN_DIR=${RUN_DIR:-/run/dayone-firewall}
TABLE_FAMILY=inet
TABLE_NAME=filter

die() { echo "error: $*" >&2; exit 1; }
say() { printf '==> %s\n' "$*"; }

while (($#)); do
    case $1 in
        --rollback-after) ROLLBACK=${2:?--rollback-after needs seconds}; shift ;;
        --no-rollback) ROLLBACK=0 ;;
        --persist) PERSIST=1 ;;
        --check) MODE=check ;;
        --confirm) MODE=confirm ;;
        -h | --help) sed -n '2,25p' "${BASH_SOURCE[0]}"; exit 0 ;;
        -*) die "unknown option $1 (see --help)" ;;
        *) FILE=$1 ;;
    esac
    shift
done
[[ $ROLLBACK =~ ^[0-9]+$ ]] || die "--rollback-after takes a number of seconds"

[[ $(id -u) -eq 0 ]] || die "run as root (sudo)"
command -v nft >/dev/null || die "nft not found: apt-get install nftables"

# ------------------------------------------------------------------ confirm
# Cancels a pending rollback (started by an earlier run of this script).
confirm() {
    local pid
    [[ -f $RUN_DIR/rollback.pid ]] || { echo "no rollback pending"; return 0; }
    touch "$RUN_DIR/confirmed"
    pid=$(<"$RUN_DIR/rollback.pid")
    # Only signal the PID if it is still our rollback timer.
    if [[ -n $pid && -r /proc/$pid/cmdline ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "dayone-firewall-rollback"; then
        kill "$pid" 2>/dev/null || true
    fi
    rm -f "$RUN_DIR/rollback.pid"
    say "confirmed: the new rules stay"
    if [[ -f $RUN_DIR/persist ]]; then
        persist "$(<"$RUN_DIR/persist")"
        rm -f "$RUN_DIR/persist"
    fi
}

persist() {
    local src=$1
    if [[ -f /etc/nftables.conf ]]; then
        cp -p /etc/nftables.conf "$BACKUP_DIR/etc-nftables.conf.$(date +%Y%m%d-%H%M%S)"
    fi
    install -m 0644 "$src" /etc/nftables.conf
    if command -v systemctl >/dev/null; then
        systemctl enable nftables.service >/dev/null 2>&1 || echo "warning: could not enable nftables.service" >&2
    fi
    say "installed as /etc/nftables.conf (loaded at boot by nftables.service)"
}

if [[ $MODE == confirm ]]; then
    confirm
    exit 0
fi

# ------------------------------------------------------------------ check
[[ -r $FILE ]] || die "cannot read $FILE"
say "checking $FILE"
nft -c -f "$FILE" || die "$FILE has errors; nothing was changed"
[[ $MODE == check ]] && { say "ok"; exit 0; }

# ------------------------------------------------------------------ back up
mkdir -p "$BACKUP_DIR" "$RUN_DIR"
chmod 0700 "$BACKUP_DIR" "$RUN_DIR"
stamp=$(date +%Y%m%d-%H%M%S)
full="$BACKUP_DIR/ruleset-$stamp.nft"
restore="$BACKUP_DIR/restore-$stamp.nft"
nft -s list ruleset >"$full"
# The rollback file: declare-then-delete our table (so it works whether or not
# it exists), then the previous version of it, if there was one.
{
    echo "table $TABLE_FAMILY $TABLE_NAME"
    echo "delete table $TABLE_FAMILY $TABLE_NAME"
    nft -s list table "$TABLE_FAMILY" "$TABLE_NAME" 2>/dev/null || true
} >"$restore"
say "backed up the ruleset to $full"
if ! nft -c -f "$restore" 2>/dev/null; then
    echo "warning: the previous $TABLE_FAMILY $TABLE_NAME table cannot be re-loaded from its listing;" >&2
    echo "         a rollback would delete the table instead (no filtering rather than a lock-out)." >&2
    printf 'table %s %s\ndelete table %s %s\n' "$TABLE_FAMILY" "$TABLE_NAME" "$TABLE_FAMILY" "$TABLE_NAME" >"$restore"
fi

# ------------------------------------------------------------------ rollback timer
rm -f "$RUN_DIR/confirmed" "$RUN_DIR/persist"
if ((ROLLBACK > 0)); then
    # setsid: a new session, so the hang-up of this SSH session does not reach
    # it. The marker word in its command line lets --confirm check the PID.
    # shellcheck disable=SC2016 # the inner script expands its own arguments
    setsid bash -c '
        : dayone-firewall-rollback
        sleep "$1"
        if [[ ! -e "$2/confirmed" ]]; then
            nft -f "$3" || nft delete table "$4" "$5"
            logger -t dayone-firewall "rules not confirmed within $1 s: previous table restored from $3" || true
        fi
        rm -f "$2/rollback.pid"
    ' dayone-firewall-rollback "$ROLLBACK" "$RUN_DIR" "$restore" "$TABLE_FAMILY" "$TABLE_NAME" \
        </dev/null >/dev/null 2>&1 &
    echo $! >"$RUN_DIR/rollback.pid"
    ((PERSIST)) && echo "$FILE" >"$RUN_DIR/persist"
fi

# ------------------------------------------------------------------ apply
say "applying $FILE"
if ! nft -f "$FILE"; then
    # nft -f is atomic: on error nothing changed. Stop the timer quietly.
    if [[ -f $RUN_DIR/rollback.pid ]]; then kill "$(<"$RUN_DIR/rollback.pid")" 2>/dev/null || true; fi
    rm -f "$RUN_DIR/rollback.pid" "$RUN_DIR/persist"
    die "applying failed; the previous rules are unchanged"
fi

if ((ROLLBACK == 0)); then
    say "applied (no rollback requested)"
    ((PERSIST)) && persist "$FILE"
    exit 0
fi

cat <<EOF

The new rules are active. They will be ROLLED BACK in $ROLLBACK s unless confirmed.
Open a NEW SSH session to this machine and run:
    sudo $HERE/apply.sh --confirm
(or type "yes" below if you cannot open a second session).
EOF
if [[ -t 0 ]]; then
    answer=""
    read -r -t "$ROLLBACK" -p "keep the new rules? " answer || true
    if [[ $answer == yes ]]; then
        confirm
    elif [[ -e $RUN_DIR/confirmed ]]; then
        say "confirmed from another session"
    else
        say "not confirmed here; the rollback happens in the background when the time is up"
    fi
fi
