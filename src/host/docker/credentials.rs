//! The registry credentials the unit's user keeps (`~/.docker/config.json` of `User=`), for the
//! question of what the registry holds before the pull: the unit's own pull runs as that user
//! and uses them, so the question does too. Only credentials written in the file are used
//! (`docker login` without a credential helper); one a helper keeps (`credsStore`,
//! `credHelpers`) would need the helper run, and the question goes unasked, saying why.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use camino::Utf8PathBuf;
use serde::Deserialize;
use std::collections::BTreeMap;

/// What the unit's user has for an image's registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Credentials {
    /// Nothing: the question goes without credentials, as the pull would.
    None,
    /// The `X-Registry-Auth` header that carries them to the engine.
    Header(String),
    /// A credential helper keeps them: `docker-credential-NAME`.
    Helper(String),
}

#[derive(Deserialize, Default)]
struct DockerConfig {
    #[serde(default)]
    auths: BTreeMap<String, AuthEntry>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: BTreeMap<String, String>,
}

#[derive(Deserialize, Default)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default, rename = "identitytoken")]
    identity_token: Option<String>,
}

/// The unit's user's credentials for `image`'s registry; `user` `None` is root.
pub(crate) fn for_image(user: Option<&str>, image: &str) -> Credentials {
    let home = match user {
        Some(user) => crate::host::files::users::home_of(user),
        None => Some(Utf8PathBuf::from("/root")),
    };
    let Some(text) = home
        .and_then(|home| crate::host::files::untrusted::read_text(&home.join(".docker/config.json")).ok())
    else {
        return Credentials::None;
    };
    from_config(&text, image)
}

fn from_config(text: &str, image: &str) -> Credentials {
    let Ok(config) = serde_json::from_str::<DockerConfig>(text) else { return Credentials::None };
    let registry = registry_of(image);
    if let Some(helper) = config.cred_helpers.get(registry) {
        return Credentials::Helper(helper.clone());
    }
    let found = config.auths.iter().find(|(key, _)| host_of(key) == registry);
    let inline = found.and_then(|(key, entry)| Some((key, entry, entry.auth.as_deref()?)));
    let Some((key, entry, auth)) = inline else {
        return config.creds_store.map_or(Credentials::None, Credentials::Helper);
    };
    let Some((username, password)) = STANDARD
        .decode(auth.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|pair| pair.split_once(':').map(|(u, p)| (u.to_owned(), p.to_owned())))
    else {
        return Credentials::None;
    };
    let mut header = serde_json::json!({ "username": username, "password": password, "serveraddress": key });
    if let Some(token) = &entry.identity_token {
        header["identitytoken"] = serde_json::Value::String(token.clone());
    }
    Credentials::Header(URL_SAFE.encode(header.to_string()))
}

/// The registry an image reference names, as Docker reads it: the first part where it has a
/// dot, a port or is `localhost`, else Docker Hub.
fn registry_of(image: &str) -> &str {
    match image.split_once('/') {
        Some((first, _)) if first.contains('.') || first.contains(':') || first == "localhost" => first,
        _ => "docker.io",
    }
}

/// A config key's registry: `https://index.docker.io/v1/` is Docker Hub's, others are written
/// with or without a scheme and a path.
fn host_of(key: &str) -> &str {
    let host = key.split_once("://").map_or(key, |(_, rest)| rest);
    let host = host.split('/').next().unwrap_or(host);
    if host == "index.docker.io" || host == "registry-1.docker.io" { "docker.io" } else { host }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_unit_users_login_for_the_images_registry_is_carried() {
        let auth = STANDARD.encode("dragon:s3cret");
        let config = format!(r#"{{"auths": {{"registry.osism.tech": {{"auth": "{auth}"}}}}}}"#);
        let Credentials::Header(header) = from_config(&config, "registry.osism.tech/osism/osism:latest")
        else {
            panic!("no header");
        };
        let said: serde_json::Value = serde_json::from_slice(&URL_SAFE.decode(header).unwrap()).unwrap();
        assert_eq!(said["username"], "dragon");
        assert_eq!(said["password"], "s3cret");
        assert_eq!(said["serveraddress"], "registry.osism.tech");
        assert_eq!(from_config(&config, "busybox"), Credentials::None, "Docker Hub's is another registry");
        let hub = format!(r#"{{"auths": {{"https://index.docker.io/v1/": {{"auth": "{auth}"}}}}}}"#);
        assert!(matches!(from_config(&hub, "library/busybox:latest"), Credentials::Header(_)));
        let helper = r#"{"auths": {"registry.osism.tech": {}}, "credsStore": "pass"}"#;
        assert_eq!(
            from_config(helper, "registry.osism.tech/osism/osism"),
            Credentials::Helper("pass".into())
        );
        assert_eq!(from_config("not json", "busybox"), Credentials::None);
    }
}
