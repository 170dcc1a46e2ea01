#!/usr/bin/env bash
# Writes a help2man include file with each subcommand's --help, so that the man page documents
# every subcommand, not only the top-level usage: scripts/man-subcommands.sh LA3D OUT
set -euo pipefail
la3d=$1
out=$2
subs=$("$la3d" --help | awk '/^Subcommands:/{on=1; next} on && /^  [a-z]/{print $1}')
{
  echo "[SUBCOMMANDS]"
  for s in $subs; do
    echo ".SS \"la3d $s\""
    echo ".nf"
    # roff: a leading dot or quote would be a request; backslashes must be doubled.
    "$la3d" "$s" --help | sed -e 's/\\/\\\\/g' -e "s/^\([.']\)/\\\\\&\1/"
    echo ".fi"
  done
} >"$out"
