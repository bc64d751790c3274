//! Whose records a reader may see: everything, or some vendors' only (an
//! auditor's). Every read use case takes a [`Scope`] and applies it inside
//! its query, before anything is built from what lies outside: a license,
//! document or vendor out of scope answers exactly as one that does not
//! exist, and no row, count, score or snippet is computed from it.
//!
//! What stays visible to every reader: the log's size, its seqs and its
//! chain head (`verify` is not scoped), which say how much was recorded
//! but nothing about what.

use entitle_core::position::vendor_matches;
use entitle_core::timeline::{Attachment, DocumentEntry, LicenseTimeline};
use entitle_store::{Store, StoreError};

use crate::error::{Error, ErrorKind, Result};

/// Whose records a reader may see.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Every vendor's: the CLI, an admin, an editor, a viewer.
    All,
    /// Only these vendors' (as typed; compared as `--vendor` compares:
    /// case-insensitive, surrounding spaces ignored): an auditor's.
    Vendors(Vec<String>),
}

impl Scope {
    /// Whether `vendor` is in scope, compared as the ledger compares
    /// vendors.
    #[must_use]
    pub fn sees_vendor(&self, vendor: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Vendors(vendors) => vendors.iter().any(|v| vendor_matches(Some(v), vendor)),
        }
    }

    /// Whether everything is in scope.
    #[must_use]
    pub fn is_all(&self) -> bool {
        matches!(self, Scope::All)
    }

    /// Whether the license `id` is in scope: its purchase names a vendor in
    /// scope. An unknown id is not.
    ///
    /// # Errors
    ///
    /// When the store fails.
    pub fn sees_license(&self, store: &Store, id: &str) -> Result<bool> {
        Ok(self.sees_license_raw(store, id)?)
    }

    fn sees_license_raw(&self, store: &Store, id: &str) -> std::result::Result<bool, StoreError> {
        if self.is_all() {
            return Ok(true);
        }
        Ok(store.timeline(id)?.is_some_and(|t| self.sees_timeline(&t)))
    }

    /// Whether a license is in scope: its purchase names a vendor in
    /// scope.
    #[must_use]
    pub fn sees_timeline(&self, license: &LicenseTimeline) -> bool {
        self.is_all()
            || license
                .purchase()
                .is_some_and(|(_, terms)| self.sees_vendor(&terms.vendor))
    }

    /// Whether a binding of a document is in scope: it binds the document
    /// to a license in scope, or (without a license) to a vendor in scope.
    /// A binding to a license belongs to that license's vendor, whatever
    /// vendor name the record also carries, as an audit pack discloses it.
    ///
    /// # Errors
    ///
    /// When the store fails.
    pub fn sees_binding(&self, store: &Store, binding: &Attachment) -> Result<bool> {
        Ok(self.sees_binding_raw(store, binding)?)
    }

    fn sees_binding_raw(
        &self,
        store: &Store,
        binding: &Attachment,
    ) -> std::result::Result<bool, StoreError> {
        match (&binding.license, &binding.vendor) {
            _ if self.is_all() => Ok(true),
            (Some(id), _) => self.sees_license_raw(store, id),
            (None, Some(vendor)) => Ok(self.sees_vendor(vendor)),
            (None, None) => Ok(false),
        }
    }

    /// Whether a document is in scope: one of the bindings that count now
    /// is. With [`Scope::All`], every document is, bound or not.
    ///
    /// # Errors
    ///
    /// When the store fails.
    pub fn sees_document(&self, store: &Store, doc: &DocumentEntry) -> Result<bool> {
        Ok(self.sees_document_raw(store, doc)?)
    }

    fn sees_document_raw(
        &self,
        store: &Store,
        doc: &DocumentEntry,
    ) -> std::result::Result<bool, StoreError> {
        if self.is_all() {
            return Ok(true);
        }
        let head = store.applied().head.seq;
        for binding in doc.counted(head) {
            if self.sees_binding_raw(store, binding)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The document as a reader in scope sees it: with its bindings in
    /// scope only (voided ones too), so that nothing built from it — its
    /// licenses, vendors, file name and kind — names another vendor's
    /// license or vendor; `None` when it is not in scope
    /// ([`Scope::sees_document`]). With [`Scope::All`], the document as
    /// it is.
    ///
    /// # Errors
    ///
    /// When the store fails.
    pub fn narrow_document(
        &self,
        store: &Store,
        mut doc: DocumentEntry,
    ) -> Result<Option<DocumentEntry>> {
        if self.is_all() {
            return Ok(Some(doc));
        }
        let mut bindings = Vec::with_capacity(doc.attachments.len());
        for binding in doc.attachments {
            if self.sees_binding_raw(store, &binding)? {
                bindings.push(binding);
            }
        }
        doc.attachments = bindings;
        let head = store.applied().head.seq;
        let bound = doc.counted(head).next().is_some();
        Ok(bound.then_some(doc))
    }

    /// The document whose hash is or starts with `hash`, among those in
    /// scope, narrowed to its bindings in scope
    /// ([`Scope::narrow_document`]): one out of scope is answered as a
    /// hash no document has, and never makes a prefix ambiguous.
    ///
    /// # Errors
    ///
    /// As [`Store::resolve_document`].
    pub fn resolve_document(&self, store: &Store, hash: &str) -> Result<DocumentEntry> {
        let doc =
            store.resolve_document_among(hash, &mut |doc| self.sees_document_raw(store, doc))?;
        let found = doc.hash.clone();
        // Out of scope only when a void recorded since the lookup unbound it.
        self.narrow_document(store, doc)?.ok_or_else(|| {
            Error::not_found(format!(
                "document {found} is no longer bound to a license or vendor in scope"
            ))
            .at("hash")
        })
    }

    /// Refuses a use case that only a reader of everything may run (a full
    /// export of the log).
    ///
    /// # Errors
    ///
    /// Kind forbidden, naming what was refused, unless the scope is
    /// [`Scope::All`].
    pub fn require_all(&self, what: &str) -> Result<()> {
        if self.is_all() {
            return Ok(());
        }
        Err(Error::new(
            ErrorKind::Forbidden,
            format!("{what} needs access to every vendor's records; this reader sees only some vendors'"),
        )
        .hint("ask an administrator, or build an audit pack of a vendor in scope"))
    }
}
