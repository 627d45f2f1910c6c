# shellcheck shell=bash
# Shared helpers for scripts/setup, scripts/test and scripts/demo.
# Source it after `cd`-ing to the repo root:  . scripts/lib.sh

export DEBIAN_FRONTEND=noninteractive

log() { printf '==> %s\n' "$*"; }
warn() { printf '==> WARNING: %s\n' "$*" >&2; }
die() {
	printf '==> ERROR: %s\n' "$*" >&2
	exit 1
}

# Root runs privileged commands directly; anyone else goes through sudo.
if [ "$(id -u)" -eq 0 ]; then
	SUDO=()
else
	command -v sudo >/dev/null 2>&1 || die "not root and sudo is missing"
	SUDO=(sudo)
fi

as_root() { "${SUDO[@]}" "$@"; }

# Run a command as the postgres OS user (for peer-authenticated admin work).
# cd / first so psql doesn't complain that it can't read our working dir.
as_postgres() {
	if [ "$(id -u)" -eq 0 ]; then
		(cd / && runuser -u postgres -- "$@")
	else
		(cd / && sudo -u postgres -- "$@")
	fi
}

# True if the Debian package is installed (not merely known or half-removed).
have_pkg() {
	dpkg -s "$1" 2>/dev/null | grep -q '^Status: install ok installed'
}

# Install the given Debian packages that are not installed yet; `apt-get
# update` runs at most once per script run, and only when installing.
_APT_UPDATED=""
apt_install() {
	local missing=() p
	for p in "$@"; do
		have_pkg "$p" || missing+=("$p")
	done
	[ "${#missing[@]}" -eq 0 ] && return 0
	if [ -z "$_APT_UPDATED" ]; then
		log "apt-get update"
		as_root apt-get update -qq
		_APT_UPDATED=1
	fi
	log "apt-get install ${missing[*]}"
	as_root env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# Stamps let setup skip steps whose inputs did not change. A stamp holds the
# sha256 of its input file; it is written only after the step succeeded.
STAMP_DIR=.setup-stamps

_sha() { sha256sum "$1" | cut -d' ' -f1; }

# stamp_fresh NAME FILE: true if FILE's hash matches the stamp NAME.
stamp_fresh() {
	[ -f "$STAMP_DIR/$1" ] && [ "$(cat "$STAMP_DIR/$1")" = "$(_sha "$2")" ]
}

stamp_write() {
	mkdir -p "$STAMP_DIR"
	_sha "$2" >"$STAMP_DIR/$1"
}

stamp_clear() { rm -f "$STAMP_DIR/$1"; }
