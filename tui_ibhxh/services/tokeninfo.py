"""What python-pkcs11 does not expose of CK_TOKEN_INFO: the PIN lengths the token accepts (ulMinPinLen,
ulMaxPinLen), read by calling the module's C_GetTokenInfo through ctypes. Call it on the PKCS#11 thread only.

The module is already loaded by python-pkcs11; ``dlopen`` of the same file gives the same library. A module with
one function list (SoftHSM, OpenSC, vendors) is initialised already and answers at once. p11-kit's client makes a
new, uninitialised instance per C_GetFunctionList (a new connection to the server): that one is initialised for
the question and finalised after. An instance we did not initialise is never finalised.
"""

from __future__ import annotations

import ctypes
import logging
from pathlib import Path

log = logging.getLogger(__name__)

CKR_OK = 0
CKR_CRYPTOKI_NOT_INITIALIZED = 0x190
CK_ULONG = ctypes.c_ulong


class _Version(ctypes.Structure):
    _fields_ = [("major", ctypes.c_ubyte), ("minor", ctypes.c_ubyte)]


class _TokenInfo(ctypes.Structure):
    _fields_ = [
        ("label", ctypes.c_char * 32),
        ("manufacturerID", ctypes.c_char * 32),
        ("model", ctypes.c_char * 16),
        ("serialNumber", ctypes.c_char * 16),
        ("flags", CK_ULONG),
        ("ulMaxSessionCount", CK_ULONG),
        ("ulSessionCount", CK_ULONG),
        ("ulMaxRwSessionCount", CK_ULONG),
        ("ulRwSessionCount", CK_ULONG),
        ("ulMaxPinLen", CK_ULONG),
        ("ulMinPinLen", CK_ULONG),
        ("ulTotalPublicMemory", CK_ULONG),
        ("ulFreePublicMemory", CK_ULONG),
        ("ulTotalPrivateMemory", CK_ULONG),
        ("ulFreePrivateMemory", CK_ULONG),
        ("hardwareVersion", _Version),
        ("firmwareVersion", _Version),
        ("utcTime", ctypes.c_char * 16),
    ]


_Call = ctypes.CFUNCTYPE(CK_ULONG, ctypes.c_void_p)
_GetTokenInfo = ctypes.CFUNCTYPE(CK_ULONG, CK_ULONG, ctypes.POINTER(_TokenInfo))


class _FunctionList(ctypes.Structure):
    """The head of CK_FUNCTION_LIST, up to C_GetTokenInfo (the order is fixed by the standard)."""

    _fields_ = [
        ("version", _Version),
        ("C_Initialize", _Call),
        ("C_Finalize", _Call),
        ("C_GetInfo", ctypes.c_void_p),
        ("C_GetFunctionList", ctypes.c_void_p),
        ("C_GetSlotList", ctypes.c_void_p),
        ("C_GetSlotInfo", ctypes.c_void_p),
        ("C_GetTokenInfo", _GetTokenInfo),
    ]


def pin_lengths(module: Path | str, slot_id: int, serial: str) -> tuple[int, int] | None:
    """(ulMinPinLen, ulMaxPinLen) of the token ``serial`` in ``slot_id``, or None when they cannot be read."""
    try:
        library = ctypes.CDLL(str(module))
        functions = ctypes.POINTER(_FunctionList)()
        if library.C_GetFunctionList(ctypes.byref(functions)) != CKR_OK or not functions:
            return None
        table = functions.contents
        info = _TokenInfo()
        rv = table.C_GetTokenInfo(slot_id, ctypes.byref(info))
        if rv == CKR_CRYPTOKI_NOT_INITIALIZED and table.C_Initialize(None) == CKR_OK:
            try:
                rv = table.C_GetTokenInfo(slot_id, ctypes.byref(info))
            finally:
                table.C_Finalize(None)
    except (OSError, AttributeError, ValueError) as exc:  # not a loadable library, no C_GetFunctionList
        log.debug("token info of %s not readable: %s", module, type(exc).__name__)
        return None
    if rv != CKR_OK or info.serialNumber.decode("ascii", "replace").strip() != serial:
        return None
    return int(info.ulMinPinLen), int(info.ulMaxPinLen)
