#!/usr/bin/env bash
# Print the path of a Python 3.10 interpreter, or explain what to install and fail.
set -euo pipefail
candidates=()
command -v python3.10 >/dev/null 2>&1 && candidates+=("$(command -v python3.10)")
if command -v pyenv >/dev/null 2>&1; then
  for p in "$(pyenv root)"/versions/3.10.*/bin/python3.10; do [ -x "$p" ] && candidates+=("$p"); done
fi
for p in "$HOME"/.pyenv/versions/3.10.*/bin/python3.10 /usr/bin/python3.10 /usr/local/bin/python3.10; do
  [ -x "$p" ] && candidates+=("$p")
done
for p in "${candidates[@]}"; do
  if "$p" -c 'import sys, venv; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' 2>/dev/null; then
    echo "$p"; exit 0
  fi
done
cat >&2 <<'MSG'
Python 3.10 was not found (Rasa Open Source 3.6 needs Python 3.10; 3.11+ is not supported).
Install it, then run the command again, for example:
  pyenv install 3.10        # with pyenv
  apt-get install python3.10 python3.10-venv   # where your distribution packages it
MSG
exit 1
