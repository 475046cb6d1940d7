//! The rustls configuration of a [`Transport`](crate::Transport): platform roots, extra roots
//! from PEM, a client identity for mutual TLS, and the hostname check that can be skipped
//! (the chain is always verified).

use std::sync::Arc;

use rustls::DigitallySignedStruct;
use rustls::SignatureScheme;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};

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
    /// Accept a certificate valid for another name (its chain still verified).
    pub(crate) skip_hostname: bool,
}

/// The rustls configuration for `options`.
pub(crate) fn client_config(options: &TlsOptions<'_>) -> Result<rustls::ClientConfig, ConfigError> {
    if options.roots_pem.is_empty()
        && options.built_in_roots
        && options.identity.is_none()
        && !options.skip_hostname
    {
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
    if !options.built_in_roots && roots.is_empty() {
        return Err(ConfigError::Certificate {
            message: "`tls_built_in_roots(false)` leaves no root to trust; add one with \
                      `add_root_certificate_pem`"
                .to_owned(),
        });
    }
    let builder = if options.skip_hostname {
        let inner = chain_verifier(roots, options.built_in_roots, provider.clone())?;
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyHostname(inner)))
    } else if !options.built_in_roots {
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

/// The verifier of the certificate chain: the platform's (trusting `roots` too), or `roots`
/// alone.
fn chain_verifier(
    roots: Vec<CertificateDer<'static>>,
    built_in_roots: bool,
    provider: Arc<rustls::crypto::CryptoProvider>,
) -> Result<Arc<dyn ServerCertVerifier>, ConfigError> {
    #[cfg(not(target_os = "android"))]
    if built_in_roots {
        let verifier = rustls_platform_verifier::Verifier::new_with_extra_roots(roots, provider)
            .map_err(|e| ConfigError::Certificate {
                message: e.to_string(),
            })?;
        return Ok(Arc::new(verifier));
    }
    #[cfg(target_os = "android")]
    if built_in_roots && roots.is_empty() {
        let verifier =
            rustls_platform_verifier::Verifier::new(provider).map_err(|e| ConfigError::Tls {
                message: e.to_string(),
            })?;
        return Ok(Arc::new(verifier));
    }
    let _ = built_in_roots;
    rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(store(roots)?), provider)
        .build()
        .map(|verifier| verifier as Arc<dyn ServerCertVerifier>)
        .map_err(|e| ConfigError::Certificate {
            message: e.to_string(),
        })
}

/// Verifies the chain with the verifier it wraps and accepts a certificate issued for another
/// name: `insecure_skip_hostname_verify` of Flipt's clients, for servers reached by an address
/// their certificate does not name.
#[derive(Debug)]
struct AnyHostname(Arc<dyn ServerCertVerifier>);

impl ServerCertVerifier for AnyHostname {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        use rustls::CertificateError::{NotValidForName, NotValidForNameContext};
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            // The name is checked once the chain is found valid.
            Err(rustls::Error::InvalidCertificate(
                NotValidForName | NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }

    fn requires_raw_public_keys(&self) -> bool {
        self.0.requires_raw_public_keys()
    }

    fn root_hint_subjects(&self) -> Option<&[rustls::DistinguishedName]> {
        self.0.root_hint_subjects()
    }
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
