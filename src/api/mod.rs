//! The gRPC edge: generated protobuf types, conversions from and to the domain, the service
//! implementation, error mapping, and the server with its middleware.

pub mod auth;
pub mod convert;
pub mod observe;
pub mod server;
pub mod service;
pub mod status;

/// Code generated from proto/ by build.rs.
pub mod pb {
    pub mod quotedesk {
        pub mod v1 {
            tonic::include_proto!("quotedesk.v1");
        }
    }
    pub mod google {
        pub mod rpc {
            tonic::include_proto!("google.rpc");
        }
    }
    /// Descriptors of every proto file, for gRPC reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] =
        include_bytes!(concat!(env!("OUT_DIR"), "/quotedesk_descriptor.bin"));
}
