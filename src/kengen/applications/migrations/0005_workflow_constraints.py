from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('applications', '0004_fill_submitted_by'),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='application',
            constraint=models.CheckConstraint(condition=models.Q(('status', 'draft'), ('status', 'withdrawn'), models.Q(('submitted_at__isnull', False), ('submitted_by__isnull', False)), _connector='OR'), name='application_submitted_has_time_and_person'),
        ),
        migrations.AddConstraint(
            model_name='application',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status__in', ['completed', 'registered', 'rejected']), _negated=True), models.Q(('decided_at__isnull', False), ('decided_by__isnull', False)), _connector='OR'), name='application_decided_has_time_and_person'),
        ),
    ]
