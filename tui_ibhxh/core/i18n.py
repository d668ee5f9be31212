"""Messages by key in Vietnamese (default) and English, from the gettext catalogues in ``tui_ibhxh/locale``.

The catalogues' msgids are the keys (``ui.key.quit``); ``{name}`` placeholders are filled with ``str.format``.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Literal, get_args

if TYPE_CHECKING:
    from tui_ibhxh.core.models import PinFlags

Lang = Literal["vi", "en"]

#: Asia/Ho_Chi_Minh has been UTC+7 without DST since 1975; a fixed offset needs no tz database.
VN_TZ = timezone(timedelta(hours=7), "ICT")

DOMAIN = "ibhxh"
_catalogues: dict[str, gettext.GNUTranslations] = {}


def load_catalogues() -> None:
    """Read both compiled catalogues shipped in ``tui_ibhxh/locale`` (idempotent).

    The entry points call this at start so a missing or broken catalogue fails there, not halfway through a
    command; ``t`` calls it too, so no caller depends on who loaded first."""
    if _catalogues:
        return
    # the package's own directory, not importlib.resources (its import was a few ms of every start): the package
    # is installed as files (pip, the editable install), never run from a zip
    locale = Path(__file__).resolve().parent.parent / "locale"
    loaded = {}
    for lang in get_args(Lang):
        with (locale / lang / "LC_MESSAGES" / f"{DOMAIN}.mo").open("rb") as fh:
            loaded[lang] = gettext.GNUTranslations(fh)
    _catalogues.update(loaded)


def t(key: str, lang: Lang = "vi", /, **kwargs: object) -> str:
    """The message ``key`` in ``lang`` with its placeholders filled.

    An entry with plural forms is chosen by the ``count`` parameter (``ngettext``); an unknown key raises
    ``KeyError`` as a missing dictionary entry would."""
    load_catalogues()
    catalogue = _catalogues["en" if lang == "en" else "vi"]
    count = kwargs.get("count")
    # msgids are the keys, so a lookup that comes back unchanged found nothing
    text = catalogue.ngettext(key, key, count) if isinstance(count, int) else key
    if text == key:
        text = catalogue.gettext(key)
    if text == key:
        raise KeyError(key)
    return text.format(**kwargs) if kwargs else text


def translator(lang: Lang) -> Callable[..., str]:
    """``t`` bound to ``lang``: for what says a kept message in whichever language its reader has."""
    return lambda key, **params: t(key, lang, **params)


def has(key: str) -> bool:
    """Whether both catalogues hold ``key`` (plural entries included)."""
    load_catalogues()
    return all(c.gettext(key) != key or c.ngettext(key, key, 1) != key for c in _catalogues.values())


def fmt_date(value: datetime) -> str:
    """dd/mm/yyyy in Vietnam time."""
    return value.astimezone(VN_TZ).strftime("%d/%m/%Y")


def fmt_datetime(value: datetime) -> str:
    """dd/mm/yyyy HH:MM:SS in Vietnam time."""
    return value.astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M:%S")


def pin_warnings(flags: PinFlags, lang: Lang) -> list[str]:
    """What the token's PIN flags mean, most serious first (shown before the user types the PIN)."""
    keys = [
        ("locked", flags.locked),
        ("final_try", flags.final_try and not flags.locked),
        ("count_low", flags.count_low and not flags.final_try and not flags.locked),
        ("to_be_changed", flags.to_be_changed),
    ]
    return [t(f"flag.{k}", lang) for k, on in keys if on]


def pin_state(flags: PinFlags, lang: Lang) -> str:
    """The PIN flags in one phrase: the warnings, or "normal" (the token list, after a PIN change)."""
    return "; ".join(pin_warnings(flags, lang)) or t("flag.ok", lang)
