//! Tokens, rate limits, server errors, timeouts and a blocked account.

use std::sync::Arc;
use std::time::Duration;

use tsifra_amocrm::fake::{self, FakeOptions, Faults};
use tsifra_amocrm::sync::no_progress;
use tsifra_amocrm::token::TokenStore;
use tsifra_amocrm::{AmocrmConfig, Auth, Client, Error, FileTokenStore, MemoryStore, MemoryTokenStore, OAuthApp, SyncMode, oauth};

use crate::common::*;

fn app(fake: &tsifra_amocrm::fake::FakeAmocrm) -> OAuthApp {
    let o = fake.options();
    OAuthApp {
        client_id: o.client_id.clone(),
        client_secret: o.client_secret.clone().into(),
        redirect_uri: o.redirect_uri.clone(),
    }
}

#[tokio::test]
async fn revoked_token_stops_with_how_to_reconnect_and_no_token_text() {
    let fake = fake::start(
        workspace(5),
        FakeOptions {
            rate_limit: None,
            long_lived_token: None,
            ..FakeOptions::default()
        },
    )
    .await
    .unwrap();
    let pair = fake.issue_tokens();
    let tokens = Arc::new(MemoryTokenStore::new(Some(pair.clone())));
    let client = client(
        &fake.base_url(),
        Auth::OAuth {
            app: app(&fake),
            store: tokens.clone(),
        },
        500,
    );
    let store = Arc::new(MemoryStore::new());
    let engine = engine(client, store.clone(), 50);
    fake.revoke_tokens();
    let err = engine.run(SyncMode::Auto, &no_progress).await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::Unauthorized { .. }), "{err:?}");
    assert!(text.contains("tsifra amocrm connect"), "{text}");
    for secret in [pair.access_token.expose(), pair.refresh_token.expose()] {
        assert!(
            !text.contains(secret) && !format!("{err:?}").contains(secret),
            "token leaked: {text}"
        );
    }
    assert!(store.workspace().deals.is_empty());

    // A long-lived token that was revoked says the same.
    let ll = client_for_long_lived(&fake.base_url(), "revoked-long-lived");
    let err = ll.page::<serde_json::Value>("/api/v4/leads", &[]).await.unwrap_err();
    assert!(
        err.to_string().contains("tsifra amocrm connect") && !err.to_string().contains("revoked-long-lived"),
        "{err}"
    );
}

fn client_for_long_lived(base: &str, token: &str) -> Arc<Client> {
    client(base, Auth::LongLived(token.into()), 500)
}

#[tokio::test]
async fn expired_access_token_is_refreshed_once_and_saved_before_use() {
    let ws = workspace(20);
    let fake = fake::start(
        ws.clone(),
        FakeOptions {
            rate_limit: None,
            long_lived_token: None,
            ..FakeOptions::default()
        },
    )
    .await
    .unwrap();
    let old = fake.issue_tokens();
    let tokens = Arc::new(MemoryTokenStore::new(Some(old.clone())));
    let client = client(
        &fake.base_url(),
        Auth::OAuth {
            app: app(&fake),
            store: tokens.clone(),
        },
        500,
    );
    fake.expire_access_tokens();
    // Concurrent requests all hit 401; exactly one refresh happens.
    let calls: Vec<_> = (0..6)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move { c.page::<serde_json::Value>("/api/v4/leads", &[("limit".into(), "5".into())]).await })
        })
        .collect();
    for call in calls {
        assert_eq!(call.await.unwrap().unwrap().items.len(), 5);
    }
    assert_eq!(fake.stats().refreshes, 1, "refreshes are serialised");
    assert_eq!(tokens.saves(), 1);
    let new = tokens.load().unwrap().unwrap();
    assert_ne!(new.refresh_token, old.refresh_token);
    // The spent refresh token is dead (single use).
    let err = oauth::refresh(client.http(), &fake.base_url(), &app(&fake), &old.refresh_token)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unauthorized { .. }), "{err:?}");
    let store = Arc::new(MemoryStore::new());
    engine(client, store.clone(), 50).run(SyncMode::Auto, &no_progress).await.unwrap();
    assert_same(&store.workspace(), &ws);
}

#[tokio::test]
async fn connect_flow_stores_tokens_owner_only_and_the_client_uses_them() {
    let fake = fake::start(
        workspace(3),
        FakeOptions {
            rate_limit: None,
            long_lived_token: None,
            ..FakeOptions::default()
        },
    )
    .await
    .unwrap();
    let o = fake.options().clone();
    let config = AmocrmConfig {
        base_url: fake.base_url(),
        client_id: o.client_id.clone(),
        client_secret: o.client_secret.clone().into(),
        redirect_uri: o.redirect_uri.clone(),
        ..AmocrmConfig::default()
    };
    let url = oauth::authorize_url(&config.base_url, &OAuthApp::from_config(&config), "st-1");
    // The fake's consent page redirects at once; read the Location as a browser would.
    tsifra_amocrm::client::install_crypto_provider();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let location = http.get(&url).send().await.unwrap().headers()["location"]
        .to_str()
        .unwrap()
        .to_string();
    let redirect = oauth::parse_redirect(&location).unwrap();
    assert_eq!(redirect.state.as_deref(), Some("st-1"));
    let dir = tempfile::tempdir().unwrap();
    oauth::connect(&config, dir.path(), &redirect.code).await.unwrap();
    let saved = FileTokenStore::new(dir.path());
    assert!(saved.load().unwrap().is_some());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(saved.path()).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let client = Client::from_config(&config, dir.path()).unwrap();
    #[derive(serde::Deserialize)]
    struct Section {
        amocrm: AmocrmConfig,
    }
    let snippet: Section = toml::from_str(&fake.config_snippet()).unwrap();
    assert_eq!(snippet.amocrm.client_id, config.client_id);
    snippet.amocrm.validate().unwrap();
    let users = client.page::<serde_json::Value>("/api/v4/users", &[]).await.unwrap();
    assert_eq!(users.items.len(), 4);
    assert!(!format!("{client:?}").contains("fake-access"), "{client:?}");
}

#[tokio::test]
async fn rate_limit_storm_completes_and_stays_under_the_limit() {
    let ws = workspace(30);
    let fake = fake::start(
        ws.clone(),
        FakeOptions {
            rate_limit: Some(7),
            ..FakeOptions::default()
        },
    )
    .await
    .unwrap();
    fake.set_faults(Faults {
        rate_limit_every: Some(3),
        retry_after_s: 0.2,
        ..Faults::default()
    });
    let store = Arc::new(MemoryStore::new());
    let report = engine(client(&fake.base_url(), long_lived(&fake), 7), store.clone(), 50)
        .run(SyncMode::Auto, &no_progress)
        .await
        .unwrap();
    let stats = fake.stats();
    assert!(stats.injected_429 >= 5, "{stats:?}");
    assert_eq!(stats.over_limit, 0, "never more than 7 in a second: {stats:?}");
    assert!(stats.max_per_second <= 7);
    assert_same(&store.workspace(), &ws);
    eprintln!("storm: {report:?} {stats:?}");
}

#[tokio::test]
async fn server_errors_and_timeouts_are_retried() {
    let ws = workspace(30);
    let fake = fake_unlimited(ws.clone()).await;
    fake.set_faults(Faults {
        server_error_every: Some(4),
        server_error_next: 2,
        hang_every: Some(9),
        hang_for: Duration::from_secs(3),
        ..Faults::default()
    });
    let client = Arc::new(
        Client::new(
            &fake.base_url(),
            long_lived(&fake),
            tsifra_amocrm::ClientOptions {
                requests_per_second: 500,
                timeout: Duration::from_millis(700),
                retry: fast_retry(),
                ..Default::default()
            },
        )
        .unwrap(),
    );
    let store = Arc::new(MemoryStore::new());
    engine(client, store.clone(), 50).run(SyncMode::Auto, &no_progress).await.unwrap();
    assert!(fake.stats().injected_5xx >= 3);
    assert_same(&store.workspace(), &ws);

    // A server that never recovers: the error says so after the attempts run out.
    fake.set_faults(Faults {
        server_error_every: Some(1),
        ..Faults::default()
    });
    let err = client_for_long_lived(&fake.base_url(), "fake-long-lived-token")
        .page::<serde_json::Value>("/api/v4/leads", &[])
        .await
        .unwrap_err();
    assert!(matches!(err, Error::RetriesExhausted { attempts: 6, .. }), "{err}");
}

#[tokio::test]
async fn blocked_account_stops_at_once() {
    let fake = fake_unlimited(workspace(5)).await;
    fake.set_faults(Faults {
        blocked: true,
        ..Faults::default()
    });
    let store = Arc::new(MemoryStore::new());
    let err = engine(client(&fake.base_url(), long_lived(&fake), 500), store, 50)
        .run(SyncMode::Auto, &no_progress)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Blocked), "{err:?}");
    assert!(err.to_string().contains("blocked"), "{err}");
    // The seven dictionary requests go out together; none is retried.
    assert!(
        fake.stats().requests <= 7,
        "no retries against a blocked account: {:?}",
        fake.stats()
    );
}

#[tokio::test]
async fn fields_are_listed_with_ids_and_types() {
    let fake = fake_unlimited(workspace(3)).await;
    let fields = tsifra_amocrm::list_fields(&client(&fake.base_url(), long_lived(&fake), 500))
        .await
        .unwrap();
    let margin = fields.iter().find(|f| f.def.id == 7001).unwrap();
    assert_eq!((margin.def.name.as_str(), margin.amo_type.as_str()), ("Маржа", "monetary"));
    assert_eq!(margin.def.entity, tsifra_core::model::EntityKind::Deal);
    assert!(
        fields
            .iter()
            .any(|f| f.amo_type == "multitext" && f.def.entity == tsifra_core::model::EntityKind::Contact)
    );
}

#[tokio::test]
async fn problem_json_errors_carry_their_detail() {
    let fake = fake_unlimited(workspace(3)).await;
    fake.set_faults(Faults {
        bad_request_next: true,
        ..Faults::default()
    });
    let err = client(&fake.base_url(), long_lived(&fake), 500)
        .page::<serde_json::Value>("/api/v4/leads", &[])
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::Api { status: 400, .. }), "{err:?}");
    assert!(
        text.contains("Request validation failed") && text.contains("filter.updated_at"),
        "{text}"
    );
}
