import os
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from geopool.models import Body, Crew, Department, Jurisdiction, StaffProfile
from geopool.packs import read_pack
from geopool.roles import (
    ADMINISTRATOR,
    BODY_MANAGER,
    BODY_STAFF,
    COORDINATOR,
    FIELD_CREW,
    OPERATOR,
    PLANNER,
    roles_ensure,
)

# (username, role, body code or None for the coordinator's body, department)
DEMO_USERS = [
    ("koordinator", COORDINATOR, None, "coordinator"),
    ("operator", OPERATOR, None, ""),
    ("planlamaci", PLANNER, None, ""),
    ("yonetici", ADMINISTRATOR, None, ""),
]
# Usernames of a demo team are the body code (small letters) plus these.
TEAM_USERS = [
    ("", BODY_STAFF),
    ("-mudur", BODY_MANAGER),
    ("-ekip", FIELD_CREW),
]
ROLE_TEXT = {
    COORDINATOR: "pool coordinator: every request, triage, rules",
    OPERATOR: "call centre: /console/",
    PLANNER: "layers: /planning/",
    ADMINISTRATOR: "everything, /admin/",
    BODY_STAFF: "works the body's requests: /inbox/",
    BODY_MANAGER: "the body's manager: /inbox/, assigns and transfers",
    FIELD_CREW: "field crew: /crew/",
}


class Command(BaseCommand):
    help = (
        "Create or reset the demo staff users and print 'username password role "
        "(body)'. The password is GEOPOOL_DEMO_PASSWORD or a new random one per "
        "run. The pack's samples.demo_teams give, per district body, a staff "
        "user, a manager, a department with a crew and a field-crew user in it."
    )

    def add_arguments(self, parser):
        parser.add_argument("pack", help="pack folder (for its demo teams)")

    def handle(self, pack, **options):
        jurisdiction = Jurisdiction.objects.order_by("id").first()
        if jurisdiction is None:
            raise CommandError("no jurisdiction loaded; run load_jurisdiction first")
        settings = jurisdiction.settings
        home = Body.objects.get(code=settings["coordinator_body"])
        coordinator_dept = Department.objects.get(
            code=settings["coordinator_department"]
        )
        teams = read_pack(pack).meta.get("samples", {}).get("demo_teams", [])
        password = os.environ.get("GEOPOOL_DEMO_PASSWORD") or secrets.token_urlsafe(9)
        roles_ensure()

        for username, role, _body, dept in DEMO_USERS:
            department = coordinator_dept if dept == "coordinator" else None
            self._user(username, role, home, department, password)
        for team in teams:
            body = Body.objects.filter(code=team["body"]).first()
            if body is None:
                raise CommandError(
                    f"demo team body {team['body']} is not loaded; run "
                    "load_jurisdiction first"
                )
            department, _ = Department.objects.update_or_create(
                code=team["department_code"],
                # Active again after a pack reload deactivated it.
                defaults={
                    "body": body,
                    "name": team["department_name"],
                    "is_active": True,
                },
            )
            crew, _ = Crew.objects.update_or_create(
                body=body,
                name=team["crew"],
                defaults={"department": department, "is_active": True},
            )
            for suffix, role in TEAM_USERS:
                username = f"{body.code.lower()}{suffix}"
                in_department = department if role != BODY_STAFF else None
                user = self._user(username, role, body, in_department, password)
                if role == FIELD_CREW:
                    crew.members.add(user)

    def _user(self, username, role, body, department, password):
        user, _ = get_user_model().objects.get_or_create(username=username)
        user.set_password(password)
        user.is_staff = role == ADMINISTRATOR
        user.is_superuser = role == ADMINISTRATOR
        user.save()
        user.groups.set([Group.objects.get(name=role)])
        StaffProfile.objects.update_or_create(
            user=user, defaults={"body": body, "department": department}
        )
        where = body.name
        if department is not None:
            where = f"{body.name} — {department.name}"
        self.stdout.write(
            f"{username} {password} {role} ({where}; {ROLE_TEXT.get(role, role)})"
        )
        return user
