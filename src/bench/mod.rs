//! Measurement tools behind `quotedesk bench`: a corpus generator, so that a large archive can be
//! built on any machine, and a load generator for the RPCs. Neither is used by the server.

pub mod corpus;
pub mod load;
