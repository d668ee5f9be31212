#!/usr/bin/env bash
# Bootstraps everything `make demo` and `make test` need on a fresh Debian machine:
# the Debian packages (SoftHSM2, OpenSC's pkcs11-tool, xmlsec1; p11-kit and p11-kit-modules for a token forwarded
# over SSH; pcscd and libccid for real USB tokens; openssh-server for the ssh -R test), a .venv with every Python
# package at the version and hash of requirements.lock (pip and the build backend included), then the project.
# Idempotent and quick on a second run (nothing is installed twice).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
APT_PKGS=(softhsm2 opensc xmlsec1 python3-venv ca-certificates p11-kit p11-kit-modules pcscd libccid openssh-server)

missing=()
for p in "${APT_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# python3-venv is only needed when the interpreter has no working venv/ensurepip of its own
if [[ " ${missing[*]} " == *" python3-venv "* ]] && python3 -c "import ensurepip, venv" 2>/dev/null; then
  missing=("${missing[@]/python3-venv}")
fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))
if ((${#missing[@]})); then
  echo "bootstrap: installing Debian packages: ${missing[*]}"
  SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

stamp="$VENV/.installed"
if [[ ! -x "$VENV/bin/python" ]]; then
  echo "bootstrap: creating $VENV"
  python3 -m venv "$VENV"
fi
if [[ ! -f "$stamp" || pyproject.toml -nt "$stamp" || requirements.lock -nt "$stamp" ]]; then
  echo "bootstrap: installing tui-ibhxh and its locked dependencies into $VENV"
  # every package, transitive ones, pip and setuptools included: each file checked against its hash in the lock
  "$VENV/bin/python" -m pip install -q --require-hashes --no-deps -r requirements.lock
  # the project, editable, built by the locked setuptools: nothing is fetched here
  "$VENV/bin/python" -m pip install -q --no-deps --no-build-isolation --no-index -e .
  "$VENV/bin/python" -c "import xmlsec, lxml.etree, pkcs11, textual"  # lxml/xmlsec libxml2 mismatch fails here
  touch "$stamp"
fi
