from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("hrwave", "0004_wave_rows_from_json"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="waveimport",
            name="rows",
        ),
    ]
