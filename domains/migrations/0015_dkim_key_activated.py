from django.db import migrations, models
from django.db.models import F


def activated_when_created(apps, schema_editor):
    """Keys made before rotation was two-step signed from their creation."""
    apps.get_model("domains", "DkimKey").objects.update(activated=F("created"))


class Migration(migrations.Migration):

    dependencies = [
        ('domains', '0014_mailboxes_near_quota'),
    ]

    operations = [
        migrations.AddField(
            model_name='dkimkey',
            name='activated',
            field=models.DateTimeField(blank=True, help_text='when it began to sign; empty: not yet', null=True),
        ),
        migrations.RunPython(activated_when_created, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='dkimkey',
            name='algorithm',
            field=models.CharField(choices=[('rsa', 'RSA 2048'), ('ed25519', 'Ed25519 (a second signature, RFC 8463)')],
                                   default='rsa', max_length=16),
        ),
    ]
