//! TEMPORARY (not committed): the scoped app signatures until the scope branch lands.
#![allow(missing_docs, dead_code)]
pub mod scope {
    #[derive(Debug, Clone)]
    pub enum Scope { All, Vendors(Vec<String>) }
    impl Scope { pub fn is_all(&self) -> bool { matches!(self, Scope::All) } }
}
use scope::Scope;
pub mod query {
    pub use entitle_app::query::*;
    use super::Scope;
    use entitle_app::{Result, Store};
    pub fn position(s: &Store, _: &Scope, r: &PositionRequest) -> Result<Position> { entitle_app::query::position(s, r) }
    pub fn state(s: &Store, _: &Scope, r: &Query) -> Result<State> { entitle_app::query::state(s, r) }
    pub fn spend(s: &Store, _: &Scope, r: &SpendRequest) -> Result<Spend> { entitle_app::query::spend(s, r) }
    pub fn renewals(s: &Store, _: &Scope, r: &RenewalsRequest) -> Result<Renewals> { entitle_app::query::renewals(s, r) }
    pub fn history(s: &Store, _: &Scope, r: &str) -> Result<History> { entitle_app::query::history(s, r) }
}
pub mod archive {
    pub use entitle_app::archive::*;
    use super::Scope;
    use entitle_app::{Progress, Result, Store};
    pub fn doc_list(s: &Store, _: &Scope, r: &DocListRequest, p: &dyn Progress) -> Result<DocList> { entitle_app::archive::doc_list(s, r, p) }
    pub fn doc_show(s: &Store, _: &Scope, r: &str, p: &dyn Progress) -> Result<DocShow> { entitle_app::archive::doc_show(s, r, p) }
    pub fn doc_get(s: &Store, _: &Scope, r: &str, o: &mut dyn std::io::Write) -> Result<u64> { entitle_app::archive::doc_get(s, r, o) }
    pub fn search(s: &Store, _: &Scope, r: &SearchRequest, p: &dyn Progress) -> Result<SearchResult> { entitle_app::archive::search(s, r, p) }
}
