//! The HTTP plumbing shared by the runtime's HTTP sources and by `flags-build`'s sync: one
//! TLS set-up (rustls with `ring`, the platform's verifier), error messages that never carry a
//! URL (where credentials hide), and URL redaction for logs and provenance.

use std::sync::Arc;

/// rustls with the `ring` provider and the platform's certificate verifier; without
/// platform roots, no root at all (plain `http` still works; `https` fails with a clear error).
pub fn tls_config() -> rustls::ClientConfig {
    use rustls_platform_verifier::BuilderVerifierExt;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = || {
        rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
    };
    let config = builder()
        .and_then(|b| b.with_platform_verifier())
        .map(|b| b.with_no_client_auth());
    let mut config = match config {
        Ok(config) => config,
        Err(error) => {
            tracing::warn!(target: "flags", "no platform certificate verifier: {error}");
            match builder() {
                Ok(b) => b
                    .with_root_certificates(rustls::RootCertStore::empty())
                    .with_no_client_auth(),
                Err(_) => rustls::ClientConfig::builder_with_provider(provider.clone())
                    .with_protocol_versions(rustls::DEFAULT_VERSIONS)
                    .unwrap_or_else(|_| unreachable!("ring supports the default versions"))
                    .with_root_certificates(rustls::RootCertStore::empty())
                    .with_no_client_auth(),
            }
        }
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    config
}

/// An error and its causes, without the URL (which may carry credentials).
pub fn describe_error(error: &reqwest::Error) -> String {
    let mut message = if error.is_timeout() {
        "timed out".to_owned()
    } else if error.is_connect() {
        "cannot connect".to_owned()
    } else {
        "request failed".to_owned()
    };
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.ends_with(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}

/// The URL without user information, query or fragment (where credentials hide).
pub fn redact_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) => {
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            parsed.set_query(None);
            parsed.set_fragment(None);
            parsed.to_string()
        }
        // Not a URL: keep the scheme and host-looking part only.
        Err(_) => url
            .split(['?', '#'])
            .next()
            .map(|s| match s.rsplit_once('@') {
                Some((_, host)) => host.to_owned(),
                None => s.to_owned(),
            })
            .unwrap_or_default(),
    }
}
