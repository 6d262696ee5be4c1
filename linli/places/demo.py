"""The demo compound 龙泽书苑, generated from a fixed seed so that tests can rely on it.

It reproduces the seed report's figures exactly (see ``docs/register.md`` for what each counts): 10 buildings of
12–16 floors, 875 dwelling units of which 724 are lived in (448 by owners, 276 rented) and 151 are vacant, 75 shop
units with a merchant each, 2 grids of five buildings, and an ageing population with 310+ residents on the care
roster (aged 80+, living alone, disabled or chronically ill).

Writes go through :func:`linli.places.services.build_place` and :func:`build_resident` (the same validation as the
services), saved in bulk because a few thousand single inserts would make ``make demo`` slow.
"""

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction

from linli.core import idnumbers
from linli.core.audit import audit
from linli.places.models import (
    Gender,
    Household,
    Merchant,
    Occupancy,
    Place,
    PlaceKind,
    Registration,
    Relation,
    Resident,
    ResidentTag,
    Tag,
    UnitUse,
)
from linli.places.services import build_place, build_resident, grid_create, place_create

SEED = 20240418
TODAY = dt.date(2026, 11, 1)  # the demo's "now" for ages, so that figures do not drift with the calendar

#: The tree above the compound: (kind, code, name).
TREE = [
    (PlaceKind.CITY, "370200", "青岛市"),
    (PlaceKind.DISTRICT, "370212", "崂山区"),
    (PlaceKind.STREET, "370212003", "沙子口街道"),
    (PlaceKind.COMMUNITY, "370212003021", "山海社区"),
]
COMPOUND = ("LZSY", "龙泽书苑", Decimal("50491.00"), 2013)
#: Per building: floors, entrances, dwellings per entrance per floor, shops on the ground floor.
BUILDINGS = [
    (16, 2, 2, 15), (16, 2, 2, 15), (15, 2, 2, 15), (15, 2, 3, 15), (14, 3, 3, 15),
    (14, 2, 3, 0), (13, 3, 3, 0), (13, 3, 3, 0), (12, 2, 3, 0), (12, 3, 3, 0),
]
DWELLINGS = 875
OWNER_OCCUPIED = 448
RENTED = 276

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
GIVEN_M = ["建国", "志强", "国庆", "海涛", "明", "军", "伟", "磊", "洪涛", "德胜", "宝山", "立新", "振华", "浩然", "子轩", "宇航"]
GIVEN_F = ["秀英", "桂兰", "玉珍", "淑芬", "丽", "静", "敏", "燕", "红梅", "晓琳", "婷婷", "欣怡", "雨涵", "梓萱", "海燕", "凤英"]
TRADES = ["餐饮", "便利店", "理发美容", "药店", "干洗", "水果生鲜", "快递驿站", "五金", "培训", "咖啡", "烘焙", "维修"]
SHOP_NAMES = ["鑫源", "福满", "海之味", "邻家", "崂山", "书苑", "康宁", "小岛", "顺达", "佳和", "晨光", "乐家", "惠民"]
REGIONS = ["370212", "370202", "370203", "370211", "370281", "371002", "370102", "230102", "410105"]


class DemoBuilder:
    """Builds the demo compound; ``build()`` returns the compound."""

    def __init__(self, actor=None, *, seed: int = SEED, compound: tuple = COMPOUND, community: tuple | None = None):
        self.rng = random.Random(seed)
        self.actor = actor
        self.seq = 0
        # The benchmark builds many compounds like this one under other codes (bench/register_bench.py).
        self.compound_spec = compound
        self.community_spec = community

    # people -------------------------------------------------------------------------------------------------------
    def name(self, gender: str, surname: str | None = None) -> str:
        given = self.rng.choice(GIVEN_M if gender == Gender.MALE else GIVEN_F)
        return (surname or self.rng.choice(SURNAMES)) + given

    def id_number(self, born: dt.date) -> str:
        self.seq += 1
        return idnumbers.make(self.rng.choice(REGIONS), born, self.seq)

    def phone(self) -> str:
        return self.rng.choice(["13", "15", "18", "17"]) + f"{self.rng.randrange(10**9):09d}"

    def born(self, age_low: int, age_high: int) -> dt.date:
        age = self.rng.randint(age_low, age_high)
        return TODAY - dt.timedelta(days=age * 365 + self.rng.randrange(365))

    def person(self, household, relation, gender, age, registration, surname=None, tags=(), phone=True):
        born = self.born(*age)
        resident = build_resident(
            household=household, name=self.name(gender, surname), gender=gender, relation=relation,
            registration=registration, id_number=self.id_number(born), phone=self.phone() if phone else "",
            moved_in_on=household.started_on,
        )
        return resident, list(tags)

    def family(self, household: Household, rented: bool) -> list[tuple[Resident, list[str]]]:
        """An owner's family or a tenancy, shaped like an ageing compound next to a university."""
        rng = self.rng
        people = []
        if rented:
            kind = rng.choices(["students", "young_couple", "family", "single"], [3, 3, 3, 2])[0]
            reg = Registration.FLOATING
            surname = rng.choice(SURNAMES)
            if kind == "students":
                for i in range(rng.randint(2, 3)):
                    g = rng.choice([Gender.MALE, Gender.FEMALE])
                    tags = [Tag.PARTY_STUDENT] if rng.random() < 0.12 else []
                    people.append(self.person(household, Relation.HEAD if i == 0 else Relation.TENANT, g, (19, 26),
                                              reg, tags=tags))
                return people
            g = rng.choice([Gender.MALE, Gender.FEMALE])
            tags = [Tag.PARTY_IN_SERVICE] if rng.random() < 0.1 else []
            people.append(self.person(household, Relation.HEAD, g, (24, 45), reg, surname, tags))
            if kind in ("young_couple", "family"):
                other = Gender.FEMALE if g == Gender.MALE else Gender.MALE
                people.append(self.person(household, Relation.SPOUSE, other, (24, 45), reg))
            if kind == "family":
                people.append(self.person(household, Relation.CHILD, rng.choice("MF"), (2, 15), reg, surname,
                                          phone=False))
            return people

        reg = Registration.REGISTERED if rng.random() < 0.85 else Registration.FLOATING
        surname = rng.choice(SURNAMES)
        kind = rng.choices(["elder_alone", "elder_couple", "three_gen", "family", "middle_couple"],
                           [16, 26, 16, 25, 17])[0]
        if kind == "elder_alone":
            g = rng.choice([Gender.FEMALE, Gender.FEMALE, Gender.MALE])
            tags = [Tag.LIVING_ALONE] + self.elder_tags()
            people.append(self.person(household, Relation.HEAD, g, (68, 94), reg, surname, tags))
            return people
        if kind in ("elder_couple", "three_gen"):
            people.append(self.person(household, Relation.HEAD, Gender.MALE, (64, 92), reg, surname,
                                      self.elder_tags()))
            people.append(self.person(household, Relation.SPOUSE, Gender.FEMALE, (62, 90), reg,
                                      tags=self.elder_tags()))
            if kind == "three_gen":
                people.append(self.person(household, Relation.CHILD, rng.choice("MF"), (35, 50), reg, surname,
                                          self.work_tags()))
                people.append(self.person(household, Relation.GRANDCHILD, rng.choice("MF"), (3, 17), reg, surname,
                                          phone=False))
            return people
        age = (38, 55) if kind == "family" else (50, 63)
        people.append(self.person(household, Relation.HEAD, Gender.MALE, age, reg, surname, self.work_tags()))
        people.append(self.person(household, Relation.SPOUSE, Gender.FEMALE, age, reg, tags=self.work_tags()))
        if kind == "family":
            for _i in range(rng.choice([1, 1, 2])):
                people.append(self.person(household, Relation.CHILD, rng.choice("MF"), (4, 20), reg, surname,
                                          phone=False))
        return people

    def elder_tags(self) -> list[str]:
        rng = self.rng
        tags = []
        if rng.random() < 0.36:
            tags.append(Tag.CHRONIC_ILLNESS)
        if rng.random() < 0.06:
            tags.append(Tag.DISABLED)
        if rng.random() < 0.14:
            tags.append(Tag.PARTY_RETIRED)
        if rng.random() < 0.05:
            tags.append(Tag.VETERAN)
        if rng.random() < 0.04:
            tags.append(Tag.LOW_INCOME)
        return tags

    def work_tags(self) -> list[str]:
        tags = []
        if self.rng.random() < 0.12:
            tags.append(Tag.PARTY_IN_SERVICE)
        if self.rng.random() < 0.02:
            tags.append(Tag.DISABLED)
        if self.rng.random() < 0.03:
            tags.append(Tag.VETERAN)
        return tags

    # places -------------------------------------------------------------------------------------------------------
    def tree(self) -> Place:
        parent = None
        tree = TREE if self.community_spec is None else [*TREE[:-1], (PlaceKind.COMMUNITY, *self.community_spec)]
        for kind, code, name in tree:
            existing = Place.objects.filter(parent=parent, code=code).first()
            parent = existing or place_create(actor=self.actor, parent=parent, kind=kind, code=code, name=name)
        code, name, area, built = self.compound_spec
        return place_create(actor=self.actor, parent=parent, kind=PlaceKind.COMPOUND, code=code, name=name,
                            area_m2=area, built_year=built)

    def buildings(self, compound: Place) -> tuple[list[Place], list[Place], list[Place]]:
        buildings, dwellings, shops = [], [], []
        for number, (floors, entrances, per_floor, shop_count) in enumerate(BUILDINGS, start=1):
            building = place_create(actor=self.actor, parent=compound, kind=PlaceKind.BUILDING, code=str(number),
                                    name=f"{number}号楼", floors=floors)
            buildings.append(building)
            first_dwelling_floor = 2 if shop_count else 1
            units = []
            for e in range(1, entrances + 1):
                entrance = build_place(parent=building, kind=PlaceKind.ENTRANCE, code=str(e), name=f"{e}单元")
                entrance.save()
                for floor in range(first_dwelling_floor, floors + 1):
                    for k in range(1, per_floor + 1):
                        room = f"{floor}{k:02d}"
                        units.append(build_place(parent=entrance, kind=PlaceKind.UNIT, code=room,
                                                 name=f"{number}-{e}-{room}", floor=floor, use=UnitUse.DWELLING,
                                                 area_m2=Decimal(self.rng.choice([68, 89, 96, 112, 128, 143]))))
            for s in range(1, shop_count + 1):
                units.append(build_place(parent=building, kind=PlaceKind.UNIT, code=f"S{s:02d}",
                                         name=f"{number}号楼 商铺{s:02d}", floor=1, use=UnitUse.SHOP,
                                         area_m2=Decimal(self.rng.choice([30, 45, 60, 80]))))
            created = Place.objects.bulk_create(units)
            dwellings += [u for u in created if u.use == UnitUse.DWELLING]
            shops += [u for u in created if u.use == UnitUse.SHOP]
        return buildings, dwellings, shops

    @transaction.atomic
    def build(self) -> Place:
        compound = self.tree()
        buildings, dwellings, shops = self.buildings(compound)
        assert len(dwellings) == DWELLINGS, len(dwellings)
        rng = self.rng
        order = list(range(len(dwellings)))
        rng.shuffle(order)
        occupancy = {}
        for i, idx in enumerate(order):
            occupancy[dwellings[idx].pk] = (
                Occupancy.OWNER_OCCUPIED if i < OWNER_OCCUPIED
                else Occupancy.RENTED if i < OWNER_OCCUPIED + RENTED else Occupancy.VACANT
            )
        households = []
        for unit in dwellings:
            occ = occupancy[unit.pk]
            unit.occupancy = occ
            if occ == Occupancy.VACANT:
                continue
            # Owners came over ten years; tenancies are recent.
            if occ == Occupancy.OWNER_OCCUPIED:
                start = dt.date(2014, 1, 1) + dt.timedelta(days=rng.randrange(4000))
            else:
                start = dt.date(2023, 4, 1) + dt.timedelta(days=rng.randrange(900))
            households.append(Household(unit=unit, path=unit.path, occupancy=occ, started_on=min(start, TODAY)))
        Place.objects.bulk_update(dwellings, ["occupancy"], batch_size=500)
        households = Household.objects.bulk_create(households, batch_size=500)
        self.history(dwellings, occupancy)
        residents, tags = [], []
        for household in households:
            for resident, resident_tags in self.family(household, household.occupancy == Occupancy.RENTED):
                residents.append(resident)
                tags.append(resident_tags)
        residents = Resident.objects.bulk_create(residents, batch_size=500)
        ResidentTag.objects.bulk_create(
            [ResidentTag(resident=r, tag=t) for r, ts in zip(residents, tags, strict=True) for t in set(ts)],
            batch_size=1000,
        )
        self.merchants(shops)
        grids = [
            grid_create(actor=self.actor, compound=compound, number=1, name="第一网格", buildings=buildings[:5]),
            grid_create(actor=self.actor, compound=compound, number=2, name="第二网格", buildings=buildings[5:]),
        ]
        self.grids = grids
        audit(actor=self.actor, action="demo.loaded", target=compound, place_path=compound.path,
              data={"residents": len(residents), "households": len(households)})
        return compound

    def history(self, dwellings: list[Place], occupancy: dict) -> None:
        """Some units had earlier tenants who moved out: the unit page shows that history."""
        rng = self.rng
        past = []
        for unit in rng.sample(dwellings, 60):
            start = dt.date(2015, 3, 1) + dt.timedelta(days=rng.randrange(1500))
            end = start + dt.timedelta(days=rng.randrange(200, 1200))
            past.append(Household(unit=unit, path=unit.path, occupancy=Occupancy.RENTED, is_current=False,
                                  started_on=start, ended_on=min(end, dt.date(2021, 1, 1))))
        past = Household.objects.bulk_create(past)
        people = []
        for household in past:
            for resident, _tags in self.family(household, rented=True):
                resident.is_current = False
                resident.moved_out_on = household.ended_on
                people.append(resident)
        Resident.objects.bulk_create(people, batch_size=500)

    def merchants(self, shops: list[Place]) -> None:
        rng = self.rng
        rows = []
        for shop in shops:
            trade = rng.choice(TRADES)
            merchant = Merchant(
                unit=shop, path=shop.path, name=f"{rng.choice(SHOP_NAMES)}{trade}", trade=trade,
                licence_number=f"91370212MA{rng.randrange(10**8):08d}", contact_name=self.name(rng.choice("MF")),
                opened_on=dt.date(2014, 1, 1) + dt.timedelta(days=rng.randrange(4000)),
            )
            merchant.set_contact_phone(self.phone())
            rows.append(merchant)
        Merchant.objects.bulk_create(rows)


def load_demo(actor=None) -> Place:
    """Build the demo compound; callers check first that it is not there (see ``demo_compound``)."""
    return DemoBuilder(actor).build()


def demo_compound() -> Place | None:
    return Place.objects.filter(kind=PlaceKind.COMPOUND, code=COMPOUND[0], name=COMPOUND[1]).first()
