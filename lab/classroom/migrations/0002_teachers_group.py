"""The "teachers" group: a user is a teacher when they are in it (granted in the admin, or with
python manage.py grant_teacher <username>)."""
from django.db import migrations


def create_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name="teachers")


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="teachers").delete()


class Migration(migrations.Migration):
    dependencies = [("classroom", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(create_group, remove_group)]
