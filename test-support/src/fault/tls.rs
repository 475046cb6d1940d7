//! Certificates for the TLS tests.

use std::sync::Arc;

/// Certificates made for one test: a CA, a server certificate for `127.0.0.1` and
/// `localhost`, one for another name only, and a client certificate, all signed by the CA
/// (ECDSA P-256, `ring`).
pub struct TestPki {
    /// The CA certificate, PEM.
    pub ca_pem: String,
    /// The server's certificate, PEM.
    pub server_cert_pem: String,
    /// The server's private key, PEM.
    pub server_key_pem: String,
    /// A server certificate for `elsewhere.flags.test` only (not valid for 127.0.0.1), PEM.
    pub other_host_cert_pem: String,
    /// Its private key, PEM.
    pub other_host_key_pem: String,
    /// The client's certificate, PEM.
    pub client_cert_pem: String,
    /// The client's private key, PEM.
    pub client_key_pem: String,
}

impl TestPki {
    /// Generates the certificates.
    pub fn generate() -> TestPki {
        use rcgen::{
            BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
            KeyPair, KeyUsagePurpose,
        };
        let ca_key = KeyPair::generate().expect("CA key");
        let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "flags test CA");
        ca.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_pem = ca.self_signed(&ca_key).expect("CA certificate").pem();
        let issuer = Issuer::new(ca, ca_key);
        let leaf = |names: Vec<String>, purpose: ExtendedKeyUsagePurpose, cn: &str| {
            let key = KeyPair::generate().expect("key");
            let mut params = CertificateParams::new(names).expect("params");
            params.distinguished_name.push(DnType::CommonName, cn);
            params.extended_key_usages = vec![purpose];
            params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
            let cert = params.signed_by(&key, &issuer).expect("certificate");
            (cert.pem(), key.serialize_pem())
        };
        let (server_cert_pem, server_key_pem) = leaf(
            vec!["127.0.0.1".to_owned(), "localhost".to_owned()],
            ExtendedKeyUsagePurpose::ServerAuth,
            "flags test server",
        );
        let (other_host_cert_pem, other_host_key_pem) = leaf(
            vec!["elsewhere.flags.test".to_owned()],
            ExtendedKeyUsagePurpose::ServerAuth,
            "flags test server elsewhere",
        );
        let (client_cert_pem, client_key_pem) = leaf(
            vec!["client.flags.test".to_owned()],
            ExtendedKeyUsagePurpose::ClientAuth,
            "flags test client",
        );
        TestPki {
            ca_pem,
            server_cert_pem,
            server_key_pem,
            other_host_cert_pem,
            other_host_key_pem,
            client_cert_pem,
            client_key_pem,
        }
    }

    /// A rustls server configuration (`ring`, HTTP/1.1) presenting the server certificate;
    /// with `require_client_cert`, clients must present a certificate signed by the CA.
    pub fn server_config(&self, require_client_cert: bool) -> Arc<rustls::ServerConfig> {
        self.config_for(
            &self.server_cert_pem,
            &self.server_key_pem,
            require_client_cert,
        )
    }

    /// [`server_config`](Self::server_config) presenting the certificate of
    /// `elsewhere.flags.test`, which a client reaching 127.0.0.1 finds issued for another name.
    pub fn other_host_server_config(&self, require_client_cert: bool) -> Arc<rustls::ServerConfig> {
        self.config_for(
            &self.other_host_cert_pem,
            &self.other_host_key_pem,
            require_client_cert,
        )
    }

    fn config_for(
        &self,
        cert_pem: &str,
        key_pem: &str,
        require_client_cert: bool,
    ) -> Arc<rustls::ServerConfig> {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .expect("protocol versions");
        let builder = if require_client_cert {
            let mut roots = rustls::RootCertStore::empty();
            roots
                .add(CertificateDer::from_pem_slice(self.ca_pem.as_bytes()).expect("CA PEM"))
                .expect("CA root");
            let verifier =
                rustls::server::WebPkiClientVerifier::builder_with_provider(roots.into(), provider)
                    .build()
                    .expect("client verifier");
            builder.with_client_cert_verifier(verifier)
        } else {
            builder.with_no_client_auth()
        };
        let chain = vec![CertificateDer::from_pem_slice(cert_pem.as_bytes()).expect("server PEM")];
        let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).expect("key PEM");
        let mut config = builder
            .with_single_cert(chain, key)
            .expect("server certificate");
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Arc::new(config)
    }
}
