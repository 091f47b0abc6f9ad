"""The admin shows classes and their work read-mostly: a teacher changes them through the API
and pages, where they are checked; the admin is for looking and for deleting. Teachers are made
by adding a user to the "teachers" group (or python manage.py grant_teacher <username>)."""
from __future__ import annotations

from typing import Any

from django.contrib import admin

from .models import Assignment, Classroom, GradeRecord, Membership, PupilAccount, Submission


class ReadMostly(admin.ModelAdmin):
    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Classroom)
class ClassroomAdmin(ReadMostly):
    list_display = ("name", "teacher", "join_code", "joining_open", "archived", "created")
    search_fields = ("name", "teacher__username", "join_code")


@admin.register(Membership)
class MembershipAdmin(ReadMostly):
    list_display = ("classroom", "student", "joined")
    search_fields = ("classroom__name", "student__username")


@admin.register(Assignment)
class AssignmentAdmin(ReadMostly):
    list_display = ("title", "classroom", "lesson", "step", "opens", "due", "late_policy")
    search_fields = ("title", "classroom__name", "lesson")


class GradeInline(admin.TabularInline):
    model = GradeRecord
    extra = 0
    can_delete = False
    readonly_fields = ("attempt", "score", "max_score", "reason", "created")


@admin.register(Submission)
class SubmissionAdmin(ReadMostly):
    list_display = ("assignment", "student", "number", "late", "score", "max_score", "graded")
    search_fields = ("assignment__title", "student__username")
    inlines = [GradeInline]


@admin.register(PupilAccount)
class PupilAccountAdmin(ReadMostly):
    # A reset or a rename goes through the roster page, where the name is checked.
    list_display = ("display_name", "classroom", "must_change_password", "created")
    search_fields = ("display_name", "classroom__name")

