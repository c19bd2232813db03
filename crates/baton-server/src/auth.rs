//! Who is calling, and may they: the server's one authentication and authority gate.
//!
//! [`authenticate`] runs before every handler. It lets `/health`, `/ready` and
//! `POST /api/token` through; otherwise it reads the caller's credential
//! (`X-Authorization: TOKEN`, as Conductor's SDKs send it, or `Authorization: Bearer
//! TOKEN`), looks the key up in the store, maps the route to one
//! [`baton_core::Action`] and asks [`baton_core::permit`] — the only place roles are
//! weighed for requests. The caller's [`Principal`] goes to the handlers as [`Caller`];
//! what a request does to a workflow is checked again by the decider's `authorize`
//! with the same principal (the domain of an L2 caller, a HUMAN task's role).
//!
//! A token is `KEY_ID:KEY_SECRET` (what `POST /api/token` answers for a valid key id
//! and secret, and what `baton token create` prints). Missing or bad: 401; not allowed:
//! 403 naming the role or domain needed. Neither changes anything.

use crate::app::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiPath, json_body};
use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use baton_core::{Action, Principal, permit};
use baton_model::Role;
use baton_store::ApiKey;
use baton_store::keys::{parse_role, role_name};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Whether the server asks who is calling.
#[derive(Debug, Clone, PartialEq)]
pub enum AuthMode {
    /// Every request but `/health`, `/ready` and `POST /api/token` needs a valid token.
    Required,
    /// No tokens: every request acts as this principal (embedding, tests, a socket only
    /// its owner can reach, `baton server --insecure-no-auth`).
    Disabled(Principal),
}

impl Default for AuthMode {
    fn default() -> Self {
        AuthMode::Disabled(Principal::new("api", Role::L0))
    }
}

/// The caller of a request, for handlers.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Who.
    pub principal: Principal,
    /// Whether a token said so (false when authentication is disabled).
    pub authenticated: bool,
}

impl Caller {
    /// The principal of a worker's poll or report: the caller when a token with more
    /// authority than a worker's sent it (an L0 completing a HUMAN task the Conductor
    /// way), else a worker named by its `workerId`.
    pub fn worker(&self, worker_id: &str) -> Principal {
        if self.authenticated && self.principal.role < Role::L3 {
            return self.principal.clone();
        }
        let w = Principal::worker(worker_id);
        match &self.principal.key_id {
            Some(k) if self.authenticated => w.with_key(k.clone()),
            _ => w,
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, ApiError> {
        if let Some(c) = parts.extensions.get::<Caller>() {
            return Ok(c.clone());
        }
        // Only without the middleware (a router built by hand in a test).
        Ok(Caller {
            principal: st.operator(),
            authenticated: false,
        })
    }
}

/// The gate in front of every route (see the module documentation).
pub(crate) async fn authenticate(
    State(st): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path().trim_end_matches('/').to_string();
    let open = path == "/health"
        || path == "/ready"
        || (req.method() == Method::POST && path == "/api/token");
    if open {
        return next.run(req).await;
    }
    let caller = match &st.config.auth {
        AuthMode::Disabled(p) => Caller {
            principal: p.clone(),
            authenticated: false,
        },
        AuthMode::Required => match identify(&st, credential(&req)).await {
            Ok(p) => Caller {
                principal: p,
                authenticated: true,
            },
            Err(e) => return e.into_response(),
        },
    };
    if caller.authenticated
        && let Some(action) = action_for(req.method(), &path, &caller.principal)
        && let Err(refusal) = permit(&caller.principal, &action)
    {
        return ApiError::refused(&refusal).into_response();
    }
    req.extensions_mut().insert(caller);
    next.run(req).await
}

/// The action a route is, for the request-level check; `None` for what any caller may
/// do (the OpenAPI document). Starts and operator routes are checked coarsely here
/// (a caller of that rank in its own domain) and exactly by the decider, which knows the
/// workflow's domain.
fn action_for<'p>(method: &Method, path: &str, by: &'p Principal) -> Option<Action<'p>> {
    let own = by.domain.as_deref();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let read = method == Method::GET || method == Method::HEAD;
    Some(match segments.as_slice() {
        ["api", "v1", "openapi.json"] => return None,
        ["api", "metadata", ..] if read => Action::ReadDefinitions,
        ["api", "metadata", ..] => Action::ChangeDefinitions,
        ["api", "tasks", ..] => Action::WorkTasks,
        ["api", "workflow", ..] if read => Action::ReadWorkflows,
        ["api", "workflow", "correlated", ..] => Action::ReadWorkflows,
        ["api", "workflow"] | ["api", "workflow", _] if method == Method::POST => {
            Action::StartWorkflow { domain: own }
        }
        ["api", "workflow", ..] => Action::OperateWorkflow { domain: own },
        ["api", "v1", "tokens", ..] => Action::ManageTokens,
        ["api", "v1", "workflows", ..] if read => Action::ReadWorkflows,
        ["api", "v1", "workflows", ..] => Action::OperateWorkflow { domain: own },
        _ => Action::ReadWorkflows,
    })
}

/// The request's credential, if it sent one.
fn credential(req: &Request) -> Option<String> {
    let headers = req.headers();
    headers
        .get("x-authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .or_else(|| {
            headers
                .get(axum::http::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().strip_prefix("Bearer "))
                .map(str::trim)
        })
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

/// The principal the request's token names, or 401.
async fn identify(st: &AppState, token: Option<String>) -> ApiResult<Principal> {
    let token = token.ok_or_else(|| {
        unauthorized(
            "this server needs a token: send `X-Authorization: TOKEN` (Conductor SDKs: \
                 set the key id and secret) or `Authorization: Bearer TOKEN`; create a key \
                 with `baton token create --role L1`",
        )
    })?;
    let Some((key_id, secret)) = token.split_once(':') else {
        return Err(unauthorized(
            "the token is not KEY_ID:KEY_SECRET (as `POST /api/token` or `baton token create` give it)",
        ));
    };
    let key = lookup(st, key_id).await?;
    match key {
        Some(k) if k.accepts(secret) => Ok(principal_of(&k)),
        Some(k) if k.revoked_at.is_some() => Err(unauthorized(format!(
            "API key {key_id} was revoked; create a new one with `baton token create`"
        ))),
        _ => Err(unauthorized(format!(
            "the token is not valid: no API key {key_id} with that secret"
        ))),
    }
}

/// The audit trail's name for a key's caller.
fn principal_of(k: &ApiKey) -> Principal {
    Principal::new(k.name.clone(), k.role)
        .with_domain(k.domain.clone())
        .with_key(k.key_id.clone())
}

async fn lookup(st: &AppState, key_id: &str) -> ApiResult<Option<ApiKey>> {
    let key_id = key_id.to_string();
    crate::app::read(st, move |r| Ok(r.api_key(&key_id)?)).await
}

fn unauthorized(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, message)
}

/// The token routes.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(token))
        .routes(routes!(create_key, list_keys))
        .routes(routes!(revoke_key))
}

/// `POST /api/token` body (Conductor's `GenerateTokenRequest`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct TokenRequest {
    /// The API key's id.
    key_id: String,
    /// Its secret.
    key_secret: String,
}

/// `POST /api/token` answer.
#[derive(Debug, Serialize, ToSchema)]
struct TokenAnswer {
    /// Send it as `X-Authorization`.
    token: String,
}

/// Exchanges an API key id and secret for the token requests carry (Conductor's
/// endpoint: its SDKs call it with their key id and secret).
#[utoipa::path(post, path = "/api/token", tag = "auth", request_body = TokenRequest,
    responses(
        (status = 200, description = "The token", body = TokenAnswer),
        (status = 401, description = "Unknown key, wrong secret or revoked", body = ErrorBody),
    ))]
async fn token(State(st): State<AppState>, body: Bytes) -> ApiResult<Json<TokenAnswer>> {
    let req: TokenRequest = json_body(&body, "token request ({\"keyId\", \"keySecret\"})", None)?;
    let key = lookup(&st, &req.key_id).await?;
    match key {
        Some(k) if k.accepts(&req.key_secret) => Ok(Json(TokenAnswer {
            token: format!("{}:{}", req.key_id, req.key_secret),
        })),
        _ if matches!(st.config.auth, AuthMode::Disabled(_)) => Ok(Json(TokenAnswer {
            // Nothing is checked here; any token works.
            token: "no-auth".to_string(),
        })),
        _ => Err(unauthorized(format!(
            "no valid API key {} with that secret (unknown, wrong secret or revoked)",
            req.key_id
        ))),
    }
}

/// `POST /api/v1/tokens` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewKeyRequest {
    /// `L0` … `L3`.
    pub role: String,
    /// The domain an L2 key acts in.
    #[serde(default)]
    pub domain: Option<String>,
    /// A label (the audit trail's name for the caller).
    #[serde(default)]
    pub name: Option<String>,
}

/// A new key: its secret is shown this once.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewKey {
    /// The key's id.
    pub key_id: String,
    /// The secret (stored only as a hash: keep it).
    pub key_secret: String,
    /// `L0` … `L3`.
    pub role: String,
    /// The domain of an L2 key.
    pub domain: Option<String>,
    /// The label.
    pub name: String,
}

/// A key as listed (never its secret).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct KeyInfo {
    /// The key's id.
    pub key_id: String,
    /// The label.
    pub name: String,
    /// `L0` … `L3`.
    pub role: String,
    /// The domain of an L2 key.
    pub domain: Option<String>,
    /// When it was created (ms since the epoch).
    pub created_at: u64,
    /// When it was revoked.
    pub revoked_at: Option<u64>,
}

impl From<&ApiKey> for KeyInfo {
    fn from(k: &ApiKey) -> Self {
        KeyInfo {
            key_id: k.key_id.clone(),
            name: k.name.clone(),
            role: role_name(k.role).to_string(),
            domain: k.domain.clone(),
            created_at: k.created_at,
            revoked_at: k.revoked_at,
        }
    }
}

/// A new API key from a request, or why not (shared with the CLI's local path).
pub fn new_key(req: &NewKeyRequest, now: u64) -> Result<(ApiKey, NewKey), String> {
    let role = parse_role(&req.role)
        .ok_or_else(|| format!("`{}` is not a role: use L0, L1, L2 or L3", req.role))?;
    let domain = req.domain.clone().filter(|d| !d.trim().is_empty());
    if role == Role::L2 && domain.is_none() {
        return Err("an L2 key acts in one domain: give it one (--domain NAME)".to_string());
    }
    let name = req.name.clone().unwrap_or_default();
    if name.chars().count() > 256 {
        return Err("a key's name may be at most 256 characters".to_string());
    }
    let (key, secret) = ApiKey::generate(&name, role, domain, now).map_err(|e| e.to_string())?;
    let shown = NewKey {
        key_id: key.key_id.clone(),
        key_secret: secret,
        role: role_name(role).to_string(),
        domain: key.domain.clone(),
        name: key.name.clone(),
    };
    Ok((key, shown))
}

/// Creates an API key (L0); the answer shows its secret once.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "auth", request_body = NewKeyRequest,
    responses(
        (status = 200, description = "The new key with its secret", body = NewKey),
        (status = 400, description = "Bad role or domain", body = ErrorBody),
        (status = 403, description = "Only L0 manages keys", body = ErrorBody),
    ))]
async fn create_key(State(st): State<AppState>, body: Bytes) -> ApiResult<Json<NewKey>> {
    let req: NewKeyRequest = json_body(
        &body,
        "key request ({\"role\", \"domain\", \"name\"})",
        None,
    )?;
    let (key, shown) =
        new_key(&req, crate::conductor::tasks::now_ms()).map_err(ApiError::bad_request)?;
    st.engine.with_tx(move |tx| tx.insert_api_key(&key)).await?;
    Ok(Json(shown))
}

/// Lists API keys (never their secrets).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "auth",
    responses(
        (status = 200, description = "Every key, revoked ones too", body = Vec<KeyInfo>),
        (status = 403, description = "Only L0 manages keys", body = ErrorBody),
    ))]
async fn list_keys(State(st): State<AppState>) -> ApiResult<Json<Vec<KeyInfo>>> {
    let keys = crate::app::read(&st, |r| Ok(r.api_keys()?)).await?;
    Ok(Json(keys.iter().map(KeyInfo::from).collect()))
}

/// Revokes an API key: it authenticates nobody from now on.
#[utoipa::path(delete, path = "/api/v1/tokens/{keyId}", tag = "auth",
    params(("keyId" = String, Path, description = "The key's id")),
    responses(
        (status = 200, description = "Revoked"),
        (status = 403, description = "Only L0 manages keys", body = ErrorBody),
        (status = 404, description = "No such key, or revoked already", body = ErrorBody),
    ))]
async fn revoke_key(
    State(st): State<AppState>,
    ApiPath(key_id): ApiPath<String>,
) -> ApiResult<Response> {
    let id = key_id.clone();
    let revoked = st
        .engine
        .with_tx(move |tx| tx.revoke_api_key(&id, crate::conductor::tasks::now_ms()))
        .await?;
    if !revoked {
        return Err(ApiError::not_found(format!(
            "no API key {key_id} to revoke (unknown, or revoked already)"
        )));
    }
    Ok(Response::new(Body::empty()))
}
