import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from wasteparks.append_only import append_only


class Migration(migrations.Migration):
    dependencies = [
        ("wasteparks", "0008_inbox_and_jobs"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='LoginEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('username', models.CharField(max_length=150, verbose_name='user name')),
                ('at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='time')),
                ('step', models.CharField(choices=[('password', 'Password'), ('second_factor', 'Second factor'), ('logout', 'Sign-out')], max_length=20, verbose_name='step')),
                ('succeeded', models.BooleanField(verbose_name='succeeded')),
                ('ip_address', models.GenericIPAddressField(blank=True, null=True, verbose_name='address')),
                ('user_agent', models.CharField(blank=True, max_length=300, verbose_name='browser')),
                ('user', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='user')),
            ],
            options={
                'verbose_name': 'login event',
                'verbose_name_plural': 'login events',
                'ordering': ['-at', '-id'],
                'indexes': [models.Index(fields=['-at', '-id'], name='login_event_recent'), models.Index(fields=['user', '-at'], name='login_event_of_user')],
            },
        ),
        # Evidence (GB/T 22239-2019 security audit): the database refuses to change or delete a login event.
        append_only("wasteparks_loginevent"),
    ]
