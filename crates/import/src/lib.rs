//! Spreadsheets in and out: the head of sales' plan file (CSV or XLSX) read
//! into plans with errors that name the file, row and column; report tables
//! written out as CSV and XLSX downloads.

pub mod calendar;
pub mod export;
pub mod plans;

pub use calendar::{CalendarImportError, parse_calendar};
pub use plans::{PlanImportError, parse_plans};
