//! The socket.io server of this node: alone (rooms and broadcasts in-process) or
//! one of several nodes whose rooms, broadcasts and operators span the cluster
//! through the Redis adapter. Handlers are generic over the adapter; what the
//! services need from the server goes through here, one method per use.

use serde::Serialize;
use socketioxide::{
    adapter::{Adapter, Emitter},
    BroadcastError, SendError, SocketError, SocketIo,
};

/// The adapter of cluster mode (socketioxide-redis over the fred driver).
pub type ClusterAdapter = socketioxide_redis::FredAdapter<Emitter>;

#[derive(Clone)]
pub enum Sockets {
    Single(SocketIo),
    Cluster(SocketIo<ClusterAdapter>),
}

/// Runs `$body` with `$io` bound to whichever server this is.
macro_rules! each {
    ($self:expr, $io:ident => $body:expr) => {
        match $self {
            Sockets::Single($io) => $body,
            Sockets::Cluster($io) => $body,
        }
    };
}

impl Sockets {
    /// Emits to a room's sockets on every node.
    pub async fn emit_everywhere<T: Serialize + ?Sized>(
        &self,
        room: String,
        event: &'static str,
        data: &T,
    ) -> Result<(), BroadcastError> {
        each!(self, io => io.to(room).emit(event, data).await)
    }

    /// Emits to a room's sockets on this node only (each node delivers chat and
    /// counts to its own sockets).
    pub async fn emit_here<T: Serialize + ?Sized>(
        &self,
        room: String,
        event: &'static str,
        data: &T,
    ) -> Result<(), BroadcastError> {
        each!(self, io => io.local().to(room).emit(event, data).await)
    }

    /// Disconnects a room's sockets on every node (e.g. all of one user's).
    pub async fn disconnect_everywhere(&self, room: String) -> Result<(), BroadcastError> {
        each!(self, io => io.to(room).disconnect().await)
    }

    /// Offers `data` to each socket of `room` on this node and disconnects those
    /// whose buffer is full; returns how many.
    pub fn drop_full<T: Serialize + ?Sized>(
        &self,
        room: String,
        event: &'static str,
        data: &T,
    ) -> u64 {
        fn drop_full<A: Adapter, T: Serialize + ?Sized>(
            io: &SocketIo<A>,
            room: String,
            event: &'static str,
            data: &T,
        ) -> u64 {
            let mut dropped = 0;
            for socket in io.local().within(room).sockets() {
                if let Err(SendError::Socket(SocketError::InternalChannelFull)) =
                    socket.emit(event, data)
                {
                    tracing::warn!(sid = %socket.id, "dropping a slow consumer");
                    let _ = socket.disconnect();
                    dropped += 1;
                }
            }
            dropped
        }
        each!(self, io => drop_full(io, room, event, data))
    }

    /// How many socket.io rooms on this node start with `prefix`.
    pub async fn local_rooms_with(&self, prefix: &str) -> usize {
        let rooms = each!(self, io => io.local().rooms().await.unwrap_or_default());
        rooms.iter().filter(|r| r.starts_with(prefix)).count()
    }

    /// Closes every socket on this node.
    pub async fn close(&self) {
        each!(self, io => io.close().await)
    }
}
