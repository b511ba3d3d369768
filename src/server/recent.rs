//! The messages of one run that the mock remembers, to recognise a message that arrives again (`client-duplicate`).
//!
//! A message is known by its Message-ID, else by the SHA-256 of its content. The set is bounded:
//! it keeps the last [`RECENT_MESSAGES`] keys of the run and forgets older ones.

use std::collections::{HashMap, VecDeque};

use crate::wire::request::MessageStats;

/// How many message keys a run remembers.
pub const RECENT_MESSAGES: usize = 10_000;

/// What a message is recognised by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    MessageId(Vec<u8>),
    Content([u8; 32]),
}

/// The keys of the run's recent messages, each with the connection it first arrived on.
#[derive(Debug, Default)]
pub struct RecentMessages {
    first_seen: HashMap<Key, u64>,
    order: VecDeque<Key>,
}

impl RecentMessages {
    /// Notes that the message of `stats` (and Message-ID `message_id`) arrived on
    /// `connection`; returns the earlier connection it already arrived on, if any (the same
    /// connection does not count).
    pub fn arrived(
        &mut self,
        stats: &MessageStats,
        message_id: Option<&str>,
        connection: u64,
    ) -> Option<u64> {
        let key = match message_id {
            Some(id) => Key::MessageId(id.as_bytes().to_vec()),
            None => Key::Content(stats.sha256),
        };
        if let Some(&first) = self.first_seen.get(&key) {
            return (first != connection).then_some(first);
        }
        if self.order.len() >= RECENT_MESSAGES
            && let Some(old) = self.order.pop_front()
        {
            self.first_seen.remove(&old);
        }
        self.first_seen.insert(key.clone(), connection);
        self.order.push_back(key);
        None
    }

    /// How many keys are remembered.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether no message arrived yet.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(hash: u8) -> MessageStats {
        MessageStats {
            sha256: [hash; 32],
            ..MessageStats::default()
        }
    }

    #[test]
    fn a_message_is_known_by_its_id_else_its_content() {
        let mut r = RecentMessages::default();
        assert_eq!(r.arrived(&stats(1), Some("a@x"), 1), None);
        assert_eq!(
            r.arrived(&stats(2), Some("a@x"), 1),
            None,
            "same connection"
        );
        assert_eq!(r.arrived(&stats(3), Some("a@x"), 2), Some(1));
        assert_eq!(r.arrived(&stats(9), None, 2), None);
        assert_eq!(r.arrived(&stats(9), None, 3), Some(2));
        assert_eq!(r.arrived(&stats(8), None, 3), None);
        assert_eq!(r.len(), 3);
    }

    #[test]
    fn memory_is_bounded_and_the_oldest_is_forgotten() {
        let mut r = RecentMessages::default();
        for i in 0..RECENT_MESSAGES + 10 {
            let id = format!("m{i}@x");
            r.arrived(&stats(0), Some(&id), 1);
        }
        assert_eq!(r.len(), RECENT_MESSAGES);
        assert_eq!(r.arrived(&stats(0), Some("m0@x"), 2), None, "forgotten");
        assert_eq!(r.arrived(&stats(0), Some("m20@x"), 2), Some(1));
    }
}
