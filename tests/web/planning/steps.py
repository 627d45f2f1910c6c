"""The upload steps as the test client takes them."""

import re

TOKEN_URL = re.compile(r"^/planning/upload/(?P<token>[0-9a-f]{32})/source/$")


def upload(client, path, layer="neighbourhoods", **fields):
    """POST ``path`` to the upload form; return the pending upload's token."""
    with path.open("rb") as handle:
        response = client.post(
            "/planning/upload/", {"file": handle, "layer": layer, **fields}
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    return TOKEN_URL.match(response["Location"])["token"]


def mapping(name="AD", code="KOD", **attributes):
    """The mapping form's POST data; attributes as ``district="ILCE"``."""
    data = {"name": name, "code": code}
    data |= {f"attribute__{a}": field for a, field in attributes.items()}
    return data


def upload_to_check(client, path, layer="neighbourhoods", form=None, **fields):
    """Upload ``path`` and map its fields; return (token, the dry run's page)."""
    token = upload(client, path, layer=layer, **fields)
    base = f"/planning/upload/{token}"
    assert client.get(f"{base}/source/")["Location"] == f"{base}/fields/"
    form = form if form is not None else mapping(district="ILCE")
    response = client.post(f"{base}/fields/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == f"{base}/check/"
    return token, client.get(f"{base}/check/")


def upload_to_draft(client, path, layer="neighbourhoods", form=None, **fields):
    """Take every upload step for ``path``; return the draft's preview page."""
    token, check = upload_to_check(client, path, layer=layer, form=form, **fields)
    assert check.status_code == 200
    return client.post(f"/planning/upload/{token}/check/", follow=True)
