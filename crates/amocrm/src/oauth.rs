//! OAuth2 for amoCRM (AMOCRM.md §2.1): the authorization URL a person opens,
//! the code exchange, and the refresh of a single-use refresh token.
//! `tsifra amocrm connect` and the server's redirect endpoint are built on these.

use serde_json::json;

use crate::config::AmocrmConfig;
use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::token::{FileTokenStore, TokenPair, TokenStore};
use crate::wire::TokenResponse;

/// The integration's credentials.
#[derive(Clone, Debug)]
pub struct OAuthApp {
    pub client_id: String,
    pub client_secret: Secret,
    pub redirect_uri: String,
}

impl OAuthApp {
    pub fn from_config(config: &AmocrmConfig) -> Self {
        OAuthApp {
            client_id: config.client_id.clone(),
            client_secret: config.client_secret.clone(),
            redirect_uri: config.redirect_uri.clone(),
        }
    }
}

/// Where a person grants access: `www.amocrm.ru/oauth` for amoCRM, `www.kommo.com/oauth`
/// for Kommo, and the base URL itself for anything else (the fake server).
pub fn authorize_url(base_url: &str, app: &OAuthApp, state: &str) -> String {
    let base = base_url.trim_end_matches('/');
    let host = if base.contains(".kommo.com") {
        "https://www.kommo.com".to_string()
    } else if base.contains(".amocrm.ru") {
        "https://www.amocrm.ru".to_string()
    } else if base.contains(".amocrm.com") {
        "https://www.amocrm.com".to_string()
    } else {
        base.to_string()
    };
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", &app.client_id)
        .append_pair("state", state)
        .append_pair("mode", "post_message")
        .finish();
    format!("{host}/oauth?{query}")
}

/// A fresh `state` value to tie the redirect to this attempt.
pub fn new_state() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    format!("{:016x}", h.finish())
}

/// What the redirect carried: the code (valid 20 minutes), the account address
/// (`referer`, to store as the base URL) and the state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redirect {
    pub code: Secret,
    pub referer: Option<String>,
    pub state: Option<String>,
}

/// Reads what a person pasted: the whole redirect URL, its query string, or the bare code.
pub fn parse_redirect(input: &str) -> Result<Redirect> {
    let input = input.trim();
    let query = match input.split_once('?') {
        Some((_, q)) => q,
        None if input.contains("code=") || input.contains("error=") => input,
        None if !input.is_empty() && !input.contains(char::is_whitespace) => {
            return Ok(Redirect {
                code: Secret::new(input),
                referer: None,
                state: None,
            });
        }
        None => return Err(Error::Config("expected the redirect URL or the code from it".into())),
    };
    let mut code = None;
    let mut referer = None;
    let mut state = None;
    for (k, v) in form_urlencoded::parse(query.split('#').next().unwrap_or("").as_bytes()) {
        match k.as_ref() {
            "code" => code = Some(Secret::new(v.into_owned())),
            "referer" => referer = Some(v.into_owned()),
            "state" => state = Some(v.into_owned()),
            "error" => return Err(Error::Config(format!("amoCRM refused access: {v}"))),
            _ => {}
        }
    }
    let referer = referer.map(|r| if r.starts_with("http") { r } else { format!("https://{r}") });
    Ok(Redirect {
        code: code.ok_or_else(|| Error::Config("the redirect has no code".into()))?,
        referer,
        state,
    })
}

async fn token_request(http: &reqwest::Client, base_url: &str, body: serde_json::Value) -> Result<TokenPair> {
    let url = format!("{}/oauth2/access_token", base_url.trim_end_matches('/'));
    let response = http.post(&url).json(&body).send().await.map_err(|e| Error::RetriesExhausted {
        path: "/oauth2/access_token".into(),
        attempts: 1,
        last: e.to_string(),
    })?;
    let status = response.status().as_u16();
    if !(200..300).contains(&status) {
        let detail = crate::client::problem_detail(response).await;
        // A spent or revoked refresh token (or a stale code) answers 400/401.
        return Err(match status {
            400 | 401 => Error::Unauthorized {
                detail: format!(": {detail}"),
            },
            403 => Error::Blocked,
            _ => Error::Api {
                status,
                path: "/oauth2/access_token".into(),
                detail,
            },
        });
    }
    let t: TokenResponse = response.json().await.map_err(|e| Error::Decode {
        path: "/oauth2/access_token".into(),
        message: e.to_string(),
    })?;
    let now = t.server_time.unwrap_or_else(|| chrono::Utc::now().timestamp());
    Ok(TokenPair {
        access_token: t.access_token,
        refresh_token: t.refresh_token,
        expires_at: now + t.expires_in.unwrap_or(86_400),
    })
}

/// Trades an authorization code for the first token pair.
pub async fn exchange_code(http: &reqwest::Client, base_url: &str, app: &OAuthApp, code: &Secret) -> Result<TokenPair> {
    token_request(
        http,
        base_url,
        json!({
            "client_id": app.client_id,
            "client_secret": app.client_secret.expose(),
            "grant_type": "authorization_code",
            "code": code.expose(),
            "redirect_uri": app.redirect_uri,
        }),
    )
    .await
}

/// Trades a (single-use) refresh token for a new pair. Save the result before using it.
pub async fn refresh(http: &reqwest::Client, base_url: &str, app: &OAuthApp, refresh_token: &Secret) -> Result<TokenPair> {
    token_request(
        http,
        base_url,
        json!({
            "client_id": app.client_id,
            "client_secret": app.client_secret.expose(),
            "grant_type": "refresh_token",
            "refresh_token": refresh_token.expose(),
            "redirect_uri": app.redirect_uri,
        }),
    )
    .await
}

/// The end of `tsifra amocrm connect` and of the server's redirect endpoint:
/// exchanges the code and saves the pair in `data_dir/amocrm-tokens.json`.
pub async fn connect(config: &AmocrmConfig, data_dir: &std::path::Path, code: &Secret) -> Result<TokenPair> {
    crate::client::install_crypto_provider();
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?;
    let pair = exchange_code(&http, config.base(), &OAuthApp::from_config(config), code).await?;
    FileTokenStore::new(data_dir).save(&pair)?;
    Ok(pair)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_redirects() {
        let app = OAuthApp {
            client_id: "abc-1".into(),
            client_secret: "s".into(),
            redirect_uri: "https://x/cb".into(),
        };
        assert_eq!(
            authorize_url("https://acme.amocrm.ru", &app, "st"),
            "https://www.amocrm.ru/oauth?client_id=abc-1&state=st&mode=post_message"
        );
        assert!(authorize_url("https://acme.kommo.com/", &app, "st").starts_with("https://www.kommo.com/oauth?"));
        let r = parse_redirect("https://x/cb?code=def502&state=st&referer=acme.amocrm.ru&platform=1").unwrap();
        assert_eq!(r.code.expose(), "def502");
        assert_eq!(r.referer.as_deref(), Some("https://acme.amocrm.ru"));
        assert_eq!(r.state.as_deref(), Some("st"));
        assert_eq!(parse_redirect("def502").unwrap().code.expose(), "def502");
        assert!(parse_redirect("https://x/cb?error=access_denied").is_err());
        assert!(parse_redirect("").is_err());
    }
}
