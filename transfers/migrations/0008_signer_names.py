from django.conf import settings
from django.db import migrations, models
from django.db.models import Case, CharField, F, OuterRef, Subquery, When
from django.db.models.functions import Substr


def name_past_signers(apps, schema_editor):
    """Signatures made before the name was kept read the signer's name as it is today: the best record
    there is of it."""
    ManifestEvent = apps.get_model("transfers", "ManifestEvent")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    name = User.objects.filter(pk=OuterRef("actor_id")).values_list(
        Substr(Case(When(full_name="", then=F("username")), default=F("full_name"), output_field=CharField()), 1, 100)
    )
    ManifestEvent.objects.filter(signer_name="").update(signer_name=Subquery(name[:1]))


class Migration(migrations.Migration):
    dependencies = [
        ("transfers", "0007_ledger_moves"),
    ]

    operations = [
        migrations.AddField(
            model_name="manifestevent",
            name="signer_name",
            field=models.CharField(blank=True, max_length=100, verbose_name="signer's name"),
        ),
        migrations.RunPython(name_past_signers, migrations.RunPython.noop),
        migrations.AddField(
            model_name="historicalmanifest",
            name="emergency_measures",
            field=models.TextField(blank=True, max_length=500, verbose_name="precautions and emergency measures"),
        ),
        migrations.AddField(
            model_name="manifest",
            name="emergency_measures",
            field=models.TextField(blank=True, max_length=500, verbose_name="precautions and emergency measures"),
        ),
    ]
