//! `--shard I/N`: the stable split of one target list across machines.
//!
//! A target belongs to shard `XXH3-64(key) mod N`, where `key` is the normalized target (see
//! [`crate::batch::input`]: trimmed, without a trailing dot, the domain in lower case) as UTF-8
//! bytes and XXH3-64 is the 64-bit XXH3 hash with seed 0 (the xxHash specification,
//! <https://github.com/Cyan4973/xxHash/blob/dev/doc/xxhash_spec.md>). The hash is fixed by that
//! specification, not by this program or the platform, so the same list splits the same way on
//! every machine and in every version; `xxhsum -H3` computes the same value.

/// Shard I of N.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 0-based index.
    pub index: u64,
    /// Number of shards (at least 1).
    pub count: u64,
}

/// The stable 64-bit hash of a normalized target.
pub fn hash(key: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(key.as_bytes())
}

impl Shard {
    /// Parses `I/N` with `0 <= I < N`.
    pub fn parse(s: &str) -> Result<Shard, String> {
        let bad = || format!("invalid shard {s:?}: expected I/N with 0 <= I < N, e.g. 0/4");
        let (i, n) = s.trim().split_once('/').ok_or_else(bad)?;
        let index: u64 = i.trim().parse().map_err(|_| bad())?;
        let count: u64 = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// Whether the target with this normalized key belongs to the shard.
    pub fn contains(&self, key: &str) -> bool {
        hash(key) % self.count == self.index
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        assert_eq!(Shard::parse("0/4"), Ok(Shard { index: 0, count: 4 }));
        assert_eq!(Shard::parse(" 3/4 "), Ok(Shard { index: 3, count: 4 }));
        for bad in ["4/4", "1/0", "x/2", "1", "-1/2", ""] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
    }

    /// The hash is the specified XXH3-64 (seed 0): the empty input's value is the reference
    /// implementation's, and a target's value is pinned, so that a change of crate, version or
    /// platform cannot move targets between shards unnoticed.
    #[test]
    fn the_hash_is_xxh3_64() {
        assert_eq!(hash(""), 0x2d06800538d394c2);
        assert_eq!(hash("example.com"), EXAMPLE_COM);
    }

    const EXAMPLE_COM: u64 = 10_044_734_154_400_447_347;

    #[test]
    fn every_target_is_in_exactly_one_shard() {
        for n in 1..6 {
            for t in ["a.test", "b.test", "user@c.test", "127.0.0.1"] {
                let hits = (0..n)
                    .filter(|&i| Shard { index: i, count: n }.contains(t))
                    .count();
                assert_eq!(hits, 1);
            }
        }
    }
}
