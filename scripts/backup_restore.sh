#!/usr/bin/env bash
# Back up and restore the innocredit PostgreSQL database with pg_dump / pg_restore (docs/deployment.md).
#
#   scripts/backup_restore.sh backup  DATABASE_URL FILE   # custom-format dump (compressed, restorable per table)
#   scripts/backup_restore.sh restore DATABASE_URL FILE   # into an EMPTY database, in one transaction
#   scripts/backup_restore.sh verify  FILE                # the dump's table of contents is readable
#
# DATABASE_URL is a libpq URL (postgresql://user@host:port/db); the SQLAlchemy form postgresql+psycopg:// is
# accepted too. A password is best kept in ~/.pgpass or PGPASSWORD, not in the URL (the URL shows in `ps`).
# A `?options=-csearch_path=<schema>` URL (one schema) dumps and restores that schema only.
# The test suite runs backup -> restore -> compare once against the test server (tests/test_deployment.py).
set -euo pipefail

usage() { sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

libpq_url() {  # postgresql+psycopg://... -> postgresql://... ; drop the query string (handled separately)
  local url="${1/postgresql+psycopg:/postgresql:}"
  url="${url/postgresql+psycopg2:/postgresql:}"
  printf '%s' "${url%%\?*}"
}

schema_of() {  # the schema named by options=-csearch_path=<schema> (URL-encoded or not), else nothing
  local query="${1#*\?}"
  [ "$query" = "$1" ] && return 0
  query="${query//%3D/=}"; query="${query//%3d/=}"
  if [[ "$query" =~ search_path=([A-Za-z0-9_]+) ]]; then printf '%s' "${BASH_REMATCH[1]}"; fi
}

need() { command -v "$1" >/dev/null 2>&1 || { echo "error: $1 not found (install postgresql-client)" >&2; exit 3; }; }

[ $# -ge 2 ] || usage
cmd="$1"
case "$cmd" in
  backup)
    [ $# -eq 3 ] || usage
    need pg_dump
    url="$(libpq_url "$2")"; schema="$(schema_of "$2")"; file="$3"
    args=(--format=custom --compress=6 --no-owner --no-privileges --file="$file.partial")
    [ -n "$schema" ] && args+=(--schema="$schema")
    pg_dump "${args[@]}" "$url"
    mv "$file.partial" "$file"  # a finished dump only: an interrupted run leaves no file that looks complete
    echo "backup written: $file ($(wc -c <"$file") bytes)"
    ;;
  restore)
    [ $# -eq 3 ] || usage
    need pg_restore
    url="$(libpq_url "$2")"; file="$3"
    [ -r "$file" ] || { echo "error: cannot read $file" >&2; exit 2; }
    # one transaction: all of it or nothing; stop at the first error
    pg_restore --single-transaction --exit-on-error --no-owner --no-privileges --dbname="$url" "$file"
    echo "restored $file"
    ;;
  verify)
    need pg_restore
    pg_restore --list "$2" >/dev/null
    echo "readable: $2 ($(pg_restore --list "$2" | grep -c ' TABLE DATA ') tables with data)"
    ;;
  *) usage ;;
esac
