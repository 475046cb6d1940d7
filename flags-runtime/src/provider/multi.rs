//! OpenFeature's multi-provider: several providers asked in order, one strategy deciding which
//! answer is served, their statuses aggregated into one.

use std::fmt;
use std::sync::{Arc, Weak};

use crate::context::Context;
use crate::details::{ErrorCode, EvaluationDetails, EvaluationError, FlagMetadata, MetadataValue};
use crate::error::Error;
use crate::events::{EventDetails, Events, ProviderEvent, ProviderStatus};
use crate::key::{FlagKey, FlagValue};
use crate::value::Value;

use super::query::{Fetched, Query};
use super::resolution::Resolution;
use super::seam::{BoxFuture, Provider};
use super::view::View;

/// Which member's answer a [`multi`] provider serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Strategy {
    /// The first answer that is not `FLAG_NOT_FOUND`, an error included: a flag is owned by
    /// the first provider that knows it.
    FirstMatch,
    /// The first answer without an error: a provider that fails is passed over.
    FirstSuccess,
}

/// A provider over several, asked in order with `strategy` (OpenFeature's multi-provider):
///
/// ```
/// use flags_runtime::provider::{Strategy, multi};
/// use flags_runtime::{Client, Context, FlagKey, InMemory, InMemoryFlag, source};
///
/// let local = Client::builder()
///     .in_process(source::json(r#"{"flags": {"beta": {"state": "ENABLED", "variants": {"on": true}, "defaultVariant": "on"}}}"#))
///     .build()?;
/// let fallback = InMemory::new([("limit", InMemoryFlag::new([("big", 100)]).default_variant("big"))]);
/// let client = Client::builder()
///     .provider(multi(Strategy::FirstMatch).provider(local).provider(fallback).build())
///     .build()?;
/// let ctx = Context::new("user-1");
/// assert!(client.value(&FlagKey::new("beta", false), &ctx)); // the local file's
/// assert_eq!(client.value(&FlagKey::new("limit", 0), &ctx), 100); // the fallback's
/// # Ok::<(), flags_runtime::Error>(())
/// ```
///
/// Members are any providers: a [`Client`](crate::Client) is one (its provider answers; its
/// own hooks and context are not run, nor a member's provider hooks: the hooks and context of
/// the multi-provider's client are), so a client built
/// with [`in_process`](crate::ClientBuilder::in_process) or
/// [`remote`](crate::ClientBuilder::remote) can come first and another as a fallback.
///
/// - **Reads**: each flag is read from the members in order until the strategy accepts an
///   answer. Sync reads read every member's current configuration; a member that asks a
///   service per evaluation answers them from its cache or with `GENERAL` (as it does
///   alone). When one member asks a service, the async and blocking reads ask it (one call
///   per member with every flag still unanswered) and read the others as usual.
/// - **When no member's answer is accepted**: `FLAG_NOT_FOUND` when no member knows the flag;
///   otherwise, with first-success, the members' common error code, or `GENERAL` when they
///   differ. The message lists each member's code, and the flag metadata holds one entry per
///   member (its name: `"CODE: message"`).
/// - **Status**, as OpenFeature's multi-provider aggregates it: the worst of the members'
///   (`FATAL`, then `NOT_READY`, `ERROR`, `STALE`, `RECONCILING`, `READY`); a change emits
///   the matching event. A member's `CONFIGURATION_CHANGED` is passed on.
/// - **Names**: each member's provider name, or `name_index` when two share one (in the
///   per-member metadata).
/// - `shutdown`, `refresh` and `wait_ready` reach every member.
pub fn multi(strategy: Strategy) -> MultiBuilder {
    MultiBuilder {
        strategy,
        name: "multi".to_owned(),
        members: Vec::new(),
    }
}

/// The members of a [`multi`] provider, in order.
pub struct MultiBuilder {
    strategy: Strategy,
    name: String,
    members: Vec<Box<dyn Provider>>,
}

impl fmt::Debug for MultiBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MultiBuilder")
            .field("strategy", &self.strategy)
            .field("members", &self.members.len())
            .finish()
    }
}

impl MultiBuilder {
    /// Asks `provider` after the members added before it.
    #[must_use]
    pub fn provider(mut self, provider: impl Provider) -> MultiBuilder {
        self.members.push(Box::new(provider));
        self
    }

    /// The multi-provider's own name (`multi` by default), as hooks and events see it.
    #[must_use]
    pub fn name(mut self, name: impl Into<String>) -> MultiBuilder {
        self.name = name.into();
        self
    }

    /// The provider, to hand to [`ClientBuilder::provider`](crate::ClientBuilder::provider).
    pub fn build(self) -> Multi {
        let names: Vec<String> = self
            .members
            .iter()
            .map(|m| m.events().provider_name().to_owned())
            .collect();
        let members: Vec<Member> = self
            .members
            .into_iter()
            .enumerate()
            .map(|(i, provider)| {
                let name = &names[i];
                let shared = names.iter().filter(|n| *n == name).count() > 1;
                Member {
                    name: if shared {
                        format!("{name}_{i}")
                    } else {
                        name.clone()
                    },
                    provider,
                }
            })
            .collect();
        let status = aggregate(members.iter().map(|m| m.provider.events().status()));
        let shared = Arc::new(Shared {
            strategy: self.strategy,
            events: Events::new(self.name, status),
            members,
        });
        for member in &shared.members {
            for event in [
                ProviderEvent::Ready,
                ProviderEvent::Error,
                ProviderEvent::Stale,
                ProviderEvent::Reconciling,
                ProviderEvent::ContextChanged,
                ProviderEvent::ConfigurationChanged,
            ] {
                let weak: Weak<Shared> = Arc::downgrade(&shared);
                member.provider.events().add_handler(
                    event,
                    Arc::new(move |details: &EventDetails| {
                        if let Some(shared) = weak.upgrade() {
                            shared.follow(details);
                        }
                    }),
                );
            }
        }
        Multi { shared }
    }
}

/// A provider over several; see [`multi`].
pub struct Multi {
    shared: Arc<Shared>,
}

impl fmt::Debug for Multi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

struct Member {
    name: String,
    provider: Box<dyn Provider>,
}

pub(crate) struct Shared {
    strategy: Strategy,
    events: Events,
    members: Vec<Member>,
}

/// How bad a status is, for the aggregate: the worst wins.
fn rank(status: ProviderStatus) -> u8 {
    match status {
        ProviderStatus::Fatal => 5,
        ProviderStatus::NotReady => 4,
        ProviderStatus::Error => 3,
        ProviderStatus::Stale => 2,
        ProviderStatus::Reconciling => 1,
        _ => 0,
    }
}

fn aggregate(statuses: impl Iterator<Item = ProviderStatus>) -> ProviderStatus {
    statuses
        .max_by_key(|s| rank(*s))
        .unwrap_or(ProviderStatus::Ready)
}

impl Shared {
    /// A member's event: passes a configuration change on, and emits the aggregate status
    /// when it changed.
    fn follow(&self, details: &EventDetails) {
        let name = self.events.provider_name().to_owned();
        if details.event == ProviderEvent::ConfigurationChanged {
            let mut passed = EventDetails::new(ProviderEvent::ConfigurationChanged, name)
                .with_flags_changed(details.flags_changed.clone());
            passed.message = details.message.clone();
            self.events.emit(passed);
            return;
        }
        let now = aggregate(self.members.iter().map(|m| m.provider.events().status()));
        if now == self.events.status() {
            return;
        }
        let event = match now {
            ProviderStatus::Ready => EventDetails::new(ProviderEvent::Ready, name),
            ProviderStatus::Stale => EventDetails::new(ProviderEvent::Stale, name),
            ProviderStatus::Reconciling => EventDetails::new(ProviderEvent::Reconciling, name),
            ProviderStatus::Fatal => EventDetails::new(ProviderEvent::Error, name)
                .with_error_code(ErrorCode::ProviderFatal),
            ProviderStatus::Error => EventDetails::new(ProviderEvent::Error, name),
            _ => {
                self.events.set_status(now);
                return;
            }
        };
        let event = match &details.message {
            Some(message) => event.with_message(message.clone()),
            None => event,
        };
        self.events.emit(event);
    }

    /// `true` when the strategy serves an answer with this error (or none).
    fn accepts(&self, error: Option<&EvaluationError>) -> bool {
        match (error, self.strategy) {
            (None, _) => true,
            (Some(e), Strategy::FirstMatch) => e.code != ErrorCode::FlagNotFound,
            (Some(_), Strategy::FirstSuccess) => false,
        }
    }

    /// The details of `key` from the first member whose answer the strategy accepts.
    pub(crate) fn details_dyn<T: FlagValue>(
        &self,
        key: &FlagKey<T>,
        ctx: &Context,
        dynamic: bool,
    ) -> (EvaluationDetails<T>, Option<Value>) {
        for member in &self.members {
            let answer = read_member(&*member.provider, key, ctx, dynamic);
            if self.accepts(answer.0.error.as_ref()) {
                return answer;
            }
        }
        // None accepted: the members are read again for their errors, so that a read that
        // falls through to a later member keeps nothing of the earlier ones.
        let failed: Vec<(usize, EvaluationError)> = self
            .members
            .iter()
            .enumerate()
            .filter_map(|(i, member)| {
                let answer = read_member(&*member.provider, key, ctx, false);
                answer.0.error.map(|error| (i, error))
            })
            .collect();
        (self.none_accepted(key.key(), &failed).to_details(key), None)
    }

    /// What is answered when no member's answer was accepted.
    fn none_accepted(&self, key: &str, failed: &[(usize, EvaluationError)]) -> Resolution {
        if self.members.is_empty() {
            return Resolution::error(
                ErrorCode::General,
                "the multi-provider has no members: add them with `MultiBuilder::provider`",
            );
        }
        let first = failed.first().map_or(ErrorCode::General, |(_, e)| e.code);
        let code = if failed.iter().all(|(_, e)| e.code == first) {
            first
        } else {
            ErrorCode::General
        };
        let listed: Vec<String> = failed
            .iter()
            .map(|(i, e)| format!("{}: {}", self.members[*i].name, e.code))
            .collect();
        let message = if code == ErrorCode::FlagNotFound {
            format!("no provider has flag `{key}` ({})", listed.join(", "))
        } else {
            format!("every provider failed for `{key}` ({})", listed.join(", "))
        };
        let metadata = failed
            .iter()
            .map(|(i, e)| {
                (
                    self.members[*i].name.clone(),
                    MetadataValue::String(crate::message::bounded(e)),
                )
            })
            .collect();
        Resolution::error(code, crate::message::bounded(message))
            .with_metadata(FlagMetadata::new(metadata))
    }

    /// The state of a fetch of `queries`: member by member, each member asked once for every
    /// query still unanswered.
    fn rounds<'q>(&self, queries: &'q [Query]) -> Rounds<'q> {
        Rounds {
            queries,
            answers: vec![None; queries.len()],
            failed: vec![Vec::new(); queries.len()],
        }
    }
}

/// What a round of a fetch keeps: the answers so far and each query's failures.
struct Rounds<'q> {
    queries: &'q [Query],
    answers: Vec<Option<Fetched>>,
    failed: Vec<Vec<(usize, EvaluationError)>>,
}

impl Rounds<'_> {
    /// The queries still unanswered, and their places.
    fn pending(&self) -> (Vec<usize>, Vec<Query>) {
        self.answers
            .iter()
            .enumerate()
            .filter(|(_, a)| a.is_none())
            .map(|(i, _)| (i, self.queries[i].clone()))
            .unzip()
    }

    /// Takes member `member`'s answers to the queries at `places`; `None` (shut down) fails
    /// them all.
    fn take(
        &mut self,
        shared: &Shared,
        member: usize,
        places: &[usize],
        got: Option<Vec<Fetched>>,
    ) {
        let got = got.filter(|g| g.len() == places.len());
        for (n, &place) in places.iter().enumerate() {
            let fetched = match &got {
                Some(got) => got[n].clone(),
                None => Fetched {
                    resolution: Arc::new(Resolution::error(
                        ErrorCode::ProviderNotReady,
                        "the provider is shut down",
                    )),
                    cached: false,
                },
            };
            let error = fetched.resolution.error.as_ref();
            if shared.accepts(error) {
                self.answers[place] = Some(fetched);
            } else if let Some(error) = error {
                self.failed[place].push((member, error.clone()));
            }
        }
    }

    fn finish(self, shared: &Shared) -> Vec<Fetched> {
        let failed = self.failed;
        self.answers
            .into_iter()
            .enumerate()
            .map(|(i, answer)| {
                answer.unwrap_or_else(|| Fetched {
                    resolution: Arc::new(shared.none_accepted(&self.queries[i].key, &failed[i])),
                    cached: false,
                })
            })
            .collect()
    }
}

/// `key` read from one member's current configuration.
fn read_member<T: FlagValue>(
    provider: &dyn Provider,
    key: &FlagKey<T>,
    ctx: &Context,
    dynamic: bool,
) -> (EvaluationDetails<T>, Option<Value>) {
    let mut out = None;
    provider.read(&mut |view| {
        if out.is_none() {
            out = Some(view.details_dyn(key, ctx, dynamic));
        }
    });
    out.unwrap_or_else(|| {
        let silent = Resolution::error(
            ErrorCode::General,
            format!(
                "the provider gave no configuration to read `{}` from",
                key.key()
            ),
        );
        (silent.to_details(key), None)
    })
}

/// A query answered from a member's current configuration (a member that does not fetch,
/// during a fetch): the flag read as JSON, which the client then reads as the caller's type.
fn read_resolution(provider: &dyn Provider, query: &Query) -> Fetched {
    let key = FlagKey::new(query.key.to_string(), serde_json::Value::Null);
    let (details, _) = read_member(provider, &key, &query.context, false);
    let value = (details.error.is_none() && !details.value.is_null()).then_some(details.value);
    Fetched {
        resolution: Arc::new(Resolution {
            value,
            variant: details.variant,
            reason: details.reason,
            error: details.error,
            metadata: details.flag_metadata,
        }),
        cached: false,
    }
}

impl Provider for Multi {
    fn events(&self) -> &Events {
        &self.shared.events
    }

    fn read(&self, read: &mut dyn FnMut(View<'_>)) {
        read(View::multi(&self.shared));
    }

    fn describe(&self) -> String {
        let members: Vec<String> = self
            .shared
            .members
            .iter()
            .map(|m| m.provider.describe())
            .collect();
        format!(
            "{} ({:?}: {})",
            self.shared.events.provider_name(),
            self.shared.strategy,
            members.join(", ")
        )
    }

    fn kind(&self) -> &'static str {
        "a multi-provider"
    }

    fn refresh(&self) -> Result<(), Error> {
        let mut outcome = Ok(());
        for member in &self.shared.members {
            match member.provider.refresh() {
                Err(Error::Unsupported { .. }) | Ok(()) => {}
                Err(error) if outcome.is_ok() => outcome = Err(error),
                Err(_) => {}
            }
        }
        outcome
    }

    fn wait_ready(&self, timeout: std::time::Duration) -> Result<(), Error> {
        let until = std::time::Instant::now() + timeout;
        for member in &self.shared.members {
            let left = until.saturating_duration_since(std::time::Instant::now());
            member.provider.wait_ready(left)?;
        }
        Ok(())
    }

    fn shutdown(&self) {
        for member in &self.shared.members {
            member.provider.shutdown();
        }
        self.shared.events.set_status(ProviderStatus::NotReady);
    }

    fn fetches(&self) -> bool {
        self.shared.members.iter().any(|m| m.provider.fetches())
    }

    fn fetch(&self, queries: Vec<Query>) -> BoxFuture<'static, Option<Vec<Fetched>>> {
        let shared = self.shared.clone();
        Box::pin(async move {
            let mut rounds = shared.rounds(&queries);
            for (i, member) in shared.members.iter().enumerate() {
                let (places, pending) = rounds.pending();
                if places.is_empty() {
                    break;
                }
                let got = if member.provider.fetches() {
                    member.provider.fetch(pending).await
                } else {
                    Some(
                        pending
                            .iter()
                            .map(|q| read_resolution(&*member.provider, q))
                            .collect(),
                    )
                };
                rounds.take(&shared, i, &places, got);
            }
            Some(rounds.finish(&shared))
        })
    }

    fn fetch_blocking(&self, queries: Vec<Query>) -> Option<Vec<Fetched>> {
        let shared = &*self.shared;
        let mut rounds = shared.rounds(&queries);
        for (i, member) in shared.members.iter().enumerate() {
            let (places, pending) = rounds.pending();
            if places.is_empty() {
                break;
            }
            let got = if member.provider.fetches() {
                member.provider.fetch_blocking(pending)
            } else {
                Some(
                    pending
                        .iter()
                        .map(|q| read_resolution(&*member.provider, q))
                        .collect(),
                )
            };
            rounds.take(shared, i, &places, got);
        }
        Some(rounds.finish(shared))
    }
}
