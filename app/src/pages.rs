//! One module per page.

mod auth;
mod directory;
mod live;
mod not_found;

pub use auth::{Login, Signup};
pub use directory::Directory;
pub use live::LivePage;
pub use not_found::NotFound;
