"""URL routes of lab.designs: the design pages, the gallery, share links and embeds. (The lab
page saves and forks through the API: POST /api/v1/designs, .../revisions and .../fork.)"""
from django.urls import path

from . import views

app_name = "designs"
urlpatterns = [
    path("gallery", views.gallery, name="gallery"),
    path("designs/import", views.design_import, name="import"),
    path("designs/<uuid:design_id>/", views.design_detail, name="detail"),
    path("designs/<uuid:design_id>/edit", views.design_edit, name="edit"),
    path("designs/<uuid:design_id>/settings", views.design_update, name="update"),
    path("designs/<uuid:design_id>/share", views.design_share, name="share"),
    path("designs/<uuid:design_id>/revoke-link", views.design_revoke_link, name="revoke-link"),
    path("designs/<uuid:design_id>/delete", views.design_delete, name="delete"),
    path("designs/<uuid:design_id>/fork", views.design_fork, name="fork"),
    path("designs/<uuid:design_id>/revisions/<int:number>/", views.revision_detail, name="revision"),
    path("designs/<uuid:design_id>/revisions/<int:number>/restore", views.revision_restore, name="restore"),
    path("designs/<uuid:design_id>/compare", views.revision_compare, name="compare"),
    path("designs/<uuid:design_id>/export.json", views.design_export, name="export"),
    path("designs/<uuid:design_id>/thumbnail.svg", views.design_thumbnail, name="thumbnail"),
    path("designs/<uuid:design_id>/embed", views.design_embed, name="embed"),
    path("s/<str:token>/", views.shared, name="shared"),
    path("s/<str:token>/embed", views.shared_embed, name="shared-embed"),
]
