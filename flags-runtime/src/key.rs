//! Typed flag keys and the Rust types a flag value can be read as.

use std::borrow::Cow;
use std::fmt;

use std::sync::atomic::{AtomicU64, Ordering};

pub use flags_schema::FlagType;

pub(crate) use crate::flag_value::{FlagValue, FlagValueRef};

/// The hash of a flag key: FNV-1a, finished with a multiply-xorshift so that every bit of the
/// result depends on every bit of the key (the table masks the low bits). A `const fn`, so
/// that generated key constants carry it.
pub(crate) const fn key_hash(key: &str) -> u64 {
    let bytes = key.as_bytes();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    hash ^= hash >> 32;
    hash = hash.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    hash ^= hash >> 29;
    hash
}

/// A typed flag key: the key string, the default written in code, and the value type.
///
/// `#[derive(Flags)]` generates one constant per field (`Checkout::ENABLED`), checked against
/// the schema at compile time. For keys only known at run time, [`FlagKey::new`] builds one
/// whose key and type are checked at evaluation (`FLAG_NOT_FOUND`, `TYPE_MISMATCH`).
///
/// ```
/// use flags_runtime::FlagKey;
/// let dark_mode = FlagKey::<bool>::new("dark-mode", false);
/// assert_eq!(dark_mode.key(), "dark-mode");
/// assert!(!dark_mode.default_value());
/// ```
pub struct FlagKey<T> {
    key: Cow<'static, str>,
    /// `key_hash(key)`, computed once (at compile time for constants).
    hash: u64,
    /// Where the flag's index (and a static scalar's value) in the current snapshot is
    /// cached: a generated constant's `static`, or a slot of its own for a key made at run time.
    slot: Slot,
    default: DefaultRepr<T>,
    /// For a string flag read as an enum deriving `FlagVariant`: the variant reading a value,
    /// from its packed words (see [`SlotAnswer::read_for`]).
    from_packed: Option<FromPacked<T>>,
}

/// Reads a string value packed in a key's slot (three words) as an enum deriving `FlagVariant`.
type FromPacked<T> = fn(u64, u64, u64) -> Option<T>;

/// A key's [`KeySlot`]. A generated constant points at a `static` (a `const` cannot own one:
/// every use of it would copy an empty slot); a key made at run time owns one, boxed so that
/// the key stays free of interior mutability and its moves do not move the slot.
enum Slot {
    /// No slot: a key made in a `const` by hand ([`FlagKey::from_fn`]), or a stub.
    None,
    Static(&'static KeySlot),
    Owned(Box<KeySlot>),
}

impl<T> FlagKey<T> {
    /// A stub, for generated code in a crate that does not compile (see
    /// `__private::fallback_key`): its default is never computed.
    pub(crate) const fn stub(key: &'static str) -> FlagKey<T> {
        FlagKey {
            key: Cow::Borrowed(key),
            hash: key_hash(key),
            slot: Slot::None,
            default: DefaultRepr::Fn(never),
            from_packed: None,
        }
    }

    /// A key with a `'static` name and a default computed by `default`, usable in `const`
    /// items. Prefer `#[derive(Flags)]`, which checks the key against the schema.
    pub const fn from_fn(key: &'static str, default: fn() -> T) -> FlagKey<T> {
        FlagKey {
            key: Cow::Borrowed(key),
            hash: key_hash(key),
            slot: Slot::None,
            default: DefaultRepr::Fn(default),
            from_packed: None,
        }
    }

    /// A default taken from the schema, converted into `T` by `convert` (for the key
    /// constructors of `__private`).
    pub(crate) const fn from_schema(
        key: &'static str,
        value: SchemaDefault,
        convert: fn(SchemaDefault) -> T,
    ) -> FlagKey<T> {
        FlagKey {
            key: Cow::Borrowed(key),
            hash: key_hash(key),
            slot: Slot::None,
            default: DefaultRepr::Schema { value, convert },
            from_packed: None,
        }
    }

    /// The flag key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// This key, caching its flag's index in `slot` (see `__private::with_slot`).
    pub(crate) const fn with_slot(mut self, slot: &'static KeySlot) -> FlagKey<T> {
        // A key made in a `const` has no slot: nothing to drop (and a `const fn` cannot).
        std::mem::forget(std::mem::replace(&mut self.slot, Slot::Static(slot)));
        self
    }

    /// This key, reading a string value its slot holds with `from_packed` when it can (an
    /// enum deriving `FlagVariant`; see `__private::string_key`).
    pub(crate) const fn reading_packed(mut self, from_packed: FromPacked<T>) -> FlagKey<T> {
        self.from_packed = Some(from_packed);
        self
    }

    /// The slot caching the flag's index: a generated constant's, or a run-time key's own.
    #[inline(always)]
    pub(crate) fn slot(&self) -> Option<&KeySlot> {
        match &self.slot {
            Slot::Static(slot) => Some(slot),
            Slot::Owned(slot) => Some(slot),
            Slot::None => None,
        }
    }

    /// The hash the snapshot indexes the key by.
    #[inline]
    pub(crate) fn hash(&self) -> u64 {
        self.hash
    }

    /// The key as a `Cow`, cheap to clone when it is `'static`.
    pub fn key_cow(&self) -> &Cow<'static, str> {
        &self.key
    }

    /// A copy of the key for details: a `'static` name copied inline (`Cow::clone` is a call),
    /// a name made at run time allocated.
    #[inline(always)]
    pub(crate) fn flag_key(&self) -> Cow<'static, str> {
        match &self.key {
            Cow::Borrowed(key) => Cow::Borrowed(key),
            Cow::Owned(key) => Cow::Owned(key.clone()),
        }
    }
}

fn never<T>() -> T {
    unreachable!("a stub key exists only in a crate that failed to compile")
}

/// How a key holds its default: built in a `const` (from the schema or a function), or owned.
enum DefaultRepr<T> {
    /// A value from the schema and the conversion into `T`, paired by the constructor.
    Schema {
        value: SchemaDefault,
        convert: fn(SchemaDefault) -> T,
    },
    /// A default written in code, computed when needed.
    Fn(fn() -> T),
    /// A default given at run time.
    Owned(T),
}

impl<T: FlagValue> FlagKey<T> {
    /// A key known only at run time. It owns a small cache (one allocation of 24 bytes, made
    /// here) of where its flag is in the configuration served, and of a static scalar's value:
    /// make a key once and read through it many times, rather than a key per read.
    pub fn new(key: impl Into<Cow<'static, str>>, default: T) -> FlagKey<T> {
        let key = key.into();
        FlagKey {
            hash: key_hash(&key),
            key,
            slot: Slot::Owned(Box::new(KeySlot::new())),
            default: DefaultRepr::Owned(default),
            from_packed: None,
        }
    }

    /// The default written in code (or compiled in from the schema).
    pub fn default_value(&self) -> T {
        match &self.default {
            DefaultRepr::Schema { value, convert } => convert(*value),
            DefaultRepr::Fn(default) => default(),
            DefaultRepr::Owned(value) => value.clone(),
        }
    }
}

impl<T: Clone> Clone for FlagKey<T> {
    fn clone(&self) -> Self {
        let default = match &self.default {
            DefaultRepr::Schema { value, convert } => DefaultRepr::Schema {
                value: *value,
                convert: *convert,
            },
            DefaultRepr::Fn(default) => DefaultRepr::Fn(*default),
            DefaultRepr::Owned(value) => DefaultRepr::Owned(value.clone()),
        };
        let slot = match &self.slot {
            Slot::None => Slot::None,
            Slot::Static(slot) => Slot::Static(slot),
            // A clone caches for itself, from empty: the slot is a cache.
            Slot::Owned(_) => Slot::Owned(Box::new(KeySlot::new())),
        };
        FlagKey {
            key: self.key.clone(),
            hash: self.hash,
            slot,
            default,
            from_packed: self.from_packed,
        }
    }
}

impl<T> fmt::Debug for FlagKey<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FlagKey")
            .field("key", &self.key)
            .field("type", &std::any::type_name::<T>())
            .finish_non_exhaustive()
    }
}

/// Where a key caches what it found in a snapshot: the snapshot's generation, the flag's index,
/// and, when every read of the flag gets one answer (a static flag), that answer: a `bool`,
/// integer, float or short string value, and, for details, the variant's name. Generated code
/// declares one `static` per key constant, and every copy of the constant points at it; a key
/// made at run time ([`FlagKey::new`]) owns one (a clone gets an empty one of its own). After
/// the first read of a configuration, a read finds its flag with a few atomic loads, and a read
/// of a static flag needs nothing else from the snapshot (see [`KeySlot::fixed`] and
/// [`KeySlot::answer`]).
///
/// The words are written together under a sequence lock: a writer marks the generation
/// [`KeySlot::WRITING`], writes the entry and the answer, then publishes the generation; a
/// reader trusts what it read only when the generation was the same before and after.
/// Generations are unique for the life of the process (64 bits), and two writers of one
/// generation write the same words (one snapshot, one key), so a slot never answers for another
/// snapshot. 64 bytes: one cache line.
#[doc(hidden)] // generated code names it through `__private`
#[derive(Debug)]
pub struct KeySlot {
    generation: AtomicU64,
    /// The flag's index in the low 32 bits, what the other words hold above them
    /// ([`FixedAnswer`]'s bits).
    entry: AtomicU64,
    /// A fixed scalar's bits (a `bool` as 0 or 1, an `i64`, an `f64`'s bits) in the first word,
    /// or a short string packed as [`crate::details::pack_value`] does.
    value: [AtomicU64; 3],
    /// The variant's name, packed the same way.
    variant: [AtomicU64; 3],
}

/// What a [`KeySlot`] holds beside an index: nothing, or the flag's fixed scalar value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Fixed {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
}

/// The longest string a [`KeySlot`] holds, value or variant name: what a
/// [`VariantName`](crate::details::VariantName) holds inline.
pub(crate) const SLOT_STR: usize = crate::details::VariantName::INLINE;

/// A string of up to [`SLOT_STR`] bytes packed into three words (see
/// [`crate::details::pack_value`]).
pub(crate) fn pack(text: &str) -> Option<[u64; 3]> {
    (text.len() <= SLOT_STR).then(|| crate::details::pack_value(text))
}

/// The string in bytes unpacked by [`crate::details::unpack`]. Always valid: the bytes were a
/// `str`'s, and a reader uses only words it read for one generation (the fallback never runs).
#[inline(always)]
pub(crate) fn unpacked_str(bytes: &[u8; 24]) -> &str {
    let len = usize::from(bytes[0]).min(SLOT_STR);
    std::str::from_utf8(&bytes[1..1 + len]).unwrap_or_default()
}

/// What a snapshot's flag puts in the slot of a key that reads it, decided when the
/// configuration loads: the bits of [`KeySlot`]'s entry above the index, and the words.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct FixedAnswer {
    bits: u64,
    value: [u64; 3],
    variant: [u64; 3],
}

impl FixedAnswer {
    /// Bits 32–35 of the entry: the value's kind (0 none, 1 `bool`, 2 integer, 3 float,
    /// 4 string).
    const KIND_SHIFT: u32 = 32;
    const KIND_MASK: u64 = 0xf;
    const STR: u64 = 4;
    /// Bit 36: the slot answers details (a static flag without metadata whose variant, if
    /// any, fits).
    const DETAILS: u64 = 1 << 36;
    /// Bit 37: the flag has a variant (in `variant`).
    const VARIANT: u64 = 1 << 37;
    /// Bit 38: the snapshot is served stale (its reads report `STALE`).
    const STALE: u64 = 1 << 38;

    /// Nothing fixed: the slot caches only the index.
    pub(crate) const NONE: FixedAnswer = FixedAnswer {
        bits: 0,
        value: [0; 3],
        variant: [0; 3],
    };

    /// A fixed scalar that serves values only (a Flipt boolean flag no context changes).
    pub(crate) fn scalar(value: Fixed) -> FixedAnswer {
        let (kind, word) = match value {
            Fixed::None => return FixedAnswer::NONE,
            Fixed::Bool(b) => (1, u64::from(b)),
            Fixed::Int(i) => (2, i as u64),
            Fixed::Float(f) => (3, f.to_bits()),
        };
        FixedAnswer {
            bits: kind << FixedAnswer::KIND_SHIFT,
            value: [word, 0, 0],
            variant: [0; 3],
        }
    }

    /// A static flag's answer: its value (a scalar, or a string's packed words), and, when
    /// `details` (no metadata), its variant, if the name fits.
    pub(crate) fn of_static(
        scalar: Fixed,
        text: Option<&str>,
        variant: Option<&str>,
        details: bool,
    ) -> FixedAnswer {
        let mut answer = match (scalar, text.and_then(pack)) {
            (Fixed::None, Some(words)) => FixedAnswer {
                bits: FixedAnswer::STR << FixedAnswer::KIND_SHIFT,
                value: words,
                variant: [0; 3],
            },
            (scalar, _) => FixedAnswer::scalar(scalar),
        };
        let kind = answer.bits >> FixedAnswer::KIND_SHIFT & FixedAnswer::KIND_MASK;
        let variant = match variant {
            None => Some(None),
            Some(name) => pack(name).map(Some),
        };
        if details
            && kind != 0
            && let Some(variant) = variant
        {
            answer.bits |= FixedAnswer::DETAILS;
            if let Some(words) = variant {
                answer.bits |= FixedAnswer::VARIANT;
                answer.variant = words;
            }
        }
        answer
    }
}

/// A static flag's answer as a key's slot holds it for one generation ([`KeySlot::answer`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct SlotAnswer {
    entry: u64,
    value: [u64; 3],
    variant: [u64; 3],
}

impl SlotAnswer {
    /// The value, read as `T` (through serde for a type other than the value's own).
    #[inline(always)]
    pub(crate) fn read<T: FlagValue>(&self) -> Option<Result<T, crate::flag_value::ReadError>> {
        let word = self.value[0];
        let value = match self.entry >> FixedAnswer::KIND_SHIFT & FixedAnswer::KIND_MASK {
            1 => FlagValueRef::Bool(word != 0),
            2 => FlagValueRef::Int(word as i64),
            3 => FlagValueRef::Float(f64::from_bits(word)),
            FixedAnswer::STR => {
                let bytes = crate::details::unpack(self.value);
                return Some(crate::flag_value::read::<T>(FlagValueRef::Str(
                    unpacked_str(&bytes),
                )));
            }
            _ => return None,
        };
        if let Some(value) = crate::flag_value::read_direct::<T>(&value) {
            return Some(Ok(value));
        }
        Some(crate::flag_value::read::<T>(value))
    }

    /// The value, read as `key`'s type: a string value as the key's enum straight from its
    /// packed words when it can, else as [`SlotAnswer::read`] does.
    #[inline(always)]
    pub(crate) fn read_for<T: FlagValue>(
        &self,
        key: &FlagKey<T>,
    ) -> Option<Result<T, crate::flag_value::ReadError>> {
        if let Some(from_packed) = key.from_packed
            && self.entry >> FixedAnswer::KIND_SHIFT & FixedAnswer::KIND_MASK == FixedAnswer::STR
            && let Some(value) = from_packed(self.value[0], self.value[1], self.value[2])
        {
            return Some(Ok(value));
        }
        self.read::<T>()
    }

    /// Whether the slot answers details: the flag is static and has no metadata.
    #[inline(always)]
    pub(crate) fn has_details(&self) -> bool {
        self.entry & FixedAnswer::DETAILS != 0
    }

    /// The variant's name, when the flag has one.
    #[inline(always)]
    pub(crate) fn variant(&self) -> Option<crate::details::VariantName> {
        (self.entry & FixedAnswer::VARIANT != 0)
            .then(|| crate::details::VariantName::from_packed(self.variant))
    }

    /// Whether the snapshot is served stale.
    #[inline(always)]
    pub(crate) fn stale(&self) -> bool {
        self.entry & FixedAnswer::STALE != 0
    }
}

impl Fixed {
    #[inline(always)]
    fn decode(entry: u64, value: u64) -> Fixed {
        match entry >> FixedAnswer::KIND_SHIFT & FixedAnswer::KIND_MASK {
            1 => Fixed::Bool(value != 0),
            2 => Fixed::Int(value as i64),
            3 => Fixed::Float(f64::from_bits(value)),
            _ => Fixed::None,
        }
    }

    /// Whether a value of `T` can be a fixed value's own type (decided when `T` is compiled).
    #[inline(always)]
    pub(crate) fn may_be<T: 'static>() -> bool {
        use std::any::TypeId;
        let t = TypeId::of::<T>();
        t == TypeId::of::<bool>() || t == TypeId::of::<i64>() || t == TypeId::of::<f64>()
    }

    /// The value, when `T` is its own Rust type (`bool`, `i64`, `f64`): a comparison of type
    /// ids the compiler decides for each `T`. Any other type reads through serde.
    #[inline(always)]
    pub(crate) fn exact<T: 'static + Clone>(self) -> Option<T> {
        use std::any::Any;
        match self {
            Fixed::None => None,
            Fixed::Bool(b) => (&b as &dyn Any).downcast_ref::<T>().cloned(),
            Fixed::Int(i) => (&i as &dyn Any).downcast_ref::<T>().cloned(),
            Fixed::Float(f) => (&f as &dyn Any).downcast_ref::<T>().cloned(),
        }
    }
}

impl KeySlot {
    /// The generation a writer marks the slot with while it writes (no snapshot's).
    const WRITING: u64 = u64::MAX;

    /// An empty slot (generation 0 is never a snapshot's).
    #[allow(clippy::new_without_default)] // a `const fn` for statics; `Default` is not const
    pub const fn new() -> KeySlot {
        KeySlot {
            generation: AtomicU64::new(0),
            entry: AtomicU64::new(0),
            value: [AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)],
            variant: [AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)],
        }
    }

    /// The cached index, if it was cached for `generation`. One load of the entry after the
    /// generation's, without the second look a value needs: a torn read gives an index the
    /// caller checks against the key's hash anyway.
    #[inline]
    pub(crate) fn get(&self, generation: u64) -> Option<usize> {
        if self.generation.load(Ordering::Acquire) != generation {
            return None;
        }
        Some(self.entry.load(Ordering::Relaxed) as u32 as usize)
    }

    /// The flag's fixed scalar value, if one was cached for `generation`.
    #[inline(always)]
    pub(crate) fn fixed(&self, generation: u64) -> Fixed {
        if self.generation.load(Ordering::Acquire) != generation {
            return Fixed::None;
        }
        let entry = self.entry.load(Ordering::Relaxed);
        let kind = entry >> FixedAnswer::KIND_SHIFT & FixedAnswer::KIND_MASK;
        if kind == 0 || kind == FixedAnswer::STR {
            return Fixed::None;
        }
        let value = self.value[0].load(Ordering::Relaxed);
        // The two words were read before the generation is read again.
        std::sync::atomic::fence(Ordering::Acquire);
        if self.generation.load(Ordering::Relaxed) != generation {
            return Fixed::None;
        }
        Fixed::decode(entry, value)
    }

    /// The flag's whole fixed answer (value, and what details need), if one was cached for
    /// `generation`.
    #[inline(always)]
    pub(crate) fn answer(&self, generation: u64) -> Option<SlotAnswer> {
        self.answer_with(generation, true)
    }

    /// The flag's fixed value only (no variant), if one was cached for `generation`.
    #[inline(always)]
    pub(crate) fn value_answer(&self, generation: u64) -> Option<SlotAnswer> {
        self.answer_with(generation, false)
    }

    #[inline(always)]
    fn answer_with(&self, generation: u64, with_variant: bool) -> Option<SlotAnswer> {
        if self.generation.load(Ordering::Acquire) != generation {
            return None;
        }
        let entry = self.entry.load(Ordering::Relaxed);
        if entry >> FixedAnswer::KIND_SHIFT & FixedAnswer::KIND_MASK == 0 {
            return None;
        }
        let load = |words: &[AtomicU64; 3]| {
            [
                words[0].load(Ordering::Relaxed),
                words[1].load(Ordering::Relaxed),
                words[2].load(Ordering::Relaxed),
            ]
        };
        let value = load(&self.value);
        let variant = if with_variant && entry & FixedAnswer::VARIANT != 0 {
            load(&self.variant)
        } else {
            [0; 3]
        };
        // The words were read before the generation is read again.
        std::sync::atomic::fence(Ordering::Acquire);
        if self.generation.load(Ordering::Relaxed) != generation {
            return None;
        }
        Some(SlotAnswer {
            entry,
            value,
            variant,
        })
    }

    /// Caches `index` for `generation`.
    #[inline]
    #[cfg_attr(not(feature = "http"), allow(dead_code))] // bulk answers' only
    pub(crate) fn set(&self, generation: u64, index: usize) {
        self.set_fixed(generation, index, &FixedAnswer::NONE, false);
    }

    /// Caches `index` and the flag's fixed answer for `generation` (`stale`: the snapshot is
    /// served stale). Another writer busy with the slot wins: the slot is a cache, and this
    /// read found its flag anyway.
    #[cold]
    #[inline(never)]
    pub(crate) fn set_fixed(
        &self,
        generation: u64,
        index: usize,
        fixed: &FixedAnswer,
        stale: bool,
    ) {
        let current = self.generation.load(Ordering::Relaxed);
        if current == generation
            || current == KeySlot::WRITING
            || self
                .generation
                .compare_exchange(
                    current,
                    KeySlot::WRITING,
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                )
                .is_err()
        {
            return;
        }
        // Readers that see the words below see the mark above.
        std::sync::atomic::fence(Ordering::Release);
        let stale = if stale { FixedAnswer::STALE } else { 0 };
        self.entry.store(
            fixed.bits | stale | (index as u64 & 0xffff_ffff),
            Ordering::Relaxed,
        );
        for (word, value) in self.value.iter().zip(fixed.value) {
            word.store(value, Ordering::Relaxed);
        }
        for (word, value) in self.variant.iter().zip(fixed.variant) {
            word.store(value, Ordering::Relaxed);
        }
        self.generation.store(generation, Ordering::Release);
    }
}

/// A schema default as generated code stores it in a `const`.
#[doc(hidden)] // generated code names it through `__private`
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SchemaDefault {
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string.
    Str(&'static str),
}
