//! `reqwest` and rustls errors as [`TransportError`]s and messages, never with the URL (which
//! may carry credentials).

use crate::TransportError;

/// An error and its causes, without the URL.
pub(crate) fn describe_error(error: &reqwest::Error) -> String {
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

/// A `reqwest` error as a transport error, without the URL.
pub(crate) fn classify(error: reqwest::Error) -> TransportError {
    if error.is_timeout() {
        return TransportError::Timeout;
    }
    if let Some(tls) = find_tls_error(&error) {
        return TransportError::Tls {
            message: tls_message(tls),
        };
    }
    let message = causes(&error);
    if error.is_builder() {
        TransportError::InvalidRequest { message }
    } else if error.is_connect() {
        TransportError::Connect { message }
    } else if error.is_body() || error.is_decode() {
        TransportError::Body { message }
    } else {
        TransportError::Network { message }
    }
}

/// The causes of an error, without the top level (whose text carries the URL).
pub(crate) fn causes(error: &reqwest::Error) -> String {
    let mut message = String::new();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.ends_with(&text) {
            if !message.is_empty() {
                message.push_str(": ");
            }
            message.push_str(&text);
        }
        source = cause.source();
    }
    if message.is_empty() {
        message = if error.is_connect() {
            "connection failed"
        } else {
            "unknown cause"
        }
        .to_owned();
    }
    message
}

/// The rustls error in the chain, including inside I/O errors (whose `source` skips it).
fn find_tls_error(error: &reqwest::Error) -> Option<&rustls::Error> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(cause) = source {
        if let Some(tls) = cause.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        // I/O errors nest: look inside each.
        let mut io = cause.downcast_ref::<std::io::Error>();
        while let Some(inner) = io.and_then(std::io::Error::get_ref) {
            if let Some(tls) = inner.downcast_ref::<rustls::Error>() {
                return Some(tls);
            }
            io = inner.downcast_ref::<std::io::Error>();
        }
        source = cause.source();
    }
    None
}

fn tls_message(error: &rustls::Error) -> String {
    use rustls::{AlertDescription as Alert, CertificateError, Error};
    let hint = match error {
        Error::InvalidCertificate(CertificateError::UnknownIssuer) => {
            "; the server's certificate is not signed by a trusted root: add its CA with \
             `add_root_certificate_pem`"
        }
        Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        ) => "; the certificate does not name this host",
        Error::AlertReceived(
            Alert::CertificateRequired | Alert::HandshakeFailure | Alert::BadCertificate,
        ) => "; the server may require a client certificate: set one with `client_identity_pem`",
        _ => "",
    };
    format!("{error}{hint}")
}
