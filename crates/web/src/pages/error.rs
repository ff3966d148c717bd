//! The page shown for a 4xx or 5xx outside `/api/`: a heading, a one-line
//! reason and a way back. Never a stack trace.

use askama::Template;
use tsifra_core::Language;

use crate::html::Layout;

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub layout: Layout,
    pub message: String,
}

impl ErrorPage {
    pub fn new(lang: Language, title: &str, message: String) -> ErrorPage {
        ErrorPage {
            layout: Layout::new(lang, title),
            message,
        }
    }
}
