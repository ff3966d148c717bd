//! todo
pub fn hygiene(_: &super::Ctx, _: &super::ReportParams) -> Hygiene {
    Hygiene {}
}
#[derive(Clone, Debug, serde::Serialize, PartialEq)]
pub struct Hygiene {}
