from django.db import migrations

CATEGORIES = [
    ("fast-fashion", "Fast fashion", False),
    ("luxury", "Luxury fashion", False),
    ("sportswear", "Sportswear", False),
    ("beauty", "Beauty and cosmetics", False),
    ("swimwear", "Swimwear", False),
    ("lingerie", "Lingerie", False),
    ("eyewear", "Eyewear", False),
    ("jewellery", "Jewellery and watches", False),
    ("footwear", "Footwear", False),
    ("alcohol", "Alcohol", True),
    ("tobacco", "Tobacco and vaping", True),
    ("politics", "Politics and campaigning", True),
    ("adult", "Adult content", True),
    ("gambling", "Gambling", True),
]


def add_categories(apps, schema_editor):
    Category = apps.get_model("talent", "Category")
    for slug, name, sensitive in CATEGORIES:
        Category.objects.update_or_create(slug=slug, defaults={"name": name,
                                                               "sensitive": sensitive})


class Migration(migrations.Migration):
    dependencies = [("talent", "0001_initial")]
    operations = [migrations.RunPython(add_categories, migrations.RunPython.noop)]
