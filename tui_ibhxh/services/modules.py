"""Vendor PKCS#11 modules on a real machine: where the packages of the tokens sold in Vietnam put them, whether a
module is built for this machine's architecture, and whether a reader-based module can see any reader at all.

Most vendor modules are not registered with p11-kit (DOMAIN.md), so the app offers the ones it finds: under the
platform's library directories and vendor directories in ``/opt`` (e.g. ``/opt/SecurityData_Linux/redist/x86_64``),
also with versioned names (``libshuttle_p11v220.so.1.0.0``).
"""

from __future__ import annotations

import os
import re
import socket
import struct
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from tui_ibhxh.services.p11kit import Places

# the modules of the tokens sold in Vietnam (DOMAIN.md) and OpenSC, which drives many of them
KNOWN_MODULE_NAMES = (
    "fptca_v4.so",
    "libshuttle_p11v220.so",
    "libeTPkcs11.so",
    "opensc-pkcs11.so",
    "libsofthsm2.so",
)
# modules that reach the token through a smart-card reader, i.e. through pcscd (SoftHSM and the p11-kit client
# do not)
READER_MODULE_NAMES = frozenset(KNOWN_MODULE_NAMES) - {"libsofthsm2.so"} | {"onepin-opensc-pkcs11.so"}
OPT_DEPTH = 4  # /opt/<vendor>/redist/<arch>/<module>
OPT_MAX_DIRS = 2000  # a huge /opt is not walked to its end


def base_name(path: Path | str) -> str:
    """The module's name without a version suffix: ``libshuttle_p11v220.so.1.0.0`` → ``libshuttle_p11v220.so``."""
    return re.sub(r"(\.so)(\.\d+)+$", r"\1", Path(path).name)


def _matches(name: str, names: Sequence[str]) -> bool:
    return base_name(name) in names


def _opt_dirs(opt: Path) -> Iterator[Path]:
    """Directories under /opt, breadth first, sorted, no deeper than OPT_DEPTH, not following links."""
    level = [opt]
    seen = 0
    for _depth in range(OPT_DEPTH):
        below: list[Path] = []
        for directory in level:
            try:
                children = sorted(p for p in directory.iterdir() if p.is_dir() and not p.is_symlink())
            except OSError:
                continue
            for child in children:
                seen += 1
                if seen > OPT_MAX_DIRS:
                    return
                yield child
                below.append(child)
        level = below


def search_dirs(places: Places) -> list[Path]:
    """Where vendor packages put their module: the library directories, the module directory, SoftHSM's, /opt."""
    dirs = [*places.lib_dirs, places.module_dir, places.system("/usr/lib/softhsm")]
    return [*dict.fromkeys(dirs), *_opt_dirs(places.system("/opt"))]


def suggest_modules(
    configured: Sequence[Path | str],
    dirs: Sequence[Path | str] | None = None,
    names: Sequence[str] = KNOWN_MODULE_NAMES,
) -> list[Path]:
    """Known vendor modules present on this machine and not configured yet (one path per library)."""
    if dirs is None:
        dirs = search_dirs(Places.from_env())
    taken = {os.path.realpath(p) for p in configured}
    found: list[Path] = []
    for d in dirs:
        try:
            entries = sorted(Path(d).iterdir())
        except OSError:
            continue
        for path in entries:
            if not _matches(path.name, names) or not path.is_file():
                continue
            real = os.path.realpath(path)
            if real not in taken:
                taken.add(real)
                found.append(path)
    return found


# -- architecture -------------------------------------------------------------------------------------------------
_MACHINES = {
    3: "x86 32-bit (i386)",
    8: "MIPS",
    20: "PowerPC",
    21: "PowerPC",
    22: "IBM S/390",
    40: "ARM 32-bit (armhf)",
    62: "x86-64 (amd64)",
    183: "ARM 64-bit (arm64)",
    243: "RISC-V",
    258: "LoongArch",
}


@dataclass(frozen=True)
class Arch:
    """What an ELF file is built for: word size and machine (its e_machine)."""

    bits: int
    machine: int

    def __str__(self) -> str:
        name = _MACHINES.get(self.machine, f"e_machine {self.machine}")
        return name if "bit" in name or name.startswith("x86-64") else f"{name} {self.bits}-bit"


def elf_arch(header: bytes) -> Arch | None:
    """The architecture in an ELF header (the first 20 bytes), or None when it is not an ELF file."""
    if len(header) < 20 or header[:4] != b"\x7fELF" or header[4] not in (1, 2) or header[5] not in (1, 2):
        return None
    order = "<" if header[5] == 1 else ">"
    (machine,) = struct.unpack_from(order + "H", header, 18)
    return Arch(bits=32 if header[4] == 1 else 64, machine=machine)


def file_arch(path: Path | str) -> Arch | None:
    try:
        with open(path, "rb") as fh:
            return elf_arch(fh.read(20))
    except OSError:
        return None


def this_arch() -> Arch | None:
    """The architecture of this process (a module for another one cannot be loaded into it)."""
    return file_arch("/proc/self/exe") or file_arch(os.path.realpath(sys.executable))


def foreign_arch(path: Path | str) -> tuple[Arch, Arch] | None:
    """(the module's, this machine's) when the module is an ELF file built for another architecture."""
    module, here = file_arch(path), this_arch()
    if module is None or here is None or module == here:
        return None
    return module, here


# -- readers ------------------------------------------------------------------------------------------------------
def is_reader_module(path: Path | str) -> bool:
    """A module that reaches its token through a smart-card reader, i.e. through pcscd."""
    names = tuple(READER_MODULE_NAMES)
    return any(_matches(Path(p).name, names) for p in (path, os.path.realpath(path)))


def pcscd_running(places: Places | None = None) -> bool:
    """pcscd answers on its socket (systemd starts it on the first connection when it is socket-activated)."""
    places = places or Places.from_env()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(1.0)
        try:
            sock.connect(str(places.pcscd_socket))
        except OSError:
            return False
    return True
