//! The rustls configuration of a [`Transport`](crate::Transport): platform roots, extra roots
//! from PEM, and a client identity for mutual TLS.

use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::ConfigError;

/// rustls with the `ring` provider and the platform's certificate verifier; without
/// platform roots, no root at all (plain `http` still works; `https` fails with a clear error).
fn default_config() -> rustls::ClientConfig {
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

/// What the TLS set-up was asked for.
pub(crate) struct TlsOptions<'a> {
    pub(crate) roots_pem: &'a [Vec<u8>],
    pub(crate) built_in_roots: bool,
    pub(crate) identity: Option<&'a (Vec<u8>, Vec<u8>)>,
}

/// The rustls configuration for `options`.
pub(crate) fn client_config(options: &TlsOptions<'_>) -> Result<rustls::ClientConfig, ConfigError> {
    if options.roots_pem.is_empty() && options.built_in_roots && options.identity.is_none() {
        return Ok(default_config());
    }
    let mut roots = Vec::new();
    for pem in options.roots_pem {
        let before = roots.len();
        for cert in CertificateDer::pem_slice_iter(pem) {
            roots.push(cert.map_err(|e| ConfigError::Certificate {
                message: format!("cannot read the PEM: {e}"),
            })?);
        }
        if roots.len() == before {
            return Err(ConfigError::Certificate {
                message: "no `CERTIFICATE` block in the PEM".to_owned(),
            });
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| ConfigError::Tls {
            message: e.to_string(),
        })?;
    let builder = if !options.built_in_roots {
        if roots.is_empty() {
            return Err(ConfigError::Certificate {
                message: "`tls_built_in_roots(false)` leaves no root to trust; add one with \
                          `add_root_certificate_pem`"
                    .to_owned(),
            });
        }
        builder.with_root_certificates(store(roots)?)
    } else {
        platform(builder, roots, provider)?
    };
    let mut config = match options.identity {
        None => builder.with_no_client_auth(),
        Some((chain_pem, key_pem)) => {
            let chain = CertificateDer::pem_slice_iter(chain_pem)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| ConfigError::Identity {
                    message: format!("cannot read the certificate chain: {e}"),
                })?;
            if chain.is_empty() {
                return Err(ConfigError::Identity {
                    message: "no `CERTIFICATE` block in the certificate chain PEM".to_owned(),
                });
            }
            // The key's own error never shows key material; say only what was wrong.
            let key =
                PrivateKeyDer::from_pem_slice(key_pem).map_err(|_| ConfigError::Identity {
                    message:
                        "no private key (`PRIVATE KEY`, `RSA PRIVATE KEY` or `EC PRIVATE KEY` \
                          block) in the key PEM"
                            .to_owned(),
                })?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| ConfigError::Identity {
                    message: e.to_string(),
                })?
        }
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

fn store(roots: Vec<CertificateDer<'static>>) -> Result<rustls::RootCertStore, ConfigError> {
    let mut store = rustls::RootCertStore::empty();
    for root in roots {
        store.add(root).map_err(|e| ConfigError::Certificate {
            message: e.to_string(),
        })?;
    }
    Ok(store)
}

type WantsVerifier = rustls::ConfigBuilder<rustls::ClientConfig, rustls::WantsVerifier>;
type WantsClientCert = rustls::ConfigBuilder<rustls::ClientConfig, rustls::client::WantsClientCert>;

/// The platform's verifier, trusting `extra` roots too.
#[cfg(not(target_os = "android"))]
fn platform(
    builder: WantsVerifier,
    extra: Vec<CertificateDer<'static>>,
    provider: Arc<rustls::crypto::CryptoProvider>,
) -> Result<WantsClientCert, ConfigError> {
    let extras = !extra.is_empty();
    match rustls_platform_verifier::Verifier::new_with_extra_roots(extra.clone(), provider) {
        Ok(verifier) => Ok(builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))),
        Err(error) if extras => Err(ConfigError::Certificate {
            message: error.to_string(),
        }),
        Err(error) => {
            tracing::warn!(target: "flags", "no platform certificate verifier: {error}");
            Ok(builder.with_root_certificates(store(extra)?))
        }
    }
}

/// Android's verifier takes no extra roots: the extra roots alone are trusted there.
#[cfg(target_os = "android")]
fn platform(
    builder: WantsVerifier,
    extra: Vec<CertificateDer<'static>>,
    provider: Arc<rustls::crypto::CryptoProvider>,
) -> Result<WantsClientCert, ConfigError> {
    if extra.is_empty() {
        use rustls_platform_verifier::BuilderVerifierExt;
        let _ = provider;
        return builder
            .with_platform_verifier()
            .map_err(|e| ConfigError::Tls {
                message: e.to_string(),
            });
    }
    Ok(builder.with_root_certificates(store(extra)?))
}
