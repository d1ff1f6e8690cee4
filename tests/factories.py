"""factory_boy factories: the smallest valid objects, built through the real models."""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

import factory
from django.core.files.base import ContentFile
from django.utils import timezone

from marketplace.accounts.models import Membership, Organisation, Role, User
from marketplace.crew.models import Credit, CrewMember, CrewRole
from marketplace.talent.demo_images import studio_portrait
from marketplace.talent.models import (
    Category,
    RateCard,
    RateCardLine,
    StyleTag,
    Talent,
    Twin,
    TwinImage,
)

PASSWORD = "correct-horse-battery"

M = TypeVar("M")
M_co = TypeVar("M_co", covariant=True)


class ModelFactory(Protocol[M_co]):
    """A factory as the tests call it: calling one creates and returns a model instance."""

    def __call__(self, **kwargs: Any) -> M_co: ...


def model_factory(cls: type[factory.django.DjangoModelFactory[M]]) -> ModelFactory[M]:
    """`cls` itself. factory_boy types calling a factory class as making an instance of the
    factory; at run time its metaclass creates and returns the model instance instead."""
    return cls  # type: ignore[return-value]  # the call is the metaclass's, see above


class _UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    full_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj: User, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            obj.save()


UserFactory = model_factory(_UserFactory)


class _OrganisationFactory(factory.django.DjangoModelFactory[Organisation]):
    class Meta:
        model = Organisation

    kind = Organisation.Kind.AGENCY
    name = factory.Sequence(lambda n: f"Organisation {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")
    currency = "EUR"
    commission_bps = 2000


OrganisationFactory = model_factory(_OrganisationFactory)


class _AgencyFactory(_OrganisationFactory):
    kind = Organisation.Kind.AGENCY
    name = factory.Sequence(lambda n: f"Agency {n}")


AgencyFactory = model_factory(_AgencyFactory)


class _BrandFactory(_OrganisationFactory):
    kind = Organisation.Kind.BRAND
    name = factory.Sequence(lambda n: f"Brand {n}")
    commission_bps = 0


BrandFactory = model_factory(_BrandFactory)


class _MembershipFactory(factory.django.DjangoModelFactory[Membership]):
    class Meta:
        model = Membership

    user = factory.SubFactory(_UserFactory)
    organisation = factory.SubFactory(_AgencyFactory)
    role = Role.MANAGER


MembershipFactory = model_factory(_MembershipFactory)


class _TalentFactory(factory.django.DjangoModelFactory[Talent]):
    class Meta:
        model = Talent

    agency = factory.SubFactory(_AgencyFactory)
    full_name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"talent{n}@example.test")


TalentFactory = model_factory(_TalentFactory)


class _TwinFactory(factory.django.DjangoModelFactory[Twin]):
    """A published twin with a rate card (social 1,000.00, web 1,500.00) and a ready image."""

    class Meta:
        model = Twin
        skip_postgeneration_save = True

    talent = factory.SubFactory(_TalentFactory)
    agency = factory.SelfAttribute("talent.agency")
    display_name = factory.Sequence(lambda n: f"Twin {n}")
    slug = factory.Sequence(lambda n: f"twin-{n}")
    description = "A photoreal digital twin suited to e-commerce and campaign imagery."
    status = Twin.Status.PUBLISHED
    published_at = factory.LazyFunction(timezone.now)
    height_cm = 175
    hair = "brown"
    eyes = "green"
    currency = factory.SelfAttribute("agency.currency")
    price_from = 100_000
    search_document = factory.LazyAttribute(lambda o: f"{o.display_name} {o.description}".lower())

    @factory.post_generation
    def rate_card(obj: Twin, create: bool, extracted: Any, **kwargs: Any) -> None:
        if not create:
            return
        card = RateCard.objects.create(twin=obj, currency=obj.currency)
        RateCardLine.objects.create(
            rate_card=card, media_type="social", base_fee=100_000, per_use_fee=1_000
        )
        RateCardLine.objects.create(
            rate_card=card, media_type="web", base_fee=150_000, per_use_fee=2_000
        )

    @factory.post_generation
    def categories(obj: Twin, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            slugs = extracted if extracted is not None else ["fast-fashion", "beauty"]
            obj.permitted_categories.set(Category.objects.filter(slug__in=slugs))

    @factory.post_generation
    def tags(obj: Twin, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted:
            tags = [
                StyleTag.objects.get_or_create(slug=t, defaults={"name": t})[0] for t in extracted
            ]
            obj.tags.set(tags)
            # As talent.services keeps it: the tag names the search weighs after the name.
            obj.search_tags = " ".join(t.name for t in tags)
            Twin.objects.filter(pk=obj.pk).update(search_tags=obj.search_tags)

    @factory.post_generation
    def with_image(obj: Twin, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted:
            data = studio_portrait(obj.pk, size=(240, 300))
            image = TwinImage(twin=obj, status=TwinImage.Status.READY, width=240, height=300)
            image.image.save(f"t{obj.pk}.jpg", ContentFile(data), save=False)
            image.thumbnail.save(f"t{obj.pk}-thumb.jpg", ContentFile(data), save=False)
            image.save()
            Twin.objects.filter(pk=obj.pk).update(cover=image)
            obj.cover = image


TwinFactory = model_factory(_TwinFactory)


class _CrewMemberFactory(factory.django.DjangoModelFactory[CrewMember]):
    class Meta:
        model = CrewMember

    agency = factory.SubFactory(_AgencyFactory)
    full_name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"crew{n}@example.test")


CrewMemberFactory = model_factory(_CrewMemberFactory)


class _CreditFactory(factory.django.DjangoModelFactory[Credit]):
    class Meta:
        model = Credit

    twin = factory.SubFactory(_TwinFactory)
    crew_member = factory.SubFactory(
        _CrewMemberFactory, agency=factory.SelfAttribute("..twin.agency")
    )
    role = CrewRole.PHOTOGRAPHER
    work = "SS26 studio scan"


CreditFactory = model_factory(_CreditFactory)
