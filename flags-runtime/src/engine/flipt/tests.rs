//! Typed context values as Flipt compares them, and what the compiled rules keep.
