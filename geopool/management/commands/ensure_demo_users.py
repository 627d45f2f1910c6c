import os
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from geopool.models import Body, Department, Jurisdiction, StaffProfile
from geopool.roles import COORDINATOR, roles_ensure

# (username, role, body code or None for the coordinator's body, department)
DEMO_USERS = [
    ("koordinator", COORDINATOR, None, "coordinator"),
    ("operator", "operator", None, ""),
    ("planlamaci", "planner", None, ""),
    ("yonetici", "administrator", None, ""),
]


class Command(BaseCommand):
    help = (
        "Create or reset the demo staff users and print 'username password role'. "
        "The password is GEOPOOL_DEMO_PASSWORD or a new random one per run."
    )

    def add_arguments(self, parser):
        parser.add_argument("pack", help="pack folder (for the district bodies)")

    def handle(self, pack, **options):
        jurisdiction = Jurisdiction.objects.order_by("id").first()
        if jurisdiction is None:
            raise CommandError("no jurisdiction loaded; run load_jurisdiction first")
        settings = jurisdiction.settings
        home = Body.objects.get(code=settings["coordinator_body"])
        coordinator_dept = Department.objects.get(
            code=settings["coordinator_department"]
        )
        password = os.environ.get("GEOPOOL_DEMO_PASSWORD") or secrets.token_urlsafe(9)
        roles_ensure()

        users = list(DEMO_USERS)
        first_district = (
            Body.objects.filter(kind="district", is_active=True)
            .order_by("name")
            .first()
        )
        if first_district:
            users.append(
                (first_district.code.lower(), "body_staff", first_district.code, "")
            )
        for username, role, body_code, dept in users:
            body = Body.objects.get(code=body_code) if body_code else home
            user, _ = get_user_model().objects.get_or_create(username=username)
            user.set_password(password)
            user.is_staff = role == "administrator"
            user.is_superuser = role == "administrator"
            user.save()
            user.groups.set([Group.objects.get(name=role)])
            StaffProfile.objects.update_or_create(
                user=user,
                defaults={
                    "body": body,
                    "department": coordinator_dept if dept == "coordinator" else None,
                },
            )
            self.stdout.write(f"{username} {password} {role} ({body.name})")
