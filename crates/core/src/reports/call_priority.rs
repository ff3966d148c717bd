//! todo
pub fn call_priority(_: &super::Ctx, _: &super::ReportParams) -> CallPriority {
    CallPriority {}
}
#[derive(Clone, Debug, serde::Serialize, PartialEq)]
pub struct CallPriority {}
