//! todo
pub fn receivables(_: &super::Ctx, _: &super::ReportParams) -> Receivables {
    Receivables {}
}
#[derive(Clone, Debug, serde::Serialize, PartialEq)]
pub struct Receivables {}
