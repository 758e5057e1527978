"""The OpenAPI 3 description of the read-only university API (served at /api/v1/openapi.json)."""

from __future__ import annotations

from typing import Any

from app.services.enrolment import VISIBLE_STATES

MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 50
ENROLMENT_STATES = ("accepted", "enrolled", "declined", "no_show")


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "nullable": True}


DATETIME = {"type": "string", "format": "date-time"}
MAX_ID = 2**31 - 1
MAX_PAGE = 1_000_000
ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}


def _page_of(item: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["items", "page", "per_page", "total", "pages"],
        "properties": {
            "items": {"type": "array", "items": _ref(item)},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
            "total": {"type": "integer", "minimum": 0},
            "pages": {"type": "integer", "minimum": 0},
            "next": _nullable({"type": "string"}),
        },
        "additionalProperties": False,
    }


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERRORS = {
    "400": {"$ref": "#/components/responses/BadRequest"},
    "401": {"$ref": "#/components/responses/Unauthorized"},
    "429": {"$ref": "#/components/responses/TooManyRequests"},
}
NOT_FOUND = {"404": {"$ref": "#/components/responses/NotFound"}}


def _param(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


PAGING = [
    _param(
        "page",
        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
        "Page number, from 1.",
    ),
    _param(
        "per_page",
        {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": DEFAULT_PER_PAGE},
        "Items per page.",
    ),
]


def _path_id(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": ID}


def build_spec(server_url: str) -> dict[str, Any]:
    """Return the OpenAPI 3.0 description of the API, with `server_url` as its server."""
    placement_states = [s.value for s in VISIBLE_STATES]
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Umit university API",
            "version": "1.0.0",
            "description": (
                "Read-only data for a university's own systems: its programs, its students "
                "placed in published allocation rounds, and their enrolment status. Each token "
                "belongs to one university and sees nothing of others (their objects answer "
                '404). Errors are JSON: {"error": {"status": 401, "message": "..."}}. '
                "Write methods answer 403: the API is read-only."
            ),
        },
        "servers": [{"url": server_url}],
        "security": [{"bearerAuth": []}],
        "paths": {
            "/": {
                "get": {
                    "operationId": "whoami",
                    "summary": "Name the university the token belongs to.",
                    "responses": {
                        "200": _json(_ref("Index"), "The token's university."),
                        **ERRORS,
                    },
                }
            },
            "/programs": {
                "get": {
                    "operationId": "listPrograms",
                    "summary": "List the university's programs with their quota places.",
                    "parameters": PAGING,
                    "responses": {
                        "200": _json(_ref("ProgramPage"), "A page of programs."),
                        **ERRORS,
                    },
                }
            },
            "/programs/{program_id}": {
                "get": {
                    "operationId": "getProgram",
                    "summary": "One of the university's programs.",
                    "parameters": [_path_id("program_id")],
                    "responses": {
                        "200": _json(_ref("Program"), "The program."),
                        **ERRORS,
                        **NOT_FOUND,
                    },
                }
            },
            "/placements": {
                "get": {
                    "operationId": "listPlacements",
                    "summary": "List the students placed in your programs by published rounds.",
                    "parameters": [
                        *PAGING,
                        _param("program_id", ID, "Only this program (one of yours)."),
                        _param("round_id", ID, "Only this published round."),
                        _param(
                            "state",
                            {"type": "string", "enum": placement_states},
                            "Only placements in this offer state.",
                        ),
                    ],
                    "responses": {
                        "200": _json(_ref("PlacementPage"), "A page of placements."),
                        **ERRORS,
                        **NOT_FOUND,
                    },
                }
            },
            "/placements/{placement_id}": {
                "get": {
                    "operationId": "getPlacement",
                    "summary": "One placement of a published round.",
                    "parameters": [_path_id("placement_id")],
                    "responses": {
                        "200": _json(_ref("Placement"), "The placement."),
                        **ERRORS,
                        **NOT_FOUND,
                    },
                }
            },
            "/enrolments": {
                "get": {
                    "operationId": "listEnrolments",
                    "summary": "Enrolment status of the students who accepted a place.",
                    "parameters": [
                        *PAGING,
                        _param("program_id", ID, "Only this program (one of yours)."),
                        _param(
                            "state",
                            {"type": "string", "enum": list(ENROLMENT_STATES)},
                            "Only this enrolment state.",
                        ),
                    ],
                    "responses": {
                        "200": _json(_ref("EnrolmentPage"), "A page of enrolment states."),
                        **ERRORS,
                        **NOT_FOUND,
                    },
                }
            },
        },
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A token created on the university's API tokens page.",
                }
            },
            "responses": {
                name: _json(_ref("Error"), text)
                for name, text in (
                    ("BadRequest", "A query parameter is not valid."),
                    ("Unauthorized", "No token, or a token that is not valid or was revoked."),
                    ("Forbidden", "The API is read-only."),
                    ("NotFound", "No such object among the university's own."),
                    ("TooManyRequests", "Too many requests; wait and try again."),
                )
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["status", "message"],
                            "properties": {
                                "status": {"type": "integer"},
                                "message": {"type": "string"},
                            },
                        }
                    },
                },
                "Index": {
                    "type": "object",
                    "required": ["university_id", "version"],
                    "properties": {"university_id": ID, "version": {"type": "string"}},
                },
                "Quota": {
                    "type": "object",
                    "required": ["cycle_id", "cycle", "places"],
                    "properties": {
                        "cycle_id": ID,
                        "cycle": {"type": "string"},
                        "places": {"type": "integer", "minimum": 0},
                    },
                    "additionalProperties": False,
                },
                "Program": {
                    "type": "object",
                    "required": ["id", "code", "name", "language", "level", "field_group"],
                    "properties": {
                        "id": ID,
                        "code": {"type": "string"},
                        "name": {
                            "type": "object",
                            "required": ["en", "ru", "kk"],
                            "properties": {
                                "en": {"type": "string"},
                                "ru": {"type": "string"},
                                "kk": {"type": "string"},
                            },
                        },
                        "language": {"type": "string"},
                        "level": {"type": "string"},
                        "field_group": {"type": "string"},
                        "quotas": {"type": "array", "items": _ref("Quota")},
                    },
                    "additionalProperties": False,
                },
                "Round": {
                    "type": "object",
                    "required": ["id", "number", "kind", "cycle_id", "cycle"],
                    "properties": {
                        "id": ID,
                        "number": {"type": "integer"},
                        "kind": {"type": "string", "enum": ["main", "supplementary", "appeal"]},
                        "cycle_id": ID,
                        "cycle": {"type": "string"},
                        "published_at": _nullable(DATETIME),
                    },
                    "additionalProperties": False,
                },
                "Student": {
                    "type": "object",
                    "required": ["application_code", "name_latin", "name_cyrillic", "name_native"],
                    "properties": {
                        "application_code": {"type": "string"},
                        "name_latin": {"type": "string"},
                        "name_cyrillic": {"type": "string"},
                        "name_native": {"type": "string"},
                        "email": {"type": "string"},
                        "phone": {"type": "string"},
                        "score": _nullable({"type": "number"}),
                    },
                    "additionalProperties": False,
                },
                "Placement": {
                    "type": "object",
                    "required": ["id", "round", "program_id", "program_code", "student", "state"],
                    "properties": {
                        "id": ID,
                        "round": _ref("Round"),
                        "program_id": ID,
                        "program_code": {"type": "string"},
                        "student": _ref("Student"),
                        "choice_rank": {"type": "integer", "minimum": 1},
                        "state": {"type": "string", "enum": placement_states},
                        "offer_deadline_at": _nullable(DATETIME),
                        "decided_at": _nullable(DATETIME),
                        "decline_reason": {"type": "string"},
                        "from_appeal": {"type": "boolean"},
                        "extra_place": {"type": "boolean"},
                    },
                    "additionalProperties": False,
                },
                "Enrolment": {
                    "type": "object",
                    "required": ["placement_id", "program_id", "application_code", "state"],
                    "properties": {
                        "placement_id": ID,
                        "program_id": ID,
                        "program_code": {"type": "string"},
                        "application_code": {"type": "string"},
                        "name_latin": {"type": "string"},
                        "state": {"type": "string", "enum": list(ENROLMENT_STATES)},
                        "decided_at": _nullable(DATETIME),
                        "decline_reason": {"type": "string"},
                    },
                    "additionalProperties": False,
                },
                "ProgramPage": _page_of("Program"),
                "PlacementPage": _page_of("Placement"),
                "EnrolmentPage": _page_of("Enrolment"),
            },
        },
    }
