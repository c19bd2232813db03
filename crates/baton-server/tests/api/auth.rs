//! Tokens and roles: every role against every endpoint group, allowed and denied, with
//! the 401/403 body checked and nothing changed by a refusal.

use crate::harness::{Harness, harness_with_keys, simple_def};
use axum::http::Method;
use baton_model::Role;
use baton_server::{AuthMode, ServerConfig};
use baton_store::ApiKey;
use serde_json::json;

struct Keys {
    l0: String,
    l1: String,
    l2: String,
    l2_other: String,
    l3: String,
    revoked: String,
}

fn key(name: &str, role: Role, domain: Option<&str>) -> (ApiKey, String) {
    let (k, secret) = ApiKey::generate(name, role, domain.map(str::to_string), 1).expect("random");
    let token = format!("{}:{secret}", k.key_id);
    (k, token)
}

fn secured() -> (Harness, Keys) {
    let (k0, l0) = key("ops-lead", Role::L0, None);
    let (k1, l1) = key("bridge", Role::L1, None);
    let (k2, l2) = key("station-a", Role::L2, Some("a"));
    let (k2b, l2_other) = key("station-b", Role::L2, Some("b"));
    let (k3, l3) = key("worker", Role::L3, None);
    let (mut kr, revoked) = key("old", Role::L0, None);
    kr.revoked_at = Some(2);
    let config = ServerConfig {
        auth: AuthMode::Required,
        ..ServerConfig::default()
    };
    let h = harness_with_keys(config, &[k0, k1, k2, k2b, k3, kr]);
    (
        h,
        Keys {
            l0,
            l1,
            l2,
            l2_other,
            l3,
            revoked,
        },
    )
}

async fn as_(
    h: &Harness,
    token: &str,
    method: Method,
    uri: &str,
    body: Option<&str>,
) -> crate::harness::Answer {
    h.call_as(Some(token), method, uri, body).await
}

fn human_def() -> String {
    json!({"name": "ask", "version": 1, "schemaVersion": 2,
           "tasks": [{"name": "ok", "taskReferenceName": "ok", "type": "HUMAN"}]})
    .to_string()
}

#[tokio::test]
async fn no_token_or_a_bad_one_is_401_but_health_is_open() {
    let (h, k) = secured();
    h.get("/health").await.assert_ok();
    h.get("/ready").await.assert_ok();
    h.get("/api/workflow/search")
        .await
        .assert_error(401, "needs a token");
    h.get("/api/tasks/poll/work")
        .await
        .assert_error(401, "token");
    as_(&h, "nonsense", Method::GET, "/api/metadata/workflow", None)
        .await
        .assert_error(401, "KEY_ID:KEY_SECRET");
    as_(
        &h,
        "bk_0000000000000000:bks_x",
        Method::GET,
        "/api/metadata/workflow",
        None,
    )
    .await
    .assert_error(401, "not valid");
    let wrong = format!("{}:bks_wrong", k.l0.split(':').next().unwrap_or_default());
    as_(&h, &wrong, Method::GET, "/api/metadata/workflow", None)
        .await
        .assert_error(401, "not valid");
    as_(&h, &k.revoked, Method::GET, "/api/metadata/workflow", None)
        .await
        .assert_error(401, "revoked");
    // Bearer works as well as X-Authorization.
    let req = axum::http::Request::builder()
        .uri("/api/metadata/workflow")
        .header("authorization", format!("Bearer {}", k.l1))
        .body(axum::body::Body::empty())
        .expect("request");
    let res = tower::ServiceExt::oneshot(h.app.clone(), req)
        .await
        .expect("answer");
    assert_eq!(res.status(), 200);
    h.shutdown().await;
}

#[tokio::test]
async fn the_sdk_token_exchange_gives_a_working_token() {
    let (h, k) = secured();
    let (id, secret) = k.l3.split_once(':').expect("token");
    let a = h
        .post(
            "/api/token",
            &json!({"keyId": id, "keySecret": secret}).to_string(),
        )
        .await;
    a.assert_ok();
    let token = a.json()["token"].as_str().unwrap_or_default().to_string();
    let polled = as_(
        &h,
        &token,
        Method::GET,
        "/api/tasks/poll/work?workerid=w",
        None,
    )
    .await;
    assert_eq!(polled.status.as_u16(), 204, "{}", polled.text);
    h.post(
        "/api/token",
        &json!({"keyId": id, "keySecret": "bks_no"}).to_string(),
    )
    .await
    .assert_error(401, id);
    h.shutdown().await;
}

#[tokio::test]
async fn each_role_against_each_endpoint_group() {
    let (h, k) = secured();
    // Definitions: read L2+, change L1+.
    as_(&h, &k.l3, Method::GET, "/api/metadata/workflow", None)
        .await
        .assert_error(403, "worker has role L3; reading definitions needs L2");
    as_(&h, &k.l2, Method::GET, "/api/metadata/workflow", None)
        .await
        .assert_ok();
    as_(
        &h,
        &k.l2,
        Method::POST,
        "/api/metadata/workflow",
        Some(&simple_def("wf")),
    )
    .await
    .assert_error(403, "changing definitions needs L1");
    let listed = as_(&h, &k.l1, Method::GET, "/api/metadata/workflow", None)
        .await
        .json();
    assert_eq!(
        listed.as_array().map(Vec::len),
        Some(0),
        "a refusal registered nothing"
    );
    as_(
        &h,
        &k.l1,
        Method::POST,
        "/api/metadata/workflow",
        Some(&simple_def("wf")),
    )
    .await
    .assert_ok();
    as_(
        &h,
        &k.l1,
        Method::POST,
        "/api/metadata/workflow",
        Some(&human_def()),
    )
    .await
    .assert_ok();

    // Starting: L3 never; L2 in its own domain only; L1 anywhere.
    let start = json!({"name": "wf", "input": {"x": 1}}).to_string();
    as_(&h, &k.l3, Method::POST, "/api/workflow", Some(&start))
        .await
        .assert_error(403, "L3");
    let elsewhere = json!({"name": "wf", "domain": "b"}).to_string();
    as_(&h, &k.l2, Method::POST, "/api/workflow", Some(&elsewhere))
        .await
        .assert_error(403, "domain `b`");
    let mine = as_(&h, &k.l2, Method::POST, "/api/workflow", Some(&start)).await;
    mine.assert_ok();
    let in_a = mine.text.trim().to_string();
    let w = as_(
        &h,
        &k.l2,
        Method::GET,
        &format!("/api/workflow/{in_a}"),
        None,
    )
    .await
    .json();
    assert_eq!(w["domain"], "a", "an L2 start lands in its own domain: {w}");
    let anywhere = as_(&h, &k.l1, Method::POST, "/api/workflow", Some(&start)).await;
    anywhere.assert_ok();
    let no_domain = anywhere.text.trim().to_string();
    let searched = as_(&h, &k.l1, Method::GET, "/api/workflow/search", None)
        .await
        .json();
    assert_eq!(
        searched["totalHits"], 2,
        "refused starts started nothing: {searched}"
    );

    // Reads: L3 never.
    as_(
        &h,
        &k.l3,
        Method::GET,
        &format!("/api/workflow/{in_a}"),
        None,
    )
    .await
    .assert_error(403, "reading workflows needs L2");
    as_(&h, &k.l3, Method::GET, "/api/v1/approvals", None)
        .await
        .assert_error(403, "L2");

    // Operating: L2 in its own domain, L1 anywhere, L3 never.
    as_(
        &h,
        &k.l2_other,
        Method::PUT,
        &format!("/api/workflow/{in_a}/pause"),
        None,
    )
    .await
    .assert_error(403, "domain `a`");
    as_(
        &h,
        &k.l2,
        Method::PUT,
        &format!("/api/workflow/{no_domain}/pause"),
        None,
    )
    .await
    .assert_error(403, "without a domain");
    as_(
        &h,
        &k.l3,
        Method::PUT,
        &format!("/api/workflow/{in_a}/pause"),
        None,
    )
    .await
    .assert_error(403, "L3");
    let w = as_(
        &h,
        &k.l1,
        Method::GET,
        &format!("/api/workflow/{in_a}"),
        None,
    )
    .await
    .json();
    assert_eq!(w["status"], "RUNNING", "refusals paused nothing: {w}");
    as_(
        &h,
        &k.l2,
        Method::PUT,
        &format!("/api/workflow/{in_a}/pause"),
        None,
    )
    .await
    .assert_ok();
    as_(
        &h,
        &k.l1,
        Method::PUT,
        &format!("/api/workflow/{in_a}/resume"),
        None,
    )
    .await
    .assert_ok();
    as_(
        &h,
        &k.l2_other,
        Method::DELETE,
        &format!("/api/workflow/{in_a}/remove"),
        None,
    )
    .await
    .assert_error(403, "domain `a`");
    let history = as_(
        &h,
        &k.l1,
        Method::GET,
        &format!("/api/v1/workflows/{in_a}/history"),
        None,
    )
    .await
    .json();
    let paused = history
        .as_array()
        .and_then(|h| h.iter().find(|e| e["event"]["event"] == "paused"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(paused["event"]["by"]["name"], "station-a", "{history}");
    assert_eq!(paused["event"]["by"]["role"], "L2", "{history}");
    assert!(
        paused["event"]["by"]["key_id"]
            .as_str()
            .is_some_and(|k| k.starts_with("bk_"))
    );

    // Tasks: every role may poll; L3 is the worker.
    let t = as_(
        &h,
        &k.l3,
        Method::GET,
        "/api/tasks/poll/work?workerid=w1",
        None,
    )
    .await;
    t.assert_ok();

    // HUMAN tasks: L1 may not decide (default L0), L3 may not even report; L0 may, both ways.
    let started = as_(
        &h,
        &k.l1,
        Method::POST,
        "/api/workflow",
        Some(&json!({"name": "ask"}).to_string()),
    )
    .await;
    let ask = started.text.trim().to_string();
    let decide = format!("/api/v1/workflows/{ask}/approvals/ok");
    as_(
        &h,
        &k.l1,
        Method::POST,
        &decide,
        Some(r#"{"decision": "approve"}"#),
    )
    .await
    .assert_error(403, "needs L0");
    let w = as_(
        &h,
        &k.l1,
        Method::GET,
        &format!("/api/workflow/{ask}"),
        None,
    )
    .await
    .json();
    let tid = w["tasks"][0]["taskId"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let done =
        json!({"taskId": tid, "workflowInstanceId": ask, "status": "COMPLETED", "workerId": "w1"})
            .to_string();
    as_(&h, &k.l3, Method::POST, "/api/tasks", Some(&done))
        .await
        .assert_error(403, "workers cannot update HUMAN task");
    let w = as_(
        &h,
        &k.l1,
        Method::GET,
        &format!("/api/workflow/{ask}"),
        None,
    )
    .await
    .json();
    assert_eq!(
        w["tasks"][0]["status"], "IN_PROGRESS",
        "a refused decision changed nothing: {w}"
    );
    as_(&h, &k.l0, Method::POST, "/api/tasks", Some(&done))
        .await
        .assert_ok();
    let w = as_(
        &h,
        &k.l1,
        Method::GET,
        &format!("/api/workflow/{ask}"),
        None,
    )
    .await
    .json();
    assert_eq!(w["status"], "COMPLETED", "{w}");

    // Keys: L0 only.
    as_(&h, &k.l1, Method::GET, "/api/v1/tokens", None)
        .await
        .assert_error(403, "managing API keys needs L0");
    let made = as_(
        &h,
        &k.l0,
        Method::POST,
        "/api/v1/tokens",
        Some(r#"{"role": "L2", "domain": "c", "name": "ci"}"#),
    )
    .await
    .json();
    assert_eq!(made["role"], "L2");
    let token = format!(
        "{}:{}",
        made["keyId"].as_str().unwrap_or_default(),
        made["keySecret"].as_str().unwrap_or_default()
    );
    as_(&h, &token, Method::GET, "/api/metadata/workflow", None)
        .await
        .assert_ok();
    as_(
        &h,
        &k.l0,
        Method::POST,
        "/api/v1/tokens",
        Some(r#"{"role": "L2"}"#),
    )
    .await
    .assert_error(400, "domain");
    as_(
        &h,
        &k.l0,
        Method::POST,
        "/api/v1/tokens",
        Some(r#"{"role": "L9"}"#),
    )
    .await
    .assert_error(400, "not a role");
    let list = as_(&h, &k.l0, Method::GET, "/api/v1/tokens", None).await;
    assert!(
        !list.text.contains("bks_"),
        "no secret is ever listed: {}",
        list.text
    );
    let key_id = made["keyId"].as_str().unwrap_or_default();
    as_(
        &h,
        &k.l0,
        Method::DELETE,
        &format!("/api/v1/tokens/{key_id}"),
        None,
    )
    .await
    .assert_ok();
    as_(&h, &token, Method::GET, "/api/metadata/workflow", None)
        .await
        .assert_error(401, "revoked");
    as_(
        &h,
        &k.l0,
        Method::DELETE,
        &format!("/api/v1/tokens/{key_id}"),
        None,
    )
    .await
    .assert_error(404, key_id);
    h.shutdown().await;
}
