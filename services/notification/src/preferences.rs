//! Promotional opt-outs per channel and per topic, quiet hours and
//! one-click unsubscribe links. Transactional messages never look at any
//! of this.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use dayone_model::BaseEntity;
use hmac::{Hmac, Mac};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter, Set, Statement,
};
use sha2::Sha256;
use uuid::Uuid;

use crate::entities::preference;
use crate::error::NotificationError;

/// The channels a user can opt out of promotions on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Email,
    Sms,
    Push,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Sms => "sms",
            Self::Push => "push",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "email" => Some(Self::Email),
            "sms" => Some(Self::Sms),
            "push" => Some(Self::Push),
            _ => None,
        }
    }
}

/// A user's preferences (the defaults when they never set any).
pub async fn of<C: ConnectionTrait>(
    db: &C,
    user: Uuid,
) -> Result<Option<preference::Model>, DbErr> {
    preference::Entity::active()
        .filter(preference::Column::UserUuid.eq(user))
        .one(db)
        .await
}

/// A user's whole set of preferences, as they replace them.
pub struct Wanted {
    pub email_promotional: bool,
    pub sms_promotional: bool,
    pub push_promotional: bool,
    /// Quiet hours: start, end (local, not equal) and IANA time zone.
    pub quiet_hours: Option<(NaiveTime, NaiveTime, String)>,
}

/// Replaces `user`'s preferences with `wanted`; returns them as stored.
pub async fn replace<C: ConnectionTrait>(
    db: &C,
    user: Uuid,
    wanted: Wanted,
) -> Result<Option<preference::Model>, DbErr> {
    let (quiet_start, quiet_end, timezone) = match wanted.quiet_hours {
        Some((s, e, tz)) => (Some(s), Some(e), tz),
        None => (None, None, "UTC".to_owned()),
    };
    preference::Entity::insert(preference::ActiveModel {
        user_uuid: Set(user),
        email_promotional: Set(wanted.email_promotional),
        sms_promotional: Set(wanted.sms_promotional),
        push_promotional: Set(wanted.push_promotional),
        quiet_start: Set(quiet_start),
        quiet_end: Set(quiet_end),
        timezone: Set(timezone),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(preference::Column::UserUuid)
            .update_columns([
                preference::Column::EmailPromotional,
                preference::Column::SmsPromotional,
                preference::Column::PushPromotional,
                preference::Column::QuietStart,
                preference::Column::QuietEnd,
                preference::Column::Timezone,
            ])
            .to_owned(),
    )
    .exec(db)
    .await?;
    tracing::info!(user_id = %user, "notification preferences saved");
    of(db, user).await
}

pub fn allows(preferences: Option<&preference::Model>, channel: Channel) -> bool {
    preferences.is_none_or(|p| match channel {
        Channel::Email => p.email_promotional,
        Channel::Sms => p.sms_promotional,
        Channel::Push => p.push_promotional,
    })
}

/// When quiet hours end, if `now` falls inside them.
pub fn quiet_until(
    preferences: Option<&preference::Model>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let p = preferences?;
    let (start, end) = (p.quiet_start?, p.quiet_end?);
    let tz: Tz = p.timezone.parse().unwrap_or(Tz::UTC);
    quiet_end(start, end, tz, now)
}

/// The end of the quiet window `[start, end)` (local times in `tz`, may span
/// midnight) that contains `now`, or `None` when `now` is outside it.
pub fn quiet_end(
    start: NaiveTime,
    end: NaiveTime,
    tz: Tz,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    if start == end {
        return None;
    }
    let local = now.with_timezone(&tz);
    let time = local.time();
    let today = local.date_naive();
    let inside = if start < end {
        time >= start && time < end
    } else {
        time >= start || time < end
    };
    if !inside {
        return None;
    }
    let end_day = if start < end || time < end {
        today
    } else {
        today.succ_opt()?
    };
    let end_local = tz.from_local_datetime(&end_day.and_time(end)).earliest()?;
    Some(end_local.with_timezone(&Utc))
}

type HmacSha256 = Hmac<Sha256>;

/// Whether `user` takes promotional messages of `topic` on `channel` (a
/// channel's name: `email`, `sms`, `push`, `in_app`); yes unless they said
/// no.
pub async fn topic_allows<C: ConnectionTrait>(
    db: &C,
    user: Uuid,
    topic: &str,
    channel: &str,
) -> Result<bool, DbErr> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT enabled FROM topic_preferences WHERE user_uuid = $1 AND topic = $2 AND channel = $3",
            [user.into(), topic.into(), channel.into()],
        ))
        .await?;
    row.map_or(Ok(true), |r| r.try_get("", "enabled"))
}

/// Sets whether `user` takes `topic` on `channel`.
pub async fn set_topic<C: ConnectionTrait>(
    db: &C,
    user: Uuid,
    topic: &str,
    channel: &str,
    enabled: bool,
) -> Result<(), DbErr> {
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO topic_preferences (user_uuid, topic, channel, enabled) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_uuid, topic, channel) DO UPDATE SET enabled = EXCLUDED.enabled, updated_at = now()",
        [user.into(), topic.into(), channel.into(), enabled.into()],
    ))
    .await?;
    tracing::info!(user_id = %user, topic, channel, enabled, "topic preference saved");
    Ok(())
}

/// The topics templates name, and what `user` said about each: `(topic,
/// channel) -> enabled` for the ones they set.
pub async fn topics<C: ConnectionTrait>(
    db: &C,
    user: Uuid,
) -> Result<(Vec<String>, Vec<(String, String, bool)>), DbErr> {
    let known = db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT DISTINCT topic FROM templates WHERE topic IS NOT NULL AND deleted_at IS NULL ORDER BY topic",
        ))
        .await?
        .iter()
        .map(|r| r.try_get::<String>("", "topic"))
        .collect::<Result<_, _>>()?;
    let set = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT topic, channel, enabled FROM topic_preferences WHERE user_uuid = $1",
            [user.into()],
        ))
        .await?
        .iter()
        .map(|r| {
            Ok((
                r.try_get("", "topic")?,
                r.try_get("", "channel")?,
                r.try_get("", "enabled")?,
            ))
        })
        .collect::<Result<_, DbErr>>()?;
    Ok((known, set))
}

/// A token that unsubscribes `user` from promotional `channel` messages (of
/// `topic` only, when given), signed so it cannot be forged for someone
/// else.
pub fn unsubscribe_token(
    secret: &str,
    user: Uuid,
    channel: Channel,
    topic: Option<&str>,
) -> String {
    let payload = match topic {
        Some(topic) => format!("{user}:{}:{topic}", channel.as_str()),
        None => format!("{user}:{}", channel.as_str()),
    };
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(payload.as_bytes());
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(&payload),
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    )
}

/// What a valid unsubscribe token turns off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsubscribe {
    pub user: Uuid,
    pub channel: Channel,
    /// `None`: every promotional message on the channel.
    pub topic: Option<String>,
}

/// The user, channel and topic of a valid unsubscribe token.
pub fn verify_unsubscribe_token(secret: &str, token: &str) -> Option<Unsubscribe> {
    let (payload, signature) = token.split_once('.')?;
    let payload = String::from_utf8(URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
    let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).ok()?;
    mac.update(payload.as_bytes());
    mac.verify_slice(&signature).ok()?;
    let mut parts = payload.splitn(3, ':');
    Some(Unsubscribe {
        user: parts.next()?.parse().ok()?,
        channel: Channel::parse(parts.next()?)?,
        topic: parts.next().map(str::to_owned),
    })
}

/// Follows an unsubscribe link: turns promotional messages (of its topic,
/// if it names one) off on the token's channel for the token's user.
/// Returns what it turned off.
pub async fn unsubscribe<C: ConnectionTrait>(
    db: &C,
    secret: &str,
    token: &str,
) -> Result<Unsubscribe, NotificationError> {
    let link =
        verify_unsubscribe_token(secret, token).ok_or(NotificationError::InvalidUnsubscribeLink)?;
    let (user, channel) = (link.user, link.channel);
    if let Some(topic) = &link.topic {
        set_topic(db, user, topic, channel.as_str(), false).await?;
        return Ok(link);
    }
    let (column, model) = match channel {
        Channel::Email => (
            preference::Column::EmailPromotional,
            preference::ActiveModel {
                email_promotional: Set(false),
                ..Default::default()
            },
        ),
        Channel::Sms => (
            preference::Column::SmsPromotional,
            preference::ActiveModel {
                sms_promotional: Set(false),
                ..Default::default()
            },
        ),
        Channel::Push => (
            preference::Column::PushPromotional,
            preference::ActiveModel {
                push_promotional: Set(false),
                ..Default::default()
            },
        ),
    };
    preference::Entity::insert(preference::ActiveModel {
        user_uuid: Set(user),
        ..model
    })
    .on_conflict(
        OnConflict::column(preference::Column::UserUuid)
            .update_column(column)
            .to_owned(),
    )
    .exec(db)
    .await?;
    tracing::info!(user_id = %user, channel = channel.as_str(), "unsubscribed from promotional messages");
    Ok(link)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn t(s: &str) -> NaiveTime {
        NaiveTime::parse_from_str(s, "%H:%M").unwrap()
    }

    #[test]
    fn quiet_hours_spanning_midnight_end_the_next_morning() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        // 22:30 in Berlin (UTC+1 in winter) is inside 21:00-08:00.
        let end = quiet_end(t("21:00"), t("08:00"), berlin, at("2026-11-25T21:30:00Z")).unwrap();
        assert_eq!(end, at("2026-11-26T07:00:00Z"));
        // 06:00 Berlin, still inside, ends the same morning.
        let end = quiet_end(t("21:00"), t("08:00"), berlin, at("2026-11-26T05:00:00Z")).unwrap();
        assert_eq!(end, at("2026-11-26T07:00:00Z"));
        // Noon is outside.
        assert!(quiet_end(t("21:00"), t("08:00"), berlin, at("2026-11-26T11:00:00Z")).is_none());
    }

    #[test]
    fn quiet_hours_within_a_day() {
        let end = quiet_end(t("12:00"), t("14:00"), Tz::UTC, at("2026-11-25T13:00:00Z")).unwrap();
        assert_eq!(end, at("2026-11-25T14:00:00Z"));
        assert!(quiet_end(t("12:00"), t("14:00"), Tz::UTC, at("2026-11-25T14:00:00Z")).is_none());
    }

    #[test]
    fn unsubscribe_tokens_verify_and_cannot_be_altered() {
        let user = Uuid::new_v4();
        let token = unsubscribe_token("secret", user, Channel::Email, None);
        assert_eq!(
            verify_unsubscribe_token("secret", &token),
            Some(Unsubscribe {
                user,
                channel: Channel::Email,
                topic: None
            })
        );
        let topic = unsubscribe_token("secret", user, Channel::Sms, Some("orders.late"));
        assert_eq!(
            verify_unsubscribe_token("secret", &topic).and_then(|u| u.topic),
            Some("orders.late".to_owned())
        );
        assert_eq!(verify_unsubscribe_token("other secret", &token), None);
        let (_, signature) = token.split_once('.').unwrap();
        let forged = format!(
            "{}.{signature}",
            URL_SAFE_NO_PAD.encode(format!("{}:email", Uuid::new_v4()))
        );
        assert_eq!(verify_unsubscribe_token("secret", &forged), None);
    }
}
