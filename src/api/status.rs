//! The one mapping from service errors to gRPC statuses, with google.rpc error details.

use std::time::Duration;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use crate::store::StoreError;

/// The error domain in google.rpc.ErrorInfo.
pub const ERROR_DOMAIN: &str = "quotedesk.v1";

fn resource_type(kind: &str) -> String {
    match kind {
        "article" => "quotedesk.v1.Article",
        "entity" => "quotedesk.v1.Entity",
        "quote" => "quotedesk.v1.Quote",
        other => other,
    }
    .to_string()
}

impl From<StoreError> for Status {
    fn from(e: StoreError) -> Status {
        let message = e.to_string();
        match e {
            StoreError::NotFound {
                resource_type: kind,
                name,
            } => Status::with_error_details(
                Code::NotFound,
                message,
                ErrorDetails::with_resource_info(
                    resource_type(kind),
                    name,
                    "",
                    format!("no {kind} with this name"),
                ),
            ),
            StoreError::InvalidArgument(violations) => {
                let mut details = ErrorDetails::new();
                for v in violations {
                    details.add_bad_request_violation(v.field, v.description);
                }
                Status::with_error_details(Code::InvalidArgument, message, details)
            }
            StoreError::Unavailable(_) => {
                let mut details = ErrorDetails::with_retry_info(Some(Duration::from_secs(1)));
                details.set_error_info("STORE_UNAVAILABLE", ERROR_DOMAIN, []);
                Status::with_error_details(Code::Unavailable, message, details)
            }
            StoreError::Internal(_) => {
                tracing::error!(error = %message, "internal error");
                Status::with_error_details(
                    Code::Internal,
                    "internal error; the server log has the details",
                    ErrorDetails::with_error_info("INTERNAL", ERROR_DOMAIN, []),
                )
            }
        }
    }
}

/// The status a shedding server answers with: retry after a short pause.
pub fn overloaded() -> Status {
    let mut details = ErrorDetails::with_retry_info(Some(Duration::from_millis(200)));
    details.set_error_info("OVERLOADED", ERROR_DOMAIN, []);
    Status::with_error_details(
        Code::Unavailable,
        "the server is at its concurrency limit; retry shortly",
        details,
    )
}

/// INVALID_ARGUMENT for one field.
pub fn invalid(field: &str, description: impl Into<String>) -> Status {
    StoreError::invalid(field, description).into()
}
