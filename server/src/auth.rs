//! Identity: HS256 JWTs (ours or another issuer's signed with the same secret) and
//! argon2id password hashes (`passwords`), and login throttling.

use std::time::Duration;

use axum::http::{header, HeaderMap};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::{
    config::JwtConfig,
    store::{StoreError, UserStore},
};

pub mod login_throttle;
pub mod passwords;

pub use passwords::{Busy, Passwords};

/// The session cookie's name. With `Secure`, the `__Host-` prefix makes browsers
/// refuse it unless it was set by this host over HTTPS with `Path=/` and no
/// `Domain`, so a sibling subdomain cannot plant one.
pub fn cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-access_token"
    } else {
        "access_token"
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub nickname: String,
    pub exp: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
    /// Only honoured with `TRUST_TOKEN_ROLES=true`; otherwise roles come from the
    /// account record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The account's token version when issued; bumping it revokes older tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tv: Option<u32>,
}

/// A verified user. Only ever built from a verified token or a checked password,
/// so holding one is proof of who is speaking.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub user_id: String,
    pub nickname: String,
    pub role: Option<String>,
    /// When the account was created (epoch ms); `None` for accounts of another
    /// issuer, whose age we cannot see.
    pub created_at_ms: Option<i64>,
}

impl Identity {
    pub fn is_admin(&self) -> bool {
        self.role.as_deref() == Some("admin")
    }
}

/// A token whose signature and time claims checked out; not yet checked against
/// the account (revocation, role).
#[derive(Clone, Debug)]
pub struct VerifiedToken {
    pub claims: Claims,
}

#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: Duration,
    issuer: Option<String>,
    audience: Option<String>,
}

impl TokenKeys {
    pub fn new(jwt: &JwtConfig) -> Self {
        // HS256 only: `alg: none` and algorithm-confusion tokens fail validation.
        let mut validation = Validation::new(Algorithm::HS256);
        let mut required = vec!["exp", "sub"];
        required.extend(jwt.issuer.as_ref().map(|_| "iss"));
        required.extend(jwt.audience.as_ref().map(|_| "aud"));
        validation.set_required_spec_claims(&required);
        validation.validate_nbf = true;
        validation.leeway = 5;
        if let Some(iss) = &jwt.issuer {
            validation.set_issuer(&[iss]);
        }
        match &jwt.audience {
            Some(aud) => validation.set_audience(&[aud]),
            None => validation.validate_aud = false,
        }
        Self {
            encoding: EncodingKey::from_secret(jwt.secret.as_bytes()),
            decoding: DecodingKey::from_secret(jwt.secret.as_bytes()),
            validation,
            ttl: jwt.ttl,
            issuer: jwt.issuer.clone(),
            audience: jwt.audience.clone(),
        }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// A session token for an account at its current token version.
    pub fn issue(&self, identity: &Identity, token_version: u32) -> String {
        let now = jsonwebtoken::get_current_timestamp();
        let claims = Claims {
            sub: identity.user_id.clone(),
            nickname: identity.nickname.clone(),
            exp: now + self.ttl.as_secs(),
            iat: Some(now),
            nbf: Some(now),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            // Roles live in the account record; nothing to gain from writing them here.
            role: None,
            tv: Some(token_version),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 encoding of plain claims cannot fail")
    }

    /// `None` for any token that is missing, malformed, expired, not yet valid,
    /// tampered with, signed with another secret or algorithm, from another issuer
    /// or audience (when configured), or carrying unusable claims.
    pub fn verify(&self, token: &str) -> Option<VerifiedToken> {
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
        Some(VerifiedToken { claims: c })
    }
}

/// Who a token speaks for: verifies it, then checks it against the account, so
/// revoked tokens (an older token version) are refused and roles come from the
/// database. Tokens of accounts this server does not hold (another issuer signing
/// with the same secret) carry their own identity, and a role only when
/// `TRUST_TOKEN_ROLES=true`.
#[derive(Clone)]
pub struct Authenticator {
    pub keys: TokenKeys,
    users: UserStore,
    trust_token_roles: bool,
    cookie: &'static str,
}

/// A signed-in session: who, and when its token expires (unix seconds).
#[derive(Clone, Debug)]
pub struct SignedIn {
    pub identity: Identity,
    pub expires_at: u64,
}

impl Authenticator {
    pub fn new(jwt: &JwtConfig, users: UserStore, cookie_secure: bool) -> Self {
        Self {
            keys: TokenKeys::new(jwt),
            users,
            trust_token_roles: jwt.trust_token_roles,
            cookie: cookie_name(cookie_secure),
        }
    }

    pub fn cookie_name(&self) -> &'static str {
        self.cookie
    }

    /// `Ok(None)` for a bad or revoked token; `Err` only when the database cannot
    /// say.
    pub async fn authenticate(&self, token: &str) -> Result<Option<SignedIn>, StoreError> {
        let Some(VerifiedToken { claims }) = self.keys.verify(token) else {
            return Ok(None);
        };
        let token_role = claims.role.clone().filter(|_| self.trust_token_roles);
        let identity = match self.users.find_by_id(&claims.sub).await? {
            Some(user) => {
                if claims.tv.unwrap_or(0) != user.token_version {
                    return Ok(None);
                }
                let mut identity = user.identity();
                identity.role = identity.role.or(token_role);
                identity
            }
            None => Identity {
                user_id: claims.sub,
                nickname: claims.nickname.trim().to_owned(),
                role: token_role,
                created_at_ms: None,
            },
        };
        Ok(Some(SignedIn {
            identity,
            expires_at: claims.exp,
        }))
    }

    /// The token a request carries: `Authorization: Bearer` first, then the cookie.
    pub fn request_token(&self, headers: &HeaderMap) -> Option<String> {
        bearer_token(headers).or_else(|| cookie_token(headers, self.cookie))
    }

    /// The identity behind a request, if any.
    pub async fn identify(&self, headers: &HeaderMap) -> Result<Option<Identity>, StoreError> {
        match self.request_token(headers) {
            Some(t) => Ok(self.authenticate(&t).await?.map(|s| s.identity)),
            None => Ok(None),
        }
    }
}

pub fn bearer_token(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

pub fn cookie_token(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    fn jwt(secret: &str) -> JwtConfig {
        JwtConfig {
            secret: secret.into(),
            ttl: Duration::from_secs(60),
            issuer: None,
            audience: None,
            trust_token_roles: false,
        }
    }

    fn keys() -> TokenKeys {
        TokenKeys::new(&jwt(SECRET))
    }

    fn alice() -> Identity {
        Identity {
            user_id: "u1".into(),
            nickname: "alice".into(),
            role: None,
            created_at_ms: None,
        }
    }

    fn sign(claims: serde_json::Value) -> String {
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .unwrap()
    }

    #[test]
    fn issued_tokens_verify() {
        let k = keys();
        let v = k.verify(&k.issue(&alice(), 3)).unwrap();
        assert_eq!(v.claims.sub, "u1");
        assert_eq!(v.claims.tv, Some(3));
        assert_eq!(v.claims.role, None, "roles are not written into tokens");
    }

    #[test]
    fn bad_tokens_are_refused() {
        let k = keys();
        let other = TokenKeys::new(&jwt("another-secret-another-secret-xx"));
        assert!(k.verify(&other.issue(&alice(), 0)).is_none());
        // Change a character inside the signature (the last one's low bits are
        // padding, which decoders may ignore).
        let t = k.issue(&alice(), 0);
        let at = t.len() - 10;
        let flipped = if &t[at..at + 1] == "A" { "B" } else { "A" };
        let t = format!("{}{flipped}{}", &t[..at], &t[at + 1..]);
        assert!(k.verify(&t).is_none(), "tampered signature");
        assert!(k.verify("garbage").is_none());
        // alg: none
        let none = format!(
            "{}.{}.",
            "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0",
            "eyJzdWIiOiJ1MSIsIm5pY2tuYW1lIjoiYWxpY2UiLCJleHAiOjk5OTk5OTk5OTl9"
        );
        assert!(k.verify(&none).is_none());
    }

    #[test]
    fn expired_and_not_yet_valid_tokens_are_refused() {
        let k = keys();
        let now = jsonwebtoken::get_current_timestamp();
        let expired = sign(serde_json::json!({"sub": "u1", "nickname": "a", "exp": now - 3600}));
        assert!(k.verify(&expired).is_none());
        let early = sign(
            serde_json::json!({"sub": "u1", "nickname": "a", "exp": now + 3600, "nbf": now + 600}),
        );
        assert!(k.verify(&early).is_none(), "nbf in the future");
    }

    #[test]
    fn issuer_and_audience_are_checked_when_configured() {
        let mut cfg = jwt(SECRET);
        cfg.issuer = Some("https://id.example".into());
        cfg.audience = Some("livechat".into());
        let k = TokenKeys::new(&cfg);
        assert!(
            k.verify(&k.issue(&alice(), 0)).is_some(),
            "our own tokens carry both"
        );
        let now = jsonwebtoken::get_current_timestamp();
        let bare = sign(serde_json::json!({"sub": "u1", "nickname": "a", "exp": now + 60}));
        assert!(k.verify(&bare).is_none(), "no issuer");
        let foreign = sign(
            serde_json::json!({"sub": "u1", "nickname": "a", "exp": now + 60,
            "iss": "https://evil.example", "aud": "livechat"}),
        );
        assert!(k.verify(&foreign).is_none(), "wrong issuer");
        let other_aud = sign(
            serde_json::json!({"sub": "u1", "nickname": "a", "exp": now + 60,
            "iss": "https://id.example", "aud": "another-app"}),
        );
        assert!(k.verify(&other_aud).is_none(), "wrong audience");
    }

    #[test]
    fn tokens_come_from_bearer_or_cookie() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("theme=dark; access_token=abc; x=y"),
        );
        assert_eq!(cookie_token(&h, "access_token").as_deref(), Some("abc"));
        assert_eq!(
            cookie_token(&h, cookie_name(true)),
            None,
            "__Host- only when Secure"
        );
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer xyz"),
        );
        assert_eq!(bearer_token(&h).as_deref(), Some("xyz"));
    }
}
