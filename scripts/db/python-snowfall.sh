#!/usr/bin/env bash
# A Python virtualenv with the original `snowfall` package (1.0.7, from PyPI) for the interop
# tests: groups it creates must work here, and groups created here must work for it.
# Idempotent; prints the venv's python path on stdout.
#
# The wheel pins numpy==1.19.0 (no build for current Pythons; the newest numpy does the job) and
# SQLAlchemy==1.3.18 (no wheel for Python 3.11): it is installed with --no-deps next to the
# newest compatible SQLAlchemy 1.3, its APScheduler pin (with tzlocal<3: APScheduler 3.6 needs
# pytz zones), and drivers for PostgreSQL (psycopg2)
# and MySQL/MariaDB (PyMySQL; its own MySQL-python extra is Python 2 only).
set -euo pipefail
. "$(dirname "$0")/common.sh"

venv="$SNOWFALL_DB_DIR/python-snowfall"
py="$venv/bin/python"
mkdir -p "$SNOWFALL_DB_DIR"
lock_dir python
if ! "$py" -c 'import numpy, snowfall, sqlalchemy, apscheduler, psycopg2, pymysql' 2>/dev/null; then
  command -v python3 >/dev/null || apt_install python3 python3-venv
  python3 -m venv "$venv" 2>/dev/null || { apt_install python3-venv; python3 -m venv "$venv"; }
  log "pip install snowfall==1.0.7 (and its runtime dependencies)"
  "$venv/bin/pip" install -q --disable-pip-version-check --no-deps "snowfall==1.0.7"
  "$venv/bin/pip" install -q --disable-pip-version-check "SQLAlchemy==1.3.24" "APScheduler==3.6.3" "tzlocal<3" numpy setuptools psycopg2-binary PyMySQL
fi
echo "$py"
