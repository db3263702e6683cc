//! Identity: HS256 JWTs (ours or another issuer's signed with the same secret) and
//! argon2id password hashes.

use std::time::Duration;

use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
};
use axum::http::{header, HeaderMap};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

pub const COOKIE_NAME: &str = "access_token";

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub nickname: String,
    pub exp: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

/// A verified user. Only ever built from a verified token or a checked password,
/// so holding one is proof of who is speaking.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub user_id: String,
    pub nickname: String,
    pub role: Option<String>,
}

#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: Duration,
}

impl TokenKeys {
    pub fn new(secret: &str, ttl: Duration) -> Self {
        // HS256 only: `alg: none` and algorithm-confusion tokens fail validation.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "sub"]);
        validation.leeway = 5;
        Self {
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
            validation,
            ttl,
        }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    pub fn issue(&self, identity: &Identity) -> String {
        let now = jsonwebtoken::get_current_timestamp();
        let claims = Claims {
            sub: identity.user_id.clone(),
            nickname: identity.nickname.clone(),
            exp: now + self.ttl.as_secs(),
            iat: Some(now),
            role: identity.role.clone(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 encoding of plain claims cannot fail")
    }

    /// `None` for any token that is missing, malformed, expired, tampered with,
    /// signed with another secret or algorithm, or carries unusable claims.
    pub fn verify(&self, token: &str) -> Option<Identity> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).ok()?;
        let c = data.claims;
        let nickname = c.nickname.trim();
        if c.sub.is_empty()
            || c.sub.len() > 128
            || nickname.is_empty()
            || nickname.chars().count() > 64
        {
            return None;
        }
        Some(Identity {
            user_id: c.sub,
            nickname: nickname.to_owned(),
            role: c.role,
        })
    }

    /// The identity behind a request: `Authorization: Bearer` first, then the cookie.
    pub fn from_headers(&self, headers: &HeaderMap) -> Option<Identity> {
        bearer_token(headers)
            .or_else(|| cookie_token(headers))
            .and_then(|t| self.verify(&t))
    }
}

pub fn bearer_token(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

pub fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, value)| value.to_owned())
}

/// Hashes with argon2id off the async runtime (it is deliberately slow).
pub async fn hash_password(password: String) -> String {
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

pub async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn keys() -> TokenKeys {
        TokenKeys::new("0123456789abcdef0123456789abcdef", Duration::from_secs(60))
    }

    fn alice() -> Identity {
        Identity {
            user_id: "u1".into(),
            nickname: "alice".into(),
            role: None,
        }
    }

    #[test]
    fn issued_tokens_verify() {
        let k = keys();
        assert_eq!(k.verify(&k.issue(&alice())), Some(alice()));
    }

    #[test]
    fn bad_tokens_are_refused() {
        let k = keys();
        let other = TokenKeys::new("another-secret-another-secret-xx", Duration::from_secs(60));
        assert_eq!(k.verify(&other.issue(&alice())), None);
        let mut t = k.issue(&alice());
        t.pop();
        t.push('A');
        assert_eq!(k.verify(&t), None, "tampered signature");
        assert_eq!(k.verify("garbage"), None);
        // alg: none
        let none = format!(
            "{}.{}.",
            "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0",
            "eyJzdWIiOiJ1MSIsIm5pY2tuYW1lIjoiYWxpY2UiLCJleHAiOjk5OTk5OTk5OTl9"
        );
        assert_eq!(k.verify(&none), None);
    }

    #[test]
    fn expired_tokens_are_refused() {
        let k = keys();
        let claims = Claims {
            sub: "u1".into(),
            nickname: "alice".into(),
            exp: jsonwebtoken::get_current_timestamp() - 3600,
            iat: None,
            role: None,
        };
        let t = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(b"0123456789abcdef0123456789abcdef"),
        )
        .unwrap();
        assert_eq!(k.verify(&t), None);
    }

    #[test]
    fn tokens_come_from_bearer_or_cookie() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("theme=dark; access_token=abc; x=y"),
        );
        assert_eq!(cookie_token(&h).as_deref(), Some("abc"));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer xyz"),
        );
        assert_eq!(bearer_token(&h).as_deref(), Some("xyz"));
    }
}
