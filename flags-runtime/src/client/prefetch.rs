//! Per-evaluation remote reads in three steps, so that the network is waited for between two
//! synchronous passes: **plan** (find the flags to ask for, and run the `before` hooks, whose
//! context changes are what is sent), **fetch** (ask the service for every planned flag at
//! once, asynchronously or blocking), **finish** (answer each read, and run the `after`,
//! `error` and `finally` hooks around the answer).
//!
//! A struct is planned by evaluating it against [`View::Recording`], which records each field's flag
//! and answers defaults, and finished by evaluating it again against [`View::Answers`], which
//! hands each field the answer fetched for it, in the same order.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::sync::Arc;

use super::{Client, Flags, View};
use crate::context::Context;
use crate::details::{ErrorCode, EvaluationDetails, FlagMetadata, Reason};
use crate::hooks::{Hook, HookHints, Pending};
use crate::key::{FlagKey, FlagValue};
use crate::provider::{Fetched, Provider, Query};
use crate::value::Value;

/// One planned read.
struct Item {
    /// The flag's key and the type read.
    key: Arc<str>,
    type_id: std::any::TypeId,
    /// What to ask with; `None` when a `before` hook failed (nothing is asked).
    context: Option<Arc<Context>>,
    /// The hooks' state between `before` and the rest (a `Pending<T>`), when hooks apply.
    pending: Option<Box<dyn Any + Send>>,
    /// The service's answer.
    answer: Option<Fetched>,
}

/// What the plan found: the reads to answer, in order. Sent across `await`s.
pub(crate) struct Planned {
    items: Vec<Item>,
}

/// The recording pass: [`View::Recording`].
pub(crate) struct Recording<'a> {
    client: &'a Client,
    /// The hooks that apply (empty: none), in `before` order.
    hooks: Vec<Arc<dyn Hook>>,
    /// The merged context, shared by every read when no hook changes it.
    context: Arc<Context>,
    items: RefCell<Vec<Item>>,
}

impl Recording<'_> {
    /// Records a read of `key` in `ctx` (the merged context), running the `before` hooks.
    pub(crate) fn record<T: FlagValue>(&self, key: &FlagKey<T>, ctx: &Context) {
        let (context, pending) = if self.hooks.is_empty() {
            let context = if std::ptr::eq(ctx, &*self.context) {
                self.context.clone()
            } else {
                Arc::new(ctx.clone())
            };
            (Some(context), None)
        } else {
            let pending = Pending::begin(
                self.hooks.clone(),
                key,
                ctx.clone(),
                HookHints::default(),
                self.client.metadata().clone(),
                Arc::from(self.client.provider_name()),
            );
            let context = pending.context().cloned().map(Arc::new);
            (context, Some(Box::new(pending) as Box<dyn Any + Send>))
        };
        self.items.borrow_mut().push(Item {
            key: Arc::from(key.key()),
            type_id: std::any::TypeId::of::<T>(),
            context,
            pending,
            answer: None,
        });
    }
}

/// The answering pass: [`View::Answers`].
pub(crate) struct Answers {
    items: RefCell<Vec<Option<Item>>>,
    next: Cell<usize>,
}

impl Answers {
    /// The answer for a read of `key`: the next planned item when it is this key (always, for
    /// derived structs), else the first unused one of this key.
    pub(crate) fn details<T: FlagValue>(
        &self,
        key: &FlagKey<T>,
        dynamic: bool,
    ) -> (EvaluationDetails<T>, Option<Value>) {
        let item = {
            let mut items = self.items.borrow_mut();
            let next = self.next.get();
            let at = match items.get(next) {
                Some(Some(item)) if *item.key == *key.key() => Some(next),
                _ => items
                    .iter()
                    .position(|i| i.as_ref().is_some_and(|i| *i.key == *key.key())),
            };
            at.and_then(|at| {
                self.next.set(at + 1);
                items.get_mut(at).and_then(Option::take)
            })
        };
        let Some(item) = item else {
            return (
                failure(
                    key,
                    ErrorCode::General,
                    format!("flag `{}` was read without being asked for", key.key()),
                ),
                None,
            );
        };
        let hooked = item.pending.is_some();
        let resolved = match (&item.answer, &item.context) {
            (Some(Fetched { resolution, cached }), _) => {
                let details = if *cached {
                    resolution.to_cached_details(key)
                } else {
                    resolution.to_details(key)
                };
                let raw = if dynamic || hooked {
                    resolution.raw_value()
                } else {
                    None
                };
                Some((details, raw))
            }
            (None, Some(_)) => Some((
                failure(
                    key,
                    ErrorCode::ProviderNotReady,
                    "the provider has shut down".to_owned(),
                ),
                None,
            )),
            (None, None) => None,
        };
        match item.pending.map(|p| p.downcast::<Pending<T>>()) {
            Some(Ok(pending)) => (pending.finish(resolved), None),
            _ => resolved.unwrap_or_else(|| {
                (
                    failure(key, ErrorCode::General, "a `before` hook failed".to_owned()),
                    None,
                )
            }),
        }
    }
}

fn failure<T: FlagValue>(
    key: &FlagKey<T>,
    code: ErrorCode,
    message: String,
) -> EvaluationDetails<T> {
    EvaluationDetails {
        flag_key: key.key_cow().clone(),
        value: key.default_value(),
        variant: None,
        reason: Reason::Error,
        error: Some(crate::details::EvaluationError::new(code, message)),
        flag_metadata: FlagMetadata::empty(),
    }
}

impl Planned {
    /// What to ask the service, in order.
    fn requests(&self) -> Vec<Query> {
        self.items
            .iter()
            .filter_map(|i| {
                i.context.clone().map(|context| Query {
                    key: i.key.clone(),
                    type_id: i.type_id,
                    context,
                })
            })
            .collect()
    }

    /// Files the answers to [`Planned::requests`], in the same order.
    fn answered(&mut self, answers: Vec<Fetched>) {
        let mut answers = answers.into_iter();
        for item in self.items.iter_mut().filter(|i| i.context.is_some()) {
            item.answer = answers.next();
        }
    }

    /// Asks the service for every planned read, concurrently (identical requests share one
    /// call), and waits asynchronously.
    pub(crate) async fn fetch(mut self, provider: &dyn Provider) -> Planned {
        let requests = self.requests();
        if !requests.is_empty()
            && let Some(answers) = provider.fetch(requests).await
        {
            self.answered(answers);
        }
        self
    }

    /// [`Planned::fetch`], blocking this thread.
    pub(crate) fn fetch_blocking(mut self, provider: &dyn Provider) -> Planned {
        let requests = self.requests();
        if !requests.is_empty()
            && let Some(answers) = provider.fetch_blocking(requests)
        {
            self.answered(answers);
        }
        self
    }
}

impl Client {
    fn plan_with<R>(&self, ctx: &Context, f: impl FnOnce(View<'_>, &Context) -> R) -> Planned {
        let merged = Arc::new(self.merged_context_owned(ctx));
        let plan = Recording {
            client: self,
            hooks: self.hooks_for(&crate::hooks::NO_OPTIONS),
            context: merged.clone(),
            items: RefCell::new(Vec::new()),
        };
        f(View::Recording(&plan), &merged);
        Planned {
            items: plan.items.into_inner(),
        }
    }

    /// Plans one read of `key` in `ctx` (hooks' `before` stage included).
    pub(crate) fn plan_one<T: FlagValue>(&self, key: &FlagKey<T>, ctx: &Context) -> Planned {
        self.plan_with(ctx, |view, merged| view.details(key, merged))
    }

    /// Plans the reads of the struct `S`.
    pub(crate) fn plan_flags<S: Flags>(&self, ctx: &Context) -> Planned {
        self.plan_with(ctx, |view, merged| Client::evaluate_in::<S>(view, merged))
    }

    /// Answers the read planned by [`Client::plan_one`].
    pub(crate) fn finish_one<T: FlagValue>(
        &self,
        planned: Planned,
        key: &FlagKey<T>,
    ) -> EvaluationDetails<T> {
        answers(planned).details(key, false).0
    }

    /// Answers the reads planned by [`Client::plan_flags`].
    pub(crate) fn finish_flags<S: Flags>(&self, planned: Planned, ctx: &Context) -> S {
        let answers = answers(planned);
        Client::evaluate_in::<S>(View::Answers(&answers), ctx)
    }
}

fn answers(planned: Planned) -> Answers {
    Answers {
        items: RefCell::new(planned.items.into_iter().map(Some).collect()),
        next: Cell::new(0),
    }
}
