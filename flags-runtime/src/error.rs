//! Errors of the setup API.

/// Why a client could not be built or refreshed. Evaluation itself never fails: see
/// [`EvaluationDetails`](crate::EvaluationDetails).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The builder was given no provider.
    #[error(
        "no provider configured; call `.in_process(flags::source::file(\"flags.json\"))` on the \
         client builder"
    )]
    NoProvider,
    /// The source could not be read or its definitions are invalid.
    #[error("could not load flag definitions from {origin}: {error}")]
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
}
