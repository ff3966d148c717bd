//! Secrets (tokens, client secrets) are a core type so the config can hold them.

pub use tsifra_core::secret::Secret;
