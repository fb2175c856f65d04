#!/usr/bin/env bash
# Refresh the message catalogue template and merge it into each language's .po file.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${VENV:-.venv}/bin
"$BIN/pybabel" extract -F babel.cfg --no-location --sort-output --omit-header \
  -k _ -k N_ -k translate:2 -k invalid -k NotFound -k InvalidInput -k Conflict \
  -k Unauthenticated -k PermissionDenied -k TooManyAttempts -k Problem:2 -k t \
  -k translate_plural:2,3 -k _n:1,2 -k _nf:1,2 -k NP_:1,2 \
  -o src/civitas/locale/messages.pot src/civitas
for lang in es de; do
  po=src/civitas/locale/$lang/LC_MESSAGES/messages.po
  if [ -f "$po" ]; then
    "$BIN/pybabel" update --no-fuzzy-matching --omit-header -l "$lang" -i src/civitas/locale/messages.pot -o "$po"
  else
    mkdir -p "$(dirname "$po")"
    "$BIN/pybabel" init -l "$lang" -i src/civitas/locale/messages.pot -o "$po"
  fi
done
