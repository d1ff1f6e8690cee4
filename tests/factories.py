"""factory_boy factories: the smallest valid objects, built through the real models."""

from __future__ import annotations

import factory
from django.core.files.base import ContentFile
from django.utils import timezone

from marketplace.accounts.models import Membership, Organisation, Role, User
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


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    full_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    kind = Organisation.Kind.AGENCY
    name = factory.Sequence(lambda n: f"Organisation {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")
    currency = "EUR"
    commission_bps = 2000


class AgencyFactory(OrganisationFactory):
    kind = Organisation.Kind.AGENCY
    name = factory.Sequence(lambda n: f"Agency {n}")


class BrandFactory(OrganisationFactory):
    kind = Organisation.Kind.BRAND
    name = factory.Sequence(lambda n: f"Brand {n}")
    commission_bps = 0


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(AgencyFactory)
    role = Role.MANAGER


class TalentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Talent

    agency = factory.SubFactory(AgencyFactory)
    full_name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"talent{n}@example.test")


class TwinFactory(factory.django.DjangoModelFactory):
    """A published twin with a rate card (social 1,000.00, web 1,500.00) and a ready image."""

    class Meta:
        model = Twin
        skip_postgeneration_save = True

    talent = factory.SubFactory(TalentFactory)
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
    def rate_card(obj, create, extracted, **kwargs):
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
    def categories(obj, create, extracted, **kwargs):
        if create:
            slugs = extracted if extracted is not None else ["fast-fashion", "beauty"]
            obj.permitted_categories.set(Category.objects.filter(slug__in=slugs))

    @factory.post_generation
    def tags(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.tags.set(
                [StyleTag.objects.get_or_create(slug=t, defaults={"name": t})[0] for t in extracted]
            )

    @factory.post_generation
    def with_image(obj, create, extracted, **kwargs):
        if create and extracted:
            data = studio_portrait(obj.pk, size=(240, 300))
            image = TwinImage(twin=obj, status=TwinImage.Status.READY, width=240, height=300)
            image.image.save(f"t{obj.pk}.jpg", ContentFile(data), save=False)
            image.thumbnail.save(f"t{obj.pk}-thumb.jpg", ContentFile(data), save=False)
            image.save()
            Twin.objects.filter(pk=obj.pk).update(cover=image)
            obj.cover = image
