"""The API description is a valid OpenAPI 3.1 document, and the API answers as it says.

The document is checked with ``openapi-spec-validator``; then real answers of
every JSON endpoint (on the bundled corpus) are validated against the schema
the document gives for their status code.
"""

from __future__ import annotations

import jsonschema
import pytest
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from webui import create_app
from webui.openapi import spec


@pytest.fixture(scope="module")
def api(seed_index):
    app = create_app({"INDEX_DIR": str(seed_index), "TESTING": True})
    return app.test_client()


@pytest.fixture(scope="module")
def doc():
    return spec()


def test_the_description_is_a_valid_openapi_31_document(doc):
    validate(doc)  # raises on any violation of the OpenAPI 3.1 schema
    assert doc["openapi"] == "3.1.0"


def check_answer(doc: dict, path: str, response, method: str = "get") -> None:
    """Validate ``response`` against the schema ``doc`` gives ``path`` for its status."""
    op = doc["paths"][path][method]
    documented = op["responses"].get(str(response.status_code))
    assert documented is not None, f"{path}: status {response.status_code} is not documented"
    schema = documented["content"]["application/json"]["schema"]
    registry = Registry().with_resource(
        "urn:fazhi:openapi", Resource.from_contents(doc, default_specification=DRAFT202012)
    )
    # refs are "#/components/schemas/X": resolve them inside the whole document
    wrapped = {"$ref": "urn:fazhi:openapi#" + _pointer_of(schema)} if "$ref" in schema else schema
    validator = jsonschema.Draft202012Validator(
        _rebase(wrapped), registry=registry, format_checker=jsonschema.FormatChecker()
    )
    errors = sorted(validator.iter_errors(response.get_json()), key=str)
    assert not errors, (
        f"{path} {response.status_code}: {errors[0].message} at {list(errors[0].path)}"
    )


def _pointer_of(schema: dict) -> str:
    return schema["$ref"].removeprefix("#")


def _rebase(schema):
    """The schema with local refs pointing into the registered document."""
    if isinstance(schema, dict):
        return {
            k: ("urn:fazhi:openapi" + v if k == "$ref" and v.startswith("#") else _rebase(v))
            for k, v in schema.items()
        }
    if isinstance(schema, list):
        return [_rebase(x) for x in schema]
    return schema


def test_every_json_answer_matches_its_documented_schema(api, doc):
    rid = api.get("/api/reports").get_json()[0]["id"]
    cases = [
        ("/api/search", "/api/search?q=一支队伍管执法"),
        ("/api/search", "/api/search?q=依法行政&mode=words&township=美湖镇&year=2020-2024"),
        ("/api/search", "/api/search?q=%22unclosed"),
        ("/api/search", "/api/search?q=x&page=0"),
        ("/api/reports", "/api/reports"),
        ("/api/reports/{id}", f"/api/reports/{rid}"),
        ("/api/reports/{id}", "/api/reports/nope"),
        ("/api/matrix", "/api/matrix?q=依法行政"),
        ("/api/matrix", "/api/matrix?q=依法行政&format=xml"),
        ("/api/trend", "/api/trend?q=依法行政"),
        ("/api/practices", "/api/practices"),
        ("/api/practices", "/api/practices?q=依法行政&limit=5"),
        ("/api/practices", "/api/practices?q=依法行政&limit=0"),
        ("/api/reports/{id}/precedents", f"/api/reports/{rid}/precedents"),
        ("/api/reports/{id}/precedents", "/api/reports/nope/precedents"),
        ("/api/openapi.json", "/api/openapi.json"),
        ("/api/coverage", "/api/coverage"),
        ("/api/coverage", "/api/coverage?year=20x"),
    ]
    for path, url in cases:
        check_answer(doc, path, api.get(url))
    draft = "龙湾镇关于2023年度法治政府建设情况的报告\n一、主要举措和成效\n全面落实“一支队伍管执法”改革。"
    check_answer(doc, "/api/check", api.post("/api/check", data={"text": draft}), "post")
    check_answer(doc, "/api/check", api.post("/api/check", data={"text": ""}), "post")
