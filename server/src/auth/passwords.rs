//! argon2id hashing with a bound on how many run at once: each takes about
//! 19 MiB and a core, so parallel logins must not be able to take the machine.

use std::{sync::Arc, time::Duration};

use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
};
use tokio::sync::{OnceCell, Semaphore};

/// Every hashing slot stayed taken for the configured wait: answer 503 and ask
/// the client to come back.
#[derive(Debug, thiserror::Error)]
#[error("the server is busy checking passwords; try again shortly")]
pub struct Busy;

#[derive(Clone)]
pub struct Passwords {
    slots: Arc<Semaphore>,
    /// How long a caller waits for a slot before being told to come back.
    wait: Duration,
    /// A hash nobody knows the password of: unknown nicknames are checked against
    /// it, so an answer takes as long whether the account exists or not.
    dummy: Arc<OnceCell<String>>,
}

impl Passwords {
    pub fn new(concurrency: usize, wait: Duration) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(concurrency.max(1))),
            wait,
            dummy: Arc::default(),
        }
    }

    async fn slot(&self) -> Result<tokio::sync::OwnedSemaphorePermit, Busy> {
        tokio::time::timeout(self.wait, self.slots.clone().acquire_owned())
            .await
            .map_err(|_| Busy)?
            .map_err(|_| Busy)
    }

    pub async fn hash(&self, password: String) -> Result<String, Busy> {
        let _slot = self.slot().await?;
        Ok(hash_blocking(password).await)
    }

    /// Checks `password` against `hash`, or against the dummy hash when there is
    /// no account (always false then, in the same time).
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, Busy> {
        let exists = hash.is_some();
        let hash = match hash {
            Some(h) => h,
            None => self
                .dummy
                .get_or_init(|| async {
                    let mut random = [0u8; 24];
                    argon2::password_hash::rand_core::RngCore::fill_bytes(&mut OsRng, &mut random);
                    hash_blocking(format!("{random:?}")).await
                })
                .await
                .clone(),
        };
        let _slot = self.slot().await?;
        let ok = tokio::task::spawn_blocking(move || {
            PasswordHash::new(&hash)
                .map(|parsed| {
                    Argon2::default()
                        .verify_password(password.as_bytes(), &parsed)
                        .is_ok()
                })
                .unwrap_or(false)
        })
        .await
        .unwrap_or(false);
        Ok(ok && exists)
    }
}

/// argon2id off the async runtime (it is deliberately slow).
pub async fn hash_blocking(password: String) -> String {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .expect("argon2 with default params cannot fail")
            .to_string()
    })
    .await
    .expect("hashing task panicked")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_unknown_accounts_never_do() {
        let p = Passwords::new(2, Duration::from_secs(1));
        let h = p.hash("correct-horse".into()).await.unwrap();
        assert!(p
            .verify("correct-horse".into(), Some(h.clone()))
            .await
            .unwrap());
        assert!(!p.verify("wrong".into(), Some(h)).await.unwrap());
        assert!(!p.verify("correct-horse".into(), None).await.unwrap());
    }

    #[tokio::test]
    async fn a_full_house_answers_busy() {
        let p = Passwords::new(1, Duration::from_millis(50));
        let _held = p.slots.clone().acquire_owned().await.unwrap();
        assert!(p.hash("x".repeat(8)).await.is_err());
    }
}
