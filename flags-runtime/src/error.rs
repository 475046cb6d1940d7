//! Errors of the setup API.

/// What is wrong with definitions that do not load ([`Error::Load`]'s
/// [`problem`](flags_schema::Error::problem)): for example
/// [`LoadProblem::AccountIdRequired`] for Cloudflare Flagship definitions read without
/// `.format(Format::Flagship { account_id })`.
///
/// ```
/// use flags_runtime::{Client, Error, LoadProblem, source};
/// let definitions = r#"{"flags": {"beta": {"enabled": true, "default_variation": "on",
///     "variations": {"on": true}}}}"#;
/// let error = Client::builder().in_process(source::json(definitions)).build().unwrap_err();
/// assert!(matches!(&error, Error::Load { error, .. }
///     if error.problem() == Some(&LoadProblem::AccountIdRequired)));
/// ```
pub use flags_schema::Problem as LoadProblem;

/// Why a client could not be built or refreshed. Evaluation itself never fails: see
/// [`EvaluationDetails`](crate::EvaluationDetails).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An exporter given to [`ClientBuilder::events`](crate::ClientBuilder::events) is
    /// misconfigured.
    #[error("the event exporter `{exporter}` cannot be used: {message}")]
    Exporter {
        /// The exporter's name.
        exporter: String,
        /// What is wrong, and how to fix it.
        message: String,
    },
    /// The directory given to [`ClientBuilder::event_log`](crate::ClientBuilder::event_log)
    /// cannot hold the event log.
    #[error("the event log in `{path}` cannot be used: {message}")]
    EventLog {
        /// The directory.
        path: String,
        /// What is wrong, and how to fix it.
        message: String,
    },
    /// The builder was given no provider.
    #[error(
        "no provider configured; call `.in_process(flags::source::file(\"flags.json\"))` on the \
         client builder"
    )]
    NoProvider,
    /// More than one provider was set on the client builder (`in_process`, `remote`,
    /// `provider`): a client reads through one.
    #[error(
        "`{first}` and `{second}` were both set on the client builder, but a client reads through \
         one provider; keep one (definitions evaluated in process need no remote cache), or build \
         a client for each"
    )]
    TwoProviders {
        /// The builder method of one provider (`in_process`, `remote` or `provider`).
        first: &'static str,
        /// The builder method of the other.
        second: &'static str,
    },
    /// The source could not be read or its definitions are invalid.
    // `origin` names the input, so the error's own name for it is left out.
    #[error("could not load flag definitions from {origin}: {}", error.without_origin())]
    Load {
        /// The source, described.
        origin: String,
        /// What went wrong.
        #[source]
        error: Box<flags_schema::Error>,
    },
    /// The definitions were read but could not be compiled.
    #[error("could not compile flag definitions from {origin}: {error}")]
    Compile {
        /// The source, described.
        origin: String,
        /// What went wrong.
        #[source]
        error: Box<crate::engine::CompileError>,
    },
    /// The operation needs a provider that this client does not have.
    #[error("{operation} is not supported by this client's provider ({provider})")]
    Unsupported {
        /// What was attempted.
        operation: &'static str,
        /// The provider.
        provider: &'static str,
    },
    /// A remote source could not be fetched (see the message for why).
    #[error("could not fetch flag definitions from {origin}: {message}")]
    Fetch {
        /// The source, described without credentials.
        origin: String,
        /// What went wrong.
        message: String,
    },
    /// An update from a background source was rejected (it cannot be read or compiled); the
    /// configuration served stays.
    #[error("{message}")]
    Rejected {
        /// Why, naming the source and the problem.
        message: String,
    },
    /// A source is misconfigured (an invalid URL or header, a directory that cannot be
    /// watched, ...).
    #[error("cannot use {origin}: {message}")]
    Source {
        /// The source, described without credentials.
        origin: String,
        /// What is wrong.
        message: String,
    },
    /// A Cloudflare Flagship provider or source is misconfigured (no ids, an endpoint that is
    /// not an evaluate URL, a refresh interval out of bounds, ...; feature `http`).
    #[cfg(feature = "http")]
    #[error("cannot use {origin}: {error}")]
    Flagship {
        /// The provider or source, described without credentials.
        origin: String,
        /// What is wrong.
        #[source]
        error: crate::wire::flagship::config_error::FlagshipConfigError,
    },
    /// A FlagKit provider is misconfigured (a key of the wrong form, a base URL that is not
    /// usable, ...; feature `http`). Keys are never repeated.
    #[cfg(feature = "http")]
    #[error("cannot use {origin}: {error}")]
    FlagKit {
        /// The provider, described without credentials.
        origin: String,
        /// What is wrong.
        #[source]
        error: crate::wire::flagkit::config_error::FlagKitConfigError,
    },
    /// The provider is not ready: it has no configuration from its source yet, or it failed.
    #[error("the provider is {status}: {message}")]
    NotReady {
        /// Its status.
        status: crate::events::ProviderStatus,
        /// Why, for people.
        message: String,
    },
    /// The client was shut down.
    #[error("the client was shut down")]
    ShutDown,
}
