//! quotedesk: who is named in news articles and who said what, as a gRPC service.
//!
//! - [`extract`]: the NLP pipeline, text in, entities and quotes out (no I/O);
//! - [`store`]: the storage trait and its backends;
//! - [`ingest`]: validation and analysis of incoming articles, shared by the API and the CLI;
//! - [`api`]: the gRPC edge (protobuf conversion, service, server, middleware);
//! - [`bench`]: corpus and load generators for `quotedesk bench`;
//! - [`cli`]: the `quotedesk` command.

pub mod api;
pub mod bench;
pub mod cli;
pub mod domain;
pub mod extract;
pub mod ingest;
pub mod store;
