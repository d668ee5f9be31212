"""Registering units in the simulator (the demo unit, test units)."""

from __future__ import annotations

import time

from tui_ibhxh.core.certs import parse_certificate
from tui_ibhxh.core.models import Contact, Unit
from tui_ibhxh.ivan_sim.store import Store


def seed_unit(store: Store, unit: Unit, contact: Contact, registered_cert_der: bytes) -> bool:
    """Put ``unit`` on record with its contact and registered certificate (version 1).

    A unit already on record is left as it is (its registration may have changed since), so seeding at
    every start is safe. Returns True when the unit was added now.
    """
    parse_certificate(registered_cert_der)  # refuse garbage early (CertificateError)
    return store.seed_unit(unit, contact, registered_cert_der, time.time())
