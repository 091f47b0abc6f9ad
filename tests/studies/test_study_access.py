"""Who may see, run and cancel a study: as the design. alice owns the design, bob is another
user, a visitor is anonymous; a share link's token opens an unlisted design's studies; a study of
a private design is not found by anyone else, by any of its addresses."""
from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from lab.designs import services as design_services
from lab.studies import services
from lab.studies.models import Study

from .conftest import bearer, call, design_of, signed_in

pytestmark = pytest.mark.django_db

REPLICATE = {"kind": "replications", "seeds": 2}


def study_of(client: Client, design: Any, **extra: Any) -> dict[str, Any]:
    response = call(client, "post", f"/api/v1/designs/{design.id}/studies", REPLICATE, **extra)
    assert response.status_code == 201, response.json()
    return response.json()


def addresses(study: dict[str, Any]) -> list[str]:
    return [study["url"], study["downloads"]["json"], study["downloads"]["csv"]]


def test_the_owner_reads_lists_and_downloads_their_study(as_alice: Client, alice: Any) -> None:
    design = design_of(alice)
    study = study_of(as_alice, design)
    assert all(call(as_alice, "get", url).status_code == 200 for url in addresses(study))
    listed = call(as_alice, "get", f"/api/v1/designs/{design.id}/studies").json()
    assert [s["id"] for s in listed["results"]] == [study["id"]] and "document" not in listed["results"][0]
    assert study["user"] == "alice" and study["a"]["design"] == {"id": str(design.id), "name": "Queue"}


def test_a_study_of_a_private_design_is_not_found_by_anyone_else(as_alice: Client, alice: Any, as_bob: Client,
                                                                  visitor: Client) -> None:
    design = design_of(alice)
    study = study_of(as_alice, design)
    for client in (as_bob, visitor):
        for url in addresses(study) + [f"/api/v1/designs/{design.id}/studies"]:
            response = call(client, "get", url)
            assert response.status_code == 404, url
            assert "no such" in response.json()["problems"][0]["message"]
        assert call(client, "post", f"{study['url']}/cancel").status_code == 404
    assert call(as_bob, "post", f"/api/v1/designs/{design.id}/studies", REPLICATE).status_code == 404


def test_a_share_link_opens_an_unlisted_designs_studies(as_alice: Client, alice: Any, as_bob: Client) -> None:
    design = design_of(alice, visibility="unlisted")
    study = study_of(as_alice, design)
    assert call(as_bob, "get", study["url"]).status_code == 404
    token = f"?token={design.share_token}"
    assert all(call(as_bob, "get", url + token).status_code == 200 for url in addresses(study))
    assert call(as_bob, "get", study["url"], HTTP_X_SHARE_TOKEN=design.share_token).status_code == 200
    # A browser that opened the link remembers it, for the API as for the pages.
    as_bob.get(f"/s/{design.share_token}/")
    assert call(as_bob, "get", study["url"]).status_code == 200


def test_anyone_reads_a_public_designs_studies_and_only_its_runner_cancels(as_alice: Client, alice: Any,
                                                                           as_bob: Client, visitor: Client) -> None:
    design = design_of(alice, visibility="public")
    study = study_of(as_alice, design)
    assert call(visitor, "get", study["url"]).status_code == 200
    assert call(visitor, "get", f"/api/v1/designs/{design.id}/studies").json()["count"] == 1
    refused = call(as_bob, "post", f"{study['url']}/cancel")
    assert refused.status_code == 403 and "only whoever ran this study" in refused.json()["problems"][0]["message"]
    assert call(visitor, "post", f"{study['url']}/cancel").status_code in (401, 403)
    assert call(as_alice, "post", f"{study['url']}/cancel").json()["status"] == "cancelled"


def test_another_user_may_run_a_study_of_a_public_design_a_visitor_must_sign_in(alice: Any, as_bob: Client,
                                                                                 bob: Any, visitor: Client) -> None:
    design = design_of(alice, visibility="public")
    study = study_of(as_bob, design)
    assert study["user"] == "bob" and Study.objects.get(id=study["id"]).principal == f"user:{bob.pk}"
    refused = call(visitor, "post", f"/api/v1/designs/{design.id}/studies", REPLICATE)
    assert refused.status_code in (401, 403) and "sign in" in refused.json()["problems"][0]["message"]


def test_whoever_ran_a_study_keeps_it_when_the_design_goes_private(alice: Any, as_bob: Client, carol: Any) -> None:
    # bob studies alice's public design; she then makes it private. Like a run's starter, bob
    # still reads, downloads and cancels his own study (else it would hold his allowance of
    # studies at once for good); nobody else who cannot view the design sees it.
    design = design_of(alice, visibility="public")
    study = study_of(as_bob, design)
    design_services.design_share(design=design, visibility="private")
    for address in addresses(study):
        assert call(as_bob, "get", address).status_code == 200, address
    as_carol = signed_in(carol)
    for address in addresses(study):
        assert call(as_carol, "get", address).status_code == 404, address
    assert call(as_carol, "post", f"{study['url']}/cancel").status_code == 404
    assert call(as_bob, "post", f"{study['url']}/cancel").json()["status"] == "cancelled"
    # With it cancelled, his allowance is free again for a study of a design he can see.
    assert study_of(as_bob, design_of(alice, name="Another", visibility="public"))["user"] == "bob"


def test_a_token_runs_studies_as_its_user(alice: Any) -> None:
    design = design_of(alice)
    client = Client()
    study = study_of(client, design, **bearer(alice))
    assert call(client, "get", study["url"], **bearer(alice)).json()["user"] == "alice"


def test_a_comparison_with_a_b_the_viewer_may_not_see_is_not_found(as_alice: Client, alice: Any, bob: Any,
                                                                  as_bob: Client) -> None:
    public = design_of(alice, visibility="public", name="A")
    private_b = design_of(alice, name="B (private)")
    body = {"kind": "comparison", "seeds": 2, "b": {"design": str(private_b.id)}}
    study = call(as_alice, "post", f"/api/v1/designs/{public.id}/studies", body).json()
    assert study["b"]["design"]["name"] == "B (private)"
    assert call(as_bob, "get", study["url"]).status_code == 404
    assert call(as_bob, "get", f"/api/v1/designs/{public.id}/studies").json()["count"] == 0
    refused = call(as_bob, "post", f"/api/v1/designs/{public.id}/studies", body)
    assert refused.status_code == 404 and refused.json()["problems"][0]["path"] == "$.b.design"


def test_the_cancel_service_refuses_someone_else(alice: Any, bob: Any, as_alice: Client) -> None:
    study = Study.objects.get(id=study_of(as_alice, design_of(alice))["id"])
    with pytest.raises(services.Refused) as refused:
        services.study_cancel(study=study, user=bob)
    assert refused.value.status == 403
