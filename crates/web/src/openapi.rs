//! What every service's OpenAPI document shares, added in one place so no
//! route has to repeat it:
//! - the security schemes (`bearer`, `api_key`, the deprecated `service_token`), defined once;
//! - the answers the shared layers give on any route: 400 for a path, query
//!   or body that does not parse, 401 where a token is required, 413/415 for
//!   bodies, 422 for the input check (NUL, bounds), 429 from the gateway's
//!   per-address limit and the throttles, 503 when a dependency is down;
//! - the input check's rule in the schemas: no string holds NUL;
//! - the dead-letter routes ([`crate::dead_letters`]).
//!
//! [`problems`] lists what would make a document invalid (duplicate
//! `operationId`s, undefined security schemes); each service tests its own.

use std::collections::{BTreeMap, BTreeSet};

use actix_web::HttpResponse;
use serde_json::{Map, Value, json};

use crate::{dead_letters, idempotency};

/// A service's document, finished, as the answer to `GET .../openapi.json`.
pub fn response(
    doc: impl serde::Serialize,
    prefix: &str,
    queues: &[dayone_broker::topology::QueueDef],
) -> HttpResponse {
    HttpResponse::Ok().json(finish(doc, prefix, queues))
}

/// The document with the dead-letter routes under `prefix` (none when
/// `queues` is empty), the shared security schemes and shared answers.
pub fn finish(
    doc: impl serde::Serialize,
    prefix: &str,
    queues: &[dayone_broker::topology::QueueDef],
) -> Value {
    let mut doc = serde_json::to_value(doc).unwrap_or(Value::Null);
    unwrap_raw_schemas(&mut doc);
    if !queues.is_empty() {
        dead_letters::document(&mut doc, prefix, queues);
    }
    define_security_schemes(&mut doc);
    add_shared_answers(&mut doc);
    refuse_nul_in_strings(&mut doc);
    let uses_any_json = doc.to_string().contains(ANY_JSON);
    if let Some(doc) = doc.as_object_mut().filter(|_| uses_any_json) {
        let schemas = object_at(object_at(doc, "components"), "schemas");
        schemas.insert("JsonWithoutNul".to_owned(), any_json());
    }
    doc
}

/// Where a free-form object's values point: any JSON but NUL.
const ANY_JSON: &str = "#/components/schemas/JsonWithoutNul";

fn any_json() -> Value {
    json!({
        "description": "Any JSON value without the NUL character",
        "anyOf": [
            {"type": "null"},
            {"type": "boolean"},
            {"type": "number"},
            {"type": "string", "pattern": NO_NUL},
            {"type": "array", "items": {"$ref": ANY_JSON}},
            {"type": "object", "propertyNames": {"pattern": NO_NUL}, "additionalProperties": {"$ref": ANY_JSON}},
        ],
    })
}

/// The security schemes every service's routes may name.
fn security_schemes() -> Value {
    json!({
        "bearer": {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "An access token from `POST /v1/auth/login` (15 minutes at most)",
        },
        "api_key": {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "dk_<key id>_<secret>",
            "description": "An API key an admin made with `POST /v1/auth/api-keys`; the route's description names the scope it needs",
        },
        "service_token": {
            "type": "apiKey",
            "in": "header",
            "name": "X-Service-Token",
            "description": "Deprecated: the shared secret of internal callers; use an API key",
        },
    })
}

fn define_security_schemes(doc: &mut Value) {
    let used = used_schemes(doc);
    let Some(doc) = doc.as_object_mut() else {
        return;
    };
    let components = object_at(doc, "components");
    let schemes = object_at(components, "securitySchemes");
    if let Value::Object(all) = security_schemes() {
        for (name, scheme) in all {
            if used.contains(&name) {
                schemes.entry(name).or_insert(scheme);
            }
        }
    }
}

/// The security scheme names the operations require.
fn used_schemes(doc: &Value) -> BTreeSet<String> {
    operations(doc)
        .flat_map(|(_, _, op)| op["security"].as_array().into_iter().flatten())
        .filter_map(Value::as_object)
        .flat_map(|requirement| requirement.keys().cloned())
        .collect()
}

/// The error body every shared answer has.
fn failure(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorDoc"}}},
    })
}

fn add_shared_answers(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for item in paths.values_mut() {
        let shared_parameters = item["parameters"].as_array().cloned().unwrap_or_default();
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, op) in item.iter_mut() {
            if !is_method(method) {
                continue;
            }
            let answers = shared_answers(op, &shared_parameters);
            let Some(op) = op.as_object_mut() else {
                continue;
            };
            let responses = object_at(op, "responses");
            for (status, answer) in answers {
                responses.entry(status).or_insert(answer);
            }
        }
    }
}

/// What the shared layers may answer to this operation.
fn shared_answers(op: &Value, shared_parameters: &[Value]) -> BTreeMap<String, Value> {
    let parameters: Vec<&Value> = op["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(shared_parameters)
        .collect();
    let has = |place: &str| parameters.iter().any(|p| p["in"] == place);
    let body = op.get("requestBody").is_some();
    let mut bad_request = Vec::new();
    if has("path") {
        bad_request.push("`invalid_path`: a path parameter is not of its type");
    }
    if has("query") {
        bad_request.push("`invalid_query`: the query string does not parse into the parameters");
    }
    if body {
        bad_request.push("`invalid_json`: the body is not JSON");
    }
    let mut answers = BTreeMap::new();
    if !bad_request.is_empty() {
        answers.insert("400".to_owned(), failure(&bad_request.join("; ")));
    }
    if requires_credentials(op) {
        answers.insert(
            "401".to_owned(),
            failure("No credentials, or a token that is invalid, expired or revoked"),
        );
    }
    if body {
        answers.insert("413".to_owned(), failure("The body is larger than 1 MiB"));
        answers.insert(
            "415".to_owned(),
            failure("The body is not sent as `application/json`"),
        );
    }
    if has("query") {
        answers.insert(
            "414".to_owned(),
            failure("The request URI is longer than the gateway takes (8 kB)"),
        );
    }
    if body || has("query") || has("header") {
        answers.insert(
            "422".to_owned(),
            failure(
                "`validation_failed`: a value is out of its bounds or holds the NUL character; \
                 `details.fields` names each",
            ),
        );
    }
    answers.insert(
        "429".to_owned(),
        failure("Too many requests from this address, or for this action; see `Retry-After`"),
    );
    answers.insert(
        "503".to_owned(),
        failure("The service or one of its dependencies is unavailable; see `Retry-After`"),
    );
    answers
}

/// Whether the operation names a security requirement and none of them is
/// the empty one (which makes credentials optional).
fn requires_credentials(op: &Value) -> bool {
    op["security"].as_array().is_some_and(|requirements| {
        !requirements.is_empty()
            && requirements
                .iter()
                .all(|r| r.as_object().is_some_and(|r| !r.is_empty()))
    })
}

/// The input check refuses NUL in every string and key
/// ([`crate::input`]); the schemas say so, so that a schema-valid request
/// is never refused for it.
const NO_NUL: &str = "^[^\\u0000]*$";

fn refuse_nul_in_strings(doc: &mut Value) {
    let schemas = doc
        .get_mut("components")
        .and_then(|c| c.get_mut("schemas"))
        .and_then(Value::as_object_mut);
    if let Some(schemas) = schemas {
        schemas.values_mut().for_each(refuse_nul);
    }
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for item in paths.values_mut() {
        for parameter in array_at(item, "parameters") {
            describe_parameter(parameter);
        }
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, op) in item.iter_mut() {
            if !is_method(method) {
                continue;
            }
            for parameter in array_at(op, "parameters") {
                describe_parameter(parameter);
            }
            let content = op
                .get_mut("requestBody")
                .and_then(|b| b.get_mut("content"))
                .and_then(Value::as_object_mut);
            for media in content.into_iter().flat_map(|c| c.values_mut()) {
                if let Some(schema) = media.get_mut("schema") {
                    refuse_nul(schema);
                }
            }
        }
    }
}

/// A parameter's schema with the shared rules: `Idempotency-Key` as
/// [`idempotency::key`] reads it, no NUL in other strings.
fn describe_parameter(parameter: &mut Value) {
    let is_key = parameter["in"] == "header"
        && parameter["name"]
            .as_str()
            .is_some_and(|n| n.eq_ignore_ascii_case("idempotency-key"));
    if is_key {
        parameter["schema"] = json!({
            "type": "string",
            "pattern": idempotency::KEY_PATTERN,
            "maxLength": idempotency::KEY_MAX_LENGTH,
        });
    }
    // The input check bounds every query value (the gateway's URI limit).
    let query_string = parameter["in"] == "query"
        && parameter
            .get("schema")
            .and_then(|s| s.get("type"))
            .is_some_and(|t| {
                t == "string"
                    || t.as_array()
                        .is_some_and(|a| a.iter().any(|x| x == "string"))
            });
    if query_string {
        let bound = crate::input::MAX_QUERY_VALUE_CHARS;
        let schema = &mut parameter["schema"];
        let tighter = schema["maxLength"]
            .as_u64()
            .is_some_and(|m| m <= bound as u64);
        if !tighter {
            schema["maxLength"] = json!(bound);
        }
    }
    if let Some(schema) = parameter.get_mut("schema") {
        refuse_nul(schema);
    }
}

/// The items of the array at `key`, none when there is none (unlike
/// `value[key]`, which would insert a `null`).
fn array_at<'a>(value: &'a mut Value, key: &str) -> impl Iterator<Item = &'a mut Value> {
    value
        .get_mut(key)
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
}

/// Adds the no-NUL pattern to every free string in `schema`, and to the
/// names of every free-form object's properties.
fn refuse_nul(schema: &mut Value) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    let types = object.get("type").cloned();
    let is_type = |t: &str| match &types {
        Some(Value::String(s)) => s == t,
        Some(Value::Array(types)) => types.iter().any(|x| x == t),
        _ => false,
    };
    let free_string = is_type("string")
        && !["pattern", "format", "enum", "const"]
            .iter()
            .any(|k| object.contains_key(*k));
    if free_string {
        object.insert("pattern".to_owned(), json!(NO_NUL));
    }
    let free_names =
        is_type("object") && object.get("additionalProperties") != Some(&Value::Bool(false));
    if free_names && !object.contains_key("propertyNames") {
        object.insert("propertyNames".to_owned(), json!({"pattern": NO_NUL}));
    }
    // Values of properties no schema names (serde ignores them, but the
    // input check reads them too).
    let free_values = is_type("object") && !object.contains_key("additionalProperties");
    if free_values {
        object.insert("additionalProperties".to_owned(), json!({"$ref": ANY_JSON}));
    }
    for key in ["properties", "patternProperties", "$defs"] {
        if let Some(Value::Object(children)) = object.get_mut(key) {
            children.values_mut().for_each(refuse_nul);
        }
    }
    for key in ["items", "additionalProperties", "not"] {
        if let Some(child) = object.get_mut(key) {
            refuse_nul(child);
        }
    }
    for key in ["allOf", "anyOf", "oneOf", "prefixItems"] {
        if let Some(Value::Array(children)) = object.get_mut(key) {
            children.iter_mut().for_each(refuse_nul);
        }
    }
}

/// A schema written as JSON, for a type whose rules the derive cannot say
/// (one of several shapes, `anyOf` beside `properties`). utoipa's own model
/// drops keywords it does not know, so the JSON travels as an extension and
/// [`finish`] puts it in the schema's place.
pub fn schema(value: Value) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    let mut object = utoipa::openapi::schema::Object::new();
    object.extensions = Some(
        utoipa::openapi::extensions::ExtensionsBuilder::new()
            .add(RAW_SCHEMA, value)
            .build(),
    );
    utoipa::openapi::RefOr::T(utoipa::openapi::schema::Schema::Object(object))
}

/// The extension [`schema`] carries its JSON in.
const RAW_SCHEMA: &str = "x-dayone-schema";

/// Puts every [`schema`]'s JSON in its place.
fn unwrap_raw_schemas(value: &mut Value) {
    match value {
        Value::Object(object) => {
            if let Some(raw) = object.remove(RAW_SCHEMA) {
                *value = raw;
                unwrap_raw_schemas(value);
            } else {
                object.values_mut().for_each(unwrap_raw_schemas);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(unwrap_raw_schemas),
        _ => {}
    }
}

/// What would make the document invalid: duplicate `operationId`s and
/// security schemes named but not defined. Empty when it is sound.
pub fn problems(doc: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let mut seen = BTreeMap::new();
    for (path, method, op) in operations(doc) {
        if let Some(id) = op["operationId"].as_str() {
            if let Some(first) = seen.insert(id.to_owned(), format!("{method} {path}")) {
                problems.push(format!(
                    "operationId `{id}` of {method} {path} is also {first}'s"
                ));
            }
        } else {
            problems.push(format!("{method} {path} has no operationId"));
        }
    }
    let defined = &doc["components"]["securitySchemes"];
    for name in used_schemes(doc) {
        if defined.get(&name).is_none() {
            problems.push(format!("security scheme `{name}` is used but not defined"));
        }
    }
    problems
}

/// Every operation: (path, method, operation).
fn operations(doc: &Value) -> impl Iterator<Item = (&str, &str, &Value)> {
    doc["paths"].as_object().into_iter().flat_map(|paths| {
        paths.iter().flat_map(|(path, item)| {
            item.as_object().into_iter().flat_map(move |item| {
                item.iter()
                    .filter(|(method, _)| is_method(method))
                    .map(move |(method, op)| (path.as_str(), method.as_str(), op))
            })
        })
    })
}

fn is_method(key: &str) -> bool {
    matches!(
        key,
        "get" | "put" | "post" | "delete" | "options" | "head" | "patch" | "trace"
    )
}

/// The object at `key`, made one if missing or of another type.
fn object_at<'a>(parent: &'a mut Map<String, Value>, key: &str) -> &'a mut Map<String, Value> {
    let slot = parent
        .entry(key)
        .or_insert_with(|| Value::Object(Map::new()));
    if !slot.is_object() {
        *slot = Value::Object(Map::new());
    }
    match slot {
        Value::Object(map) => map,
        _ => unreachable!("made an object above"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Value {
        json!({
            "openapi": "3.1.0",
            "paths": {
                "/v1/things/{uuid}": {
                    "patch": {
                        "operationId": "update_thing",
                        "security": [{"bearer": []}],
                        "parameters": [{"name": "uuid", "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}}],
                        "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
                        "responses": {"200": {"description": "Updated"}, "401": {"description": "Own words"}},
                    },
                },
                "/v1/things": {
                    "get": {
                        "operationId": "list_things",
                        "security": [{}, {"bearer": []}],
                        "parameters": [{"name": "q", "in": "query", "schema": {"type": "string"}}],
                        "responses": {"200": {"description": "Things"}},
                    },
                },
            },
            "components": {"schemas": {"Thing": {"type": "object", "properties": {
                "name": {"type": "string"},
                "email": {"type": "string", "format": "email"},
                "data": {"type": "object", "additionalProperties": {"type": "string"}},
                "extra": {"type": "object"},
            }}}},
        })
    }

    #[test]
    fn shared_answers_follow_what_the_operation_takes() {
        let doc = finish(doc(), "/v1/things", &[]);
        let update = &doc["paths"]["/v1/things/{uuid}"]["patch"]["responses"];
        for status in ["200", "400", "401", "413", "415", "422", "429", "503"] {
            assert!(update.get(status).is_some(), "{status} missing: {update}");
        }
        // A route's own description is kept.
        assert_eq!(update["401"]["description"], "Own words");
        let list = &doc["paths"]["/v1/things"]["get"]["responses"];
        // Optional credentials: no 401; no body: no 413/415.
        for status in ["401", "413", "415"] {
            assert!(list.get(status).is_none(), "{status} present: {list}");
        }
        assert!(
            list["400"]["description"]
                .as_str()
                .unwrap()
                .contains("invalid_query")
        );
    }

    #[test]
    fn used_schemes_are_defined_once_and_the_document_is_sound() {
        let doc = finish(doc(), "/v1/things", &[]);
        // Nothing absent was made a `null` on the way.
        assert!(!doc.to_string().contains(":null"), "{doc}");
        let schemes = doc["components"]["securitySchemes"].as_object().unwrap();
        assert_eq!(schemes.keys().collect::<Vec<_>>(), ["bearer"]);
        assert_eq!(problems(&doc), Vec::<String>::new());
    }

    #[test]
    fn free_strings_and_property_names_refuse_nul() {
        let doc = finish(doc(), "/v1/things", &[]);
        let thing = &doc["components"]["schemas"]["Thing"];
        assert_eq!(thing["properties"]["name"]["pattern"], NO_NUL);
        assert!(thing["properties"]["email"].get("pattern").is_none());
        assert_eq!(
            thing["properties"]["data"]["propertyNames"]["pattern"],
            NO_NUL
        );
        assert_eq!(
            thing["properties"]["data"]["additionalProperties"]["pattern"],
            NO_NUL
        );
        let q = &doc["paths"]["/v1/things"]["get"]["parameters"][0]["schema"];
        assert_eq!(q["pattern"], NO_NUL);
        assert_eq!(q["maxLength"], crate::input::MAX_QUERY_VALUE_CHARS);
        // A free-form object's values are any JSON but NUL, defined once.
        assert_eq!(
            thing["properties"]["extra"]["additionalProperties"]["$ref"],
            ANY_JSON
        );
        assert!(doc["components"]["schemas"]["JsonWithoutNul"]["anyOf"].is_array());
    }

    #[test]
    fn a_schema_written_as_json_keeps_every_keyword() {
        let written =
            json!({"type": "object", "anyOf": [{"required": ["a"]}, {"required": ["b"]}]});
        let mut doc = doc();
        doc["components"]["schemas"]["Either"] = serde_json::to_value(schema(written)).unwrap();
        let doc = finish(doc, "/v1/things", &[]);
        let either = &doc["components"]["schemas"]["Either"];
        assert_eq!(either["anyOf"][1]["required"], json!(["b"]));
        assert!(!doc.to_string().contains(RAW_SCHEMA));
    }

    #[test]
    fn duplicate_operation_ids_and_undefined_schemes_are_problems() {
        let mut doc = finish(doc(), "/v1/things", &[]);
        doc["paths"]["/v1/things"]["get"]["operationId"] = json!("update_thing");
        doc["paths"]["/v1/things"]["get"]["security"] = json!([{"service_token": []}]);
        let problems = problems(&doc);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("update_thing"));
        assert!(problems[1].contains("service_token"));
    }
}
