"""What the device tests share (test_devices.py, test_device_offline.py): where their devices are
(a compound of community 131002001007, operated by 银河南路街道办事处, street1's organisation) and how
a door and an intake key are made. Plain functions, so that a test's own thread (the PostgreSQL
burst) uses them too; the fixtures built on them are in conftest.py."""

from __future__ import annotations

from minsheng.cases.models import Device, DeviceKey
from minsheng.places.models import Compound, Organisation

COMMUNITY = "131002001007"
STREET = "131002001000"


def operator() -> Organisation:
    """The organisation that runs the test devices: street1's street office."""
    return Organisation.objects.filter(kind="street_office", region_id=STREET).first()


def door(code: str, name: str, *, organisation: Organisation | None = None, **fields) -> Device:
    """A door (人脸门禁) at the community's first compound, run by `operator()` unless given."""
    compound = Compound.objects.filter(region_id=COMMUNITY).order_by("pk").first()
    return Device.objects.create(organisation=organisation or operator(), code=code, name=name,
                                 kind=Device.Kind.DOOR, compound=compound, **fields)


def intake_key(secret: str, *, organisation: Organisation | None = None,
               name: str = "门禁厂商") -> DeviceKey:
    """A key the organisation's devices post to the intake with (Bearer `secret`)."""
    return DeviceKey.objects.create(name=name, digest=DeviceKey.hash(secret),
                                    organisation=organisation or operator())
