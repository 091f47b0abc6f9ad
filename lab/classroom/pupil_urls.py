"""Page routes of class-scoped pupil accounts (lab/classroom/pupil_views.py), included by
lab/urls.py before the classroom's own routes. The first shadows classroom:join (same path) so a
visitor on a join link also sees the pupil forms; everyone else gets the classroom's view."""
from django.urls import path

from . import pupil_views as views

app_name = "pupils"
urlpatterns = [
    path("classes/join/<str:code>", views.join, name="join"),
    path("classes/join/<str:code>/pupil", views.create, name="create"),
    path("classes/join/<str:code>/pupil/sign-in", views.sign_in, name="sign-in"),
    path("pupils/password", views.password, name="password"),
    path("classes/<uuid:classroom_id>/pupils", views.roster, name="roster"),
    path("classes/<uuid:classroom_id>/pupils/<int:user_id>/reset", views.reset, name="reset"),
    path("classes/<uuid:classroom_id>/pupils/<int:user_id>/rename", views.rename, name="rename"),
]
