//! Page-numbered lists: `?page=` (from 1) and `?per_page=`, checked against
//! documented bounds before any arithmetic, so no value a client sends can
//! overflow the offset (anything beyond the bounds is a 422 naming it).
//! Deep pages cost the database a scan of every row before them; lists that
//! go deeper use a cursor (`/v2/products`).

use crate::error::ApiError;

/// The last page number any list serves.
pub const MAX_PAGE: u64 = 10_000;

/// A list's page sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageBounds {
    pub default_per_page: u64,
    pub max_per_page: u64,
}

/// A checked page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// 1..=[`MAX_PAGE`].
    pub page: u64,
    /// 1..=the list's `max_per_page`.
    pub per_page: u64,
}

impl Page {
    /// `page` and `per_page` as sent (absent: the first page, the default
    /// size), or a 422 naming each one out of bounds.
    pub fn checked(
        page: Option<u64>,
        per_page: Option<u64>,
        bounds: PageBounds,
    ) -> Result<Self, ApiError> {
        let page = page.unwrap_or(1);
        let per_page = per_page.unwrap_or(bounds.default_per_page);
        let mut problems = Vec::new();
        if !(1..=MAX_PAGE).contains(&page) {
            problems.push(("page", format!("must be between 1 and {MAX_PAGE}")));
        }
        if !(1..=bounds.max_per_page).contains(&per_page) {
            problems.push((
                "per_page",
                format!("must be between 1 and {}", bounds.max_per_page),
            ));
        }
        if problems.is_empty() {
            Ok(Self { page, per_page })
        } else {
            Err(ApiError::validation(&problems))
        }
    }

    /// The rows before this page (at most `MAX_PAGE` × `max_per_page`).
    pub fn offset(self) -> u64 {
        (self.page - 1) * self.per_page
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOUNDS: PageBounds = PageBounds {
        default_per_page: 20,
        max_per_page: 100,
    };

    #[test]
    fn absent_values_are_the_first_page_at_the_default_size() {
        let page = Page::checked(None, None, BOUNDS).unwrap();
        assert_eq!((page.page, page.per_page, page.offset()), (1, 20, 0));
        let page = Page::checked(Some(3), Some(50), BOUNDS).unwrap();
        assert_eq!(page.offset(), 100);
    }

    #[test]
    fn values_out_of_bounds_are_refused_by_name_before_any_arithmetic() {
        for (page, per_page, named) in [
            (Some(0), None, "page"),
            (Some(i64::MAX as u64), Some(100), "page"),
            (Some(u64::MAX), Some(u64::MAX), "page"),
            (Some(MAX_PAGE + 1), None, "page"),
            (None, Some(0), "per_page"),
            (None, Some(101), "per_page"),
        ] {
            let error = Page::checked(page, per_page, BOUNDS).unwrap_err();
            assert_eq!(error.code(), crate::ErrorCode::ValidationFailed);
            assert!(error.message().contains(named), "{}", error.message());
        }
        let deepest = Page::checked(Some(MAX_PAGE), Some(100), BOUNDS).unwrap();
        assert_eq!(deepest.offset(), (MAX_PAGE - 1) * 100);
    }
}
