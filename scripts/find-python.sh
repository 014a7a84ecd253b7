#!/usr/bin/env bash
# Print the path of a working Python >= 3.12. Each candidate is run, not trusted by name: on some
# machines a `python3.13` shim exists on PATH but fails.
set -u
candidates=(python3.13 /usr/bin/python3.13 /usr/local/bin/python3.13 python3.12 /usr/bin/python3.12)
if command -v pyenv >/dev/null 2>&1; then
  root=$(pyenv root 2>/dev/null)
  for p in "$root"/versions/3.13*/bin/python3.13 "$root"/versions/3.12*/bin/python3.12; do candidates+=("$p"); done
fi
for p in "$HOME"/.pyenv/versions/3.13*/bin/python3.13 "$HOME"/.pyenv/versions/3.12*/bin/python3.12 python3; do candidates+=("$p"); done
for candidate in "${candidates[@]}"; do
  if "$candidate" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; then
    "$candidate" -c 'import sys; print(sys.executable)'
    exit 0
  fi
done
echo "No working Python >= 3.12 found (tried: ${candidates[*]}). Install python3.13." >&2
exit 1
