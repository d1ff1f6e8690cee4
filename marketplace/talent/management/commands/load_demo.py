"""Demo marketplace: 3 agencies, 30 twins with pictures, 3 competing brands, every role, and
the crew credited on the first twins of each agency (two of them with logins of their own).

Idempotent: running it again changes nothing that exists and prints the same logins. The logins
are also written to ``var/demo-logins.txt``, which ``manage.py devstack`` prints once everything
has started.
"""

from __future__ import annotations

import random
from functools import lru_cache
from typing import Any

from celery import current_app
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand

from marketplace.accounts.models import Membership, Organisation, Role, User
from marketplace.accounts.services import create_organisation
from marketplace.crew import services as crew_services
from marketplace.crew.models import Credit, CrewMember
from marketplace.talent import services
from marketplace.talent.demo_images import studio_portrait
from marketplace.talent.models import Category, Talent, Twin

DEMO_PASSWORD = "likeness-demo"
# Under VAR_DIR: read by `manage.py devstack` for its closing banner.
LOGINS_FILE = "demo-logins.txt"

AGENCIES = [
    ("Northlight Models", "northlight", "EUR", "FR"),
    ("Meridian Talent", "meridian", "GBP", "GB"),
    ("Atelier Faces", "atelier", "EUR", "DE"),
]
BRANDS = [
    ("Kestrel Apparel", "kestrel", "EUR", "SE"),
    ("Vela & Co", "vela", "EUR", "ES"),
    ("Urban Thread", "urbanthread", "GBP", "GB"),
]
FIRST = [
    "Amara",
    "Linnea",
    "Sofia",
    "Yara",
    "Ines",
    "Noor",
    "Maja",
    "Chloé",
    "Zadie",
    "Freya",
    "Aiko",
    "Lucía",
    "Ebba",
    "Imani",
    "Mila",
    "Selin",
    "Ava",
    "Leila",
    "Nadia",
    "Oona",
    "Kai",
    "Mateo",
    "Elias",
    "Jonas",
    "Idris",
    "Luca",
    "Omar",
    "Theo",
    "Anders",
    "Rafael",
]
LAST = [
    "Okafor",
    "Lindqvist",
    "Moreau",
    "Haddad",
    "Silva",
    "Kowalski",
    "Nguyen",
    "Berg",
    "Rossi",
    "Mensah",
]
TAGS = [
    "editorial",
    "commercial",
    "streetwear",
    "high fashion",
    "athletic",
    "classic",
    "androgynous",
    "runway",
    "curve",
    "petite",
    "mature",
    "beauty close-up",
]
HAIR = ["black", "brown", "blonde", "red", "grey"]
EYES = ["brown", "blue", "green", "hazel", "grey"]
ROLES = [Role.OWNER, Role.MANAGER, Role.FINANCE, Role.MEMBER]
# The crew behind the first three twins of every agency: (name, email, has a login, agencies
# that credit them by index, role, shoot). The photographer works for all three agencies and
# sees every credit under one login.
CREW = [
    ("Ana Pereira", "ana.pereira@crew.test", True, (0, 1, 2), "photographer", "Studio scan, SS26"),
    ("Theo Marchetti", "theo.marchetti@crew.test", True, (1,), "stylist", "Studio scan, SS26"),
    ("Rin Okada", "rin.okada@crew.test", False, (0, 1), "make_up", "Studio scan, SS26"),
    ("Rin Okada", "rin.okada@crew.test", False, (0, 1), "hair", "Studio scan, SS26"),
    ("Mo Adeyemi", "mo.adeyemi@crew.test", False, (2,), "scan_artist", "Photogrammetry rig"),
]
CREDITED_TWINS = 3


@lru_cache(maxsize=1)
def _demo_password_hash() -> str:
    # One hash for every demo user: hashing 55 passwords would take most of the load time.
    return make_password(DEMO_PASSWORD)


def _user(email: str, name: str) -> User:
    user, _ = User.objects.get_or_create(
        email=email, defaults={"full_name": name, "password": _demo_password_hash()}
    )
    return user


def _organisation(kind: str, name: str, key: str, currency: str, country: str) -> Organisation:
    owner = _user(f"owner@{key}.test", f"{name} Owner")
    org = Organisation.objects.filter(slug=key).first()
    if org is None:
        org = create_organisation(
            kind=kind,
            name=name,
            owner=owner,
            currency=currency,
            country=country,
            commission_bps=1500 if kind == "agency" else 0,
        )
        Organisation.objects.filter(pk=org.pk).update(slug=key)
        org.refresh_from_db()
    for role in ROLES[1:]:
        user = _user(f"{role}@{key}.test", f"{name} {role.label.split(' ')[0]}")
        Membership.objects.get_or_create(user=user, organisation=org, defaults={"role": role})
    return org


class Command(BaseCommand):
    help = "Load the demo marketplace (idempotent)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--no-logins",
            action="store_true",
            help="Only write the logins to var/demo-logins.txt (devstack prints them last).",
        )

    def handle(self, *args: object, no_logins: bool = False, **options: object) -> None:
        # Demo images are processed inline so the catalogue is complete when this returns.
        current_app.conf.task_always_eager = True
        agencies = [_organisation("agency", *a) for a in AGENCIES]
        for b in BRANDS:
            _organisation("brand", *b)
        if not User.objects.filter(email="admin@likeness.test").exists():
            User.objects.create_superuser(
                email="admin@likeness.test", password=DEMO_PASSWORD, full_name="Platform Staff"
            )
        categories = list(Category.objects.filter(sensitive=False))
        sensitive = list(Category.objects.filter(sensitive=True))
        created = 0
        for i in range(30):
            agency = agencies[i % 3]
            if self._ensure_twin(i, agency, categories, sensitive):
                created += 1
        credited = sum(self._ensure_credits(n, agency) for n, agency in enumerate(agencies))
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready ({created} new twins, {Twin.objects.count()} in all; "
                f"{credited} new crew credits)."
            )
        )
        lines = login_lines()
        logins_file = settings.VAR_DIR / LOGINS_FILE
        logins_file.parent.mkdir(parents=True, exist_ok=True)
        logins_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
        if not no_logins:
            self.stdout.write("")
            for line in lines:
                self.stdout.write(line)

    def _ensure_twin(
        self, i: int, agency: Organisation, categories: list[Category], sensitive: list[Category]
    ) -> bool:
        rng = random.Random(i)
        first, last = FIRST[i], LAST[i % len(LAST)]
        email = f"{first.lower().replace('é', 'e').replace('í', 'i')}.{last.lower()}@talent.test"
        talent = Talent.objects.filter(agency=agency, email=email).first()
        if talent is None:
            talent = Talent.objects.create(
                agency=agency,
                full_name=f"{first} {last}",
                email=email,
                user=_user(email, f"{first} {last}"),
            )
            talent.restricted_categories.set(rng.sample(sensitive, k=rng.randint(1, 3)))
        if talent.twins.exists():
            return False
        by = Membership.objects.get(organisation=agency, role=Role.MANAGER)
        twin = services.create_twin(
            by=by,
            talent_id=talent.pk,
            details=services.TwinDetails(
                display_name=f"{first} {last[0]}. — digital twin",
                description=(
                    f"Photoreal digital twin of {first}, scanned in studio and approved by "
                    f"{first}. Suited to {rng.choice(['e-commerce', 'campaign', 'social'])} "
                    f"imagery; posing and styling follow the model's own guidelines."
                ),
                height_cm=rng.randint(165, 190),
                bust_cm=rng.randint(78, 95),
                waist_cm=rng.randint(58, 75),
                hips_cm=rng.randint(84, 100),
                dress_size_eu=rng.choice([34, 36, 38, 40, 42]),
                shoe_size_eu=rng.choice([37, 38, 39, 40, 41, 42]),
                hair=rng.choice(HAIR),
                eyes=rng.choice(EYES),
                tags=rng.sample(TAGS, k=3),
                permitted_categories=rng.sample(categories, k=rng.randint(3, 6)),
            ),
        )
        unit = 100 if agency.currency != "JPY" else 1
        base = rng.randint(8, 40) * 100 * unit
        services.set_rate_card(
            by=by,
            twin_id=twin.pk,
            card=services.RateCardInput(
                lines={
                    "social": (base, rng.randint(5, 20) * unit),
                    "web": (int(base * 1.5), rng.randint(10, 30) * unit),
                    "print": (base * 2, rng.randint(20, 60) * unit),
                    "ooh": (base * 3, rng.randint(50, 150) * unit),
                }
            ),
        )
        for n in range(2):
            # One person in two looks, with the twin's own hair colour.
            picture = studio_portrait(i, look=n, hair=twin.hair)
            upload = SimpleUploadedFile(f"preview-{n}.jpg", picture, content_type="image/jpeg")
            services.add_twin_image(
                by=by, twin_id=twin.pk, upload=upload, alt_text=f"{first}'s twin, look {n + 1}"
            )
        services.change_twin_status(by=by, twin_id=twin.pk, action="publish")
        if i == len(FIRST) - 1:
            # One paused twin, so the catalogue shows what "not taking bookings" looks like.
            services.change_twin_status(by=by, twin_id=twin.pk, action="pause")
        return True

    def _ensure_credits(self, n: int, agency: Organisation) -> int:
        """Credit the crew on the agency's first twins; returns how many credits are new."""
        by = Membership.objects.get(organisation=agency, role=Role.MANAGER)
        twins = list(Twin.objects.filter(agency=agency).order_by("id")[:CREDITED_TWINS])
        created = 0
        for name, email, has_login, agencies, role, work in CREW:
            if n not in agencies:
                continue
            person = CrewMember.objects.filter(agency=agency, email=email).first()
            for twin in twins:
                if (
                    person
                    and Credit.objects.filter(twin=twin, crew_member=person, role=role).exists()
                ):
                    continue
                credit = crew_services.add_credit(
                    by=by,
                    twin_id=twin.pk,
                    credit=crew_services.CreditInput(role=role, work=work),
                    crew_member_id=person.pk if person else None,
                    new_person=None if person else crew_services.NewCrewMember(name, email),
                    invite=False,
                )
                person = credit.crew_member
                created += 1
            if person and has_login and person.user_id is None:
                person.user = _user(email, name)
                person.save(update_fields=["user", "updated_at"])
        return created


def login_lines() -> list[str]:
    """The demo logins, as printed after loading and by devstack once everything is up."""
    lines = [f"Demo logins (password for all: {DEMO_PASSWORD})"]
    for name, key, *_ in BRANDS:
        lines.append(
            f"  brand   {name:<18} owner@{key}.test   manager@{key}.test   "
            f"finance@{key}.test   member@{key}.test"
        )
    for name, key, *_ in AGENCIES:
        lines.append(
            f"  agency  {name:<18} owner@{key}.test   manager@{key}.test   "
            f"finance@{key}.test   member@{key}.test"
        )
    sample = Talent.objects.filter(user__isnull=False).order_by("id").first()
    if sample:
        lines.append(f"  talent  every twin's model, e.g. {sample.email}")
    crew = sorted({email for _, email, has_login, *_ in CREW if has_login})
    lines.append(f"  crew    {'   '.join(crew)} (credited on twins)")
    lines.append(
        "  staff   admin@likeness.test (Django admin at /admin/, after setting up two-factor)"
    )
    return lines
